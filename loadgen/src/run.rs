//! The scenarios: many connections echoing, one connection echoing large messages,
//! connection churn, and idle connections held open.

use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::conn::{
    SMALL_INFLIGHT_BYTES, Until, conn_alternating, conn_pipelined, connect, connect_many,
    finish_close, protocol_err,
};
use crate::cpu::{CpuSnap, CpuUse, raise_nofile_limit, sample_cpu};
use crate::live::Live;
use crate::report::Report;
use crate::settings::{Mode, Settings, Target};
use crate::stats::{Stats, Window, percentile};
use crate::wire::{self, EchoParser, Expected, Progress};

/// Runs `settings`' scenario on the current `LocalSet` (connections are `spawn_local`
/// tasks) and reports. `live` is updated as echoes arrive. [`Mode::Idle`] is not run
/// here: see [`open_idle`].
///
/// ```no_run
/// use std::rc::Rc;
/// use rfc6455_loadgen::{Live, Settings, Target, run};
///
/// # async fn f() -> std::io::Result<()> {
/// let live = Rc::new(Live::default());
/// let report = run(&Settings::new(Target::loopback(9001)), live.clone()).await?;
/// assert_eq!(report.messages <= live.echoes(), true);
/// # Ok(()) }
/// ```
pub async fn run(settings: &Settings, live: Rc<Live>) -> io::Result<Report> {
    if let Some(level) = settings.deflate_level {
        if settings.mode != Mode::Echo {
            return Err(io::Error::other(
                "the compressed echo runs one message in flight per connection (echo mode)",
            ));
        }
        return crate::deflate::run_deflate(settings, level, live).await;
    }
    match settings.mode {
        Mode::Echo | Mode::Pipelined => run_echo(settings, live).await,
        Mode::Large => run_large(settings, &live).await,
        Mode::Churn => run_churn(settings, live).await,
        Mode::Idle => Err(io::Error::other(
            "idle mode holds connections: use open_idle",
        )),
    }
}

/// Runs `settings` on a new single-threaded runtime in this thread (raising the
/// open-file limit first) and reports.
///
/// ```no_run
/// use rfc6455_loadgen::{Settings, Target, run_local};
///
/// let report = run_local(&Settings::new(Target::loopback(9001)), None)?;
/// println!("{} errors", report.errors);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn run_local(settings: &Settings, live: Option<Rc<Live>>) -> io::Result<Report> {
    raise_nofile_limit();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run(settings, live.unwrap_or_default()))
}

/// Idle connections, open until dropped.
#[derive(Debug)]
pub struct Idle {
    connections: Vec<(TcpStream, Vec<u8>)>,
    secs: f64,
}

impl Idle {
    /// The report of the opening: connections per second.
    ///
    /// ```no_run
    /// # async fn f() -> std::io::Result<()> {
    /// use rfc6455_loadgen::{Settings, Target, open_idle};
    /// let idle = open_idle(&Settings::new(Target::loopback(9001))).await?;
    /// println!("{} open", idle.report().connections);
    /// # Ok(()) }
    /// ```
    pub fn report(&self) -> Report {
        Report {
            mode: Mode::Idle,
            connections: self.connections.len(),
            size: 0,
            text: false,
            inflight: 0,
            messages: 0,
            secs: self.secs,
            rate: self.connections.len() as f64 / self.secs.max(1e-9),
            mibps: 0.0,
            latencies_ns: Vec::new(),
            cpu: CpuUse::default(),
            errors: 0,
            first_error: None,
            wire: None,
        }
    }
}

/// Opens `settings.connections` upgraded connections and returns them, silent, to be
/// held as long as the caller keeps the [`Idle`].
///
/// ```no_run
/// # async fn f() -> std::io::Result<()> {
/// use rfc6455_loadgen::{Settings, Target, open_idle};
/// let idle = open_idle(&Settings { connections: 1000, ..Settings::new(Target::loopback(9001)) }).await?;
/// drop(idle); // closes them all
/// # Ok(()) }
/// ```
pub async fn open_idle(settings: &Settings) -> io::Result<Idle> {
    let t = Instant::now();
    let connections = connect_many(
        &settings.target,
        settings.connections,
        settings.connect_concurrency,
        settings.patience,
    )
    .await?;
    Ok(Idle {
        connections,
        secs: t.elapsed().as_secs_f64(),
    })
}

fn window(settings: &Settings) -> Window {
    let begin = Instant::now();
    Window {
        start: begin + settings.warmup,
        end: begin + settings.warmup + settings.duration,
        patience: settings.patience,
    }
}

fn report(settings: &Settings, inflight: usize, mut stats: Stats, secs: f64) -> Report {
    stats.lat.sort_unstable();
    let (text, _) = settings.message_kind();
    let rate = stats.done as f64 / secs.max(1e-9);
    Report {
        mode: settings.mode,
        connections: settings.connections,
        size: settings.size,
        text,
        inflight,
        messages: stats.done,
        secs,
        rate,
        mibps: rate * settings.size as f64 / (1024.0 * 1024.0),
        latencies_ns: stats.lat,
        cpu: CpuUse::default(),
        errors: stats.errors,
        first_error: stats.first_error,
        wire: None,
    }
}

async fn run_echo(settings: &Settings, live: Rc<Live>) -> io::Result<Report> {
    let inflight = settings.inflight();
    let (text, opcode) = settings.message_kind();
    let expected = Rc::new(Expected::new(opcode, wire::payload(settings.size, text)));
    let frame = Rc::new(expected.frame());
    // `inflight` frames back to back, so one write can send many.
    let batch = Rc::new(frame.repeat(inflight));
    let conns = connect_many(
        &settings.target,
        settings.connections,
        settings.connect_concurrency,
        settings.patience,
    )
    .await?;
    let begin = Instant::now();
    let (window, until) = match settings.messages {
        // A count: everything from now on is measured, until the last echo.
        Some(msgs) => {
            let far = begin + Duration::from_secs(365 * 24 * 3600);
            let window = Window {
                start: begin,
                end: far,
                patience: settings.patience,
            };
            (window, Until { time: far, msgs })
        }
        None => {
            let window = window(settings);
            let until = Until {
                time: window.end,
                msgs: u64::MAX,
            };
            (window, until)
        }
    };
    let snap = CpuSnap::take(settings.server_pid);
    let cpu = match settings.messages {
        Some(_) => None,
        None => Some(tokio::task::spawn_local(sample_cpu(
            window,
            settings.server_pid,
        ))),
    };
    let alternating = settings.messages.is_none() && inflight * frame.len() <= SMALL_INFLIGHT_BYTES;
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|(stream, leftover)| {
            let expected = expected.clone();
            let frame = frame.clone();
            let batch = batch.clone();
            let live = live.clone();
            tokio::task::spawn_local(async move {
                let limit = window.end + Duration::from_secs(30);
                let fut = async {
                    if alternating {
                        conn_alternating(
                            stream,
                            leftover,
                            &expected,
                            &batch,
                            frame.len(),
                            inflight,
                            window,
                            &live,
                        )
                        .await
                    } else {
                        conn_pipelined(
                            stream, leftover, &expected, &frame, inflight, window, until, &live,
                        )
                        .await
                    }
                };
                let stats = match tokio::time::timeout_at(limit.into(), fut).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => Stats::failed(e),
                    Err(_) => Stats::failed("connection timed out"),
                };
                if stats.errors > 0 {
                    live.failed();
                }
                stats
            })
        })
        .collect();
    let mut stats = Stats::default();
    for t in tasks {
        stats.merge(t.await.map_err(io::Error::other)?);
    }
    let (cpu, secs) = match cpu {
        Some(cpu) => (cpu.await.map_err(io::Error::other)?, window.secs()),
        None => (
            snap.until(&CpuSnap::take(settings.server_pid)),
            begin.elapsed().as_secs_f64(),
        ),
    };
    if let Some(msgs) = settings.messages {
        let wanted = msgs * settings.connections as u64;
        if stats.errors == 0 && stats.done != wanted {
            stats.error(format!("{} echoes, expected {wanted}", stats.done));
        }
    }
    Ok(Report {
        cpu,
        ..report(settings, inflight, stats, secs)
    })
}

async fn run_large(settings: &Settings, live: &Live) -> io::Result<Report> {
    let (text, opcode) = settings.message_kind();
    let expected = Expected::new(opcode, wire::payload(settings.size, text));
    let frame = expected.frame();
    let request = wire::upgrade_request_to(&settings.target.host, &settings.target.path);
    let (stream, leftover) = connect(&settings.target, &request, settings.patience).await?;
    let warm = 1u64;
    let total = warm + settings.count as u64;
    let begin = Instant::now();
    let snap = CpuSnap::take(settings.server_pid);
    let far = begin + Duration::from_secs(3600);
    let window = Window {
        start: begin,
        end: far,
        patience: settings.patience,
    };
    let until = Until {
        time: far,
        msgs: total,
    };
    let stats = tokio::time::timeout(
        Duration::from_secs(120 + 2 * total),
        conn_pipelined(stream, leftover, &expected, &frame, 1, window, until, live),
    )
    .await;
    let cpu = snap.until(&CpuSnap::take(settings.server_pid));
    let mut stats = match stats {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => Stats::failed(e),
        Err(_) => Stats::failed("large message echo timed out"),
    };
    if stats.errors == 0 && stats.lat.len() as u64 != total {
        stats.error(format!("{} echoes, expected {total}", stats.lat.len()));
    }
    let mut lat: Vec<u64> = stats.lat.iter().skip(warm as usize).copied().collect();
    lat.sort_unstable();
    let p50 = percentile(&lat, 50.0);
    let rate = 1e9 / p50;
    Ok(Report {
        mode: Mode::Large,
        connections: 1,
        size: settings.size,
        text,
        inflight: 1,
        messages: lat.len() as u64,
        secs: begin.elapsed().as_secs_f64(),
        rate,
        mibps: rate * settings.size as f64 / (1024.0 * 1024.0),
        latencies_ns: lat,
        cpu,
        errors: stats.errors,
        first_error: stats.first_error,
        wire: None,
    })
}

/// One churn cycle: connect, upgrade, close handshake, TCP close.
async fn churn_cycle(
    target: &Target,
    request: &[u8],
    expected: &Expected,
    patience: Duration,
) -> io::Result<()> {
    let (mut stream, leftover) = connect(target, request, patience).await?;
    let mut parser = EchoParser::new(expected);
    parser.feed(&leftover, &mut Progress::default())?;
    if parser.closed() {
        return Err(protocol_err("the server closed right after the handshake"));
    }
    tokio::io::AsyncWriteExt::write_all(&mut stream, &wire::close_frame()).await?;
    let mut buf = [0u8; 512];
    finish_close(&mut stream, &mut parser, &mut buf, patience).await
}

async fn run_churn(settings: &Settings, live: Rc<Live>) -> io::Result<Report> {
    let expected = Rc::new(Expected::none());
    let target = Rc::new(settings.target.clone());
    let request = Rc::new(wire::upgrade_request_to(&target.host, &target.path));
    let window = window(settings);
    let cpu = tokio::task::spawn_local(sample_cpu(window, settings.server_pid));
    let patience = settings.patience;
    let tasks: Vec<_> = (0..settings.connections)
        .map(|_| {
            let (expected, request, target, live) = (
                expected.clone(),
                request.clone(),
                target.clone(),
                live.clone(),
            );
            tokio::task::spawn_local(async move {
                let mut stats = Stats::default();
                loop {
                    let t0 = Instant::now();
                    if t0 >= window.end || stats.errors >= 20 {
                        break;
                    }
                    let r = tokio::time::timeout(
                        2 * patience,
                        churn_cycle(&target, &request, &expected, patience),
                    )
                    .await;
                    let t1 = Instant::now();
                    match r {
                        Ok(Ok(())) => {
                            live.echoed((t1 - t0).as_nanos() as u64);
                            if window.contains(t1) {
                                stats.done += 1;
                                stats.lat.push((t1 - t0).as_nanos() as u64);
                            }
                        }
                        Ok(Err(e)) => {
                            live.failed();
                            stats.error(e);
                        }
                        Err(_) => {
                            live.failed();
                            stats.error("churn cycle timed out");
                        }
                    }
                }
                stats
            })
        })
        .collect();
    let mut stats = Stats::default();
    for t in tasks {
        stats.merge(t.await.map_err(io::Error::other)?);
    }
    let cpu = cpu.await.map_err(io::Error::other)?;
    Ok(Report {
        cpu,
        ..report(settings, 1, stats, window.secs())
    })
}

//! CPU accounting: this process's, the server's (from `/proc/PID/stat`) and the whole
//! machine's (from `/proc/stat`), over the measured window; and the open-file limit.
//! The only unsafe code of the crate: three libc calls with no memory-safety
//! preconditions beyond valid pointers to local structs.

use std::time::Instant;

use crate::stats::Window;

/// Raises the soft open-file limit to the hard limit (a run of thousands of connections
/// needs as many descriptors).
///
/// ```
/// rfc6455_loadgen::raise_nofile_limit();
/// ```
pub fn raise_nofile_limit() {
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    #[allow(unsafe_code)]
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// CPU seconds (user + system) this process has used.
fn own_cpu_secs() -> f64 {
    // SAFETY: getrusage with a valid pointer to a zeroed local struct.
    #[allow(unsafe_code)]
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// CPU seconds (user + system) process `pid` has used, from /proc/PID/stat.
fn proc_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields after the command: state is field 3, utime 14, stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    #[allow(unsafe_code)]
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some((utime + stime) / hz.max(1.0))
}

/// Busy CPU seconds of the whole machine (all cores), from /proc/stat.
fn system_busy_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<f64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest is inside user).
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)? + v.get(7)?;
    // SAFETY: sysconf has no memory-safety preconditions.
    #[allow(unsafe_code)]
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(busy / hz.max(1.0))
}

/// CPU counters at one instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuSnap {
    at: Instant,
    own: f64,
    server: Option<f64>,
    system: Option<f64>,
}

impl CpuSnap {
    pub(crate) fn take(server_pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            own: own_cpu_secs(),
            server: server_pid.and_then(proc_cpu_secs),
            system: system_busy_secs(),
        }
    }

    /// CPU use between `self` and `later`, in percent of one core.
    pub(crate) fn until(&self, later: &Self) -> CpuUse {
        let secs = (later.at - self.at).as_secs_f64().max(1e-9);
        let pct = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / secs * 100.0);
        let own = (later.own - self.own) / secs * 100.0;
        let server = pct(self.server, later.server);
        let other = match (pct(self.system, later.system), server) {
            (Some(all), Some(srv)) => Some((all - own - srv).max(0.0)),
            _ => None,
        };
        CpuUse { own, server, other }
    }
}

/// CPU use over a window, in percent of one core.
///
/// ```
/// let idle = rfc6455_loadgen::CpuUse::default();
/// assert_eq!(idle.server, None);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    /// The load generator.
    pub own: f64,
    /// The server under test (when its process id was given).
    pub server: Option<f64>,
    /// Everything else on the machine: should be near 0 for a clean run.
    pub other: Option<f64>,
}

impl CpuUse {
    pub(crate) fn fields(&self) -> Vec<(&'static str, String)> {
        let f = |v: Option<f64>| v.map_or("nan".into(), |c| format!("{c:.1}"));
        vec![
            ("lg_cpu", format!("{:.1}", self.own)),
            ("srv_cpu", f(self.server)),
            ("other_cpu", f(self.other)),
        ]
    }

    /// One line for people: "loadgen CPU 95%, server CPU 60%, other CPU 1%".
    ///
    /// ```
    /// assert!(rfc6455_loadgen::CpuUse::default().describe().starts_with("loadgen CPU"));
    /// ```
    pub fn describe(&self) -> String {
        let f = |v: Option<f64>| v.map_or("?".into(), |c| format!("{c:.0}%"));
        format!(
            "loadgen CPU {:.0}%, server CPU {}, other CPU {}",
            self.own,
            f(self.server),
            f(self.other)
        )
    }
}

/// Samples CPU use over the window.
pub(crate) async fn sample_cpu(window: Window, server_pid: Option<u32>) -> CpuUse {
    tokio::time::sleep_until(window.start.into()).await;
    let a = CpuSnap::take(server_pid);
    tokio::time::sleep_until(window.end.into()).await;
    a.until(&CpuSnap::take(server_pid))
}

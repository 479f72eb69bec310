//! Starting, watching and stopping the processes of one run.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Raises this process's soft open-file limit to the hard limit; children
/// (servers and the load generator) inherit it.
pub fn raise_nofile_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    #[allow(unsafe_code)]
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
        lim.rlim_cur
    }
}

/// Whether `taskset` can be used for pinning.
pub fn have_taskset() -> bool {
    Command::new("taskset")
        .args(["-c", "0", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A command pinned to `cpus` (a `taskset -c` list) when pinning is on.
pub fn pinned(cpus: Option<&str>, program: &Path) -> Command {
    match cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(cpus).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// Appending log file for a child's stderr.
pub fn log_file(dir: &Path, name: &str) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{name}.log")))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// Picks a free port at or after `*next` (wrapping inside `base..base+2000`).
pub fn free_port(base: u16, next: &mut u16) -> u16 {
    for _ in 0..2000 {
        let port = base + (*next % 2000);
        *next = next.wrapping_add(1);
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    base
}

/// A server process that is killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
}

impl Server {
    /// Starts the server and waits until its port accepts connections.
    pub fn start(cmd: Command, port: u16, log: Stdio) -> Result<Self, String> {
        Self::start_within(cmd, port, log, Duration::from_secs(15))
    }

    /// [`Server::start`], waiting up to `wait` for the port (a server under
    /// valgrind starts slowly).
    pub fn start_within(
        mut cmd: Command,
        port: u16,
        log: Stdio,
        wait: Duration,
    ) -> Result<Self, String> {
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start server: {e}"))?;
        let mut server = Self { child };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + wait;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("server exited at start-up ({status})"));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "server did not accept connections within {} s",
                    wait.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A `/proc/PID/status` field in KiB (`VmRSS`, `VmHWM`).
    pub fn status_kib(&self, field: &str) -> Option<u64> {
        proc_status_kib(self.pid(), field)
    }

    /// SIGTERM, a short grace period, then SIGKILL.
    pub fn stop(mut self) {
        self.terminate(Duration::from_secs(2));
    }

    /// SIGTERM, up to `grace` to exit (valgrind writes its profile then),
    /// then SIGKILL.
    pub fn stop_within(mut self, grace: Duration) {
        self.terminate(grace);
    }

    fn terminate(&mut self, grace: Duration) {
        if !self.alive() {
            return;
        }
        // SAFETY: kill(2) on the pid of our own child, which we have not reaped.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if !self.alive() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate(Duration::from_secs(2));
    }
}

/// A `/proc/PID/status` field in KiB.
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Runs the load generator to completion (killing it after `timeout`) and
/// returns its stdout.
pub fn run_loadgen(mut cmd: Command, log: Stdio, timeout: Duration) -> Result<String, String> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(log);
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start loadgen: {e}"))?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(out)) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(Err(e)) => Err(format!("loadgen: {e}")),
        Err(_) => {
            // SAFETY: kill(2) on our own child; the waiting thread reaps it.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
            let _ = rx.recv_timeout(Duration::from_secs(5));
            Err(format!("loadgen timed out after {} s", timeout.as_secs()))
        }
    }
}

/// A load generator in idle mode: started, then held until [`Idle::release`].
#[derive(Debug)]
pub struct Idle {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Idle {
    pub fn start(mut cmd: Command, log: Stdio) -> Result<Self, String> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(log);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start loadgen: {e}"))?;
        let stdout = child.stdout.take().ok_or("no loadgen stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self { child, lines })
    }

    /// Waits for the `READY` line; returns the whole line.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.starts_with("READY") => return Ok(l),
                Ok(l) if l.starts_with("RESULT") => return Err(format!("loadgen failed: {l}")),
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err("idle connections not established in time".into());
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("loadgen exited before READY".into());
                }
            }
        }
    }

    /// Tells the load generator to let go (closes its stdin) and reaps it.
    pub fn release(mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.write_all(b"\n");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a build command, logging its output; true on success.
pub fn build(cmd: &mut Command, log_dir: &Path, name: &str) -> bool {
    let log: PathBuf = log_dir.join(format!("{name}.log"));
    let file = std::fs::File::create(&log);
    let (out, err) = match file.and_then(|f| Ok((f.try_clone()?, f))) {
        Ok((a, b)) => (Stdio::from(a), Stdio::from(b)),
        Err(_) => (Stdio::null(), Stdio::null()),
    };
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    cmd.status().is_ok_and(|s| s.success())
}

//! User-space instructions per message (per handshake in churn), counted by
//! `valgrind --tool=callgrind` in the server process.
//!
//! Instruction counts do not depend on what else the machine is doing, so
//! this measure is valid on a busy machine where throughput is not. The
//! kernel's work (the loopback TCP stack, `epoll`) is not counted: the server
//! CPU time per message beside it in the report includes it.
//!
//! Method: the server runs under callgrind twice, each time fresh, for the
//! same load with a short and a long measured window (no warm-up):
//!
//! ```text
//! instructions per message = (Ir(long) − Ir(short)) ÷ (messages(long) − messages(short))
//! ```
//!
//! Everything both runs do once cancels out: start-up, the opening and
//! closing handshakes of every connection, and the messages in flight when
//! the window ends (the load generator drains them in both runs), so what is
//! left is the steady-state cost of the messages in between. Under valgrind
//! the server runs tens of times slower, so it finds more messages waiting
//! per wake-up than at full speed: the figure is the cost per message at
//! saturation, which is what a busy server pays.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::procs::{self, Server};
use crate::{Ctx, Load, Scenario, ServerDef};

/// glibc copies and fills blocks above a few KiB with `rep movsb` / `rep stosb`,
/// and callgrind counts every iteration of those as one instruction: a 16 KiB
/// copy would count 16 384, thirty times what the vector loop glibc uses for
/// smaller blocks counts for the same bytes, though the two take about the
/// same time. With the thresholds out of reach glibc uses the vector loop at
/// every size, so a copy counts in proportion to what it costs, alike for
/// every server.
const NO_REP_STRINGS: &str =
    "glibc.cpu.x86_rep_movsb_threshold=4294967295:glibc.cpu.x86_rep_stosb_threshold=4294967295";

/// Whether `valgrind --tool=callgrind` runs here.
pub fn available() -> bool {
    Command::new("valgrind")
        .args(["--tool=callgrind", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// One measurement: instructions per message and what it was computed from.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    /// User-space instructions per message (per handshake in churn).
    pub per_msg: f64,
    /// Messages the difference is over.
    pub msgs: u64,
}

/// The instructions per message of `server` in `sc` (see the module docs).
pub fn measure(ctx: &mut Ctx, server: &ServerDef, sc: &Scenario) -> Result<Measure, String> {
    let short = ctx.settings.callgrind_short;
    // Compressed messages are slow under valgrind: a longer difference, so
    // that it still spans a few hundred of them.
    let scale = if matches!(sc.load, Load::Deflate { .. }) {
        4.0
    } else {
        1.0
    };
    let long = short + scale * ctx.settings.callgrind_secs;
    let (ir_a, msgs_a) = one_run(ctx, server, sc, short, "short")?;
    let (ir_b, msgs_b) = one_run(ctx, server, sc, long, "long")?;
    if msgs_b <= msgs_a || ir_b <= ir_a {
        return Err(format!(
            "the long run did not do more: {msgs_a} → {msgs_b} messages, {ir_a} → {ir_b} instructions"
        ));
    }
    let msgs = msgs_b - msgs_a;
    Ok(Measure {
        per_msg: (ir_b - ir_a) as f64 / msgs as f64,
        msgs,
    })
}

/// One run of the server under callgrind: its total instructions and the
/// messages the load generator counted.
fn one_run(
    ctx: &mut Ctx,
    server: &ServerDef,
    sc: &Scenario,
    secs: f64,
    tag: &str,
) -> Result<(u64, u64), String> {
    if matches!(sc.load, Load::Large | Load::Idle) {
        return Err(format!("no instruction count for scenario {}", sc.id));
    }
    let port = procs::free_port(ctx.base_port, &mut ctx.next_port);
    let out = ctx
        .log_dir
        .join(format!("callgrind.{}.{}.{tag}.out", server.name, sc.id));
    let _ = std::fs::remove_file(&out);
    let pin = ctx.settings.pin;
    let mut cmd = procs::pinned(pin.then_some("0"), Path::new("valgrind"));
    cmd.env("GLIBC_TUNABLES", NO_REP_STRINGS)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&server.bin);
    crate::server_args(&mut cmd, server, sc, port, 1);
    let log = procs::log_file(&ctx.log_dir, &format!("callgrind-{}", server.name));
    let srv = Server::start_within(cmd, port, log, Duration::from_secs(60))?;
    let mut lg = crate::load_command(ctx, sc, port, secs, 0.0, None);
    if !matches!(sc.load, crate::Load::Deflate { .. }) {
        // Handshakes and closes are slow under valgrind: the load generator waits longer.
        lg.arg("--patience").arg("60");
    }
    // Handshakes are slow under valgrind: allow for them.
    let timeout = Duration::from_secs_f64(secs + 240.0);
    let lg_log = procs::log_file(&ctx.log_dir, "loadgen");
    let result = procs::run_loadgen(lg, lg_log, timeout);
    // SIGTERM: valgrind writes the profile as the process ends.
    srv.stop_within(Duration::from_secs(60));
    let stdout = result?;
    let r = crate::parse_result(&stdout).ok_or("loadgen printed no RESULT line")?;
    if r.get("ok").map(String::as_str) != Some("true") {
        return Err(format!(
            "loadgen failed under callgrind: {}",
            r.get("error").map_or("?", String::as_str)
        ));
    }
    let msgs: u64 = r
        .get("msgs")
        .and_then(|m| m.parse().ok())
        .ok_or("loadgen reported no message count")?;
    let ir = total_ir(&out)?;
    let _ = std::fs::remove_file(&out);
    Ok((ir, msgs))
}

/// The `summary:` (or `totals:`) line of a callgrind output file: its first
/// event is Ir, the instructions executed.
pub fn total_ir(path: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("no callgrind output at {}: {e}", path.display()))?;
    parse_total(&text).ok_or_else(|| format!("no summary line in {}", path.display()))
}

fn parse_total(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::parse_total;

    #[test]
    fn the_total_is_the_first_event_of_the_summary_line() {
        let out = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\n\nfn=main\n3 7\n\nsummary: 123456789\ntotals: 123456789\n";
        assert_eq!(parse_total(out), Some(123_456_789));
        assert_eq!(parse_total("events: Ir\n"), None);
    }
}

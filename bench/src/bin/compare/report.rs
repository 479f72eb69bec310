//! Aggregation (medians over rounds), tables, the Markdown report and the
//! SVG chart.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::callgrind::Measure;
use crate::{Load, Metric, RAW, RFC6455, Run, Scenario, ServerDef, Settings, TUNGSTENITE};

/// A server's aggregated runs in one scenario.
#[derive(Debug, Clone)]
pub struct Agg {
    pub runs: usize,
    pub ok: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub srv_cpu: f64,
    /// Server CPU time per message (per handshake in churn), µs.
    pub cpu_us: f64,
    /// Frame bytes on the wire per message, both ways (compressed scenarios).
    pub wire: f64,
    pub lg_cpu: f64,
    /// The largest CPU use by other processes seen in any run.
    pub other_cpu_max: f64,
    pub hwm_kib: Option<u64>,
    pub first_error: Option<String>,
    /// User-space instructions per message under callgrind, if counted.
    pub instructions: Option<Result<Measure, String>>,
}

impl Agg {
    fn new(runs: &[Run]) -> Self {
        let ok: Vec<&Run> = runs.iter().filter(|r| r.ok).collect();
        let vals: Vec<f64> = ok.iter().map(|r| r.value).collect();
        let pick = |f: fn(&Run) -> f64| median(&ok.iter().map(|r| f(r)).collect::<Vec<_>>());
        Self {
            runs: runs.len(),
            ok: ok.len(),
            median: median(&vals),
            min: vals.iter().copied().fold(f64::INFINITY, f64::min),
            max: vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            p50_us: pick(|r| r.p50_us),
            p99_us: pick(|r| r.p99_us),
            srv_cpu: pick(|r| r.srv_cpu),
            cpu_us: pick(|r| r.cpu_us),
            wire: pick(|r| r.wire),
            lg_cpu: pick(|r| r.lg_cpu),
            other_cpu_max: ok
                .iter()
                .map(|r| r.other_cpu)
                .filter(|x| x.is_finite())
                .fold(f64::NAN, f64::max),
            hwm_kib: runs.iter().filter_map(|r| r.hwm_kib).max(),
            first_error: runs.iter().find_map(|r| r.error.clone()),
            instructions: None,
        }
    }

    /// Instructions per message, if counted.
    pub fn instr(&self) -> Option<f64> {
        self.instructions
            .as_ref()
            .and_then(|m| m.as_ref().ok())
            .map(|m| m.per_msg)
    }

    /// Whether there is a median to quote.
    pub fn usable(&self) -> bool {
        self.ok > 0 && self.median.is_finite()
    }
}

/// Median of the finite values (mean of the middle two for an even count).
pub fn median(v: &[f64]) -> f64 {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// CPU use by other processes (percent of one core) above which a scenario's
/// numbers are flagged as unreliable.
pub const BUSY_PCT: f64 = 10.0;

/// One row of a scenario's table.
#[derive(Debug, Clone)]
pub enum Row {
    Missing(String),
    Ran(Agg),
}

#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub scenario: Scenario,
    /// In the servers' fixed order.
    pub rows: Vec<(&'static str, Row)>,
}

impl ScenarioResult {
    pub fn new(
        scenario: Scenario,
        servers: &[ServerDef],
        mut runs: HashMap<&'static str, Vec<Run>>,
        mut instructions: HashMap<&'static str, Result<Measure, String>>,
    ) -> Self {
        let rows = servers
            .iter()
            .map(|s| {
                let row = match &s.missing {
                    Some(why) => Row::Missing(why.clone()),
                    None if !crate::takes_part(s, &scenario) => {
                        Row::Missing("no permessage-deflate in this echo server".into())
                    }
                    None => {
                        let mut agg = Agg::new(&runs.remove(s.name).unwrap_or_default());
                        agg.instructions = instructions.remove(s.name);
                        Row::Ran(agg)
                    }
                };
                (s.name, row)
            })
            .collect();
        Self { scenario, rows }
    }

    /// The aggregate of `name`, if it ran and has a median.
    pub fn usable(&self, name: &str) -> Option<&Agg> {
        self.rows.iter().find_map(|(n, r)| match r {
            Row::Ran(a) if *n == name && a.usable() => Some(a),
            _ => None,
        })
    }

    /// The server the ratios are relative to: rfc6455, else tokio-tungstenite.
    pub fn reference(&self) -> Option<(&'static str, &Agg)> {
        [RFC6455, TUNGSTENITE]
            .into_iter()
            .find_map(|n| self.usable(n).map(|a| (n, a)))
    }

    /// The most CPU other processes used during any run of the scenario.
    pub fn busiest_other_cpu(&self) -> f64 {
        self.rows
            .iter()
            .filter_map(|(_, r)| match r {
                Row::Ran(a) => Some(a.other_cpu_max),
                Row::Missing(_) => None,
            })
            .filter(|x| x.is_finite())
            .fold(f64::NAN, f64::max)
    }

    /// The library peer (not rfc6455, not raw) with the fewest instructions
    /// per message.
    pub fn leanest_peer(&self) -> Option<(&'static str, f64)> {
        self.rows
            .iter()
            .filter(|(n, _)| *n != RFC6455 && *n != RAW)
            .filter_map(|(n, r)| match r {
                Row::Ran(a) => Some((*n, a.instr()?)),
                Row::Missing(_) => None,
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Instructions per message of `name`, if counted.
    pub fn instr(&self, name: &str) -> Option<f64> {
        self.rows.iter().find_map(|(n, r)| match r {
            Row::Ran(a) if *n == name => a.instr(),
            _ => None,
        })
    }

    /// What one unit of the cost columns is: a message, or a handshake in churn.
    pub fn per(&self) -> &'static str {
        if matches!(self.scenario.load, Load::Churn { .. }) {
            "handshake"
        } else {
            "msg"
        }
    }

    /// The best library peer (not rfc6455, not raw).
    pub fn best_peer(&self) -> Option<(&'static str, &Agg)> {
        let hib = self.scenario.metric.higher_is_better();
        self.rows
            .iter()
            .filter(|(n, _)| *n != RFC6455 && *n != RAW)
            .filter_map(|(n, r)| match r {
                Row::Ran(a) if a.usable() => Some((*n, a)),
                _ => None,
            })
            .max_by(|a, b| {
                let o = a.1.median.total_cmp(&b.1.median);
                if hib { o } else { o.reverse() }
            })
    }
}

fn fmt_value(v: f64, metric: Metric) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    match metric {
        Metric::KibPerConn => format!("{v:.1}"),
        _ if v >= 1000.0 => group_thousands(v.round() as u64),
        _ if v >= 100.0 => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    }
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn fmt_us(us: f64) -> String {
    if !us.is_finite() {
        "–".into()
    } else if us < 10.0 {
        format!("{us:.1} µs")
    } else if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

fn fmt_pct(p: f64) -> String {
    if p.is_finite() {
        format!("{p:.0}%")
    } else {
        "–".into()
    }
}

fn fmt_ratio(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.2}×")
    } else {
        "–".into()
    }
}

/// Server CPU per message in µs.
fn fmt_cpu_us(us: f64) -> String {
    if !us.is_finite() {
        "–".into()
    } else if us < 10.0 {
        format!("{us:.2}")
    } else if us < 100.0 {
        format!("{us:.1}")
    } else {
        format!("{us:.0}")
    }
}

/// Instructions per message: grouped thousands, or k/M above 100 000.
fn fmt_instr(i: Option<f64>) -> String {
    match i {
        Some(i) if i.is_finite() && i >= 1e7 => format!("{:.1} M", i / 1e6),
        Some(i) if i.is_finite() && i >= 1e5 => format!("{:.0} k", i / 1e3),
        Some(i) if i.is_finite() => group_thousands(i.round() as u64),
        _ => "–".into(),
    }
}

fn fmt_mib(kib: Option<u64>) -> String {
    kib.map_or("–".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// One line for the progress log.
pub fn describe_run(r: &Run, metric: Metric) -> String {
    if !r.ok {
        return format!("FAILED: {}", r.error.as_deref().unwrap_or("?"));
    }
    let mut s = format!("{} {}", fmt_value(r.value, metric), metric.unit());
    if r.p50_us.is_finite() {
        let _ = write!(s, ", p50 {}, p99 {}", fmt_us(r.p50_us), fmt_us(r.p99_us));
    }
    if r.srv_cpu.is_finite() {
        let _ = write!(
            s,
            ", server CPU {}, loadgen CPU {}, other CPU {}",
            fmt_pct(r.srv_cpu),
            fmt_pct(r.lg_cpu),
            fmt_pct(r.other_cpu)
        );
    }
    s
}

/// A scenario's section: heading, table and summary lines. `earlier` holds
/// the scenarios already done (for the threads-2 vs threads-1 comparison).
pub fn scenario_markdown(res: &ScenarioResult, earlier: &[ScenarioResult]) -> String {
    let sc = &res.scenario;
    let metric = sc.metric;
    let mut s = String::new();
    let _ = writeln!(s, "### `{}`: {}\n", sc.id, sc.title);
    let reference = res.reference();
    let ref_name = reference.map_or(RFC6455, |r| r.0);
    let _ = writeln!(
        s,
        "| server | median {} | spread | p50 | p99 | ÷ {ref_name} | server CPU | CPU µs/{per} | instructions/{per} | loadgen CPU | other CPU | server peak RSS |",
        metric.unit(),
        per = res.per(),
    );
    let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (name, row) in &res.rows {
        match row {
            Row::Missing(why) => {
                let _ = writeln!(s, "| {name} | MISSING: {why} | | | | | | | | | | |");
            }
            Row::Ran(a) if !a.usable() => {
                let _ = writeln!(
                    s,
                    "| {name} | FAILED ({}/{} runs): {} | | | | | | | | | | |",
                    a.runs - a.ok,
                    a.runs,
                    a.first_error.as_deref().unwrap_or("?").replace('|', "/")
                );
            }
            Row::Ran(a) => {
                let spread = if a.ok > 1 {
                    format!("±{:.1}%", (a.max - a.min) / 2.0 / a.median * 100.0)
                } else {
                    "–".into()
                };
                let ratio = reference.map_or(f64::NAN, |(_, r)| a.median / r.median);
                let failed = if a.ok < a.runs {
                    format!(" ({} failed)", a.runs - a.ok)
                } else {
                    String::new()
                };
                let instr = match &a.instructions {
                    Some(Err(e)) => format!("failed: {}", e.replace('|', "/")),
                    _ => fmt_instr(a.instr()),
                };
                let _ = writeln!(
                    s,
                    "| {name} | {}{failed} | {spread} | {} | {} | {} | {} | {} | {instr} | {} | {} | {} |",
                    fmt_value(a.median, metric),
                    fmt_us(a.p50_us),
                    fmt_us(a.p99_us),
                    fmt_ratio(ratio),
                    fmt_pct(a.srv_cpu),
                    fmt_cpu_us(a.cpu_us),
                    fmt_pct(a.lg_cpu),
                    fmt_pct(a.other_cpu_max),
                    fmt_mib(a.hwm_kib),
                );
            }
        }
    }
    s.push('\n');
    let busiest = res.busiest_other_cpu();
    if busiest > BUSY_PCT {
        let _ = writeln!(
            s,
            "**Warning: other processes used up to {busiest:.0}% of a core during these runs; \
             the machine was not quiet and these numbers are unreliable.**"
        );
    }
    if !metric.higher_is_better() {
        s.push_str("Lower is better.\n");
    }
    if let Load::Deflate { size, .. } = sc.load {
        let parts: Vec<String> = res
            .rows
            .iter()
            .filter_map(|(n, r)| match r {
                Row::Ran(a) if a.usable() && a.wire.is_finite() => Some(format!(
                    "{n} {:.0} B ({:.2}× smaller than {} B × 2 of payload)",
                    a.wire,
                    2.0 * size as f64 / a.wire,
                    size
                )),
                _ => None,
            })
            .collect();
        if !parts.is_empty() {
            let _ = writeln!(
                s,
                "Bytes on the wire per message (frames out + echo in): {}",
                parts.join(", ")
            );
        }
    }
    if let Some(ours) = res.usable(RFC6455) {
        if let Some((peer, a)) = res.best_peer() {
            let _ = writeln!(
                s,
                "rfc6455 ÷ best peer ({peer}): **{}**",
                fmt_ratio(ours.median / a.median)
            );
        }
        if let Some(raw) = res.usable(RAW) {
            let _ = writeln!(
                s,
                "rfc6455 ÷ raw (the physical limit): {}",
                fmt_ratio(ours.median / raw.median)
            );
        }
        if let (Some(i), Some((peer, p))) = (ours.instr(), res.leanest_peer()) {
            let _ = writeln!(
                s,
                "rfc6455's instructions per {} ÷ the leanest peer's ({peer}): **{}**",
                res.per(),
                fmt_ratio(i / p)
            );
        }
    } else if reference.is_some() {
        let _ = writeln!(s, "rfc6455 has no result: ratios are ÷ {TUNGSTENITE}.");
    }
    if sc.server_threads > 1
        && let Some(one) = earlier.iter().find(|e| e.scenario.id == "pipe-20b")
    {
        let parts: Vec<String> = res
            .rows
            .iter()
            .filter_map(|(n, _)| {
                let two = res.usable(n)?;
                let one = one.usable(n)?;
                Some(format!("{n} {}", fmt_ratio(two.median / one.median)))
            })
            .collect();
        if !parts.is_empty() {
            let _ = writeln!(
                s,
                "{} worker threads ÷ 1 (`pipe-20b`): {}",
                sc.server_threads,
                parts.join(", ")
            );
        }
    }
    s
}

fn command_output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn machine_info(root: &Path) -> Vec<(&'static str, String)> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    let date = command_output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M:%S UTC"]))
        .unwrap_or_else(|| "?".into());
    let rustc =
        command_output(Command::new("rustc").arg("--version")).unwrap_or_else(|| "?".into());
    let commit = command_output(Command::new("git").arg("-C").arg(root).args([
        "rev-parse",
        "--short",
        "HEAD",
    ]))
    .map(|c| {
        let dirty = command_output(Command::new("git").arg("-C").arg(root).args([
            "status",
            "--porcelain",
            "--untracked-files=no",
        ]))
        .is_some_and(|s| !s.is_empty());
        if dirty {
            format!("{c} (with uncommitted changes)")
        } else {
            c
        }
    })
    .unwrap_or_else(|| "?".into());
    vec![
        ("date", date),
        ("CPU", cpu),
        ("nproc", nproc.to_string()),
        ("kernel", kernel),
        ("rustc", rustc),
        ("commit", commit),
    ]
}

/// The report's section headings: `readme.rs` finds its parts by them.
pub const MACHINE_HEADING: &str = "## Machine and settings";
pub const SUMMARY_HEADING: &str = "## Summary (median, and ratio to the reference server)";
pub const SCENARIOS_HEADING: &str = "## Scenarios";

/// The whole Markdown report.
pub fn full_markdown(
    results: &[ScenarioResult],
    servers: &[ServerDef],
    settings: &Settings,
    command: &str,
    root: &Path,
    stand_in: Option<&Path>,
) -> String {
    let mut s = String::new();
    s.push_str("# rfc6455 echo benchmark: latest results\n\n");
    s.push_str("Generated by `bench/run.sh` (the `compare` binary); how to read it: `bench/README.md`.\n\n");
    if let Some(b) = stand_in {
        let _ = writeln!(
            s,
            "> **NOTE: the server listed as rfc6455 was played by `{}` (`--rfc6455-bin`); \
             these are not rfc6455's numbers.**\n",
            b.display()
        );
    }
    if let Some(ours) = servers.iter().find(|x| x.name == RFC6455)
        && let Some(why) = &ours.missing
    {
        let _ = writeln!(
            s,
            "> **rfc6455 is MISSING ({why}); ratios are ÷ {TUNGSTENITE}.**\n"
        );
    }
    let _ = write!(s, "{MACHINE_HEADING}\n\n| | |\n|---|---|\n");
    for (k, v) in machine_info(root) {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    let _ = writeln!(s, "| command | `{command}` |");
    let _ = writeln!(
        s,
        "| rounds × duration | {} × {} s measured (after {} s warm-up), servers interleaved |",
        settings.rounds, settings.duration, settings.warmup
    );
    let _ = writeln!(
        s,
        "| pinning | {} |",
        if settings.pin {
            "server `taskset -c 0` (`mt-pipe-20b`: `-c 0,1`), loadgen `taskset -c 1`"
        } else {
            "none (--no-pin): not comparable"
        }
    );
    s.push_str(
        "| messages | text (ASCII payload, so servers validate UTF-8) up to 16 KiB; binary from 1 MiB |\n",
    );
    s.push_str("\n| server | binary |\n|---|---|\n");
    for srv in servers {
        let _ = writeln!(
            s,
            "| {} | `{}`{} |",
            srv.name,
            srv.bin.display(),
            if srv.missing.is_some() {
                " (MISSING)"
            } else {
                ""
            }
        );
    }

    // Summary: one row per scenario, one column per server.
    let _ = write!(s, "\n{SUMMARY_HEADING}\n\n");
    s.push_str("| scenario | unit |");
    for srv in servers {
        let _ = write!(s, " {} |", srv.name);
    }
    s.push_str(" rfc6455 ÷ best peer | rfc6455 ÷ raw |\n|---|---|");
    for _ in servers {
        s.push_str("--:|");
    }
    s.push_str("--:|--:|\n");
    for res in results {
        let metric = res.scenario.metric;
        let busy = if res.busiest_other_cpu() > BUSY_PCT {
            " ⚠"
        } else {
            ""
        };
        let _ = write!(s, "| `{}`{busy} | {} |", res.scenario.id, metric.unit());
        let reference = res.reference();
        for (name, _) in &res.rows {
            match res.usable(name) {
                Some(a) => {
                    let r = reference.map_or(f64::NAN, |(_, r)| a.median / r.median);
                    let _ = write!(s, " {} ({}) |", fmt_value(a.median, metric), fmt_ratio(r));
                }
                None => s.push_str(" – |"),
            }
        }
        let best = match (res.usable(RFC6455), res.best_peer()) {
            (Some(o), Some((_, p))) => fmt_ratio(o.median / p.median),
            _ => "–".into(),
        };
        let raw = match (res.usable(RFC6455), res.usable(RAW)) {
            (Some(o), Some(r)) => fmt_ratio(o.median / r.median),
            _ => "–".into(),
        };
        let _ = writeln!(s, " {best} | {raw} |");
    }
    s.push_str(
        "\nRatios are each server's median ÷ the reference's (rfc6455, or tokio-tungstenite if \
         rfc6455 is missing). For KiB/conn lower is better; everywhere else higher is better. \
         ⚠: other processes used more than 10% of a core during some run of that scenario.\n\n\
         ![ratio vs tokio-tungstenite](latest.svg)\n\n",
    );
    s.push_str(&cost_markdown(results, servers));
    let _ = write!(s, "{SCENARIOS_HEADING}\n\n");
    let mut earlier: Vec<ScenarioResult> = Vec::new();
    for res in results {
        s.push_str(&scenario_markdown(res, &earlier));
        s.push('\n');
        earlier.push(res.clone());
    }
    s
}

/// The summary's second table: what each server spends per message.
fn cost_markdown(results: &[ScenarioResult], servers: &[ServerDef]) -> String {
    let mut s = String::new();
    s.push_str(
        "**Server cost per message** (per handshake in `churn`): server CPU time (user + system, \
         from `/proc/PID/stat`, over the measured window) in µs · user-space instructions \
         counted by callgrind.\n\n| scenario |",
    );
    for srv in servers {
        let _ = write!(s, " {} |", srv.name);
    }
    s.push_str(" rfc6455 instructions ÷ leanest peer |\n|---|");
    for _ in servers {
        s.push_str("--:|");
    }
    s.push_str("--:|\n");
    for res in results {
        if !res.scenario.metric.higher_is_better() {
            continue; // idle: nothing per message
        }
        let _ = write!(s, "| `{}` |", res.scenario.id);
        for (_, row) in &res.rows {
            match row {
                Row::Ran(a) if a.usable() || a.instr().is_some() => {
                    let cpu = if a.usable() && a.cpu_us.is_finite() {
                        format!("{} µs", fmt_cpu_us(a.cpu_us))
                    } else {
                        "–".into()
                    };
                    let _ = write!(s, " {cpu} · {} |", fmt_instr(a.instr()));
                }
                _ => s.push_str(" – |"),
            }
        }
        let ratio = match (res.instr(RFC6455), res.leanest_peer()) {
            (Some(o), Some((peer, p))) => format!("{} ({peer})", fmt_ratio(o / p)),
            _ => "–".into(),
        };
        let _ = writeln!(s, " {ratio} |");
    }
    s.push_str(
        "\nLower is better. CPU time includes the kernel's share (for loopback TCP most of it) \
         and is measured at full speed, so it moves with the machine's load; instruction counts \
         leave the kernel out, are taken under callgrind (the server tens of times slower, so \
         the cost per message at saturation) and do not depend on the machine's load. \
         Instructions are the difference between a short and a long run of a fresh server, \
         so start-up and the handshakes cancel out (`bench/README.md`).\n\n\
         ![instructions per message relative to rfc6455](latest-cost.svg)\n\n",
    );
    s
}

fn color(name: &str) -> &'static str {
    match name {
        RFC6455 => "#d62728",
        TUNGSTENITE => "#1f77b4",
        "fastwebsockets" => "#2ca02c",
        "tokio-websockets" => "#9467bd",
        "wtx" => "#17becf",
        "yawc" => "#bcbd22",
        RAW => "#8c8c8c",
        _ => "#ff7f0e",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Grouped bars, one group per scenario, one bar per server: the server's
/// median relative to tokio-tungstenite's (inverted for memory, so that
/// higher is better everywhere).
pub fn svg_chart(results: &[ScenarioResult], servers: &[ServerDef]) -> String {
    let names: Vec<&str> = servers.iter().map(|s| s.name).collect();
    // ratio per (scenario, server)
    let data: Vec<Vec<Option<f64>>> = results
        .iter()
        .map(|res| {
            let base = res.usable(TUNGSTENITE);
            names
                .iter()
                .map(|n| {
                    let (a, b) = (res.usable(n)?, base?);
                    Some(if res.scenario.metric.higher_is_better() {
                        a.median / b.median
                    } else {
                        b.median / a.median
                    })
                })
                .collect()
        })
        .collect();
    grouped_bars(
        "Median relative to tokio-tungstenite (higher is better; memory: tungstenite ÷ server)",
        results,
        &names,
        &data,
        |res| res.scenario.metric.unit(),
    )
}

/// The cost chart: each server's instructions per message ÷ rfc6455's, for
/// the scenarios where they were counted (above 1: the server spends more
/// than rfc6455).
pub fn svg_cost_chart(results: &[ScenarioResult], servers: &[ServerDef]) -> String {
    let names: Vec<&str> = servers
        .iter()
        .map(|s| s.name)
        .filter(|n| *n != RAW)
        .collect();
    let counted: Vec<ScenarioResult> = results
        .iter()
        .filter(|r| r.instr(RFC6455).is_some())
        .cloned()
        .collect();
    let data: Vec<Vec<Option<f64>>> = counted
        .iter()
        .map(|res| {
            let ours = res.instr(RFC6455);
            names.iter().map(|n| Some(res.instr(n)? / ours?)).collect()
        })
        .collect();
    grouped_bars(
        "Instructions per message relative to rfc6455 (callgrind; above 1: more than rfc6455)",
        &counted,
        &names,
        &data,
        |res| {
            if res.per() == "msg" {
                "per message"
            } else {
                "per handshake"
            }
        },
    )
}

/// Grouped bars, one group per scenario, one bar per server, of `data`
/// (ratios; a dashed line at 1).
fn grouped_bars(
    title: &str,
    results: &[ScenarioResult],
    names: &[&str],
    data: &[Vec<Option<f64>>],
    unit: impl Fn(&ScenarioResult) -> &'static str,
) -> String {
    const BAR: f64 = 16.0;
    const GAP: f64 = 26.0;
    const LEFT: f64 = 56.0;
    const TOP: f64 = 96.0;
    const PLOT_H: f64 = 300.0;
    const CAP: f64 = 4.0;
    let max = data
        .iter()
        .flatten()
        .flatten()
        .copied()
        .fold(1.0f64, f64::max);
    let ymax = ((max.min(CAP) * 2.0).ceil() / 2.0).max(1.5);
    let step = if ymax > 3.0 { 1.0 } else { 0.5 };
    let group_w = names.len() as f64 * BAR + GAP;
    let width = (LEFT + results.len() as f64 * group_w + 20.0).max(640.0);
    let height = TOP + PLOT_H + 70.0;
    let y = |v: f64| TOP + PLOT_H - v.min(ymax) / ymax * PLOT_H;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif">"##
    );
    let _ = writeln!(
        s,
        r##"<rect width="100%" height="100%" fill="white"/>
<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{}</text>"##,
        esc(title)
    );
    // Legend.
    let mut lx = LEFT;
    for n in names {
        let _ = writeln!(
            s,
            r##"<rect x="{lx}" y="32" width="12" height="12" fill="{}"/><text x="{}" y="43" font-size="12">{}</text>"##,
            color(n),
            lx + 16.0,
            esc(n)
        );
        lx += 24.0 + 7.5 * n.len() as f64;
    }
    // Grid.
    let mut v = 0.0;
    while v <= ymax + 1e-9 {
        let yy = y(v);
        let (stroke, dash) = if (v - 1.0).abs() < 1e-9 {
            ("#333", r##" stroke-dasharray="5,3""##)
        } else {
            ("#ddd", "")
        };
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="{stroke}"{dash}/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{v:.1}×</text>"##,
            width - 10.0,
            LEFT - 6.0,
            yy + 4.0
        );
        v += step;
    }
    for (gi, (res, row)) in results.iter().zip(data).enumerate() {
        let gx = LEFT + GAP / 2.0 + gi as f64 * group_w;
        for (bi, (n, r)) in names.iter().zip(row).enumerate() {
            let Some(r) = r else { continue };
            let x = gx + bi as f64 * BAR;
            let top = y(*r);
            let _ = writeln!(
                s,
                r##"<rect x="{x:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} {}: {r:.2}×</title></rect>"##,
                BAR - 2.0,
                TOP + PLOT_H - top,
                color(n),
                esc(n),
                res.scenario.id
            );
            let label = if *r > ymax {
                format!("{r:.1}▲")
            } else {
                format!("{r:.2}")
            };
            let (lx, ly) = (x + BAR / 2.0 + 3.0, top - 4.0);
            let _ = writeln!(
                s,
                r##"<text x="{lx:.1}" y="{ly:.1}" font-size="9" transform="rotate(-90 {lx:.1} {ly:.1})">{label}</text>"##
            );
        }
        if row.iter().all(Option::is_none) {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#999">n/a</text>"##,
                gx + names.len() as f64 * BAR / 2.0,
                TOP + PLOT_H - 6.0
            );
        }
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"##,
            gx + names.len() as f64 * BAR / 2.0,
            TOP + PLOT_H + 18.0,
            esc(res.scenario.id)
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle" fill="#666">{}</text>"##,
            gx + names.len() as f64 * BAR / 2.0,
            TOP + PLOT_H + 32.0,
            unit(res)
        );
        if res.busiest_other_cpu() > BUSY_PCT {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle" fill="#b35900">⚠ busy machine</text>"##,
                gx + names.len() as f64 * BAR / 2.0,
                TOP + PLOT_H + 45.0
            );
        }
    }
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
        TOP + PLOT_H,
        width - 10.0,
        TOP + PLOT_H
    );
    s.push_str("</svg>\n");
    s
}

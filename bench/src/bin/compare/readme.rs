//! The repository README's copy of the latest report: the summary table of
//! `results/latest.md`, spliced between two marker lines, so the README shows
//! exactly what the harness wrote and nothing else.
//!
//! The block is made from the report file itself (not from the runs in
//! memory), so `compare --readme` can refresh the README from a report at any
//! time and the README can never hold figures the report does not.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::report::{MACHINE_HEADING, SUMMARY_HEADING};

/// The line that opens the README's benchmark block.
pub const BEGIN: &str = "<!-- bench:begin -->";
/// The line that closes it.
pub const END: &str = "<!-- bench:end -->";

/// Where the report and its chart are, relative to the README.
const RESULTS_DIR: &str = "bench/results";

/// The README's block (without the marker lines) for `report`, the text of a
/// `latest.md`: the report's notes, one line saying when, where and how it was
/// run, the summary table with its notes, and the chart.
pub fn block(report: &str) -> Result<String, String> {
    let machine = section(report, MACHINE_HEADING)?;
    let summary = section(report, SUMMARY_HEADING)?;
    let rows: HashMap<&str, &str> = machine
        .lines()
        .filter_map(|l| l.strip_prefix("| ")?.strip_suffix(" |")?.split_once(" | "))
        .collect();
    let row = |k: &str| rows.get(k).copied().unwrap_or("?");

    let mut s = String::new();
    let _ = write!(
        s,
        "<!-- Written by bench/run.sh from {RESULTS_DIR}/latest.md: a full run, or \
         `bench/run.sh --readme`, rewrites it. -->\n\n"
    );
    // The report's own warnings (a stand-in binary, rfc6455 missing) come first.
    let head = report.split(MACHINE_HEADING).next().unwrap_or_default();
    for note in head.lines().filter(|l| l.starts_with('>')) {
        s.push_str(note);
        s.push_str("\n\n");
    }
    let _ = write!(
        s,
        "Latest run: {date} at commit {commit} on {cpu} ({nproc} CPUs), {rustc}; {command}: \
         {rounds}. Every scenario's table, with p50/p99 latency, CPU use and peak RSS per \
         server: [`{RESULTS_DIR}/latest.md`]({RESULTS_DIR}/latest.md).\n\n",
        date = row("date"),
        commit = row("commit"),
        command = row("command"),
        rounds = row("rounds × duration"),
        cpu = row("CPU"),
        nproc = row("nproc"),
        rustc = row("rustc"),
    );
    s.push_str(&relink(summary.trim()));
    s.push('\n');
    Ok(s)
}

/// `readme` with the text between its marker lines replaced by `block`.
pub fn splice(readme: &str, block: &str) -> Result<String, String> {
    let marker = |m: &str| match whole_lines(readme, m)[..] {
        [i] => Ok(i),
        ref found => Err(format!(
            "the README must hold the line {m} exactly once (found {})",
            found.len()
        )),
    };
    let (begin, end) = (marker(BEGIN)?, marker(END)?);
    if end < begin {
        return Err(format!("{END} comes before {BEGIN} in the README"));
    }
    Ok(format!(
        "{}{BEGIN}\n{block}{}",
        &readme[..begin],
        &readme[end..]
    ))
}

/// Rewrite the README at `readme_path` from the report at `report_path`.
/// Returns whether the README changed.
pub fn update(readme_path: &Path, report_path: &Path) -> Result<bool, String> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let readme = read(readme_path)?;
    let new = splice(&readme, &block(&read(report_path)?)?)?;
    if new == readme {
        return Ok(false);
    }
    std::fs::write(readme_path, new)
        .map_err(|e| format!("cannot write {}: {e}", readme_path.display()))?;
    Ok(true)
}

/// The text under `heading`, up to the next `## ` heading.
fn section<'a>(report: &'a str, heading: &str) -> Result<&'a str, String> {
    let start = whole_lines(report, heading)
        .first()
        .map(|i| (i + heading.len() + 1).min(report.len()))
        .ok_or_else(|| format!("the report has no {heading:?} section"))?;
    let body = &report[start..];
    let end = body.find("\n## ").map_or(body.len(), |i| i + 1);
    Ok(&body[..end])
}

/// The byte offsets at which `line` stands as a whole line of `text`.
fn whole_lines(text: &str, line: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    text.match_indices(line)
        .map(|(i, _)| i)
        .filter(|&i| {
            (i == 0 || bytes[i - 1] == b'\n')
                && matches!(bytes.get(i + line.len()), None | Some(b'\n'))
        })
        .collect()
}

/// Point the report's relative links (its chart) at the results folder.
fn relink(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(i) = rest.find("](") {
        let (before, target) = rest.split_at(i + 2);
        out.push_str(before);
        let relative =
            !(target.starts_with('#') || target.starts_with('/') || target.contains("://"));
        if relative && !target.starts_with(')') {
            out.push_str(RESULTS_DIR);
            out.push('/');
        }
        rest = target;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callgrind::Measure;
    use crate::report::{SCENARIOS_HEADING, ScenarioResult, full_markdown};
    use crate::{RFC6455, Run, ServerDef, Settings, TUNGSTENITE, scenarios};

    fn settings() -> Settings {
        Settings {
            rounds: 1,
            duration: 1.0,
            warmup: 0.3,
            idle_connections: 1000,
            large_mib: 16,
            large_count: 2,
            pin: true,
            quick: true,
            callgrind: true,
            callgrind_short: 0.5,
            callgrind_secs: 1.0,
        }
    }

    /// A report as `compare` writes it, for two servers and two scenarios.
    fn report(stand_in: Option<&Path>) -> String {
        let servers: Vec<ServerDef> = [RFC6455, TUNGSTENITE]
            .into_iter()
            .map(|name| ServerDef {
                name,
                bin: name.into(),
                missing: None,
                deflate: crate::Deflate::No,
            })
            .collect();
        let run = |value| Run {
            ok: true,
            value,
            ..Run::default()
        };
        let results: Vec<ScenarioResult> = scenarios(&settings())
            .into_iter()
            .filter(|s| s.id == "echo-20b" || s.id == "idle")
            .map(|sc| {
                let runs = [
                    (RFC6455, vec![run(3000.0)]),
                    (TUNGSTENITE, vec![run(1500.0)]),
                ];
                let instructions = [
                    (
                        RFC6455,
                        Ok(Measure {
                            per_msg: 1500.0,
                            msgs: 9000,
                        }),
                    ),
                    (
                        TUNGSTENITE,
                        Ok(Measure {
                            per_msg: 6000.0,
                            msgs: 4000,
                        }),
                    ),
                ];
                ScenarioResult::new(
                    sc,
                    &servers,
                    runs.into_iter().collect(),
                    instructions.into_iter().collect(),
                )
            })
            .collect();
        full_markdown(
            &results,
            &servers,
            &settings(),
            "compare --quick",
            Path::new("/nonexistent"),
            stand_in,
        )
    }

    #[test]
    fn the_block_is_the_reports_summary_with_its_chart_relinked() {
        let report = report(None);
        let block = block(&report).unwrap();
        let summary = section(&report, SUMMARY_HEADING).unwrap().trim();
        let table: Vec<&str> = summary.lines().filter(|l| l.starts_with('|')).collect();
        // Throughput: header, rule, 2 scenarios; cost: header, rule, 1 scenario (not idle).
        assert_eq!(table.len(), 7, "{summary}");
        for line in &table {
            assert!(block.contains(line), "{line} missing from\n{block}");
        }
        assert!(
            block.contains("| `echo-20b` | msg/s | 3\u{202f}000 (1.00×) | 1\u{202f}500 (0.50×) |")
        );
        assert!(block.contains(
            "| `echo-20b` | 0.00 µs · 1\u{202f}500 | 0.00 µs · 6\u{202f}000 | 0.25× (tokio-tungstenite) |"
        ), "{block}");
        assert!(block.contains("(bench/results/latest.svg)"));
        assert!(!block.contains("](latest.svg)"));
        assert!(block.contains("(bench/results/latest-cost.svg)"));
        assert!(block.contains("`compare --quick`: 1 × 1 s measured (after 0.3 s warm-up)"));
        assert!(block.contains("[`bench/results/latest.md`](bench/results/latest.md)"));
        assert!(!block.contains(SCENARIOS_HEADING), "{block}");
        assert!(!block.contains("### "), "{block}");
    }

    #[test]
    fn the_reports_warnings_come_with_the_block() {
        let block = block(&report(Some(Path::new("/bin/stand-in")))).unwrap();
        assert!(
            block.contains("> **NOTE: the server listed as rfc6455 was played by `/bin/stand-in`")
        );
    }

    #[test]
    fn splicing_replaces_only_the_text_between_the_markers() {
        let readme = format!("# Title\n\nbefore\n{BEGIN}\nold\n{END}\nafter\n");
        let new = splice(&readme, "new\n").unwrap();
        assert_eq!(
            new,
            format!("# Title\n\nbefore\n{BEGIN}\nnew\n{END}\nafter\n")
        );
        assert_eq!(splice(&new, "new\n").unwrap(), new);
    }

    #[test]
    fn splicing_needs_each_marker_once_and_in_order() {
        for readme in [
            "no markers\n".to_string(),
            format!("{BEGIN}\n"),
            format!("{END}\n{BEGIN}\n"),
            format!("{BEGIN}\n{END}\n{BEGIN}\n{END}\n"),
        ] {
            assert!(splice(&readme, "x\n").is_err(), "{readme}");
        }
        // A marker quoted inside a line is not a marker line.
        let readme = format!("see `{BEGIN}`\n{BEGIN}\n{END}\n");
        assert!(splice(&readme, "x\n").is_ok());
    }

    #[test]
    fn a_report_without_a_summary_is_refused() {
        assert!(block("# nothing here\n").is_err());
    }

    /// The README in the repository shows what `results/latest.md` holds.
    #[test]
    fn the_readme_matches_the_latest_report() {
        let bench = Path::new(env!("CARGO_MANIFEST_DIR"));
        let readme = std::fs::read_to_string(bench.join("../README.md")).unwrap();
        let report = std::fs::read_to_string(bench.join("results/latest.md")).unwrap();
        let expected = splice(&readme, &block(&report).unwrap()).unwrap();
        assert!(
            expected == readme,
            "README.md's benchmark block differs from results/latest.md: run `bench/run.sh --readme`"
        );
    }
}

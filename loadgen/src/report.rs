//! What a run measured, for people and for the harness.

use crate::cpu::CpuUse;
use crate::settings::Mode;
use crate::stats::percentile;

/// The outcome of a run.
///
/// ```
/// # fn show(report: &rfc6455_loadgen::Report) {
/// println!("{:.0} msg/s, p50 {:.1} µs", report.rate, report.percentile_us(50.0));
/// for (upper_us, count) in report.histogram() {
///     println!("≤ {upper_us} µs: {count}");
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario played.
    pub mode: Mode,
    /// Connections or workers.
    pub connections: usize,
    /// Payload bytes per message.
    pub size: usize,
    /// Text messages (else binary).
    pub text: bool,
    /// Messages in flight per connection.
    pub inflight: usize,
    /// Messages echoed (handshake cycles in churn) inside the measured window.
    pub messages: u64,
    /// The measured window's length in seconds.
    pub secs: f64,
    /// Messages (or cycles) per second; in [`Mode::Large`], one over the median echo time.
    pub rate: f64,
    /// Payload MiB per second one way.
    pub mibps: f64,
    /// The latency of each message (or cycle) in the window, nanoseconds, sorted.
    pub latencies_ns: Vec<u64>,
    /// CPU use over the window.
    pub cpu: CpuUse,
    /// Connections (or cycles) that failed: a refused handshake, a wrong echo, a
    /// timeout, a close with echoes outstanding.
    pub errors: u64,
    /// The first failure's description.
    pub first_error: Option<String>,
    /// Bytes on the wire, in the compressed echo ([`Settings::deflate_level`]).
    ///
    /// [`Settings::deflate_level`]: crate::Settings::deflate_level
    pub wire: Option<Wire>,
}

/// Frame bytes on the wire per message in the compressed echo.
///
/// ```
/// let w = rfc6455_loadgen::Wire { out_per_message: 215.0, in_per_message: 210.0, compressed_echoes: 10 };
/// assert!(w.out_per_message > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wire {
    /// Bytes sent per message (header, mask and compressed payload).
    pub out_per_message: f64,
    /// Bytes received per echo.
    pub in_per_message: f64,
    /// Echoes that came back compressed (RSV1 set).
    pub compressed_echoes: u64,
}

impl Report {
    /// The `p`th percentile latency in microseconds (NaN without samples).
    ///
    /// ```
    /// # fn p(report: &rfc6455_loadgen::Report) -> f64 {
    /// report.percentile_us(99.0)
    /// # }
    /// ```
    pub fn percentile_us(&self, p: f64) -> f64 {
        percentile(&self.latencies_ns, p) / 1e3
    }

    /// Whether nothing failed.
    ///
    /// ```
    /// # fn ok(report: &rfc6455_loadgen::Report) -> bool {
    /// report.ok()
    /// # }
    /// ```
    pub fn ok(&self) -> bool {
        self.errors == 0
    }

    /// A latency histogram: for each power-of-two bucket from the fastest to the slowest
    /// sample, its upper bound in microseconds and the number of samples in it.
    ///
    /// ```
    /// # fn h(report: &rfc6455_loadgen::Report) {
    /// let total: u64 = report.histogram().iter().map(|(_, n)| n).sum();
    /// assert_eq!(total as usize, report.latencies_ns.len());
    /// # }
    /// ```
    pub fn histogram(&self) -> Vec<(u64, u64)> {
        let (Some(&lo), Some(&hi)) = (self.latencies_ns.first(), self.latencies_ns.last()) else {
            return Vec::new();
        };
        let bucket = |ns: u64| (ns / 1000).max(1).ilog2();
        let (first, last) = (bucket(lo), bucket(hi));
        let mut counts = vec![0u64; (last - first + 1) as usize];
        for &ns in &self.latencies_ns {
            counts[(bucket(ns) - first) as usize] += 1;
        }
        counts
            .into_iter()
            .enumerate()
            .map(|(i, n)| (2u64 << (first + i as u32), n))
            .collect()
    }

    /// The `key=value` fields of the harness's `RESULT` line, in its order.
    ///
    /// ```
    /// # fn f(report: &rfc6455_loadgen::Report) {
    /// let line: Vec<String> = report.fields().iter().map(|(k, v)| format!("{k}={v}")).collect();
    /// println!("RESULT {}", line.join(" "));
    /// # }
    /// ```
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let kind = if self.text { "text" } else { "binary" }.to_owned();
        if let Some(wire) = &self.wire {
            let ratio = 2.0 * self.size as f64 / (wire.out_per_message + wire.in_per_message);
            let mut f = vec![
                ("mode", "deflate".to_owned()),
                ("conns", self.connections.to_string()),
                ("size", self.size.to_string()),
                ("msgs", self.messages.to_string()),
                ("secs", format!("{:.3}", self.secs)),
                ("rate", format!("{:.1}", self.rate)),
                ("wire_out", format!("{:.1}", wire.out_per_message)),
                ("wire_in", format!("{:.1}", wire.in_per_message)),
                ("ratio", format!("{ratio:.3}")),
                ("compressed", wire.compressed_echoes.to_string()),
                ("p50_us", format!("{:.1}", self.percentile_us(50.0))),
                ("p99_us", format!("{:.1}", self.percentile_us(99.0))),
            ];
            f.extend(self.cpu.fields());
            f.push(("errors", self.errors.to_string()));
            if let Some(e) = &self.first_error {
                f.push(("error", e.replace(char::is_whitespace, "_")));
            }
            f.push(("ok", self.ok().to_string()));
            return f;
        }
        let mut f = match self.mode {
            Mode::Echo | Mode::Pipelined => vec![
                ("mode", format!("{:?}", self.mode).to_lowercase()),
                ("conns", self.connections.to_string()),
                ("size", self.size.to_string()),
                ("kind", kind),
                ("inflight", self.inflight.to_string()),
                ("msgs", self.messages.to_string()),
                ("secs", format!("{:.3}", self.secs)),
                ("rate", format!("{:.1}", self.rate)),
                ("mibps", format!("{:.2}", self.mibps)),
            ],
            Mode::Large => vec![
                ("mode", "large".to_owned()),
                ("conns", "1".to_owned()),
                ("size", self.size.to_string()),
                ("kind", kind),
                ("msgs", self.messages.to_string()),
                ("rate", format!("{:.3}", self.rate)),
                ("mibps", format!("{:.2}", self.mibps)),
            ],
            Mode::Churn | Mode::Idle => vec![
                ("mode", format!("{:?}", self.mode).to_lowercase()),
                ("conns", self.connections.to_string()),
                ("msgs", self.messages.to_string()),
                ("secs", format!("{:.3}", self.secs)),
                ("rate", format!("{:.1}", self.rate)),
            ],
        };
        if self.mode != Mode::Idle {
            f.push(("p50_us", format!("{:.1}", self.percentile_us(50.0))));
            f.push(("p99_us", format!("{:.1}", self.percentile_us(99.0))));
            f.extend(self.cpu.fields());
        }
        f.push(("errors", self.errors.to_string()));
        if let Some(e) = &self.first_error {
            f.push(("error", e.replace(char::is_whitespace, "_")));
        }
        f.push(("ok", self.ok().to_string()));
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(latencies_ns: Vec<u64>) -> Report {
        Report {
            mode: Mode::Echo,
            connections: 1,
            size: 20,
            text: true,
            inflight: 1,
            messages: latencies_ns.len() as u64,
            secs: 1.0,
            rate: latencies_ns.len() as f64,
            mibps: 0.0,
            latencies_ns,
            cpu: CpuUse::default(),
            errors: 0,
            first_error: None,
            wire: None,
        }
    }

    #[test]
    fn histogram_counts_every_sample_in_its_power_of_two_bucket() {
        // 10 µs, 12 µs → bucket [8, 16); 40 µs → [32, 64); 1 ms → [512, 1024).
        let h = report(vec![10_000, 12_000, 40_000, 1_000_000]).histogram();
        assert_eq!(h.first(), Some(&(16, 2)));
        assert!(h.contains(&(64, 1)));
        assert_eq!(h.last(), Some(&(1024, 1)));
        assert_eq!(h.iter().map(|(_, n)| n).sum::<u64>(), 4);
        assert!(report(vec![]).histogram().is_empty());
    }

    #[test]
    fn result_fields_keep_the_harness_order() {
        let keys: Vec<&str> = report(vec![1000])
            .fields()
            .iter()
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(
            keys,
            [
                "mode",
                "conns",
                "size",
                "kind",
                "inflight",
                "msgs",
                "secs",
                "rate",
                "mibps",
                "p50_us",
                "p99_us",
                "lg_cpu",
                "srv_cpu",
                "other_cpu",
                "errors",
                "ok"
            ]
        );
    }
}

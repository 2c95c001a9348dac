//! HTTP load from `wrk` (Debian's package), a separate process on loopback, so the load
//! generator's own cost is small and never shares the server's runtime.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum WrkError {
    #[error("cannot run wrk (install Debian's `wrk` package): {0}")]
    Spawn(#[from] std::io::Error),
    #[error("wrk failed: {0}")]
    Failed(String),
    #[error("cannot read wrk's output ({what}): {output}")]
    Output { what: &'static str, output: String },
}

/// One load run: `connections` connections over `threads` threads for `duration`, with
/// `headers` and, for requests other than plain GETs, a Lua `script`.
#[derive(Debug, Clone)]
pub struct Load<'a> {
    pub url: &'a str,
    pub threads: u32,
    pub connections: u32,
    pub duration: Duration,
    pub headers: &'a [String],
    pub script: Option<&'a Path>,
}

/// What wrk measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadResult {
    pub requests: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers outside 2xx/3xx.
    pub non_success: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
}

pub fn run(load: &Load<'_>) -> Result<LoadResult, WrkError> {
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.duration.as_secs().max(1)))
        .arg("--latency");
    for header in load.headers {
        command.arg("-H").arg(header);
    }
    if let Some(script) = load.script {
        command.arg("-s").arg(script);
    }
    let output = command.arg(load.url).output()?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(WrkError::Failed(format!(
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    parse(&stdout)
}

/// Parses wrk's `--latency` report.
pub fn parse(output: &str) -> Result<LoadResult, WrkError> {
    let missing = |what| WrkError::Output {
        what,
        output: output.to_owned(),
    };
    let line_after = |prefix: &str| {
        output
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix).map(str::trim))
    };
    let requests_per_second = line_after("Requests/sec:")
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| missing("Requests/sec"))?;
    let requests = output
        .lines()
        .find_map(|line| line.trim().split_once(" requests in "))
        .and_then(|(count, _)| count.parse().ok())
        .ok_or_else(|| missing("request count"))?;
    let p50_ms = line_after("50%")
        .and_then(milliseconds)
        .ok_or_else(|| missing("50th percentile"))?;
    let p99_ms = line_after("99%")
        .and_then(milliseconds)
        .ok_or_else(|| missing("99th percentile"))?;
    let non_success = line_after("Non-2xx or 3xx responses:")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let socket_errors = line_after("Socket errors:")
        .map(|counts| {
            counts
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Ok(LoadResult {
        requests,
        requests_per_second,
        p50_ms,
        p99_ms,
        non_success,
        socket_errors,
    })
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.01s`, `1.50m`.
fn milliseconds(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        _ => return None,
    };
    Some(value * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 1s test @ http://127.0.0.1:8080/api/v1/health
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.09ms    3.12ms  36.73ms   94.19%
    Req/Sec     4.97k     2.03k    7.40k    60.00%
  Latency Distribution
     50%  332.00us
     75%  463.00us
     90%    2.00ms
     99%   16.80ms
  4935 requests in 1.00s, 848.20KB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:   4930.66
Transfer/sec:    847.46KB
";

    #[test]
    fn parses_the_latency_report() {
        let result = parse(REPORT).unwrap();
        assert_eq!(result.requests, 4935);
        assert!((result.requests_per_second - 4930.66).abs() < 1e-9);
        assert!((result.p50_ms - 0.332).abs() < 1e-9);
        assert!((result.p99_ms - 16.8).abs() < 1e-9);
        assert_eq!(result.non_success, 12);
        assert_eq!(result.socket_errors, 3);
    }

    #[test]
    fn units_and_missing_fields() {
        assert_eq!(milliseconds("2.00s"), Some(2000.0));
        assert_eq!(milliseconds("1.50m"), Some(90_000.0));
        assert_eq!(milliseconds("7"), None);
        assert!(matches!(
            parse("Requests/sec: 1\n"),
            Err(WrkError::Output { .. })
        ));
    }
}

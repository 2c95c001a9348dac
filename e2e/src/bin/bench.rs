//! Time from `docker service create` of a WordPress tenant to its installed homepage answering
//! 200 through Traefik. The database, secrets and volume are prepared before the clock starts;
//! the service creation, scheduling, image entrypoint, WordPress install, health check and
//! Traefik's discovery are all inside the measurement.
//!
//! Writes `target/bench/report.json` at the repository root (or `$SWARMPRESS_BENCH_REPORT`),
//! keeping the other benchmarks already in it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use swarmpress_e2e::{E2eError, Platform, PlatformConfig, ScratchTenant};

const NAME: &str = "wordpress_create_to_200";
const RUNS: usize = 5;
const TARGET_SECONDS: f64 = 5.0;
const POLL_INTERVAL: Duration = Duration::from_millis(50);
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error(transparent)]
    E2e(#[from] E2eError),
    #[error("report {path}: {message}")]
    Report { path: PathBuf, message: String },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BenchError> {
    let platform = Platform::connect(PlatformConfig::from_env()?).await?;
    let mut samples = Vec::with_capacity(RUNS);
    for run in 1..=RUNS {
        let seconds = measure_once(&platform).await?;
        println!("run {run}/{RUNS}: {seconds:.3} s");
        samples.push(seconds);
    }
    let median = median(&samples);
    println!("{NAME}: median {median:.3} s over {RUNS} runs (target {TARGET_SECONDS} s)");

    let path = report_path();
    write_report(&path, &samples, median)?;
    println!("report written to {}", path.display());
    Ok(())
}

async fn measure_once(platform: &Platform) -> Result<f64, E2eError> {
    let tenant = ScratchTenant::prepare(platform, "bench").await?;
    let client = tenant.http_client()?;
    let started = Instant::now();
    tenant.start(platform).await?;
    tenant
        .wait_for_page(&client, "/", POLL_INTERVAL, RUN_TIMEOUT, |_| true)
        .await?;
    let elapsed = started.elapsed().as_secs_f64();
    tenant.cleanup(platform).await?;
    Ok(elapsed)
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[middle],
        _ => (sorted[middle - 1] + sorted[middle]) / 2.0,
    }
}

fn report_path() -> PathBuf {
    std::env::var_os("SWARMPRESS_BENCH_REPORT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
            manifest_dir
                .parent()
                .unwrap_or(manifest_dir)
                .join("target")
                .join("bench")
                .join("report.json")
        })
}

/// Replaces this benchmark's entry in the report and keeps every other entry.
fn merge_report(existing: Option<Value>, entry: Value) -> Value {
    let mut benchmarks: Vec<Value> = existing
        .and_then(|mut report| report.get_mut("benchmarks").map(Value::take))
        .and_then(|list| match list {
            Value::Array(items) => Some(items),
            _ => None,
        })
        .unwrap_or_default();
    benchmarks.retain(|item| item.get("name") != entry.get("name"));
    benchmarks.push(entry);
    json!({ "benchmarks": benchmarks })
}

fn write_report(path: &Path, samples: &[f64], median: f64) -> Result<(), BenchError> {
    let report_error = |message: String| BenchError::Report {
        path: path.to_owned(),
        message,
    };
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(
            serde_json::from_str(&text)
                .map_err(|e| report_error(format!("existing report is not JSON: {e}")))?,
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(report_error(error.to_string())),
    };
    let entry = json!({
        "name": NAME,
        "unit": "s",
        "samples": samples,
        "median": median,
        "target": TARGET_SECONDS,
    });
    let report = merge_report(existing, entry);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| report_error(e.to_string()))?;
    }
    let text = serde_json::to_string_pretty(&report).map_err(|e| report_error(e.to_string()))?;
    std::fs::write(path, text + "\n").map_err(|e| report_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0, 5.0, 4.0]), 3.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn merging_keeps_other_benchmarks_and_replaces_ours() {
        let existing = json!({"benchmarks": [
            {"name": "other", "unit": "ms", "samples": [1], "median": 1, "target": 2},
            {"name": NAME, "unit": "s", "samples": [9.0], "median": 9.0, "target": 5.0},
        ]});
        let entry =
            json!({"name": NAME, "unit": "s", "samples": [1.0], "median": 1.0, "target": 5.0});
        let merged = merge_report(Some(existing), entry.clone());
        assert_eq!(
            merged,
            json!({"benchmarks": [
                {"name": "other", "unit": "ms", "samples": [1], "median": 1, "target": 2},
                entry,
            ]})
        );
        assert_eq!(
            merge_report(None, json!({"name": "x"})),
            json!({"benchmarks": [{"name": "x"}]})
        );
        assert_eq!(
            merge_report(Some(json!({"unexpected": true})), json!({"name": "x"})),
            json!({"benchmarks": [{"name": "x"}]})
        );
    }

    #[test]
    fn writes_and_merges_a_report_file() {
        let dir = std::env::temp_dir().join(format!("swarmpress-bench-{}", std::process::id()));
        let path = dir.join("nested").join("report.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, r#"{"benchmarks":[{"name":"other"}]}"#).unwrap();
        write_report(&path, &[1.0, 2.0, 3.0], 2.0).unwrap();
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written["benchmarks"][0]["name"], "other");
        assert_eq!(written["benchmarks"][1]["name"], NAME);
        assert_eq!(written["benchmarks"][1]["median"], 2.0);
        assert_eq!(written["benchmarks"][1]["samples"], json!([1.0, 2.0, 3.0]));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! `target/bench/report.json`: one entry per benchmark, each run replacing its own entries
//! and keeping the others, so the benchmarks can run one at a time.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
#[error("bench report {path}: {message}")]
pub struct ReportError {
    pub path: PathBuf,
    pub message: String,
}

/// `$SWARMPRESS_BENCH_REPORT`, else `target/bench/report.json` at the repository root (this
/// crate's parent folder).
pub fn report_path() -> PathBuf {
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

/// Whether the benchmark `name` is to run: all of them, unless `SWARMPRESS_BENCH_ONLY` lists
/// some (`create,drift,…`).
pub fn selected(name: &str) -> bool {
    std::env::var("SWARMPRESS_BENCH_ONLY")
        .map(|only| only.split(',').any(|item| item.trim() == name))
        .unwrap_or(true)
}

/// Replaces the entries named like `entries` and keeps every other one.
pub fn merge_report(existing: Option<Value>, entries: Vec<Value>) -> Value {
    let mut benchmarks: Vec<Value> = existing
        .and_then(|mut report| report.get_mut("benchmarks").map(Value::take))
        .and_then(|list| match list {
            Value::Array(items) => Some(items),
            _ => None,
        })
        .unwrap_or_default();
    benchmarks.retain(|item| !entries.iter().any(|e| e.get("name") == item.get("name")));
    benchmarks.extend(entries);
    json!({ "benchmarks": benchmarks })
}

/// Merges `entries` into the report file at `path`, creating it when missing.
pub fn write_entries(path: &Path, entries: Vec<Value>) -> Result<(), ReportError> {
    let report_error = |message: String| ReportError {
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
    let report = merge_report(existing, entries);
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
    fn merging_keeps_other_benchmarks_and_replaces_ours() {
        let existing = json!({"benchmarks": [
            {"name": "other", "median": 1},
            {"name": "ours", "median": 9.0},
            {"name": "ours-too", "median": 8.0},
        ]});
        let ours = json!({"name": "ours", "median": 1.0});
        let ours_too = json!({"name": "ours-too", "median": 2.0});
        let merged = merge_report(Some(existing), vec![ours.clone(), ours_too.clone()]);
        assert_eq!(
            merged,
            json!({"benchmarks": [{"name": "other", "median": 1}, ours, ours_too]})
        );
        assert_eq!(
            merge_report(
                Some(json!({"unexpected": true})),
                vec![json!({"name": "x"})]
            ),
            json!({"benchmarks": [{"name": "x"}]})
        );
    }

    #[test]
    fn writes_and_merges_a_report_file() {
        let dir = std::env::temp_dir().join(format!("swarmpress-report-{}", std::process::id()));
        let path = dir.join("nested").join("report.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, r#"{"benchmarks":[{"name":"other"}]}"#).unwrap();
        write_entries(&path, vec![json!({"name": "ours", "median": 2.0})]).unwrap();
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written["benchmarks"][0]["name"], "other");
        assert_eq!(written["benchmarks"][1]["median"], 2.0);
        std::fs::write(&path, "not json").unwrap();
        assert!(write_entries(&path, vec![]).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}

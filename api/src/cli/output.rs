//! How tenants are printed: kubectl-style tables, YAML and JSON.

use chrono::{DateTime, Utc};
use swarmpress_schema::resource::tenant::Tenant;

use super::error::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// NAME, PHASE, READY, AGE, URL
    Table,
    /// The table with generation, image and message
    Wide,
    Yaml,
    Json,
}

/// `45s`, `12m`, `3h`, `5d`, like kubectl's AGE.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - since).num_seconds().max(0);
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 2 * 3600 => format!("{}m", s / 60),
        s if s < 2 * 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn phase(tenant: &Tenant) -> String {
    serde_json::to_value(tenant.status.phase)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{:?}", tenant.status.phase))
}

/// The cells of one tenant's row.
pub fn row(tenant: &Tenant, wide: bool, now: DateTime<Utc>) -> Vec<String> {
    let mut cells = vec![
        tenant.metadata.name.as_str().to_owned(),
        phase(tenant),
        format!(
            "{}/{}",
            tenant.status.replicas.running, tenant.status.replicas.desired
        ),
        age(tenant.metadata.creation_timestamp, now),
        tenant.status.url.clone().unwrap_or_else(|| "-".to_owned()),
    ];
    if wide {
        cells.push(format!(
            "{}/{}",
            tenant.status.observed_generation, tenant.metadata.generation
        ));
        cells.push(
            tenant
                .status
                .image
                .clone()
                .or_else(|| tenant.spec.image.clone())
                .unwrap_or_else(|| "-".to_owned()),
        );
        cells.push(tenant.status.message.clone().unwrap_or_default());
    }
    cells
}

pub fn header(wide: bool) -> Vec<String> {
    let mut header = vec!["NAME", "PHASE", "READY", "AGE", "URL"];
    if wide {
        header.extend(["OBSERVED/GEN", "IMAGE", "MESSAGE"]);
    }
    header.into_iter().map(str::to_owned).collect()
}

/// Columns padded to their widest cell, separated by three spaces; the last not padded.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (c, cell) in row.iter().enumerate() {
            if c == last {
                out.push_str(cell);
            } else {
                let pad = widths[c].saturating_sub(cell.chars().count());
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 3));
            }
        }
        out.push('\n');
    }
    out
}

pub fn to_yaml<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    serde_yaml::to_string(value).map_err(|e| CliError::Protocol(e.to_string()))
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::Protocol(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let now = Utc::now();
        assert_eq!(age(now - chrono::Duration::seconds(45), now), "45s");
        assert_eq!(age(now - chrono::Duration::minutes(12), now), "12m");
        assert_eq!(age(now - chrono::Duration::hours(3), now), "3h");
        assert_eq!(age(now - chrono::Duration::days(5), now), "5d");
        assert_eq!(age(now + chrono::Duration::seconds(5), now), "0s");
    }

    #[test]
    fn tables_align_their_columns() {
        let rows = vec![
            vec!["NAME".to_owned(), "PHASE".to_owned(), "URL".to_owned()],
            vec![
                "acme-blog".to_owned(),
                "Running".to_owned(),
                "http://x/".to_owned(),
            ],
        ];
        assert_eq!(
            table(&rows),
            "NAME        PHASE     URL\nacme-blog   Running   http://x/\n"
        );
    }
}

//! A small PromQL client: instant queries and range queries over Prometheus' HTTP API.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    #[error("Prometheus is unreachable: {0}")]
    Unreachable(#[from] reqwest::Error),
    #[error("Prometheus refused the query ({status}): {message}")]
    Query { status: u16, message: String },
    #[error("Prometheus answered with an unexpected result type {0}")]
    ResultType(String),
}

/// One series of a query's answer: its labels and `(unix seconds, value)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct Prometheus {
    base: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    result: Vec<RawSeries>,
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    value: Option<(f64, String)>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

impl Prometheus {
    pub fn new(base: &str, timeout: Duration) -> Result<Self, PrometheusError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// An instant query evaluated at `time` (unix seconds).
    pub async fn query(&self, promql: &str, time: f64) -> Result<Vec<Series>, PrometheusError> {
        let time = format!("{time:.3}");
        self.get("query", &[("query", promql), ("time", &time)], "vector")
            .await
    }

    /// A range query from `start` to `end` every `step` seconds.
    pub async fn query_range(
        &self,
        promql: &str,
        start: f64,
        end: f64,
        step: u64,
    ) -> Result<Vec<Series>, PrometheusError> {
        let (start, end, step) = (format!("{start:.3}"), format!("{end:.3}"), step.to_string());
        self.get(
            "query_range",
            &[
                ("query", promql),
                ("start", &start),
                ("end", &end),
                ("step", &step),
            ],
            "matrix",
        )
        .await
    }

    async fn get(
        &self,
        endpoint: &str,
        params: &[(&str, &str)],
        expected: &str,
    ) -> Result<Vec<Series>, PrometheusError> {
        let url = format!("{}/api/v1/{endpoint}", self.base);
        // POST with a form body: summary queries name many tenants and can outgrow a URL.
        let response = self.http.post(&url).form(params).send().await?;
        let status = response.status().as_u16();
        let envelope: Envelope = response.json().await?;
        if envelope.status != "success" {
            return Err(PrometheusError::Query {
                status,
                message: envelope.error.unwrap_or_default(),
            });
        }
        let data = envelope.data.ok_or_else(|| PrometheusError::Query {
            status,
            message: "no data".to_owned(),
        })?;
        if data.result_type != expected {
            return Err(PrometheusError::ResultType(data.result_type));
        }
        Ok(data
            .result
            .into_iter()
            .map(|raw| {
                let points = raw
                    .value
                    .into_iter()
                    .chain(raw.values)
                    .filter_map(|(t, v)| v.parse::<f64>().ok().map(|v| (t, v)))
                    .collect();
                Series {
                    labels: raw.metric,
                    points,
                }
            })
            .collect())
    }
}

/// Several expressions as ONE query: each result is tagged with a `series` label naming its
/// expression, so one round trip (and one evaluation time) answers them all.
pub fn combine(parts: &[(&str, String)]) -> String {
    parts
        .iter()
        .map(|(name, expr)| format!("label_replace({expr}, \"series\", \"{name}\", \"\", \"\")"))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combines_expressions_with_a_series_label() {
        let query = combine(&[("a", "sum(x)".to_owned()), ("b", "max(y)".to_owned())]);
        assert_eq!(
            query,
            "label_replace(sum(x), \"series\", \"a\", \"\", \"\") or \
             label_replace(max(y), \"series\", \"b\", \"\", \"\")"
        );
    }
}

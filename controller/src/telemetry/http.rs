//! The controller's HTTP endpoints: `/metrics` (Prometheus text), `/healthz`, and the
//! edge's routing table (`crate::edge::serve`).
//!
//! Every instance serves them, leader or not: a standby is healthy, and its `swarmpress_leader`
//! gauge (0) is what tells Prometheus which instance works.

use std::io;
use std::net::SocketAddr;

use poem::http::StatusCode;
use poem::listener::TcpAcceptor;
use poem::web::Data;
use poem::{EndpointExt as _, Response, Route, Server, get, handler};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use swarmpress_schema::error_chain::ErrorChain;

use crate::edge::{ROUTES_PATH, StoredRoutes};
use crate::telemetry::metrics::Metrics;

/// The default listen address: every interface, so Prometheus reaches it over the control
/// network.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:9100";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[handler]
fn metrics_text(Data(metrics): Data<&Metrics>) -> Response {
    match metrics.render() {
        Ok(text) => Response::builder().content_type(PROMETHEUS_TEXT).body(text),
        Err(error) => {
            tracing::error!(%error, "cannot render metrics");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body("cannot render metrics")
        }
    }
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn edge_routes(Data(routes): Data<&Option<StoredRoutes>>) -> Response {
    let Some(routes) = routes else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body("no routing table here");
    };
    match routes.current().await {
        Ok(config) => Response::builder()
            .content_type("application/json")
            .body(config),
        Err(error) => {
            tracing::warn!(error = %ErrorChain(&error), "cannot read the edge routes");
            Response::builder()
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .body("the routing table cannot be read")
        }
    }
}

/// A bound listener and the address it got (useful when asked for port 0).
pub async fn bind(addr: &str) -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves until `shutdown` is cancelled; the routing table only with `routes`.
pub async fn serve(
    listener: TcpListener,
    metrics_source: Metrics,
    routes: Option<StoredRoutes>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let app = Route::new()
        .at("/metrics", get(metrics_text))
        .at("/healthz", get(healthz))
        .at(ROUTES_PATH, get(edge_routes))
        .data(metrics_source)
        .data(routes);
    Server::new_with_acceptor(TcpAcceptor::from_tokio(listener)?)
        .run_with_graceful_shutdown(
            app,
            async move { shutdown.cancelled().await },
            Some(std::time::Duration::from_secs(5)),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// One HTTP/1.0 GET over a raw socket: enough for two fixed endpoints, and no HTTP
    /// client crate in the controller.
    async fn get_text(addr: SocketAddr, path: &str) -> (String, String) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).await.unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        (head.to_owned(), body.to_owned())
    }

    #[tokio::test]
    async fn serves_parseable_metrics_and_health() {
        let metrics = Metrics::new().unwrap();
        metrics.reconciled("success");
        metrics.reconciled("success");
        metrics.reconciled("database");
        drop(metrics.reconcile_timer());
        metrics.queue_depth.set(3);
        metrics.leader.set(1);
        metrics.set_tenant_phases([("Running", 2), ("Stopped", 1)]);

        let (listener, addr) = bind("127.0.0.1:0").await.unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(serve(listener, metrics.clone(), None, shutdown.clone()));

        let (head, body) = get_text(addr, "/healthz").await;
        assert!(head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"));
        assert_eq!(body, "ok");

        let (head, body) = get_text(addr, "/metrics").await;
        assert!(head.contains("200"), "{head}");
        assert!(head.to_lowercase().contains("text/plain"), "{head}");
        let scrape =
            prometheus_parse::Scrape::parse(body.lines().map(|line| Ok(line.to_owned()))).unwrap();
        let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
            let sample = scrape
                .samples
                .iter()
                .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
                .unwrap_or_else(|| panic!("no sample {name} {label:?} in\n{body}"));
            match sample.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                ref other => panic!("{name}: unexpected {other:?}"),
            }
        };
        assert_eq!(
            value("swarmpress_reconcile_total", Some(("result", "success"))),
            2.0
        );
        assert_eq!(
            value("swarmpress_reconcile_total", Some(("result", "database"))),
            1.0
        );
        assert_eq!(value("swarmpress_queue_depth", None), 3.0);
        assert_eq!(value("swarmpress_leader", None), 1.0);
        assert_eq!(value("swarmpress_tenants", Some(("phase", "Running"))), 2.0);
        assert_eq!(value("swarmpress_tenants", Some(("phase", "Stopped"))), 1.0);
        let histogram = scrape
            .samples
            .iter()
            .find(|s| s.metric == "swarmpress_reconcile_duration_seconds")
            .unwrap();
        match &histogram.value {
            prometheus_parse::Value::Histogram(buckets) => {
                let inf = buckets.iter().find(|b| b.less_than.is_infinite()).unwrap();
                assert_eq!(inf.count, 1.0, "the dropped timer recorded once");
            }
            other => panic!("duration is not a histogram: {other:?}"),
        }

        shutdown.cancel();
        server.await.unwrap().unwrap();
    }
}

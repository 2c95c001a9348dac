//! Edge traffic per site from Traefik's per-router byte counters
//! (`traefik_router_requests_bytes_total` and `traefik_router_responses_bytes_total`, with
//! `--metrics.prometheus.addRoutersLabels`): every instance of the edge is scraped and what
//! each counter grew since the previous scrape is the traffic to add.

use std::collections::HashMap;

/// The counters metered: bytes in and out of each router.
pub const REQUEST_BYTES: &str = "traefik_router_requests_bytes_total";
pub const RESPONSE_BYTES: &str = "traefik_router_responses_bytes_total";

/// The tenant a router of the controller's routing table serves (`wp-<tenant>@http`).
pub fn tenant_of_router(router: &str) -> Option<&str> {
    router.strip_prefix("wp-")?.strip_suffix("@http")
}

/// Bytes in and out per tenant in one instance's exposition (summed over codes, methods and
/// protocols). Lines that do not parse are skipped: a counter is read or it is not.
pub fn bytes_by_tenant(exposition: &str) -> HashMap<String, f64> {
    let lines = exposition.lines().map(|line| Ok(line.to_owned()));
    let Ok(scrape) = prometheus_parse::Scrape::parse(lines) else {
        return HashMap::new();
    };
    let mut totals = HashMap::new();
    for sample in scrape.samples {
        if sample.metric != REQUEST_BYTES && sample.metric != RESPONSE_BYTES {
            continue;
        }
        let value = match sample.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) => v,
            _ => continue,
        };
        let Some(tenant) = sample.labels.get("router").and_then(tenant_of_router) else {
            continue;
        };
        *totals.entry(tenant.to_owned()).or_insert(0.0) += value;
    }
    totals
}

/// The last reading of every instance's counters: what the next reading is compared with.
#[derive(Debug, Default)]
pub struct Baselines {
    instances: HashMap<String, HashMap<String, f64>>,
}

impl Baselines {
    /// The traffic per tenant since the previous reading of `instance`, and `reading` kept as
    /// the next baseline. An instance seen for the first time only sets its baseline (what it
    /// counted before may have been metered by an earlier leader); a router new on a known
    /// instance counted from zero since the last reading, so all of it is new; a counter that
    /// went down was reset (the instance restarted) and counts from zero.
    pub fn advance(
        &mut self,
        instance: &str,
        reading: HashMap<String, f64>,
    ) -> HashMap<String, u64> {
        let mut grown = HashMap::new();
        if let Some(previous) = self.instances.get(instance) {
            for (tenant, &now) in &reading {
                let before = previous.get(tenant).copied().unwrap_or(0.0);
                let delta = if now >= before { now - before } else { now };
                if delta >= 1.0 {
                    grown.insert(tenant.clone(), delta.round() as u64);
                }
            }
        }
        self.instances.insert(instance.to_owned(), reading);
        grown
    }

    /// Forgets instances not among `alive` (gone edge instances; a new one at the same
    /// address starts from its own zero).
    pub fn retain(&mut self, alive: &[String]) {
        self.instances
            .retain(|instance, _| alive.contains(instance));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPOSITION: &str = r#"# HELP traefik_router_requests_bytes_total The total size of requests in bytes handled by a router, partitioned by service, status code, protocol, and method.
# TYPE traefik_router_requests_bytes_total counter
traefik_router_requests_bytes_total{code="200",method="GET",protocol="http",router="wp-blog@http",service="wp-blog@http"} 300
traefik_router_requests_bytes_total{code="404",method="GET",protocol="http",router="wp-blog@http",service="wp-blog@http"} 20
traefik_router_requests_bytes_total{code="200",method="GET",protocol="http",router="ping@internal",service="ping@internal"} 999
# TYPE traefik_router_responses_bytes_total counter
traefik_router_responses_bytes_total{code="200",method="GET",protocol="http",router="wp-blog@http",service="wp-blog@http"} 5000
traefik_router_responses_bytes_total{code="200",method="GET",protocol="http",router="wp-shop@http",service="wp-shop@http"} 42
# TYPE traefik_entrypoint_requests_total counter
traefik_entrypoint_requests_total{code="200",entrypoint="web",method="GET",protocol="http"} 7
"#;

    #[test]
    fn sums_each_sites_router_in_and_out() {
        let totals = bytes_by_tenant(EXPOSITION);
        assert_eq!(totals.len(), 2, "{totals:?}");
        assert_eq!(totals["blog"], 5320.0);
        assert_eq!(totals["shop"], 42.0);
        assert_eq!(tenant_of_router("ping@internal"), None);
        assert!(bytes_by_tenant("not an exposition {").is_empty());
    }

    #[test]
    fn meters_growth_resets_and_new_routers_but_not_a_first_sight() {
        let mut baselines = Baselines::default();
        let reading = |pairs: &[(&str, f64)]| {
            pairs
                .iter()
                .map(|(t, v)| ((*t).to_owned(), *v))
                .collect::<HashMap<_, _>>()
        };
        assert!(
            baselines
                .advance("10.0.1.5", reading(&[("blog", 1000.0)]))
                .is_empty(),
            "a first sight only sets the baseline"
        );
        let grown = baselines.advance("10.0.1.5", reading(&[("blog", 1500.0), ("shop", 70.0)]));
        assert_eq!(grown["blog"], 500);
        assert_eq!(grown["shop"], 70, "a new router counted from zero");
        let grown = baselines.advance("10.0.1.5", reading(&[("blog", 200.0), ("shop", 70.0)]));
        assert_eq!(grown["blog"], 200, "a reset counts from zero");
        assert!(!grown.contains_key("shop"), "no growth, nothing added");
        baselines.retain(&[]);
        assert!(
            baselines
                .advance("10.0.1.5", reading(&[("blog", 900.0)]))
                .is_empty(),
            "a forgotten instance is seen anew"
        );
    }
}

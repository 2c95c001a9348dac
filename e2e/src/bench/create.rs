//! API create → the installed site answering 200 through Traefik: the whole path a user
//! waits for (API write, controller provisioning, Swarm scheduling, WordPress install,
//! health check, Traefik's discovery). Each tenant is deleted, and gone, before the next run
//! starts, so runs do not compete.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use swarmpress_e2e::random_lowercase;

use super::{BenchError, env_count};
use swarmpress_e2e::api::{Api, wait_site};
use swarmpress_testkit::stats::{median, p95, secs};

const NAME: &str = "api_create_to_200";
const TARGET_MEDIAN: f64 = 2.0;
const TARGET_P95: f64 = 3.0;
const POLL: Duration = Duration::from_millis(50);
const RUN_TIMEOUT: Duration = Duration::from_secs(180);
const DELETE_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run(api: &Api) -> Result<Value, BenchError> {
    let runs = env_count("SWARMPRESS_BENCH_CREATE_RUNS", 5);
    let mut samples = Vec::with_capacity(runs);
    for run in 1..=runs {
        let name = format!("bench-{}", random_lowercase(8)?);
        let title = format!("Bench {name}");
        let client = api.site_client(&name)?;
        let url = api.site_url(&name);
        let started = Instant::now();
        api.create_tenant(&name, &title).await?;
        let outcome = wait_site(&client, &url, &title, POLL, RUN_TIMEOUT).await;
        let elapsed = secs(started.elapsed());
        api.delete(&name).await?;
        api.delete_all("suite=bench", DELETE_TIMEOUT).await?;
        outcome?;
        println!("{NAME} run {run}/{runs}: {elapsed:.3} s");
        samples.push(elapsed);
    }
    let (median, p95) = (median(&samples), p95(&samples));
    println!(
        "{NAME}: median {median:.3} s, p95 {p95:.3} s (targets {TARGET_MEDIAN} s, {TARGET_P95} s)"
    );
    Ok(json!({
        "name": NAME,
        "unit": "s",
        "samples": samples,
        "median": median,
        "p95": p95,
        "target": TARGET_MEDIAN,
        "targetP95": TARGET_P95,
        "notes": "POST /api/v1/tenants through the edge, then GET http://<name>.localhost:8080/ \
                  every 50 ms until 200 with the site title; the deployed controller does the rest",
    }))
}

//! Scale: N tenants applied at once (one multi-document `POST /apply`) as `Stopped`, the
//! time until the deployed controller has provisioned them all (database, user, bucket,
//! secrets, volume, a service at 0 replicas); then M of them started with a second apply, the
//! time until every started site is `Running` and `Available`.
//!
//! M defaults to 20, not N: on the 2-core development machine, starting 100 WordPress sites
//! at once (installs, then a health-check `docker exec` every 2 s each) drove the load average
//! past 100 and Swarm killed the platform's own MariaDB and Traefik for failing their health
//! checks. `SWARMPRESS_BENCH_SCALE_START_TENANTS` sets M on a bigger machine; the start is
//! capped (`SWARMPRESS_BENCH_SCALE_START_SECONDS`, 300 s) and the report says how many
//! converged within the cap rather than waiting without bound.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use swarmpress_e2e::random_lowercase;

use super::{BenchError, env_count};
use swarmpress_e2e::Api;
use swarmpress_testkit::stats::secs;

const NAME: &str = "scale_apply_stop_start";
const POLL: Duration = Duration::from_secs(1);
const STOP_TIMEOUT: Duration = Duration::from_secs(300);
const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

pub(super) fn manifest(names: &[String], run: &str, state: &str) -> String {
    let mut yaml = String::new();
    for name in names {
        // Writing to a String cannot fail.
        let _ = write!(
            yaml,
            "---\napiVersion: swarmpress.io/v1\nkind: Tenant\nmetadata:\n  name: {name}\n  \
             labels: {{ bench: {run} }}\nspec:\n  displayName: Scale {name}\n  region: eu-west\n  \
             state: {state}\n  admin: {{ user: admin, email: admin@example.test }}\n"
        );
    }
    yaml
}

pub(super) fn is_current(tenant: &Value) -> bool {
    tenant["status"]["observedGeneration"] == tenant["metadata"]["generation"]
}

pub(super) fn is_available(tenant: &Value) -> bool {
    tenant["status"]["phase"] == "Running"
        && tenant["status"]["conditions"]
            .as_array()
            .is_some_and(|conditions| {
                conditions
                    .iter()
                    .any(|c| c["type"] == "Available" && c["status"] == "True")
            })
}

/// Polls the run's tenants until `done` holds for all of them or `cap` passes; returns the
/// time to each tenth of them (as fractions reached) and how many got there.
async fn converge(
    api: &Api,
    selector: &str,
    count: usize,
    cap: Duration,
    done: impl Fn(&Value) -> bool,
) -> Result<(Vec<(usize, f64)>, usize, f64), BenchError> {
    let started = Instant::now();
    let mut milestones: Vec<(usize, f64)> = Vec::new();
    loop {
        let tenants = api.tenants(selector).await?;
        let converged = tenants.iter().filter(|t| is_current(t) && done(t)).count();
        let tenth = converged * 10 / count.max(1);
        if milestones
            .last()
            .is_none_or(|(reached, _)| *reached < tenth)
        {
            milestones.push((tenth, secs(started.elapsed())));
        }
        if converged >= count || started.elapsed() >= cap {
            return Ok((milestones, converged, secs(started.elapsed())));
        }
        tokio::time::sleep(POLL).await;
    }
}

pub async fn run(api: &Api) -> Result<Value, BenchError> {
    let count = env_count("SWARMPRESS_BENCH_SCALE_TENANTS", 100);
    let start_cap = Duration::from_secs(
        u64::try_from(env_count("SWARMPRESS_BENCH_SCALE_START_SECONDS", 300)).unwrap_or(300),
    );
    let start_count = env_count("SWARMPRESS_BENCH_SCALE_START_TENANTS", 20).min(count);
    let run = random_lowercase(6)?;
    let selector = format!("bench={run}");
    let names: Vec<String> = (0..count).map(|i| format!("sc-{run}-{i:03}")).collect();
    let outcome = async {
        let applied = Instant::now();
        api.apply(manifest(&names, &run, "Stopped")).await?;
        let apply_seconds = secs(applied.elapsed());
        let (_, stopped, stop_seconds) =
            converge(api, &selector, count, STOP_TIMEOUT, |t| t["status"]["phase"] == "Stopped")
                .await?;
        println!("scale: {stopped}/{count} Stopped after {stop_seconds:.1} s (apply took {apply_seconds:.1} s)");

        let started = Instant::now();
        let starting = &names[..start_count];
        api.apply(manifest(starting, &run, "Running")).await?;
        let (milestones, running, start_seconds) =
            converge(api, &selector, start_count, start_cap, is_available).await?;
        let elapsed = started.elapsed();
        println!("scale: {running}/{start_count} Running and Available after {start_seconds:.1} s");
        let per_minute = |n: usize, seconds: f64| {
            if seconds > 0.0 {
                (n as f64) * 60.0 / seconds
            } else {
                f64::NAN
            }
        };
        Ok::<_, BenchError>(json!({
            "name": NAME,
            "unit": "s",
            "tenants": count,
            "applySeconds": apply_seconds,
            "stoppedConverged": stopped,
            "stoppedSeconds": stop_seconds,
            "stoppedTenantsPerMinute": per_minute(stopped, stop_seconds),
            "startedTenants": start_count,
            "startCapSeconds": start_cap.as_secs(),
            "startedConverged": running,
            "startedSeconds": start_seconds,
            "startedTenantsPerMinute": per_minute(running, elapsed.as_secs_f64()),
            "startedMilestones": milestones
                .iter()
                .map(|(tenth, at)| json!({"fraction": (*tenth as f64) / 10.0, "seconds": at}))
                .collect::<Vec<_>>(),
            "allStarted": running == start_count,
            "notes": "one POST /api/v1/apply of N Tenant documents with spec.state Stopped, \
                      polled through GET /tenants until each is Stopped at its generation; then \
                      the first M re-applied with state Running until each is Running and \
                      Available; seconds from the apply request; the deployed controller runs 4 \
                      workers. M < N because starting 100 WordPress sites at once on this 2-core \
                      machine pushed the load average past 100 and Swarm killed the platform's \
                      MariaDB and Traefik on failed health checks (run of 2026-11-26)",
        }))
    }
    .await;
    // Deleting N services, their containers, volumes, databases and buckets takes a while;
    // it is done whatever the outcome.
    let deleted = Instant::now();
    let cleanup = api.delete_all(&selector, DELETE_TIMEOUT).await;
    println!(
        "scale: {count} tenants deleted in {:.1} s",
        deleted.elapsed().as_secs_f64()
    );
    let mut entry = outcome?;
    cleanup?;
    entry["deleteSeconds"] = json!(secs(deleted.elapsed()));
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_has_one_document_per_tenant() {
        let names = vec!["sc-a-000".to_owned(), "sc-a-001".to_owned()];
        let yaml = manifest(&names, "a", "Stopped");
        assert_eq!(yaml.matches("---\n").count(), 2);
        assert_eq!(yaml.matches("state: Stopped").count(), 2);
        assert!(yaml.contains("  name: sc-a-001\n  labels: { bench: a }\n"));
        let documents = swarmpress_schema::resource::parse_manifest(&yaml);
        assert_eq!(documents.len(), 2);
        assert!(documents.iter().all(Result::is_ok), "{documents:?}");
    }
}

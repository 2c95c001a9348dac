//! Drift repair: `docker service rm` of a running tenant's service behind the controller's
//! back, then the time until the deployed controller has created it again (it hears the
//! removal on the Docker event stream) and until the site answers 200 from the new service's
//! task, both measured from the removal.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::TaskState;
use bollard::query_parameters::ListTasksOptionsBuilder;
use serde_json::{Value, json};
use swarmpress_e2e::{Platform, random_lowercase};

use super::{BenchError, env_count};
use swarmpress_e2e::api::{Api, wait_site};
use swarmpress_testkit::stats::{median, secs};

const NAME_SERVICE: &str = "drift_service_recreated";
const NAME_SITE: &str = "drift_site_answers_again";
const TARGET_SERVICE: f64 = 1.0;
const TARGET_SITE: f64 = 10.0;
const TIMEOUT: Duration = Duration::from_secs(120);

async fn has_running_task(docker: &bollard::Docker, service: &str) -> Result<bool, BenchError> {
    let filters = HashMap::from([
        ("service", vec![service]),
        ("desired-state", vec!["running"]),
    ]);
    let options = ListTasksOptionsBuilder::new().filters(&filters).build();
    let tasks = docker.list_tasks(Some(options)).await?;
    Ok(tasks
        .iter()
        .any(|t| t.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING)))
}

async fn measure(
    api: &Api,
    platform: &Platform,
    name: &str,
    title: &str,
) -> Result<(f64, f64), BenchError> {
    let docker = &platform.docker;
    let service = format!("wp_{name}");
    let client = api.site_client(name)?;
    let url = api.site_url(name);
    docker.delete_service(&service).await?;
    let removed = Instant::now();
    let recreated = loop {
        match docker.inspect_service(&service, None).await {
            Ok(_) => break removed.elapsed(),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(error) => return Err(error.into()),
        }
        if removed.elapsed() > TIMEOUT {
            return Err(BenchError::Timeout {
                what: format!("{service} to be recreated"),
                after: TIMEOUT,
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // The old task keeps serving through its drain, so a 200 counts only once the new
    // service has a running (healthy) task.
    while !has_running_task(docker, &service).await? {
        if removed.elapsed() > TIMEOUT {
            return Err(BenchError::Timeout {
                what: format!("a healthy task of the recreated {service}"),
                after: TIMEOUT,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_site(&client, &url, title, Duration::from_millis(100), TIMEOUT).await?;
    Ok((secs(recreated), secs(removed.elapsed())))
}

pub async fn run(api: &Api, platform: &Platform) -> Result<Vec<Value>, BenchError> {
    let runs = env_count("SWARMPRESS_BENCH_DRIFT_RUNS", 3);
    let name = format!("bench-{}", random_lowercase(8)?);
    let title = format!("Drift {name}");
    api.create_tenant(&name, &title).await?;
    let client = api.site_client(&name)?;
    let outcome = async {
        wait_site(
            &client,
            &api.site_url(&name),
            &title,
            Duration::from_millis(100),
            TIMEOUT,
        )
        .await?;
        let mut service_samples = Vec::new();
        let mut site_samples = Vec::new();
        for run in 1..=runs {
            // Let the edge and the controller settle between removals.
            tokio::time::sleep(Duration::from_secs(3)).await;
            let (service, site) = measure(api, platform, &name, &title).await?;
            println!(
                "drift run {run}/{runs}: service back after {service:.3} s, site after {site:.3} s"
            );
            service_samples.push(service);
            site_samples.push(site);
        }
        Ok::<_, BenchError>((service_samples, site_samples))
    }
    .await;
    api.delete(&name).await?;
    api.delete_all("suite=bench", Duration::from_secs(120))
        .await?;
    let (service_samples, site_samples) = outcome?;
    let notes = "docker service rm wp_<name> of a Running tenant; the deployed controller \
                 recreates it on the Docker event; site time counts from the removal to the first \
                 200 once the new service has a running task";
    Ok(vec![
        json!({"name": NAME_SERVICE, "unit": "s", "samples": service_samples,
               "median": median(&service_samples), "target": TARGET_SERVICE, "notes": notes}),
        json!({"name": NAME_SITE, "unit": "s", "samples": site_samples,
               "median": median(&site_samples), "target": TARGET_SITE, "notes": notes}),
    ])
}

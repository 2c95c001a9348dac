//! Throughput and latency of the control-plane API against the platform's MariaDB:
//! authenticated `GET /tenants/{name}` and `POST /apply` of one tenant.
//!
//! The API under test is the release binary `scripts/up` built for the stack's image, run
//! here on a loopback port with its deployed settings (request logging included) against a
//! scratch database on the platform's MariaDB. The load comes from `wrk`, a separate process,
//! so the generator never shares the server's runtime. Traefik is not in the path: the figure
//! is the API's own, which is what its targets are about.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use swarmpress_e2e::wrk::{self, Load, LoadResult};
use swarmpress_e2e::{E2eError, random_lowercase};
use swarmpress_testkit::report::{report_path, write_entries};

const GET_TARGET_RPS: f64 = 3000.0;
const GET_TARGET_P99_MS: f64 = 15.0;
const APPLY_TARGET_P99_MS: f64 = 30.0;
const ADMIN_EMAIL: &str = "bench-admin@swarmpress.test";
const WARM_UP: Duration = Duration::from_secs(3);
const MEASURE: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error(transparent)]
    E2e(#[from] E2eError),
    #[error(transparent)]
    Wrk(#[from] wrk::WrkError),
    #[error(transparent)]
    Report(#[from] swarmpress_testkit::report::ReportError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Setup(String),
}

fn setup(message: impl Into<String>) -> BenchError {
    BenchError::Setup(message.into())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("api bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Drops the scratch database and stops the server, whatever happened.
struct Scratch {
    admin_url: String,
    database: String,
    dir: PathBuf,
    server: Option<Child>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill().ok();
            server.wait().ok();
        }
        let url = self.admin_url.clone();
        let name = self.database.clone();
        // Drop cannot await; a thread with its own runtime can.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let root = Database::connect(&url).await.map_err(|e| e.to_string())?;
                root.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!(
                "could not drop the scratch database {}: {dropped:?}",
                self.database
            );
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn write_secret(dir: &Path, name: &str, value: &str) -> Result<PathBuf, BenchError> {
    let path = dir.join(name);
    std::fs::write(&path, value).map_err(|e| setup(format!("{}: {e}", path.display())))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| setup(format!("{}: {e}", path.display())))?;
    Ok(path)
}

/// MariaDB's address on `docker_gwbridge`. The published port on 127.0.0.1 goes through
/// docker-proxy, a userland copy that halves the API's throughput here and that the deployed
/// API (on the overlay network) never passes through; measuring through it would measure the
/// proxy. `None` when it cannot be found (then the published port is used, and reported).
async fn mariadb_bridge_addr() -> Option<String> {
    use bollard::query_parameters::ListContainersOptionsBuilder;
    let docker = bollard::Docker::connect_with_local_defaults()
        .ok()?
        .negotiate_version()
        .await
        .ok()?;
    let label = "com.docker.swarm.service.name=swarmpress_mariadb";
    let filters = std::collections::HashMap::from([("label", vec![label])]);
    let containers = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::new()
                .filters(&filters)
                .build(),
        ))
        .await
        .ok()?;
    let id = containers.into_iter().next()?.id?;
    let bridge = docker
        .inspect_network(
            "docker_gwbridge",
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
        .ok()?;
    let address = bridge.containers?.get(&id)?.ipv4_address.clone()?;
    let ip = address.split('/').next()?;
    Some(format!("{ip}:3306"))
}

fn api_binary() -> PathBuf {
    std::env::var_os("SWARMPRESS_API_RELEASE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/var/cache/swarmpress/target"));
            target.join("release").join("swarmpress-api")
        })
}

async fn start_server(mariadb_addr: &str) -> Result<(Scratch, String, String), BenchError> {
    let suffix = random_lowercase(10)?;
    let database = format!("swarmpress_bench_{suffix}");
    let admin_url = swarmpress_testkit::mariadb_root_url().map_err(setup)?;
    let root = Database::connect(admin_url.as_str()).await?;
    root.execute_unprepared(&format!(
        "CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    ))
    .await?;
    root.close().await.ok();
    let dir = std::env::temp_dir().join(format!("swarmpress-api-bench-{suffix}"));
    std::fs::create_dir_all(&dir).map_err(|e| setup(format!("{}: {e}", dir.display())))?;
    let mut scratch = Scratch {
        admin_url,
        database: database.clone(),
        dir: dir.clone(),
        server: None,
    };
    let root_password = swarmpress_testkit::root_password().map_err(setup)?;
    let db_password = write_secret(&dir, "db_password", &root_password)?;
    let jwt_secret = write_secret(&dir, "jwt_secret", &random_lowercase(48)?)?;
    let admin_password = random_lowercase(24)?;
    let admin_password_file = write_secret(&dir, "admin_password", &admin_password)?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| setup(format!("no free port: {e}")))?
        .port();
    let (db_host, db_port) = mariadb_addr
        .rsplit_once(':')
        .ok_or_else(|| setup("MariaDB address is not host:port"))?;
    let log =
        std::fs::File::create(dir.join("api.log")).map_err(|e| setup(format!("api log: {e}")))?;
    let binary = api_binary();
    let server = Command::new(&binary)
        .env_clear()
        .env("SWARMPRESS_LISTEN", format!("127.0.0.1:{port}"))
        .env("SWARMPRESS_DATABASE_HOST", db_host)
        .env("SWARMPRESS_DATABASE_PORT", db_port)
        .env("SWARMPRESS_DATABASE_NAME", &database)
        .env("SWARMPRESS_DATABASE_USER", "root")
        .env("SWARMPRESS_DATABASE_PASSWORD_FILE", &db_password)
        .env("SWARMPRESS_JWT_SECRET_FILE", &jwt_secret)
        .env("SWARMPRESS_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("SWARMPRESS_ADMIN_PASSWORD_FILE", &admin_password_file)
        .env("SWARMPRESS_SECURE_COOKIES", "false")
        .stdin(Stdio::null())
        .stdout(
            log.try_clone()
                .map_err(|e| setup(format!("api log: {e}")))?,
        )
        .stderr(log)
        .spawn()
        .map_err(|e| setup(format!("cannot start {}: {e}", binary.display())))?;
    scratch.server = Some(server);
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::builder().no_proxy().build()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("{base}/health")).send().await
            && response.status().is_success()
        {
            break;
        }
        if let Some(server) = scratch.server.as_mut()
            && let Ok(Some(status)) = server.try_wait()
        {
            let log = std::fs::read_to_string(dir.join("api.log")).unwrap_or_default();
            return Err(setup(format!("the API exited ({status}):\n{log}")));
        }
        if Instant::now() > deadline {
            return Err(setup("the API did not answer /health within 60 s"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let token = login(&client, &base, &admin_password).await?;
    Ok((scratch, base, token))
}

/// The access JWT of a login, taken from its cookie: what the portal sends.
async fn login(client: &reqwest::Client, base: &str, password: &str) -> Result<String, BenchError> {
    let response = client
        .post(format!("{base}/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": password}))
        .send()
        .await?
        .error_for_status()?;
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix("__Host-access_token="))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| setup("the login set no access_token cookie"))
}

/// Each wrk thread applies its own tenant, flipping a label on every request so that every
/// apply is a real write (`configured`), not the cheaper `unchanged`.
const APPLY_SCRIPT: &str = r#"
local next_id = 0
setup = function(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format([[
apiVersion: swarmpress.io/v1
kind: Tenant
metadata:
  name: apply-bench-%d
  labels: { round: "r%d" }
spec:
  displayName: Apply bench
  region: eu-west
  replicas: 1
  admin: { user: admin, email: bench@example.test }
]], id, counter)
  return wrk.format("POST", nil, nil, body)
end
"#;

const BOMB_RUNS: usize = 20;

/// Connections of each point of the GET sweep, and of the apply load (overridable).
const GET_SWEEP: &[u32] = &[1, 2, 4, 8, 16];
const APPLY_CONNECTIONS: u32 = 4;

fn connections(variable: &str, default: u32) -> u32 {
    std::env::var(variable)
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|count| *count > 0)
        .unwrap_or(default)
}

/// Median and maximum milliseconds the API takes to refuse a "billion laughs" manifest.
async fn yaml_bomb_refusal(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> Result<(f64, f64), BenchError> {
    let bomb = swarmpress_testkit::yaml_bomb();
    let mut samples = Vec::with_capacity(BOMB_RUNS);
    for _ in 0..BOMB_RUNS {
        let started = Instant::now();
        let answer: Value = client
            .post(format!("{base}/apply"))
            .bearer_auth(token)
            .header("content-type", "application/yaml")
            .body(bomb.clone())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        if answer["results"][0]["action"] != "invalid" {
            return Err(setup(format!("the YAML bomb was not refused: {answer}")));
        }
    }
    samples.sort_by(f64::total_cmp);
    Ok((samples[BOMB_RUNS / 2], samples[BOMB_RUNS - 1]))
}

fn entry(
    name: &str,
    result: &LoadResult,
    targets: Value,
    connections: u32,
    mariadb: &str,
) -> Value {
    json!({
        "name": name,
        "unit": "requests/s",
        "requests": result.requests,
        "requests_per_second": result.requests_per_second,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "non_success": result.non_success,
        "socket_errors": result.socket_errors,
        "connections": connections,
        "seconds": MEASURE.as_secs(),
        "mariadb": mariadb,
        "target": targets,
    })
}

fn with_sweep(mut entry: Value, sweep: &[Value]) -> Value {
    entry["sweep"] = json!(sweep);
    entry
}

/// The sweep point the GET target is judged on: the highest throughput among the points
/// whose p99 is within the target, or the lowest p99 when none is.
fn judged_point(sweep: &[(u32, LoadResult)]) -> Option<&(u32, LoadResult)> {
    most_throughput(
        sweep
            .iter()
            .filter(|(_, point)| point.p99_ms <= GET_TARGET_P99_MS),
    )
    .or_else(|| {
        sweep
            .iter()
            .min_by(|a, b| a.1.p99_ms.total_cmp(&b.1.p99_ms))
    })
}

fn most_throughput<'a>(
    points: impl Iterator<Item = &'a (u32, LoadResult)>,
) -> Option<&'a (u32, LoadResult)> {
    points.max_by(|a, b| a.1.requests_per_second.total_cmp(&b.1.requests_per_second))
}

fn with_note(mut entry: Value, note: &str) -> Value {
    entry["notes"] = json!(note);
    entry
}

fn load(load: &Load<'_>) -> Result<LoadResult, BenchError> {
    wrk::run(&Load {
        duration: WARM_UP,
        ..load.clone()
    })?;
    let result = wrk::run(load)?;
    if result.non_success > 0 || result.socket_errors > 0 {
        return Err(setup(format!(
            "{}: {} non-2xx answers and {} socket errors",
            load.url, result.non_success, result.socket_errors
        )));
    }
    Ok(result)
}

async fn run() -> Result<(), BenchError> {
    let bridge = mariadb_bridge_addr().await;
    let mariadb_addr = bridge
        .as_deref()
        .map(str::to_owned)
        .unwrap_or_else(swarmpress_testkit::mariadb_addr);
    println!("API → MariaDB at {mariadb_addr}");
    let (scratch, base, token) = start_server(&mariadb_addr).await?;
    let client = reqwest::Client::builder().no_proxy().build()?;
    client
        .post(format!("{base}/tenants"))
        .bearer_auth(&token)
        .json(&json!({
            "metadata": {"name": "get-bench"},
            "spec": {"displayName": "Get bench", "region": "eu-west",
                     "admin": {"user": "admin", "email": "bench@example.test"}}
        }))
        .send()
        .await?
        .error_for_status()?;
    let headers = vec![format!("Authorization: Bearer {token}")];
    let sweep = get_sweep(&format!("{base}/tenants/get-bench"), &headers)?;
    let apply = apply_load(&scratch, &base, &headers)?;
    let bomb = yaml_bomb_refusal(&client, &base, &token).await?;
    println!(
        "YAML bomb refused: median {:.2} ms, max {:.2} ms over {BOMB_RUNS} requests",
        bomb.0, bomb.1
    );
    write_report(&sweep, &apply, bomb, &mariadb_addr)?;
    drop(scratch);
    Ok(())
}

/// `GET /tenants/{name}` over each number of connections of [`GET_SWEEP`].
///
/// The target is a latency at a throughput: serving ≥ 3,000 requests a second with a p99 of
/// ≤ 15 ms. On a CPU-bound box, connections beyond the few that keep every core busy add no
/// throughput, only queueing, so the load is swept over the number of connections and judged
/// at the highest throughput whose p99 stays within the target — the capacity at that
/// latency. Every point of the sweep is reported.
fn get_sweep(url: &str, headers: &[String]) -> Result<Vec<(u32, LoadResult)>, BenchError> {
    let mut sweep = Vec::with_capacity(GET_SWEEP.len());
    for &connections in GET_SWEEP {
        let point = load(&Load {
            url,
            threads: 1,
            connections,
            duration: MEASURE,
            headers,
            script: None,
        })?;
        println!(
            "GET /tenants/{{name}}, {connections} connections: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms",
            point.requests_per_second, point.p50_ms, point.p99_ms
        );
        sweep.push((connections, point));
    }
    Ok(sweep)
}

/// `POST /apply` of one tenant, a real write each time (see [`APPLY_SCRIPT`]).
fn apply_load(
    scratch: &Scratch,
    base: &str,
    headers: &[String],
) -> Result<(u32, LoadResult), BenchError> {
    let script = scratch.dir.join("apply.lua");
    std::fs::write(&script, APPLY_SCRIPT).map_err(|e| setup(format!("apply.lua: {e}")))?;
    let apply_url = format!("{base}/apply");
    let mut apply_headers = headers.to_vec();
    apply_headers.push("Content-Type: application/yaml".to_owned());
    let apply_connections = connections("SWARMPRESS_BENCH_APPLY_CONNECTIONS", APPLY_CONNECTIONS);
    let apply = load(&Load {
        url: &apply_url,
        threads: apply_connections,
        connections: apply_connections,
        duration: MEASURE,
        headers: &apply_headers,
        script: Some(&script),
    })?;
    println!(
        "POST /apply (one tenant, configured): {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms (target p99 ≤ {APPLY_TARGET_P99_MS} ms)",
        apply.requests_per_second, apply.p50_ms, apply.p99_ms
    );
    Ok((apply_connections, apply))
}

fn write_report(
    sweep: &[(u32, LoadResult)],
    (apply_connections, apply): &(u32, LoadResult),
    bomb: (f64, f64),
    mariadb_addr: &str,
) -> Result<(), BenchError> {
    let (get_connections, get) =
        judged_point(sweep).ok_or_else(|| setup("the GET sweep measured nothing"))?;
    let (saturation_connections, saturation) =
        most_throughput(sweep.iter()).ok_or_else(|| setup("the GET sweep measured nothing"))?;
    println!(
        "GET /tenants/{{name}}: {:.0} requests/s with p99 {:.2} ms at {get_connections} connections (targets ≥ {GET_TARGET_RPS}/s, p99 ≤ {GET_TARGET_P99_MS} ms)",
        get.requests_per_second, get.p99_ms
    );
    let sweep_report: Vec<Value> = sweep
        .iter()
        .map(|(connections, point)| {
            json!({
                "connections": connections,
                "requests_per_second": point.requests_per_second,
                "p50_ms": point.p50_ms,
                "p99_ms": point.p99_ms,
            })
        })
        .collect();
    let path = report_path();
    write_entries(
        &path,
        vec![
            json!({
                "name": "api_yaml_bomb_refusal",
                "unit": "ms",
                "median": bomb.0,
                "max": bomb.1,
                "runs": BOMB_RUNS,
                "notes": "POST /apply of a billion-laughs manifest (9 levels of 9 aliases), \
                          end to end on loopback; refused as invalid YAML",
            }),
            with_sweep(
                with_note(
                    entry(
                        "api_get_tenant",
                        get,
                        json!({"requests_per_second": GET_TARGET_RPS, "p99_ms": GET_TARGET_P99_MS}),
                        *get_connections,
                        mariadb_addr,
                    ),
                    "closed loop, swept over the number of connections: the highest \
                     throughput whose p99 is within the target (the lowest p99 when none is)",
                ),
                &sweep_report,
            ),
            with_note(
                entry(
                    "api_get_tenant_saturation",
                    saturation,
                    json!({}),
                    *saturation_connections,
                    mariadb_addr,
                ),
                "the sweep's highest throughput, whatever its latency",
            ),
            entry(
                "api_apply_one_tenant",
                apply,
                json!({"p99_ms": APPLY_TARGET_P99_MS}),
                *apply_connections,
                mariadb_addr,
            ),
        ],
    )?;
    println!("report written to {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(requests_per_second: f64, p99_ms: f64) -> LoadResult {
        LoadResult {
            requests: 1,
            requests_per_second,
            p50_ms: 1.0,
            p99_ms,
            non_success: 0,
            socket_errors: 0,
        }
    }

    #[test]
    fn the_target_is_judged_at_the_most_throughput_within_the_latency() {
        let sweep = vec![
            (1, point(2000.0, 2.0)),
            (2, point(3900.0, 4.0)),
            (4, point(4100.0, 14.0)),
            (8, point(4300.0, 22.0)),
        ];
        assert_eq!(judged_point(&sweep).map(|(c, _)| *c), Some(4));
        let slow = vec![(1, point(2000.0, 19.0)), (2, point(3000.0, 17.0))];
        assert_eq!(judged_point(&slow).map(|(c, _)| *c), Some(2));
        assert!(judged_point(&[]).is_none());
    }
}

//! The `swarmpress` binary, run as a user runs it, against an in-process API (manifests,
//! output, exit codes, login) and against the deployed platform (waiting for a real site,
//! following its logs).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::tenant::Phase;

use crate::helpers::{Client, TestApp, spawn};

const BINARY: &str = env!("CARGO_BIN_EXE_swarmpress");

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("manifests")
        .join("examples")
}

/// The CLI as the holder of `token` on `server`, with a config file of its own.
struct Cli {
    server: String,
    token: String,
    config: PathBuf,
}

impl Cli {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .env("SWARMPRESS_SERVER", &self.server)
            .env("SWARMPRESS_TOKEN", &self.token)
            .env("SWARMPRESS_CONFIG", &self.config)
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs `args` expecting success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?}: {}", describe(&output));
        String::from_utf8(output.stdout).unwrap()
    }
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn cli_for(app: &TestApp, email: &str) -> (Cli, Client) {
    let client = app.user(email).await;
    app.move_to_plan(&client, "business").await;
    let cli = Cli {
        server: format!("http://{}", app.addr),
        token: client.personal_access_token("cli test").await,
        config: std::env::temp_dir().join(format!("swarmpress-cli-{}.json", uuid::Uuid::new_v4())),
    };
    (cli, client)
}

/// Reads a child's stdout lines on a thread, so a test can wait for one with a timeout.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

fn wait_for_line(lines: &mpsc::Receiver<String>, timeout: Duration, want: impl Fn(&str) -> bool) {
    if let Err(seen) = next_line_matching(lines, timeout, want) {
        panic!("no such line within {timeout:?}; saw {seen:#?}");
    }
}

/// Reads lines until one satisfies `want`, or gives the lines it read after `timeout`.
fn next_line_matching(
    lines: &mpsc::Receiver<String>,
    timeout: Duration,
    want: impl Fn(&str) -> bool,
) -> Result<(), Vec<String>> {
    let deadline = std::time::Instant::now() + timeout;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if want(&line) => return Ok(()),
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    Err(seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifests_apply_idempotently_and_round_trip_through_get() {
    let Some(app) = spawn().await else { return };
    let (cli, _) = cli_for(&app, "alice@example.test").await;
    let site = examples().join("site.yaml");
    let sites = examples().join("sites.yaml");
    let (site, sites) = (site.to_str().unwrap(), sites.to_str().unwrap());

    let dry = cli.ok(&["apply", "-f", site, "-f", sites, "--dry-run"]);
    assert!(dry.contains("tenant/acme-blog created (dry run)"), "{dry}");
    let first = cli.ok(&["apply", "-f", site, "-f", sites]);
    for name in ["acme-blog", "acme-shop", "acme-news", "acme-archive"] {
        assert!(first.contains(&format!("tenant/{name} created")), "{first}");
    }
    assert!(first.contains("WordPress admin password (shown once)"));
    let second = cli.ok(&["apply", "-f", site, "-f", sites]);
    assert_eq!(second.matches(" unchanged").count(), 4, "{second}");

    // What `get` prints, one tenant or the whole list, applies back as it is.
    let one = cli.ok(&["get", "tenants", "acme-blog", "-o", "json"]);
    let parsed: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(parsed["metadata"]["labels"]["team"], "web");
    let again = cli.run_with_stdin(&["apply", "-f", "-"], &one);
    assert!(again.status.success(), "{}", describe(&again));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "tenant/acme-blog unchanged"
    );
    let list = cli.ok(&["get", "tenants", "-o", "yaml"]);
    let again = cli.run_with_stdin(&["apply", "-f", "-"], &list);
    assert!(again.status.success(), "{}", describe(&again));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout)
            .matches(" unchanged")
            .count(),
        4
    );
    // A changed field read back is a change.
    let edited = one.replace("Acme Blog", "Acme Blog (new)");
    let changed = cli.run_with_stdin(&["apply", "-f", "-"], &edited);
    assert_eq!(
        String::from_utf8_lossy(&changed.stdout).trim(),
        "tenant/acme-blog configured"
    );

    let table = cli.ok(&["get", "tenants", "-l", "team=marketing"]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "PHASE", "READY", "AGE", "URL"]);
    let names: Vec<&str> = lines
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, ["acme-news", "acme-shop"]);
    let described = cli.ok(&["describe", "tenant", "acme-shop"]);
    for expected in ["Name:", "acme-shop", "Replicas:", "Conditions:", "Events:"] {
        assert!(described.contains(expected), "{described}");
    }
    let deleted = cli.ok(&["delete", "-f", sites]);
    assert_eq!(
        deleted.matches("deletion requested").count(),
        3,
        "{deleted}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_the_field_and_exit_codes_mean_something() {
    let Some(app) = spawn().await else { return };
    let (cli, _) = cli_for(&app, "bob@example.test").await;
    let bad = "apiVersion: swarmpress.io/v1\nkind: Tenant\nmetadata: {name: bad-site}\n\
               spec: {displayName: B, region: eu-west, replicas: many, admin: {email: b@b.test}}\n";
    let output = cli.run_with_stdin(&["apply", "-f", "-"], bad);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The refused document on a line of its own, each error on its own line under it.
    assert!(
        stdout.lines().any(|l| l == "tenant/bad-site invalid"),
        "{stdout}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("  error: ") && l.contains("spec.replicas")),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 document was invalid and not applied"),
        "{stderr}"
    );
    let broken = cli.run_with_stdin(&["apply", "-f", "-"], "kind: [unclosed\n");
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("invalid YAML"));

    // The API's problem detail is what the user reads.
    let missing = cli.run(&["get", "tenants", "no-such-site"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("error:"));
    // Usage errors are 2.
    for args in [
        vec!["get", "widgets"],
        vec!["wait", "acme", "--for=condition=Available"],
        vec!["wait", "tenant/acme", "--for=ready"],
        vec!["scale", "acme"],
        vec!["frobnicate"],
    ] {
        let output = cli.run(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            describe(&output)
        );
    }
    // Nothing reconciles here, so the site never becomes Available: a timeout is exit 1.
    cli.ok(&[
        "apply",
        "-f",
        examples().join("site.yaml").to_str().unwrap(),
    ]);
    let started = std::time::Instant::now();
    let waited = cli.run(&[
        "wait",
        "tenant/acme-blog",
        "--for=condition=Available",
        "--timeout",
        "2s",
    ]);
    assert_eq!(waited.status.code(), Some(1), "{}", describe(&waited));
    assert!(String::from_utf8_lossy(&waited.stderr).contains("timed out"));
    assert!(started.elapsed() >= Duration::from_secs(2));
    let completion = cli.ok(&["completion", "bash"]);
    assert!(completion.contains("swarmpress"));
}

/// A blocking maintenance window: the CLI's writes fail saying so (exit 1), its reads work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_blocking_maintenance_the_cli_reads_but_its_writes_are_refused() {
    let Some(app) = spawn().await else { return };
    let (cli, _) = cli_for(&app, "maint@example.test").await;
    let now = chrono::Utc::now();
    let window = app
        .admin()
        .await
        .post("/admin/maintenance-windows")
        .json(&json!({
            "start": (now - chrono::Duration::minutes(1)).to_rfc3339(),
            "end": (now + chrono::Duration::minutes(30)).to_rfc3339(),
            "message": "Moving to a bigger machine",
            "blocking": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(window.status(), 201);
    let refused = cli.run(&[
        "apply",
        "-f",
        examples().join("site.yaml").to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(1), "{}", describe(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("under maintenance") && stderr.contains("Moving to a bigger machine"),
        "{stderr}"
    );
    let listed = cli.ok(&["get", "tenants"]);
    assert!(!listed.contains("acme-blog"), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_prints_each_phase_change() {
    let Some(app) = spawn().await else { return };
    let (cli, _) = cli_for(&app, "carol@example.test").await;
    let mut child = cli
        .command(&["get", "tenants", "-w"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut child);
    wait_for_line(&lines, Duration::from_secs(10), |l| l.starts_with("NAME"));
    cli.ok(&[
        "apply",
        "-f",
        examples().join("site.yaml").to_str().unwrap(),
    ]);
    wait_for_line(&lines, Duration::from_secs(10), |l| {
        l.starts_with("acme-blog") && l.contains("Pending")
    });
    // What the controller would write.
    let name = TenantName::parse("acme-blog").unwrap();
    for phase in [Phase::Provisioning, Phase::Running] {
        let mut status = app.state.store.get_tenant(&name).await.unwrap().status;
        status.phase = phase;
        app.state.store.update_status(&name, status).await.unwrap();
        let shown = format!("{phase:?}");
        wait_for_line(&lines, Duration::from_secs(10), |l| {
            l.starts_with("acme-blog") && l.contains(&shown)
        });
    }
    child.kill().ok();
    child.wait().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_stores_a_private_token_and_logout_revokes_it() {
    let Some(app) = spawn().await else { return };
    app.user("dave@example.test").await;
    let config = std::env::temp_dir().join(format!("swarmpress-cli-{}", uuid::Uuid::new_v4()));
    let credentials = config.join("credentials.json");
    let server = format!("http://{}", app.addr);
    let login = |password: &str| {
        let mut child = Command::new(BINARY)
            .args([
                "login",
                "--server",
                &server,
                "--email",
                "dave@example.test",
                "--password-stdin",
            ])
            .env("SWARMPRESS_CONFIG", &credentials)
            .env_remove("SWARMPRESS_SERVER")
            .env_remove("SWARMPRESS_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let refused = login("wrong-password-here");
    assert_eq!(refused.status.code(), Some(1));
    assert!(!credentials.exists());

    let output = login("a-long-password-1");
    assert!(output.status.success(), "{}", describe(&output));
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&credentials)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&credentials).unwrap()).unwrap();
    let token = stored["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("spat_"));

    let stored_cli = |args: &[&str]| {
        Command::new(BINARY)
            .args(args)
            .env("SWARMPRESS_CONFIG", &credentials)
            .env_remove("SWARMPRESS_SERVER")
            .env_remove("SWARMPRESS_TOKEN")
            .output()
            .unwrap()
    };
    let listed = stored_cli(&["get", "tenants"]);
    assert!(listed.status.success(), "{}", describe(&listed));
    let logged_out = stored_cli(&["logout"]);
    assert!(logged_out.status.success(), "{}", describe(&logged_out));
    assert!(!credentials.exists());
    let revoked = app
        .bare()
        .get("/tenants")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    let after = stored_cli(&["get", "tenants"]);
    assert_eq!(after.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&after.stderr).contains("not logged in"));
    std::fs::remove_dir_all(config).ok();
}

/// The deployed platform's edge, as `scripts/up` publishes it.
fn edge() -> String {
    let port = std::env::var("SWARMPRESS_EDGE_PORT").unwrap_or_else(|_| "8080".to_owned());
    format!("http://localhost:{port}")
}

/// A new user of the deployed platform and a token of theirs; `None` when the platform is
/// not up (and not required).
async fn deployed_user() -> Option<(reqwest::Client, String)> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-requested-with",
        reqwest::header::HeaderValue::from_static("swarmpress"),
    );
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .no_proxy()
        .build()
        .unwrap();
    let email = format!("cli-{}@example.test", uuid::Uuid::new_v4().simple());
    let registered = http
        .post(format!("{}/api/v1/auth/register", edge()))
        .json(&json!({"email": email, "password": "a-long-password-1"}))
        .send()
        .await;
    match registered {
        Ok(response) if response.status() == 201 => {}
        outcome => {
            let why = format!("{outcome:?}");
            if std::env::var("SWARMPRESS_REQUIRE_PLATFORM").is_ok_and(|v| !v.is_empty() && v != "0")
            {
                panic!("the deployed API cannot register a user: {why}");
            }
            eprintln!("SKIPPED: the deployed platform is unreachable ({why})");
            return None;
        }
    }
    let created: Value = http
        .post(format!("{}/api/v1/auth/tokens", edge()))
        .json(&json!({"name": "cli e2e", "currentPassword": "a-long-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Some((http, created["token"].as_str().unwrap().to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_applied_with_the_cli_becomes_available_and_its_logs_follow() {
    let Some((_, token)) = deployed_user().await else {
        return;
    };
    let cli = Cli {
        server: edge(),
        token,
        config: std::env::temp_dir().join(format!("swarmpress-cli-{}.json", uuid::Uuid::new_v4())),
    };
    let name = format!("cli-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let manifest = format!(
        "apiVersion: swarmpress.io/v1\nkind: Tenant\nmetadata: {{name: {name}}}\n\
         spec: {{displayName: CLI site, region: eu-west, admin: {{user: admin, email: a@cli.test}}}}\n"
    );

    let _cleanup = DeleteOnDrop(
        Cli {
            server: cli.server.clone(),
            token: cli.token.clone(),
            config: cli.config.clone(),
        },
        name.clone(),
    );
    let mut watcher = cli
        .command(&["get", "tenants", "-w"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let watched = lines_of(&mut watcher);
    wait_for_line(&watched, Duration::from_secs(10), |l| l.starts_with("NAME"));
    let applied = cli.run_with_stdin(&["apply", "-f", "-"], &manifest);
    assert!(applied.status.success(), "{}", describe(&applied));
    let waited = cli.run(&[
        "wait",
        &format!("tenant/{name}"),
        "--for=condition=Available",
        "--timeout",
        "180s",
    ]);
    assert!(waited.status.success(), "{}", describe(&waited));
    // The watcher saw the site go through its phases to Running.
    wait_for_line(&watched, Duration::from_secs(10), |l| {
        l.starts_with(&name) && l.contains("Provisioning")
    });
    wait_for_line(&watched, Duration::from_secs(10), |l| {
        l.starts_with(&name) && l.contains("Running")
    });
    watcher.kill().ok();
    watcher.wait().ok();

    // A follower of the logs sees the access-log line of a request made after it started.
    let mut follower = cli
        .command(&["logs", &name, "-f", "--tail", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let logged = lines_of(&mut follower);
    let site = reqwest::Client::builder()
        .no_proxy()
        .resolve(
            &format!("{name}.localhost"),
            std::net::SocketAddr::from(([127, 0, 0, 1], edge_port())),
        )
        .build()
        .unwrap();
    // The follower is attached at some moment this process cannot see, so requests (each with
    // its own probe) go on until the follower shows one of them: a request made after it
    // attached always shows up, however long attaching took.
    let mut probes = Vec::new();
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let probe = uuid::Uuid::new_v4().simple().to_string();
        // Traefik polls Swarm every second, so a site Available a moment ago may not be routed
        // yet; a 404 from the edge is retried, briefly.
        let url = format!("http://{name}.localhost:{}/?probe={probe}", edge_port());
        let mut status = 0;
        for _ in 0..50 {
            status = site.get(&url).send().await.unwrap().status().as_u16();
            if status != 404 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(status, 200);
        probes.push(probe);
        match next_line_matching(&logged, Duration::from_secs(3), |l| {
            probes.iter().any(|p| l.contains(p))
        }) {
            Ok(()) => break,
            Err(lines) => seen.extend(lines),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the follower showed none of {probes:?}; saw {seen:#?}"
        );
    }
    follower.kill().ok();
    follower.wait().ok();

    let deleted = cli.run(&["delete", "tenant", &name, "--wait", "--timeout", "180s"]);
    assert!(deleted.status.success(), "{}", describe(&deleted));
}

/// Asks for the tenant's deletion if the test ends before it did (a no-op after it did).
struct DeleteOnDrop(Cli, String);

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        let _ = self.0.run(&["delete", "tenant", &self.1]);
    }
}

fn edge_port() -> u16 {
    std::env::var("SWARMPRESS_EDGE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080)
}

/// Waits (a bounded time) for a child to exit; returns its exit code.
fn exit_code_within(child: &mut Child, timeout: Duration) -> Option<i32> {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().ok();
    child.wait().ok();
    panic!("the command did not exit within {timeout:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_verbs_create_list_steer_and_follow() {
    use swarmpress_schema::resource::{RolloutItemState, RolloutState};
    use swarmpress_schema::store::NewRolloutItem;

    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let cli = Cli {
        server: format!("http://{}", app.addr),
        token: admin.personal_access_token("cli test").await,
        config: std::env::temp_dir().join(format!("swarmpress-cli-{}.json", uuid::Uuid::new_v4())),
    };

    let created = cli.ok(&[
        "rollout",
        "create",
        "--image",
        "swarmpress/wordpress:6.7",
        "--plan",
        "business",
        "--batch-size",
        "3",
        "--health-timeout",
        "2m",
        "--start-at",
        "2030-01-01T02:00:00Z",
        "--name",
        "wp-6-7",
    ]);
    assert!(
        created.starts_with("rollout/wp-6-7 created (id "),
        "{created}"
    );
    assert!(created.trim_end().ends_with("scheduled)"), "{created}");
    let stored = app.state.store.get_rollout_by_name("wp-6-7").await.unwrap();
    assert_eq!(stored.spec.health_timeout_seconds, 120);
    assert_eq!(stored.spec.batch_size, 3);
    assert_eq!(stored.spec.selector.plans, ["business"]);
    assert!(stored.spec.start_at.is_some());

    // Usage errors exit 2; refusals exit 1 naming the field.
    for args in [
        &["rollout", "create", "--image", "wordpress:6.7"][..],
        &[
            "rollout", "create", "--image", "wp", "--all", "--plan", "business",
        ],
        &[
            "rollout",
            "create",
            "--image",
            "wp",
            "--all",
            "--start-at",
            "tomorrow",
        ],
        &["rollout", "status", "../etc"],
    ] {
        let output = cli.run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            describe(&output)
        );
    }
    let output = cli.run(&["rollout", "create", "--image", "Bad/Image", "--all"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("  image: "),
        "{}",
        describe(&output)
    );

    let listed = cli.ok(&["rollout", "list"]);
    let header: Vec<&str> = listed.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["ID", "NAME", "IMAGE", "STATE", "PROGRESS", "AGE"]);
    assert!(
        listed
            .lines()
            .any(|l| l.contains("wp-6-7") && l.contains("scheduled")),
        "{listed}"
    );
    let status = cli.ok(&["rollout", "status", "wp-6-7"]);
    for expected in [
        "rollout/wp-6-7",
        "swarmpress/wordpress:6.7",
        "State:      scheduled",
        "batches of 3",
        "(not planned yet)",
    ] {
        assert!(status.contains(expected), "{status}");
    }

    assert_eq!(
        cli.ok(&["rollout", "pause", "wp-6-7"]).trim(),
        "rollout/wp-6-7 paused"
    );
    let output = cli.run(&["rollout", "pause", "wp-6-7"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("the rollout is paused"),
        "{}",
        describe(&output)
    );
    assert_eq!(
        cli.ok(&["rollout", "resume", stored.id.to_string().as_str()])
            .trim(),
        "rollout/wp-6-7 scheduled"
    );

    // kind: Rollout through apply.
    let example = examples().join("rollout.yaml");
    let example = example.to_str().unwrap();
    assert_eq!(
        cli.ok(&["apply", "-f", example, "--dry-run"]).trim(),
        "rollout/wordpress-6-7 created (dry run)"
    );
    assert_eq!(
        cli.ok(&["apply", "-f", example]).trim(),
        "rollout/wordpress-6-7 created"
    );
    assert_eq!(
        cli.ok(&["apply", "-f", example]).trim(),
        "rollout/wordpress-6-7 unchanged"
    );

    // status -w follows a rollout as the controller moves it, and ends with it.
    let id = app
        .state
        .store
        .get_rollout_by_name("wordpress-6-7")
        .await
        .unwrap()
        .id;
    let mut child = cli
        .command(&["rollout", "status", "wordpress-6-7", "-w"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut child);
    wait_for_line(&lines, Duration::from_secs(10), |l| {
        l.starts_with("Progress:")
    });
    let store = &app.state.store;
    let site = TenantName::parse("acme-news").unwrap();
    store
        .add_rollout_items(
            id,
            &[NewRolloutItem {
                tenant: site.clone(),
                from_image: None,
                to_image: "swarmpress/wordpress:6.7".to_owned(),
                batch: 0,
            }],
        )
        .await
        .unwrap();
    store
        .set_rollout_state(id, &[RolloutState::Scheduled], RolloutState::Running, None)
        .await
        .unwrap();
    wait_for_line(&lines, Duration::from_secs(10), |l| {
        l == "rollout/wordpress-6-7 scheduled -> running"
    });
    store
        .update_rollout_item(id, &site, RolloutItemState::Updating, None)
        .await
        .unwrap();
    wait_for_line(&lines, Duration::from_secs(10), |l| {
        l == "tenant/acme-news pending -> updating"
    });
    store
        .update_rollout_item(id, &site, RolloutItemState::Healthy, None)
        .await
        .unwrap();
    store
        .set_rollout_state(
            id,
            &[RolloutState::Running],
            RolloutState::Completed,
            Some("every tenant is on the new image"),
        )
        .await
        .unwrap();
    wait_for_line(&lines, Duration::from_secs(10), |l| {
        l.starts_with("acme-news") && l.contains("healthy")
    });
    assert_eq!(
        exit_code_within(&mut child, Duration::from_secs(10)),
        Some(0)
    );

    // An aborted rollout ends the follow with exit 1.
    let mut child = cli
        .command(&["rollout", "status", "wp-6-7", "--watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut child);
    wait_for_line(&lines, Duration::from_secs(10), |l| {
        l.starts_with("Progress:")
    });
    assert_eq!(
        cli.ok(&["rollout", "abort", "wp-6-7"]).trim(),
        "rollout/wp-6-7 aborted"
    );
    wait_for_line(&lines, Duration::from_secs(10), |l| {
        l.starts_with("rollout/wp-6-7 scheduled -> aborted")
    });
    assert_eq!(
        exit_code_within(&mut child, Duration::from_secs(10)),
        Some(1)
    );

    // Rollouts are for administrators.
    let (user_cli, _) = cli_for(&app, "erin@example.test").await;
    let output = user_cli.run(&["rollout", "list"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("administrators only"),
        "{}",
        describe(&output)
    );
}

/// `purge-cache` prints each replica's report and fails unless every replica purged (a
/// stand-in for the controller's leader finishes the action through the store).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_cache_reports_each_replica_and_fails_unless_all_purged() {
    use swarmpress_schema::resource::{ActionState, ReplicaReport};

    let Some(app) = spawn().await else { return };
    let (cli, client) = cli_for(&app, "carol@example.test").await;
    crate::tenants::create(&client, "carol-blog").await;
    let store = app.state.store.clone();
    let controller = tokio::spawn(async move {
        for ok in [true, false] {
            let action = loop {
                if let Some(action) = store.claim_tenant_action().await.unwrap() {
                    break action;
                }
                tokio::task::yield_now().await;
            };
            let reports = [
                ReplicaReport {
                    task: "aaaaaaaaaaaaaaaaaaaaaaaaa".to_owned(),
                    node: "node-1".to_owned(),
                    ok: true,
                    message: "object cache flushed, 0 transient row(s) deleted, opcache reset"
                        .to_owned(),
                },
                ReplicaReport {
                    task: "bbbbbbbbbbbbbbbbbbbbbbbbb".to_owned(),
                    node: "node-2".to_owned(),
                    ok,
                    message: if ok {
                        "purged".to_owned()
                    } else {
                        "not reached".to_owned()
                    },
                },
            ];
            let state = if ok {
                ActionState::Succeeded
            } else {
                ActionState::Failed
            };
            store
                .finish_tenant_action(action.id, state, &reports, None)
                .await
                .unwrap();
        }
    });
    // Blocking this worker: the API and the stand-in go on on the other.
    let purged = cli.ok(&["purge-cache", "carol-blog"]);
    assert!(
        purged.contains("aaaaaaaaaaaa on node-1: ok: object cache flushed"),
        "{purged}"
    );
    assert!(
        purged.contains("tenant/carol-blog cache purged"),
        "{purged}"
    );
    let failed = cli.run(&["purge-cache", "carol-blog"]);
    assert_eq!(failed.status.code(), Some(1), "{}", describe(&failed));
    assert!(
        String::from_utf8_lossy(&failed.stdout)
            .contains("bbbbbbbbbbbb on node-2: FAILED: not reached")
    );
    assert!(String::from_utf8_lossy(&failed.stderr).contains("not purged everywhere"));
    controller.await.unwrap();
}

/// `usage` prints storage and traffic against the plan (Business, as `cli_for` sets), and
/// `--measure` asks the controller
/// first (the stand-in here records a measurement and finishes the action).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_prints_storage_and_traffic_against_the_plan() {
    use swarmpress_schema::resource::{ActionState, MeasuredStorage};

    let Some(app) = spawn().await else { return };
    let (cli, client) = cli_for(&app, "dave@example.test").await;
    crate::tenants::create(&client, "dave-blog").await;
    let store = app.state.store.clone();
    let controller = tokio::spawn(async move {
        let action = loop {
            if let Some(action) = store.claim_tenant_action().await.unwrap() {
                break action;
            }
            tokio::task::yield_now().await;
        };
        let name = swarmpress_schema::TenantName::parse(action.tenant.clone()).unwrap();
        let tenant = store.get_tenant(&name).await.unwrap();
        let measured = MeasuredStorage {
            volume_bytes: 90 << 30,
            database_bytes: 2 << 20,
            bucket_bytes: 0,
            measured_at: Some(swarmpress_schema::store::now()),
        };
        store.record_storage(&tenant, measured).await.unwrap();
        store
            .add_bandwidth(
                tenant.metadata.uid,
                3 << 20,
                swarmpress_schema::store::now(),
            )
            .await
            .unwrap();
        store
            .finish_tenant_action(action.id, ActionState::Succeeded, &[], None)
            .await
            .unwrap();
    });
    let before = cli.ok(&["usage", "dave-blog"]);
    assert!(before.contains("measured never yet"), "{before}");
    let measured = cli.ok(&["usage", "dave-blog", "--measure"]);
    controller.await.unwrap();
    assert!(
        measured.contains("storage    90.0 GiB of 100.0 GiB (90 %)  (close to the allocation)"),
        "{measured}"
    );
    assert!(
        measured.contains("traffic    3.0 MiB of 1000.0 GiB"),
        "{measured}"
    );
    let missing = cli.run(&["usage", "nobody-here"]);
    assert_eq!(missing.status.code(), Some(1), "{}", describe(&missing));
}

//! The tenant image's promises, checked on sites asked of the API: replicas starting together
//! install once, a restarted site keeps its content and uploads, and a path prefix is honoured
//! end to end (Traefik rule, Apache alias, WordPress URLs). What WordPress holds is read
//! through its own public REST API; Docker shows the tasks and gives the upload's volume.
// A test crate: its helpers fail the test the same way its assertions do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use swarmpress_e2e::{Api, Platform, ScratchTenant, html_title};

const SITE_TIMEOUT: Duration = Duration::from_secs(180);
const POLL: Duration = Duration::from_millis(250);

/// `X-WP-Total` of a WordPress REST collection (`posts`, `users`, …): how many there are.
async fn rest_total(client: &reqwest::Client, tenant: &ScratchTenant, collection: &str) -> u64 {
    let response = client
        .get(format!(
            "{}/?rest_route=/wp/v2/{collection}",
            tenant.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "REST {collection}");
    response
        .headers()
        .get("x-wp-total")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("X-WP-Total")
}

async fn wait_for_home(client: &reqwest::Client, tenant: &ScratchTenant, path: &str) -> String {
    let title = tenant.title().to_owned();
    tenant
        .wait_for_page(client, path, POLL, SITE_TIMEOUT, |body| {
            html_title(body).is_some_and(|t| t.contains(&title))
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_starting_together_install_once() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    // Two replicas need a plan that allows them.
    let api = Api::user(platform.config.edge_addr, "twin", "starter")
        .await
        .unwrap();
    let tenant = ScratchTenant::create(&platform, &api, "twin", |spec| {
        spec["replicas"] = json!(2);
    })
    .await
    .unwrap();
    let client = tenant.http_client().unwrap();
    wait_for_home(&client, &tenant, "/").await;
    // Both replicas got past the install step: each one's own Apache answers the readiness
    // endpoint (database reachable, site installed), asked inside its container.
    let deadline = Instant::now() + SITE_TIMEOUT;
    loop {
        let containers = platform.running_containers(tenant.name()).await.unwrap();
        let answering = containers
            .iter()
            .filter(|container| {
                std::process::Command::new("docker")
                    .args(["exec", "-u", "www-data", container.as_str()])
                    .args(["curl", "-fsS", "http://127.0.0.1/.swarmpress/health"])
                    .output()
                    .is_ok_and(|output| output.status.success())
            })
            .count();
        if answering >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{answering} of the 2 replicas answer"
        );
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(
        rest_total(&client, &tenant, "posts").await,
        1,
        "exactly one sample post: the site was installed once"
    );
    assert_eq!(
        rest_total(&client, &tenant, "users").await,
        1,
        "exactly one admin user"
    );
    tenant.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_site_keeps_its_content_and_uploads() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let api = Api::user(platform.config.edge_addr, "restart", "free")
        .await
        .unwrap();
    let tenant = ScratchTenant::create(&platform, &api, "restart", |_| {})
        .await
        .unwrap();
    let client = tenant.http_client().unwrap();
    wait_for_home(&client, &tenant, "/").await;

    // An upload, written where WordPress keeps them: the tenant's volume, seen from the host.
    let volume = platform
        .docker
        .inspect_volume(&tenant.name().volume_name())
        .await
        .unwrap();
    let uploads = std::path::Path::new(&volume.mountpoint).join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    std::fs::write(uploads.join("probe.txt"), "kept across restarts\n").unwrap();

    // Restart as a user does; the site's container is replaced.
    let first = running_container(&platform, &tenant).await;
    api.act(tenant.name().as_str(), "restart").await.unwrap();
    let deadline = Instant::now() + SITE_TIMEOUT;
    loop {
        let now = running_container(&platform, &tenant).await;
        if now.is_some() && now != first {
            break;
        }
        assert!(Instant::now() < deadline, "restart never happened");
        tokio::time::sleep(POLL).await;
    }
    let home = wait_for_home(&client, &tenant, "/").await;
    assert!(home.contains("Hello world!"), "the sample post survived");
    let upload = client
        .get(format!(
            "{}/wp-content/uploads/probe.txt",
            tenant.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::OK);
    assert_eq!(upload.text().await.unwrap(), "kept across restarts\n");
    assert_eq!(
        rest_total(&client, &tenant, "posts").await,
        1,
        "the restart did not install again"
    );
    tenant.cleanup().await.unwrap();
}

/// The container of the site's one running task, if it has one.
async fn running_container(platform: &Platform, tenant: &ScratchTenant) -> Option<String> {
    let containers = platform.running_containers(tenant.name()).await.unwrap();
    containers.into_iter().next()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_under_a_path_prefix_is_served_and_linked_there() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let api = Api::user(platform.config.edge_addr, "prefix", "free")
        .await
        .unwrap();
    let tenant = ScratchTenant::create(&platform, &api, "prefix", |spec| {
        spec["pathPrefix"] = json!("/blog");
    })
    .await
    .unwrap();
    let client = tenant.http_client().unwrap();
    let home = wait_for_home(&client, &tenant, "/blog/").await;
    let base = tenant.base_url();
    assert!(
        home.contains(&format!("{base}/blog/")),
        "links point under the prefix"
    );
    assert!(
        !home.contains(&format!("\"{base}/wp-")),
        "no asset is linked outside the prefix"
    );

    // Assets under the prefix are served; outside the prefix Traefik has no route.
    let login = client
        .get(format!("{base}/blog/wp-login.php"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let outside = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
    tenant.cleanup().await.unwrap();
}

/// The tenant image's WordPress image, as the platform's controller deploys it.
fn wordpress_image() -> String {
    let env = docker(&[
        "service",
        "inspect",
        "swarmpress_controller",
        "--format",
        "{{range .Spec.TaskTemplate.ContainerSpec.Env}}{{println .}}{{end}}",
    ]);
    env.lines()
        .find_map(|line| line.strip_prefix("SWARMPRESS_WORDPRESS_IMAGE="))
        .expect("the controller names the WordPress image")
        .to_owned()
}

fn docker(args: &[&str]) -> String {
    let output = std::process::Command::new("docker")
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "docker {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Liveness without an engine health check: `serve.sh` asks Apache and PHP itself, leaves an
/// answering site alone, and when Apache hangs (here: every Apache process stopped) ends the
/// task with a failure — even though a hung Apache never acts on TERM — so Swarm replaces it.
/// Run as the image's serve step alone, with the watch's interval, timeout and misses short.
#[tokio::test]
async fn the_liveness_watch_ends_a_site_whose_apache_hangs() {
    if Platform::connect_or_skip().await.is_none() {
        return;
    }
    // What the entrypoint prepares as root (an empty site configuration: no path prefix),
    // so that serve.sh runs as www-data as it does in a task.
    let site_conf =
        std::env::temp_dir().join(format!("swarmpress-site-{}.conf", std::process::id()));
    std::fs::write(&site_conf, "").unwrap();
    let conf_mount = format!(
        "{}:/etc/apache2/swarmpress-site.conf:ro",
        site_conf.display()
    );
    let container = docker(&[
        "run",
        "-d",
        "--user",
        "www-data",
        "-v",
        &conf_mount,
        "--tmpfs",
        "/var/run/apache2:uid=33,gid=33",
        "--tmpfs",
        "/var/lock/apache2:uid=33,gid=33",
        "--sysctl",
        "net.ipv4.ip_unprivileged_port_start=0",
        "-e",
        "WORDPRESS_URL=http://liveness.localhost",
        "-e",
        "SWARMPRESS_LIVENESS_SECONDS=1",
        "-e",
        "SWARMPRESS_LIVENESS_TIMEOUT=5",
        "-e",
        "SWARMPRESS_LIVENESS_FAILURES=2",
        "-e",
        "SWARMPRESS_DRAIN_SECONDS=0",
        "--entrypoint",
        "/usr/local/bin/swarmpress-serve",
        &wordpress_image(),
    ]);
    let outcome = async {
        let answers = || {
            std::process::Command::new("docker")
                .args(["exec", &container, "curl", "-fsS"])
                .arg("http://127.0.0.1/.swarmpress/health?live=1")
                .output()
                .is_ok_and(|output| output.status.success())
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !answers() {
            assert!(Instant::now() < deadline, "Apache never answered");
            tokio::time::sleep(POLL).await;
        }
        let logs = |container: &str| {
            let output = std::process::Command::new("docker")
                .args(["logs", container])
                .output()
                .unwrap();
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        };
        // Four probe intervals while Apache answers (the probes are left out of its access
        // log): the watch leaves an answering Apache alone.
        let serving_until = Instant::now() + Duration::from_secs(4);
        while Instant::now() < serving_until {
            assert!(
                answers(),
                "Apache stopped while answering: {}",
                logs(&container)
            );
            tokio::time::sleep(POLL).await;
        }
        assert!(
            !logs(&container).contains("liveness probe failed"),
            "{}",
            logs(&container)
        );

        docker(&[
            "exec", "-u", "root", &container, "pkill", "-STOP", "apache2",
        ]);
        // Bounded: a watch that never ends the task fails the test instead of hanging it.
        let waited = std::process::Command::new("timeout")
            .args(["60", "docker", "wait", &container])
            .output()
            .unwrap();
        assert!(waited.status.success(), "the task did not end: {waited:?}");
        let exit = String::from_utf8_lossy(&waited.stdout).trim().to_owned();
        assert_ne!(
            exit, "0",
            "the task ends with a failure, so Swarm replaces it"
        );
        let logs = logs(&container);
        assert!(logs.contains("Apache stopped answering"), "{logs}");
    }
    .await;
    let _ = std::process::Command::new("docker")
        .args(["rm", "-f", &container])
        .output();
    let _ = std::fs::remove_file(&site_conf);
    outcome
}

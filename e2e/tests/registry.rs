//! The platform's image registry (issue 19): every service of the stack names its image by
//! the registry's address and the registry holds it, and a node that does not have an image
//! pulls it from there — the way a second node gets the platform's and tenants' images.
// A test crate: its helpers fail the test the same way its assertions do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use swarmpress_e2e::{Platform, random_lowercase};

const MANIFEST_TYPES: &str = "application/vnd.docker.distribution.manifest.v2+json, \
                              application/vnd.oci.image.manifest.v1+json";

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn registry() -> String {
    let port = std::env::var("SWARMPRESS_REGISTRY_PORT").unwrap_or_else(|_| "5000".to_owned());
    format!("127.0.0.1:{port}")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// `registry/repository:tag` split into repository and tag.
fn repository_and_tag<'a>(image: &'a str, registry: &str) -> Option<(&'a str, &'a str)> {
    let rest = image.strip_prefix(registry)?.strip_prefix('/')?;
    rest.rsplit_once(':')
}

#[tokio::test]
async fn every_platform_service_runs_an_image_the_registry_holds() {
    if Platform::connect_or_skip().await.is_none() {
        return;
    }
    let registry = registry();
    let services = docker(&[
        "service",
        "ls",
        "--filter",
        "label=com.docker.stack.namespace=swarmpress",
        "--format",
        "{{.Name}} {{.Image}}",
    ]);
    let mut checked = Vec::new();
    for line in services.lines() {
        let (service, image) = line.split_once(' ').unwrap();
        let (repository, tag) = repository_and_tag(image, &registry)
            .unwrap_or_else(|| panic!("{service} runs {image}, not an image of {registry}"));
        let response = http()
            .head(format!("http://{registry}/v2/{repository}/manifests/{tag}"))
            .header(reqwest::header::ACCEPT, MANIFEST_TYPES)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "the registry does not hold {image} ({service}): {}",
            response.status()
        );
        checked.push(service.to_owned());
    }
    for expected in ["mariadb", "s3", "registry", "traefik", "api", "controller"] {
        assert!(
            checked
                .iter()
                .any(|s| s == &format!("swarmpress_{expected}")),
            "{expected} missing from {checked:?}"
        );
    }
    // The controller gives a site that names no image the registry's WordPress image.
    let controller_env = docker(&[
        "service",
        "inspect",
        "swarmpress_controller",
        "-f",
        "{{range .Spec.TaskTemplate.ContainerSpec.Env}}{{println .}}{{end}}",
    ]);
    let wordpress = controller_env
        .lines()
        .find_map(|l| l.strip_prefix("SWARMPRESS_WORDPRESS_IMAGE="))
        .expect("the controller's WordPress image");
    assert!(
        repository_and_tag(wordpress, &registry).is_some(),
        "the tenants' image {wordpress} is not named by the registry"
    );
}

/// An image the engine does not have, only the registry: a service naming it runs, which it
/// can only if the node pulled it.
#[tokio::test]
async fn a_node_without_an_image_pulls_it_from_the_registry() {
    if Platform::connect_or_skip().await.is_none() {
        return;
    }
    let registry = registry();
    let suffix = random_lowercase(8).unwrap();
    let image = format!("{registry}/swarmpress/pull-test:{suffix}");
    let service = format!("swarmpress-pull-test-{suffix}");
    // Any small platform image will do; it is pushed under a tag of its own.
    let source = docker(&[
        "service",
        "inspect",
        "swarmpress_registry",
        "-f",
        "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
    ]);
    docker(&["tag", &source, &image]);
    docker(&["push", "-q", &image]);
    docker(&["image", "rm", &image]);
    assert!(
        !Command::new("docker")
            .args(["image", "inspect", &image])
            .output()
            .unwrap()
            .status
            .success(),
        "the engine still has {image}"
    );

    docker(&[
        "service",
        "create",
        "-d",
        "--name",
        &service,
        "--restart-condition",
        "none",
        // As the stack is deployed: the node resolves the tag itself, when the task starts.
        "--no-resolve-image",
        "--entrypoint",
        "/bin/true",
        &image,
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let state = loop {
        let state = docker(&[
            "service",
            "ps",
            &service,
            "--format",
            "{{.CurrentState}}|{{.Error}}",
        ]);
        if state.starts_with("Complete")
            || state.starts_with("Failed")
            || state.starts_with("Rejected")
        {
            break state;
        }
        assert!(Instant::now() < deadline, "the task never ended: {state}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    docker(&["service", "rm", &service]);
    assert!(
        state.starts_with("Complete"),
        "the task did not run: {state}"
    );
    // The engine has it now, pulled by the node.
    docker(&["image", "inspect", &image]);

    // The test's tag leaves the registry again (by digest, as the registry's API deletes).
    let response = http()
        .head(format!(
            "http://{registry}/v2/swarmpress/pull-test/manifests/{suffix}"
        ))
        .header(reqwest::header::ACCEPT, MANIFEST_TYPES)
        .send()
        .await
        .unwrap();
    let digest = response
        .headers()
        .get("docker-content-digest")
        .and_then(|d| d.to_str().ok())
        .expect("the manifest's digest")
        .to_owned();
    let deleted = http()
        .delete(format!(
            "http://{registry}/v2/swarmpress/pull-test/manifests/{digest}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), reqwest::StatusCode::ACCEPTED);
    docker(&["image", "rm", &image]);
}

//! A rebuild pulls the image anew and runs it by digest, against a real registry (Debian's
//! `docker-registry`, the Docker Distribution registry, on loopback, which the engine trusts
//! without TLS): a new image pushed under the same tag is what the rebuilt service names;
//! reconciles between rebuilds keep the pinned digest; a local tag, with no registry to pull
//! from, is redeployed as it is.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::memory_store::{MemoryStore, spec};
use swarmpress_controller::reconcile::{Context, reconcile};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::TenantState;

const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";
/// What the test images are built from: the platform's debootstrap base (`scripts/up`).
const BASE_IMAGE: &str = "debian:bookworm-slim";

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker").args(args).output().unwrap();
    assert!(output.status.success(), "docker {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A registry process of the test's own, on a free loopback port, with its data in a
/// temporary directory; both go when it is dropped.
struct Registry {
    child: Child,
    dir: PathBuf,
    address: String,
}

impl Registry {
    async fn start() -> Option<Self> {
        if !std::path::Path::new(REGISTRY_BINARY).exists() {
            assert!(
                !swarmpress_testkit::platform_required(),
                "{REGISTRY_BINARY} is missing (Debian's docker-registry, installed by scripts/up)"
            );
            eprintln!("SKIPPED: {REGISTRY_BINARY} is missing");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let dir = std::env::temp_dir().join(format!("swarmpress-registry-{port}"));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {address}\n",
                dir.join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new(REGISTRY_BINARY)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let registry = Self {
            child,
            dir,
            address,
        };
        let url = format!("http://{}/v2/", registry.address);
        common::eventually("the registry to answer", Duration::from_secs(20), || {
            let url = url.clone();
            async move {
                let answer = reqwest::Client::builder()
                    .no_proxy()
                    .build()
                    .ok()?
                    .get(&url)
                    .send()
                    .await
                    .ok()?;
                answer.status().is_success().then_some(())
            }
        })
        .await;
        Some(registry)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Builds `reference` from the base with a label of its own (so each build is a new image)
/// and pushes it: its registry digest.
fn build_and_push(reference: &str, version: &str) -> String {
    let dockerfile = dir_with_dockerfile(&format!(
        "FROM {BASE_IMAGE}\nLABEL swarmpress.test.version={version}\n"
    ));
    docker(&["build", "-q", "-t", reference, dockerfile.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dockerfile);
    docker(&["push", "-q", reference]);
    let repo_digest = docker(&[
        "image",
        "inspect",
        "--format",
        "{{index .RepoDigests 0}}",
        reference,
    ]);
    repo_digest
        .split_once('@')
        .map(|(_, digest)| digest.to_owned())
        .unwrap()
}

fn dir_with_dockerfile(content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "swarmpress-build-{}",
        swarmpress_testkit::unique_name("b")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Dockerfile"), content).unwrap();
    dir
}

async fn service_image(ctx: &Context<MemoryStore>, tenant: &TenantName) -> String {
    ctx.swarm
        .inspect_service(&tenant.service_name())
        .await
        .unwrap()
        .and_then(|s| s.spec)
        .and_then(|s| s.task_template)
        .and_then(|t| t.container_spec)
        .and_then(|c| c.image)
        .unwrap()
}

async fn finalize(ctx: Arc<Context<MemoryStore>>, tenant: TenantName) {
    if ctx.store.get(&tenant).is_some() {
        ctx.store.mark_deleted(&tenant);
        let record = ctx.store.get(&tenant).unwrap();
        if let Err(error) = reconcile(Arc::new(record), Arc::clone(&ctx)).await {
            eprintln!("cleanup of {tenant} failed: {error}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_pulls_the_image_anew_and_names_it_by_digest() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let Some(registry) = Registry::start().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    let tenant = common::unique_tenant("itrebuild");
    let reference = format!("{}/swarmpress-test/{tenant}:latest", registry.address);
    let body_ctx = Arc::clone(&ctx);
    let body_tenant = tenant.clone();
    let body_reference = reference.clone();
    common::with_cleanup(
        async move {
            let (ctx, tenant, reference) = (body_ctx, body_tenant, body_reference);
            let first = build_and_push(&reference, "one");
            // Stopped: the service is written (with no task to start), which is all a rebuild
            // changes.
            let mut wanted = spec("Rebuilt");
            wanted.image = Some(reference.clone());
            wanted.state = TenantState::Stopped;
            let created = store.create(&tenant, wanted, "admin-password-1");
            reconcile(Arc::new(created), Arc::clone(&ctx))
                .await
                .unwrap();
            assert_eq!(
                service_image(&ctx, &tenant).await,
                reference,
                "without a rebuild the tag is deployed as it is"
            );

            store.update_spec(&tenant, |spec| spec.rebuild_nonce = Some("r1".to_owned()));
            reconcile(Arc::new(store.get(&tenant).unwrap()), Arc::clone(&ctx))
                .await
                .unwrap();
            assert_eq!(
                service_image(&ctx, &tenant).await,
                format!("{reference}@{first}"),
                "the rebuild pulled the tag and named it by digest"
            );

            // The registry's tag moves on; nothing follows it until the next rebuild.
            let second = build_and_push(&reference, "two");
            assert_ne!(first, second);
            ctx.desired.forget(&tenant);
            reconcile(Arc::new(store.get(&tenant).unwrap()), Arc::clone(&ctx))
                .await
                .unwrap();
            assert_eq!(
                service_image(&ctx, &tenant).await,
                format!("{reference}@{first}"),
                "a reconcile between rebuilds keeps the pinned digest"
            );
            store.update_spec(&tenant, |spec| spec.rebuild_nonce = Some("r2".to_owned()));
            reconcile(Arc::new(store.get(&tenant).unwrap()), Arc::clone(&ctx))
                .await
                .unwrap();
            assert_eq!(
                service_image(&ctx, &tenant).await,
                format!("{reference}@{second}"),
                "the next rebuild pulled what the registry has now"
            );

            // A local tag has no registry to be pulled from: deployed as it is.
            store.update_spec(&tenant, |spec| {
                spec.image = Some(BASE_IMAGE.to_owned());
                spec.rebuild_nonce = Some("r3".to_owned());
            });
            reconcile(Arc::new(store.get(&tenant).unwrap()), Arc::clone(&ctx))
                .await
                .unwrap();
            assert_eq!(service_image(&ctx, &tenant).await, BASE_IMAGE);
        },
        finalize(Arc::clone(&ctx), tenant.clone()),
    )
    .await;
    let _ = Command::new("docker")
        .args(["image", "rm", "-f", &reference])
        .output();
    drop(registry);
}

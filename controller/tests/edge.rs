//! The edge's routing table against the real engine and MariaDB: the publisher routes a
//! site's running tasks at their real addresses on the edge network (and stops when they are
//! gone), and the stored table is served as stored — the last one read when the store cannot
//! answer.

// A test crate: its helpers fail the test the way its assertions do.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use swarmpress_controller::edge::{StoredRoutes, publisher_task};
use swarmpress_controller::store::memory::MemoryStore;
use swarmpress_schema::store::Store;
use tokio_util::sync::CancellationToken;

use common::{eventually, platform, unique_tenant};

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker").args(args).output().unwrap();
    assert!(output.status.success(), "docker {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The servers the published table gives `router`, sorted; `None` without such a router.
fn servers(store: &MemoryStore, router: &str) -> Option<Vec<String>> {
    let (_, config) = store.edge_routes()?;
    let config: Value = serde_json::from_str(&config).unwrap();
    config["http"]["routers"].get(router)?;
    let mut urls: Vec<String> = config["http"]["services"][router]["loadBalancer"]["servers"]
        .as_array()?
        .iter()
        .map(|server| server["url"].as_str().unwrap().to_owned())
        .collect();
    urls.sort();
    Some(urls)
}

/// The edge addresses of the service's running containers, as the engine gives them.
fn task_urls(service: &str) -> Vec<String> {
    let filter = format!("label=com.docker.swarm.service.name={service}");
    let ids = docker(&["ps", "-q", "--filter", &filter]);
    let mut urls: Vec<String> = ids
        .lines()
        .map(|id| {
            let ip = docker(&[
                "inspect",
                "-f",
                r#"{{(index .NetworkSettings.Networks "swarmpress_edge").IPAddress}}"#,
                id,
            ]);
            format!("http://{ip}:80")
        })
        .collect();
    urls.sort();
    urls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_tasks_are_routed_at_their_edge_addresses() {
    let Some(platform) = platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    let tenant = unique_tenant("edge");
    let service = tenant.service_name();
    let router = format!("wp-{tenant}");
    let term = CancellationToken::new();
    let publisher = tokio::spawn(publisher_task(ctx.clone()).run_term(term.clone()));

    // A tenant's service as Swarm runs it: labelled with the tenant and its route.
    let rule = format!("swarmpress.edge.rule=Host(`{tenant}.localhost`)");
    let owner = format!("swarmpress.tenant={tenant}");
    docker(&[
        "service",
        "create",
        "--detach",
        "--name",
        &service,
        "--label",
        &owner,
        "--label",
        &rule,
        "--network",
        "swarmpress_edge",
        "--endpoint-mode",
        "dnsrr",
        "--stop-signal",
        "SIGKILL",
        "debian:bookworm-slim",
        "sleep",
        "infinity",
    ]);
    let outcome = async {
        // What the controller's event handler does for the service's events.
        ctx.observer.invalidate();
        let routed = eventually("the task routed", Duration::from_secs(60), || {
            let found = servers(&store, &router).filter(|s| s.len() == 1);
            async move { found }
        })
        .await;
        assert_eq!(
            routed,
            task_urls(&service),
            "routed at the task's edge address"
        );
        let (_, config) = store.edge_routes().unwrap();
        let config: Value = serde_json::from_str(&config).unwrap();
        assert_eq!(
            config["http"]["routers"][&router]["rule"],
            format!("Host(`{tenant}.localhost`)")
        );

        docker(&["service", "scale", "--detach", &format!("{service}=2")]);
        ctx.observer.invalidate();
        let both = eventually("both tasks routed", Duration::from_secs(60), || {
            let found = servers(&store, &router).filter(|s| s.len() == 2);
            async move { found }
        })
        .await;
        assert_eq!(both, task_urls(&service));

        docker(&["service", "rm", &service]);
        ctx.observer.invalidate();
        eventually("the route gone", Duration::from_secs(60), || {
            let gone = servers(&store, &router).is_none();
            async move { gone.then_some(()) }
        })
        .await;
    }
    .await;
    term.cancel();
    publisher.await.unwrap();
    let _ = Command::new("docker")
        .args(["service", "rm", &service])
        .output();
    outcome
}

#[tokio::test]
async fn the_stored_table_is_served_and_outlives_a_store_that_cannot_answer() {
    if platform().await.is_none() {
        return;
    }
    let database = common::TestDatabase::create().await.unwrap();
    let store = Store::connect(&database.url()).await.unwrap();
    store.migrate().await.unwrap();
    let routes = StoredRoutes::new(store.clone());

    let empty: Value = serde_json::from_str(&routes.current().await.unwrap()).unwrap();
    assert!(empty["http"].get("routers").is_none(), "{empty}");
    assert!(
        empty["http"]["middlewares"].is_object(),
        "Traefik refuses an empty http"
    );

    store
        .put_edge_routes("d1", r#"{"http":{"first":1}}"#)
        .await
        .unwrap();
    assert_eq!(routes.current().await.unwrap(), r#"{"http":{"first":1}}"#);
    store
        .put_edge_routes("d2", r#"{"http":{"second":2}}"#)
        .await
        .unwrap();
    assert_eq!(routes.current().await.unwrap(), r#"{"http":{"second":2}}"#);
    // The same digest again writes nothing new.
    store
        .put_edge_routes("d2", r#"{"http":{"ignored":3}}"#)
        .await
        .unwrap();
    assert_eq!(routes.current().await.unwrap(), r#"{"http":{"second":2}}"#);

    // The store stops answering: the replica that read a table keeps serving it, one that
    // never did has nothing to serve.
    use sea_orm::ConnectionTrait as _;
    store
        .connection()
        .execute_unprepared("DROP TABLE edge_routes")
        .await
        .unwrap();
    assert_eq!(routes.current().await.unwrap(), r#"{"http":{"second":2}}"#);
    assert!(StoredRoutes::new(store).current().await.is_err());
}

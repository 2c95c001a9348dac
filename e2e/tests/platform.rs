//! The whole platform as its users meet it: the API behind Traefik records desired state, the
//! deployed controller converges Swarm, MariaDB and S3 to it, and the site answers through the
//! edge. Only the public HTTP contract is used (plus Docker, to check nothing is left behind).
// A test crate: its helpers fail the test the same way its assertions do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::{Value, json};
use swarmpress_e2e::{Platform, html_title, random_lowercase};

const CONVERGE_TIMEOUT: Duration = Duration::from_secs(180);

/// A signed-in user of the API at the edge (`http://localhost:<edge port>/api/v1`).
struct ApiUser {
    http: reqwest::Client,
    base: String,
    cookies: String,
}

impl ApiUser {
    /// Registers a new user; the API answers with its session cookies.
    async fn register(platform: &Platform) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let base = format!(
            "http://localhost:{}/api/v1",
            platform.config.edge_addr.port()
        );
        let email = format!("e2e-{}@example.test", random_lowercase(8).unwrap());
        let response = http
            .post(format!("{base}/auth/register"))
            .json(
                &json!({"email": email, "password": "correct horse battery staple", "name": "E2E"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "register");
        let cookies = swarmpress_e2e::api::session_cookies(&response);
        assert!(
            cookies.contains("__Host-access_token="),
            "session cookies: {cookies}"
        );
        Self {
            http,
            base,
            cookies,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header(COOKIE, &self.cookies)
            .header("X-Requested-With", "swarmpress")
    }

    async fn get_tenant(&self, name: &str) -> (StatusCode, Value) {
        let response = self
            .request(reqwest::Method::GET, &format!("/tenants/{name}"))
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Polls the tenant until `accept` holds for it; returns it.
    async fn wait_for(&self, name: &str, what: &str, accept: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let (status, tenant) = self.get_tenant(name).await;
            if status == StatusCode::OK && accept(&tenant) {
                return tenant;
            }
            assert!(
                started.elapsed() < CONVERGE_TIMEOUT,
                "{name} never became {what}; last: {status} {tenant}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

fn condition_true(tenant: &Value, kind: &str) -> bool {
    tenant["status"]["conditions"]
        .as_array()
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c["type"] == kind && c["status"] == "True")
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_asked_of_the_api_is_converged_served_scaled_and_deleted() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let user = ApiUser::register(&platform).await;
    let name = format!("e2e-{}", random_lowercase(8).unwrap());
    let title = format!("E2E {name}");

    let response = user
        .request(reqwest::Method::POST, "/tenants")
        .json(&json!({
            "metadata": {"name": name, "labels": {"suite": "e2e"}},
            "spec": {"displayName": title, "region": "eu-west",
                     "admin": {"user": "admin", "email": "admin@example.test"}}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let admin_password = created["adminPassword"].as_str().unwrap().to_owned();
    assert_eq!(admin_password.len(), 20);

    // The controller converges it: Running and Available at the generation we wrote.
    let tenant = user
        .wait_for(&name, "Running and Available", |t| {
            t["status"]["phase"] == "Running"
                && condition_true(t, "Available")
                && t["status"]["observedGeneration"] == t["metadata"]["generation"]
        })
        .await;
    assert!(
        !tenant.to_string().contains(&admin_password),
        "the admin password is never shown again"
    );
    assert!(
        tenant["status"]["nodes"].as_array().is_some_and(
            |nodes| nodes.len() == 1 && nodes[0].as_str().is_some_and(|n| !n.is_empty())
        ),
        "the status names the node its task runs on: {}",
        tenant["status"]
    );
    let url = tenant["status"]["url"].as_str().unwrap().to_owned();
    assert_eq!(
        url,
        format!(
            "http://{name}.localhost:{}/",
            platform.config.edge_addr.port()
        )
    );

    // The site answers through the edge with the title that was asked for.
    let site = reqwest::Client::builder()
        .resolve(&format!("{name}.localhost"), platform.config.edge_addr)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    // Available means the task is healthy; the edge learns the route on its next poll (1 s).
    let started = Instant::now();
    let home = loop {
        let response = site.get(&url).send().await.unwrap();
        if response.status() == StatusCode::OK || started.elapsed() > Duration::from_secs(10) {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(home.status(), StatusCode::OK);
    let body = home.text().await.unwrap();
    assert!(
        html_title(&body).is_some_and(|t| t.contains(&title)),
        "home page title of {url}"
    );

    // The free plan allows one replica per site: scaling past it is refused, nothing written.
    let refused = user
        .request(reqwest::Method::POST, &format!("/tenants/{name}/scale"))
        .json(&json!({"replicas": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );

    // Stop: the desired state goes to Stopped and Swarm runs no task of it.
    let stopped = user
        .request(reqwest::Method::POST, &format!("/tenants/{name}/stop"))
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), StatusCode::ACCEPTED);
    user.wait_for(&name, "Stopped", |t| t["status"]["phase"] == "Stopped")
        .await;
    let service = platform
        .docker
        .inspect_service(&format!("wp_{name}"), None)
        .await
        .unwrap();
    let replicas = service
        .spec
        .and_then(|s| s.mode)
        .and_then(|m| m.replicated)
        .and_then(|r| r.replicas);
    assert_eq!(replicas, Some(0));

    // Delete: 202, then the record goes once the controller has removed everything.
    let deleted = user
        .request(reqwest::Method::DELETE, &format!("/tenants/{name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::ACCEPTED);
    let started = Instant::now();
    while user.get_tenant(&name).await.0 != StatusCode::NOT_FOUND {
        assert!(
            started.elapsed() < CONVERGE_TIMEOUT,
            "{name} was never finalized"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let tenant_name = swarmpress_schema::TenantName::parse(name.clone()).unwrap();
    assert!(!platform.service_exists(&tenant_name).await.unwrap());
    assert!(!platform.database_exists(&tenant_name).await.unwrap());
    assert!(!platform.database_user_exists(&tenant_name).await.unwrap());
}

/// The regions the platform offers, each with the nodes that carry it: on the single-node
/// platform every configured region is on its one node. Only for signed-in users.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regions_are_listed_with_their_nodes() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let user = ApiUser::register(&platform).await;
    let response = user
        .request(reqwest::Method::GET, "/regions")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let regions: Value = response.json().await.unwrap();
    let items = regions["items"].as_array().unwrap();
    for name in ["eu-west", "us-east", "ap-south"] {
        let region = items
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {regions}"));
        assert_eq!(region["offered"], true, "{region}");
        assert!(region["nodes"].as_u64().is_some_and(|n| n >= 1), "{region}");
        assert!(
            region["activeNodes"].as_u64().is_some_and(|n| n >= 1),
            "{region}"
        );
    }
    let anonymous = user
        .http
        .get(format!("{}/regions", user.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

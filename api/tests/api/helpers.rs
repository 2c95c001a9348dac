//! The harness: each test gets its own database `swarmpress_test_<uuid>` on the platform's
//! MariaDB and its own server on a free port, in-process. The database is dropped when the
//! [`TestApp`] goes, whether the test passed or not.

use std::net::SocketAddr;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use secrecy::SecretString;
use serde_json::{Value, json};
use swarmpress_api::config::{AdminBootstrap, Config, DatabaseConfig, LogFormat};
use swarmpress_api::{AppState, BoundServer};
use swarmpress_testkit::{ScratchDatabase, mariadb_addr, require, root_password};

pub const ADMIN_EMAIL: &str = "admin@swarmpress.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const CSRF_HEADER: &str = "x-requested-with";

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    // Last: the server stops (above) before its database goes (a replica has none).
    _database: Option<ScratchDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts a server on a fresh database, or returns `None` (after saying why) when the
/// platform's MariaDB is unreachable and `SWARMPRESS_REQUIRE_PLATFORM` is not set.
pub async fn spawn() -> Option<TestApp> {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let database = require(ScratchDatabase::create().await, "the platform's MariaDB")?;
    let mut config = config_for(database.name());
    adjust(&mut config);
    Some(serve(config, Some(database)).await)
}

impl TestApp {
    /// A second API process on this app's database, as another replica behind the edge.
    pub async fn replica(&self) -> TestApp {
        serve(config_for(&self.state.config.database.name), None).await
    }
}

fn config_for(database: &str) -> Config {
    let root_password = root_password().expect("the MariaDB root password");
    let (host, port) = mariadb_addr()
        .rsplit_once(':')
        .map(|(host, port)| (host.to_owned(), port.parse().expect("MariaDB port")))
        .expect("MariaDB address host:port");
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: DatabaseConfig {
            host,
            port,
            name: database.to_owned(),
            user: "root".to_owned(),
            password: SecretString::from(root_password),
        },
        jwt_secret: SecretString::from(format!("test-key-{}", uuid::Uuid::new_v4())),
        admin: Some(AdminBootstrap {
            email: ADMIN_EMAIL.to_owned(),
            password: SecretString::from(ADMIN_PASSWORD),
        }),
        base_domain: "localhost".to_owned(),
        public_url: "http://localhost:8080".to_owned(),
        regions: vec![
            "eu-west".to_owned(),
            "us-east".to_owned(),
            "ap-south".to_owned(),
        ],
        default_image: "swarmpress/wordpress:latest".to_owned(),
        images: vec!["swarmpress/wordpress:latest".to_owned()],
        // reqwest's cookie store keeps Secure cookies off plain HTTP.
        secure_cookies: false,
        // In-process tests stand in for the edge on the loopback.
        trusted_proxies: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        log_format: LogFormat::Compact,
        portal_dir: None,
        monitoring: Default::default(),
        registrations_per_hour: 10,
        open_upgrades: false,
        streams_per_user: 8,
        streams_total: 512,
        action_wait: std::time::Duration::from_secs(20),
    }
}

async fn serve(config: Config, database: Option<ScratchDatabase>) -> TestApp {
    let state = swarmpress_api::prepare(config)
        .await
        .expect("prepare the API");
    let server = BoundServer::bind("127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind");
    let addr = server.local_addr;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let served = state.clone();
    tokio::spawn(async move {
        let _ = server
            .serve(served, async {
                let _ = receiver.await;
            })
            .await;
    });
    TestApp {
        addr,
        state,
        shutdown: Some(sender),
        _database: database,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1{path}", self.addr)
    }

    /// A browser-like client: keeps cookies and sends the CSRF header on every request.
    pub fn browser(&self) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert(CSRF_HEADER, HeaderValue::from_static("swarmpress"));
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .default_headers(headers)
                .no_proxy()
                .build()
                .unwrap(),
            base: self.url(""),
            password: None,
            token_scope: "write",
        }
    }

    /// A client with no cookies and no default headers.
    pub fn bare(&self) -> Client {
        Client {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: self.url(""),
            password: None,
            token_scope: "write",
        }
    }

    /// Registers a new user and returns a logged-in browser for them.
    pub async fn user(&self, email: &str) -> Client {
        let client = self.browser();
        let response = client
            .post("/auth/register")
            .json(&json!({"email": email, "password": "a-long-password-1", "name": "Test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        Client {
            password: Some("a-long-password-1".to_owned()),
            ..client
        }
    }

    /// A logged-in browser for the bootstrap admin.
    pub async fn admin(&self) -> Client {
        let client = self.browser();
        let response = client
            .post("/auth/login")
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        Client {
            password: Some(ADMIN_PASSWORD.to_owned()),
            token_scope: "admin",
            ..client
        }
    }

    /// Moves `client`'s user to `plan`: asked by the user, approved by the admin when the
    /// plan is dearer (a move to a dearer plan waits for approval).
    pub async fn move_to_plan(&self, client: &Client, plan: &str) {
        let response = client
            .post("/subscription/upgrade")
            .json(&json!({"plan": plan}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let view: Value = response.json().await.unwrap();
        match status {
            200 => assert_eq!(view["plan"]["id"], plan, "{view}"),
            202 => {
                let id = view["pending"]["id"].as_str().unwrap().to_owned();
                let approved = self
                    .admin()
                    .await
                    .post(&format!("/admin/plan-requests/{id}/approve"))
                    .header("X-Requested-With", "swarmpress")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(approved.status(), 200, "{}", approved.text().await.unwrap());
            }
            other => panic!("moving to {plan}: {other} {view}"),
        }
    }
}

/// A reqwest client bound to the API's base URL.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    base: String,
    /// The user's password, when this client logged in with one (minting a token asks it).
    pub password: Option<String>,
    /// The scope of the tokens [`Client::personal_access_token`] mints: an administrator's
    /// act as one.
    pub token_scope: &'static str,
}

impl Client {
    /// A new personal access token of this client's user, named `name`.
    pub async fn personal_access_token(&self, name: &str) -> String {
        let created: Value = self
            .post("/auth/tokens")
            .json(
                &json!({"name": name, "currentPassword": self.password, "scope": self.token_scope}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        created["token"].as_str().unwrap().to_owned()
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base))
    }
    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.put(format!("{}{path}", self.base))
    }
    pub fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.patch(format!("{}{path}", self.base))
    }
    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.delete(format!("{}{path}", self.base))
    }
}

/// Asserts a problem+json answer with `status` and `code`; returns the document.
pub async fn problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(
        response.status().as_u16(),
        status,
        "status of {}",
        response.url()
    );
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type:?}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    for key in ["type", "title", "detail", "errors"] {
        assert!(body.get(key).is_some(), "problem without {key}: {body}");
    }
    body
}

/// The `field`s of a problem's `errors`.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

//! The harness: each test gets its own database `swarmpress_test_<uuid>` on the platform's
//! MariaDB and its own server on a free port, in-process. The database is dropped when the
//! [`TestApp`] goes, whether the test passed or not.

use std::net::SocketAddr;
use std::path::PathBuf;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{Value, json};
use swarmpress_api::config::{AdminBootstrap, Config, DatabaseConfig, LogFormat};
use swarmpress_api::{AppState, BoundServer};

pub const ADMIN_EMAIL: &str = "admin@swarmpress.test";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const CSRF_HEADER: &str = "x-requested-with";

struct MariaDb {
    addr: String,
    root_password: String,
}

fn mariadb() -> Result<MariaDb, String> {
    let state_dir = std::env::var_os("SWARMPRESS_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/swarmpress"));
    let path = state_dir.join("secrets.env");
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let root_password = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("MARIADB_ROOT_PASSWORD="))
        .map(|value| value.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .next_back()
        .ok_or_else(|| format!("{} has no MARIADB_ROOT_PASSWORD", path.display()))?;
    Ok(MariaDb {
        addr: std::env::var("SWARMPRESS_MARIADB_ADDR")
            .unwrap_or_else(|_| "127.0.0.1:3306".to_owned()),
        root_password,
    })
}

fn platform_required() -> bool {
    std::env::var("SWARMPRESS_REQUIRE_PLATFORM").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// Drops the test database when dropped, on a thread of its own: the test's runtime may be
/// unwinding, and `Drop` cannot await.
struct DatabaseGuard {
    name: String,
    admin_url: String,
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        let name = self.name.clone();
        let url = self.admin_url.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime.block_on(async {
                let root = Database::connect(&url).await.map_err(|e| e.to_string())?;
                root.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await
                    .map_err(|e| e.to_string())?;
                root.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {outcome:?}", self.name);
        }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    // Last: the server stops (above) before its database goes.
    _database: DatabaseGuard,
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
    let skip = |why: String| {
        if platform_required() {
            panic!("SWARMPRESS_REQUIRE_PLATFORM is set but MariaDB is unreachable: {why}");
        }
        eprintln!("SKIPPED: the platform's MariaDB is unreachable ({why}); run scripts/up");
        None
    };
    let mariadb = match mariadb() {
        Ok(mariadb) => mariadb,
        Err(why) => return skip(why),
    };
    let admin_url: String = format!(
        "mysql://root:{}@{}/",
        percent_encode(&mariadb.root_password),
        mariadb.addr
    );
    let root = match Database::connect(&admin_url).await {
        Ok(root) => root,
        Err(error) => return skip(error.to_string()),
    };
    let db_name = format!("swarmpress_test_{}", uuid::Uuid::new_v4().simple());
    root.execute_unprepared(&format!(
        "CREATE DATABASE `{db_name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    ))
    .await
    .expect("create the test database");
    root.close().await.ok();
    let database = DatabaseGuard {
        name: db_name.clone(),
        admin_url,
    };

    let (host, port) = mariadb
        .addr
        .rsplit_once(':')
        .map(|(host, port)| (host.to_owned(), port.parse().expect("MariaDB port")))
        .expect("MariaDB address host:port");
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: DatabaseConfig {
            host,
            port,
            name: db_name.clone(),
            user: "root".to_owned(),
            password: SecretString::from(mariadb.root_password.clone()),
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
        // reqwest's cookie store keeps Secure cookies off plain HTTP.
        secure_cookies: false,
        trust_forwarded_for: true,
        log_format: LogFormat::Compact,
        portal_dir: None,
        monitoring: Default::default(),
    };
    adjust(&mut config);
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
    let app = TestApp {
        addr,
        state,
        shutdown: Some(sender),
        _database: database,
    };
    Some(app)
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
        }
    }

    /// A client with no cookies and no default headers.
    pub fn bare(&self) -> Client {
        Client {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: self.url(""),
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
        client
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
        client
    }
}

/// A reqwest client bound to the API's base URL.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    base: String,
}

impl Client {
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

//! The deployed API at the edge (`http://localhost:<edge port>/api/v1`), as a user of the
//! platform meets it: registered fresh, on a plan of the test's choosing, authenticated with
//! a personal access token (which outlives the 15-minute session cookie a long run would
//! otherwise outlast).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::{E2eError, random_lowercase};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

/// Retries of a failed poll or delete, and the wait between them: two minutes in all.
const RETRIES: u32 = 24;
const RETRY_DELAY: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
    /// Sites answer at `<name>.localhost` on this address.
    edge: SocketAddr,
}

/// The cookies a response sets, as a `Cookie` header sends them back: `a=1; b=2`.
pub fn session_cookies(response: &Response) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn expect(response: Response, what: &str, ok: &[StatusCode]) -> Result<Value, E2eError> {
    let status = response.status();
    let body = response.text().await?;
    if !ok.contains(&status) {
        return Err(E2eError::Api {
            what: what.to_owned(),
            status: status.as_u16(),
            body,
        });
    }
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

impl Api {
    /// Registers `bench-<random>@example.test`, takes a token and moves to Enterprise (no
    /// limit on sites).
    pub async fn enterprise_user(edge: SocketAddr) -> Result<Self, E2eError> {
        Self::user(edge, "bench", "enterprise").await
    }

    /// Registers `<prefix>-<random>@example.test`, takes a token and moves to `plan`.
    pub async fn user(edge: SocketAddr, prefix: &str, plan: &str) -> Result<Self, E2eError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()?;
        let base = format!("http://localhost:{}/api/v1", edge.port());
        let email = format!("{prefix}-{}@example.test", random_lowercase(8)?);
        let response = http
            .post(format!("{base}/auth/register"))
            .json(
                &json!({"email": email, "password": "correct horse battery staple",
                          "name": "Bench"}),
            )
            .send()
            .await?;
        let cookies = session_cookies(&response);
        expect(response, "register", &[StatusCode::CREATED]).await?;
        let response = http
            .post(format!("{base}/auth/tokens"))
            .header(COOKIE, cookies)
            .header("X-Requested-With", "swarmpress")
            .json(&json!({"name": "bench", "expiresInDays": 1,
                          "currentPassword": "correct horse battery staple"}))
            .send()
            .await?;
        let created = expect(
            response,
            "create token",
            &[StatusCode::CREATED, StatusCode::OK],
        )
        .await?;
        let token = created["token"]
            .as_str()
            .ok_or_else(|| E2eError::Setup(format!("token response without token: {created}")))?
            .to_owned();
        let api = Self {
            http,
            base,
            token,
            edge,
        };
        // A new account starts on the free plan.
        if plan == "free" {
            return Ok(api);
        }
        let response = api
            .request(Method::POST, "/subscription/upgrade")
            .json(&json!({"plan": plan}))
            .send()
            .await?;
        let view = expect(
            response,
            &format!("move to {plan}"),
            &[StatusCode::OK, StatusCode::ACCEPTED],
        )
        .await?;
        // A dearer plan waits for the administrator, who approves it here.
        if let Some(request) = view["pending"]["id"].as_str() {
            let admin = Self::admin(edge).await?;
            let response = admin
                .request(
                    Method::POST,
                    &format!("/admin/plan-requests/{request}/approve"),
                )
                .send()
                .await?;
            expect(response, &format!("approve {plan}"), &[StatusCode::OK]).await?;
        }
        Ok(api)
    }

    /// The platform's administrator (credentials from `scripts/up`'s `admin.env`), with a
    /// short-lived token.
    pub async fn admin(edge: SocketAddr) -> Result<Self, E2eError> {
        let (email, password) = swarmpress_testkit::admin_credentials().map_err(E2eError::Setup)?;
        Self::admin_of(edge, &email, &password).await
    }

    /// The administrator of the platform whose edge is `edge` (this machine's, or the lab's:
    /// `localhost` resolves to the edge, as a DNS record would point at it).
    pub async fn admin_of(edge: SocketAddr, email: &str, password: &str) -> Result<Self, E2eError> {
        let http = reqwest::Client::builder()
            .resolve("localhost", edge)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()?;
        let base = format!("http://localhost:{}/api/v1", edge.port());
        let response = http
            .post(format!("{base}/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await?;
        let cookies = session_cookies(&response);
        expect(response, "admin login", &[StatusCode::OK]).await?;
        let response = http
            .post(format!("{base}/auth/tokens"))
            .header(COOKIE, cookies)
            .header("X-Requested-With", "swarmpress")
            .json(
                &json!({"name": "e2e admin", "expiresInDays": 1, "scope": "admin",
                          "currentPassword": password}),
            )
            .send()
            .await?;
        let created = expect(
            response,
            "admin token",
            &[StatusCode::CREATED, StatusCode::OK],
        )
        .await?;
        let token = created["token"]
            .as_str()
            .ok_or_else(|| E2eError::Setup(format!("token response without token: {created}")))?
            .to_owned();
        Ok(Self {
            http,
            base,
            token,
            edge,
        })
    }

    /// A request to `path` under `/api/v1`, with the user's token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// `POST /tenants` of a one-replica site in `eu-west`.
    pub async fn create_tenant(&self, name: &str, title: &str) -> Result<(), E2eError> {
        self.create_tenant_with(name, title, "bench", |_| {})
            .await
            .map(|_| ())
    }

    /// `POST /tenants` of a site in `eu-west` labelled `suite=<suite>`, its spec adjusted by
    /// `adjust`; returns the created tenant, with its one-time `adminPassword`.
    pub async fn create_tenant_with(
        &self,
        name: &str,
        title: &str,
        suite: &str,
        adjust: impl FnOnce(&mut Value),
    ) -> Result<Value, E2eError> {
        let mut spec = json!({"displayName": title, "region": "eu-west",
                              "admin": {"user": "admin", "email": "admin@example.test"}});
        adjust(&mut spec);
        let response = self
            .request(Method::POST, "/tenants")
            .json(&json!({"metadata": {"name": name, "labels": {"suite": suite}}, "spec": spec}))
            .send()
            .await?;
        expect(response, &format!("create {name}"), &[StatusCode::CREATED]).await
    }

    /// `POST /tenants/<name>/<action>` (`start`, `stop`, `restart`, `rebuild`).
    pub async fn act(&self, name: &str, action: &str) -> Result<(), E2eError> {
        let response = self
            .request(Method::POST, &format!("/tenants/{name}/{action}"))
            .send()
            .await?;
        expect(
            response,
            &format!("{action} {name}"),
            &[StatusCode::ACCEPTED],
        )
        .await?;
        Ok(())
    }

    /// Deletes the tenant and waits until the controller has removed it (its record goes
    /// last, after every resource).
    pub async fn delete_and_wait(&self, name: &str, timeout: Duration) -> Result<(), E2eError> {
        self.delete(name).await?;
        let started = Instant::now();
        loop {
            let response = self
                .request(Method::GET, &format!("/tenants/{name}"))
                .send()
                .await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(());
            }
            if started.elapsed() > timeout {
                return Err(E2eError::Timeout {
                    what: format!("{name} to be deleted"),
                    after: timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// `POST /apply` of a multi-document manifest; fails when any document was refused.
    pub async fn apply(&self, manifest: String) -> Result<(), E2eError> {
        let response = self
            .request(Method::POST, "/apply")
            .header("Content-Type", "application/yaml")
            .body(manifest)
            .send()
            .await?;
        let results = expect(response, "apply", &[StatusCode::OK]).await?;
        let refused: Vec<&Value> = results["results"]
            .as_array()
            .map(|items| items.iter().filter(|r| r["action"] == "invalid").collect())
            .unwrap_or_default();
        if let Some(first) = refused.first() {
            return Err(E2eError::Setup(format!(
                "apply refused {} documents, e.g. {first}",
                refused.len()
            )));
        }
        Ok(())
    }

    /// The caller's tenants carrying the label `key=value`. A poll that fails (the API or the
    /// edge briefly unreachable on a loaded machine) is retried rather than ending a
    /// benchmark that has minutes of work — and tenants to delete — behind it.
    pub async fn tenants(&self, selector: &str) -> Result<Vec<Value>, E2eError> {
        // Selectors here are `[a-z0-9-]` keys and values: only `=` and `,` need escaping.
        let query = selector.replace('=', "%3D").replace(',', "%2C");
        let mut attempt = 0;
        loop {
            let outcome = match self
                .request(Method::GET, &format!("/tenants?labelSelector={query}"))
                .send()
                .await
            {
                Ok(response) => expect(response, "list tenants", &[StatusCode::OK]).await,
                Err(error) => Err(error.into()),
            };
            match outcome {
                Ok(list) => return Ok(list["items"].as_array().cloned().unwrap_or_default()),
                Err(error) if attempt < RETRIES => {
                    attempt += 1;
                    eprintln!("listing tenants failed ({error}); retrying");
                    tokio::time::sleep(RETRY_DELAY).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Asks for the tenant's deletion; a tenant already gone is fine. Retried like
    /// [`Self::tenants`]: a tenant left behind costs more than a wait.
    pub async fn delete(&self, name: &str) -> Result<(), E2eError> {
        let mut attempt = 0;
        loop {
            let outcome = match self
                .request(Method::DELETE, &format!("/tenants/{name}"))
                .send()
                .await
            {
                Ok(response) => {
                    expect(
                        response,
                        &format!("delete {name}"),
                        &[StatusCode::ACCEPTED, StatusCode::NOT_FOUND],
                    )
                    .await
                }
                Err(error) => Err(error.into()),
            };
            match outcome {
                Ok(_) => return Ok(()),
                Err(error) if attempt < RETRIES => {
                    attempt += 1;
                    eprintln!("deleting {name} failed ({error}); retrying");
                    tokio::time::sleep(RETRY_DELAY).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Deletes every tenant matching `selector` and waits until the controller has removed
    /// them all (their records go last, after every resource).
    pub async fn delete_all(&self, selector: &str, timeout: Duration) -> Result<(), E2eError> {
        let started = Instant::now();
        loop {
            let left = self.tenants(selector).await?;
            if left.is_empty() {
                return Ok(());
            }
            for tenant in left
                .iter()
                .filter(|t| t["metadata"]["deletionTimestamp"].is_null())
            {
                if let Some(name) = tenant["metadata"]["name"].as_str() {
                    self.delete(name).await?;
                }
            }
            if started.elapsed() > timeout {
                return Err(E2eError::Timeout {
                    what: format!("{} tenants ({selector}) to be deleted", left.len()),
                    after: timeout,
                });
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// A client that reaches `<name>.localhost` through the edge, never following redirects.
    pub fn site_client(&self, name: &str) -> Result<reqwest::Client, E2eError> {
        Ok(reqwest::Client::builder()
            .resolve(&format!("{name}.localhost"), self.edge)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()?)
    }

    pub fn site_url(&self, name: &str) -> String {
        format!("http://{name}.localhost:{}/", self.edge.port())
    }
}

/// Polls the site's home page every `every` until it answers 200 with `needle` in it.
pub async fn wait_site(
    client: &reqwest::Client,
    url: &str,
    needle: &str,
    every: Duration,
    timeout: Duration,
) -> Result<(), E2eError> {
    let started = Instant::now();
    loop {
        let last = match client.get(url).send().await {
            Ok(response) if response.status() == StatusCode::OK => {
                if response
                    .text()
                    .await
                    .is_ok_and(|body| body.contains(needle))
                {
                    return Ok(());
                }
                "200 without the expected content".to_owned()
            }
            Ok(response) => format!("status {}", response.status()),
            Err(error) => error.to_string(),
        };
        if started.elapsed() > timeout {
            return Err(E2eError::Timeout {
                what: format!("{url} to answer 200 (last: {last})"),
                after: timeout,
            });
        }
        tokio::time::sleep(every).await;
    }
}

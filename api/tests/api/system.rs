use crate::helpers::{problem, spawn, spawn_with};

#[tokio::test]
async fn health_reports_the_database_without_auth() {
    let Some(app) = spawn().await else { return };
    let response = app.bare().get("/health").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn serves_the_openapi_document_and_swagger_ui() {
    let Some(app) = spawn().await else { return };
    let spec: serde_json::Value = app
        .bare()
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["paths"]["/health"]["get"]["operationId"], "getHealth");
    let docs = reqwest::get(format!("http://{}/api/docs", app.addr))
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
}

#[tokio::test]
async fn every_answer_carries_the_browser_hardening_headers() {
    let Some(app) = spawn().await else { return };
    for (path, policy) in [
        (
            "/api/v1/health",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            "/api/v1/no/such/thing",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        ("/api/docs", "script-src 'self' 'unsafe-inline'"),
    ] {
        let response = reqwest::get(format!("http://{}{path}", app.addr))
            .await
            .unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains(policy), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let Some(app) = spawn().await else { return };
    let response = app.bare().get("/no/such/thing").send().await.unwrap();
    problem(response, 404, "not_found").await;
    let response = reqwest::get(format!("http://{}/api/v2/health", app.addr))
        .await
        .unwrap();
    problem(response, 404, "not_found").await;
    let response = app.bare().delete("/health").send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    problem(response, 405, "method_not_allowed").await;
    let admin = app.admin().await;
    let response = admin.delete("/tenants").send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD, POST");
    problem(response, 405, "method_not_allowed").await;
    let response = admin.post("/tenants/acme").send().await.unwrap();
    assert_eq!(response.headers()["allow"], "DELETE, GET, HEAD, PATCH, PUT");
    problem(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn serves_the_portal_with_a_fallback_for_client_routes_but_not_for_the_api() {
    let dir = std::env::temp_dir().join(format!("swarmpress-portal-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>portal</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log(1)").unwrap();
    let portal = dir.clone();
    let Some(app) = spawn_with(move |config| config.portal_dir = Some(portal)).await else {
        return;
    };
    let get = |path: &str| reqwest::get(format!("http://{}{path}", app.addr));
    for path in ["/", "/sites/acme-blog", "/billing"] {
        let response = get(path).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("<title>portal</title>")
        );
    }
    let asset = get("/assets/app.js").await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.text().await.unwrap(), "console.log(1)");
    // An unknown API path stays an API error, never the portal's page.
    problem(
        get("/api/v1/no-such-thing").await.unwrap(),
        404,
        "not_found",
    )
    .await;
    std::fs::remove_dir_all(dir).unwrap();
}

use std::time::Instant;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, TestApp, fields, problem, spawn};

const PASSWORD: &str = "a-long-password-1";

/// The value of cookie `name` in a response's `Set-Cookie` headers, with its attributes.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn cookie_value(header: &str) -> String {
    header
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn register_sets_host_only_http_only_cookies_and_hides_the_hash() {
    let Some(app) = spawn().await else { return };
    let response = app
        .bare()
        .post("/auth/register")
        .json(&json!({"email": "Alice@Example.test", "password": PASSWORD, "name": "Alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let access = set_cookie(&response, "__Host-access_token").expect("access cookie");
    let refresh = set_cookie(&response, "__Host-refresh_token").expect("refresh cookie");
    for cookie in [&access, &refresh] {
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    }
    // What a browser demands of a `__Host-` cookie (with `Secure`, tested below): host-only
    // and the whole origin.
    for cookie in [&access, &refresh] {
        assert!(
            cookie.contains("Path=/;") || cookie.ends_with("Path=/"),
            "{cookie}"
        );
        assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    }
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], "alice@example.test");
    assert_eq!(user["role"], "user");
    assert!(user.get("passwordHash").is_none() && user.get("password").is_none());

    let again = app
        .bare()
        .post("/auth/register")
        .json(&json!({"email": "alice@example.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    problem(again, 409, "conflict").await;
}

#[tokio::test]
async fn secure_cookies_are_marked_secure() {
    let Some(app) = crate::helpers::spawn_with(|config| config.secure_cookies = true).await else {
        return;
    };
    let response = app
        .bare()
        .post("/auth/register")
        .json(&json!({"email": "s@example.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(
        set_cookie(&response, "__Host-access_token")
            .unwrap()
            .contains("Secure")
    );
    assert!(
        set_cookie(&response, "__Host-refresh_token")
            .unwrap()
            .contains("Secure")
    );
}

#[tokio::test]
async fn bad_bodies_are_problems_naming_the_field() {
    let Some(app) = spawn().await else { return };
    let client = app.bare();

    let malformed = client
        .post("/auth/register")
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    problem(malformed, 400, "validation_failed").await;

    let mistyped = client
        .post("/auth/register")
        .json(&json!({"email": 5, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body = problem(mistyped, 400, "validation_failed").await;
    assert_eq!(fields(&body), ["email"]);

    let missing = client
        .post("/auth/register")
        .json(&json!({"email": "x@example.test"}))
        .send()
        .await
        .unwrap();
    let body = problem(missing, 400, "validation_failed").await;
    assert_eq!(fields(&body), ["password"]);

    let invalid = client
        .post("/auth/register")
        .json(&json!({"email": "not-an-email", "password": "short"}))
        .send()
        .await
        .unwrap();
    let body = problem(invalid, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["email", "password"]);

    let wrong_type = client
        .post("/auth/register")
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    problem(wrong_type, 415, "validation_failed").await;

    let bad_param = app
        .admin()
        .await
        .get("/tenants?watch=maybe")
        .send()
        .await
        .unwrap();
    let body = problem(bad_param, 400, "validation_failed").await;
    assert_eq!(fields(&body), ["watch"]);
}

#[tokio::test]
async fn login_logout_and_refresh_rotation_with_reuse_detection() {
    let Some(app) = spawn().await else { return };
    app.user("bob@example.test").await;

    let client = app.browser();
    let wrong = client
        .post("/auth/login")
        .json(&json!({"email": "bob@example.test", "password": "not-the-password"}))
        .send()
        .await
        .unwrap();
    problem(wrong, 401, "unauthorized").await;

    let login = client
        .post("/auth/login")
        .json(&json!({"email": "BOB@example.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let first_refresh = cookie_value(&set_cookie(&login, "__Host-refresh_token").unwrap());
    let profile: Value = client
        .get("/auth/profile")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["email"], "bob@example.test");

    // Rotation: a new refresh token, and the session still works.
    let refreshed = client.post("/auth/refresh").send().await.unwrap();
    assert_eq!(refreshed.status(), 200);
    let second_refresh = cookie_value(&set_cookie(&refreshed, "__Host-refresh_token").unwrap());
    assert_ne!(first_refresh, second_refresh);
    assert_eq!(
        client.get("/auth/profile").send().await.unwrap().status(),
        200
    );

    // Presenting the first (rotated-out) token again is reuse: the family is revoked, so
    // the current refresh token and the session's access token stop working too.
    let thief = app.bare();
    let reuse = thief
        .post("/auth/refresh")
        .header("cookie", format!("__Host-refresh_token={first_refresh}"))
        .header("x-requested-with", "swarmpress")
        .send()
        .await
        .unwrap();
    problem(reuse, 401, "unauthorized").await;
    let after_reuse = thief
        .post("/auth/refresh")
        .header("cookie", format!("__Host-refresh_token={second_refresh}"))
        .header("x-requested-with", "swarmpress")
        .send()
        .await
        .unwrap();
    problem(after_reuse, 401, "unauthorized").await;
    problem(
        client.get("/auth/profile").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;

    // A new login, then logout: 204, cookies cleared, session revoked.
    let login = client
        .post("/auth/login")
        .json(&json!({"email": "bob@example.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let access = cookie_value(&set_cookie(&login, "__Host-access_token").unwrap());
    let logout = client.post("/auth/logout").send().await.unwrap();
    assert_eq!(logout.status(), 204);
    let cleared = set_cookie(&logout, "__Host-access_token").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    problem(
        client.get("/auth/profile").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    // The access token itself, replayed after logout, is refused as well.
    let replay = app
        .bare()
        .get("/auth/profile")
        .header("cookie", format!("__Host-access_token={access}"))
        .send()
        .await
        .unwrap();
    problem(replay, 401, "unauthorized").await;
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_header_and_bearer_writes_do_not() {
    let Some(app) = spawn().await else { return };
    let client = app.user("carol@example.test").await;
    let without_header = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = without_header
        .post(app.url("/auth/login"))
        .json(&json!({"email": "carol@example.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "login needs no CSRF header");
    // Reads are fine without the header; writes are not.
    assert_eq!(
        without_header
            .get(app.url("/auth/profile"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let write = without_header
        .patch(app.url("/auth/profile"))
        .json(&json!({"name": "Caroline"}))
        .send()
        .await
        .unwrap();
    problem(write, 403, "forbidden").await;
    let refresh = without_header
        .post(app.url("/auth/refresh"))
        .send()
        .await
        .unwrap();
    problem(refresh, 403, "forbidden").await;

    // With the header (the browser helper sends it) the write goes through.
    let updated: Value = client
        .patch("/auth/profile")
        .json(&json!({"name": "Caroline"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["name"], "Caroline");

    // A personal access token: shown once, works as a bearer without the header.
    let created = client
        .post("/auth/tokens")
        .json(&json!({"name": "cli", "currentPassword": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("spat_"));
    // Without a lifetime asked for, a token lives 90 days.
    let expires: chrono::DateTime<chrono::Utc> =
        created["expiresAt"].as_str().unwrap().parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_days();
    assert!((89..=90).contains(&days), "{days} days");
    let listed: Value = client
        .get("/auth/tokens")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        listed[0].get("token").is_none(),
        "the secret is never listed: {listed}"
    );
    assert_eq!(listed[0]["prefix"], token[..9]);

    let bearer = app.bare();
    let write = bearer
        .patch("/auth/profile")
        .bearer_auth(&token)
        .json(&json!({"name": "Carol via CLI"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 200);
    let bad = bearer
        .get("/auth/profile")
        .bearer_auth("spat_not-a-real-token")
        .send()
        .await
        .unwrap();
    problem(bad, 401, "unauthorized").await;

    // Deleted, it stops working; deleting again is 404.
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        client
            .delete(&format!("/auth/tokens/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let revoked = bearer
        .get("/auth/profile")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    problem(revoked, 401, "unauthorized").await;
    let again = client
        .delete(&format!("/auth/tokens/{id}"))
        .send()
        .await
        .unwrap();
    problem(again, 404, "not_found").await;
}

#[tokio::test]
async fn password_change_revokes_other_sessions_and_every_token() {
    let Some(app) = spawn().await else { return };
    let first = app.user("dave@example.test").await;
    let second = app.browser();
    second
        .post("/auth/login")
        .json(&json!({"email": "dave@example.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = first.personal_access_token("cli").await;

    let wrong = first
        .put("/auth/password")
        .json(
            &json!({"currentPassword": "not-the-password", "newPassword": "another-long-password"}),
        )
        .send()
        .await
        .unwrap();
    let body = problem(wrong, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["currentPassword"]);

    // Tokens are issued with second precision: make sure the change lands in a later
    // second than the other session's tokens, as it would in real use.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let changed = first
        .put("/auth/password")
        .json(&json!({"currentPassword": PASSWORD, "newPassword": "another-long-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    assert_eq!(
        first.get("/auth/profile").send().await.unwrap().status(),
        200
    );
    problem(
        second.get("/auth/profile").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    problem(
        second.post("/auth/refresh").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    // A token minted before the change (a stolen one, say) stops working with it.
    let with_token = app
        .bare()
        .get("/auth/profile")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    problem(with_token, 401, "unauthorized").await;
    let listed: Value = first
        .get("/auth/tokens")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    let old_login = app
        .bare()
        .post("/auth/login")
        .json(&json!({"email": "dave@example.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    problem(old_login, 401, "unauthorized").await;
}

/// Forty wrong passwords for one account sent at once: each attempt takes its slot before its
/// password is checked, so exactly the limit (10) are checked and the rest answer 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_cannot_outrun_the_login_throttle() {
    let Some(app) = spawn().await else { return };
    let client = app.bare();
    let hashes_before = app.state.passwords.work_done();
    let attempts = (0..40).map(|_| {
        client
            .post("/auth/login")
            .json(&json!({"email": "victim@example.test", "password": "wrong-password-1"}))
            .send()
    });
    let mut statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|response| response.unwrap().status().as_u16())
        .collect();
    statuses.sort_unstable();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, throttled), (10, 30), "{statuses:?}");
    assert_eq!(
        app.state.passwords.work_done() - hashes_before,
        10,
        "only the admitted attempts hash"
    );
}

/// A stranger who spends an account's attempts from one client locks out that client only:
/// the owner, from another address, still logs in. (The edge's `X-Forwarded-For` names the
/// client, as the test harness trusts it.)
#[tokio::test]
async fn a_stranger_cannot_lock_the_owner_out() {
    let Some(app) = spawn().await else { return };
    app.user("owner@example.test").await;
    let client = app.bare();
    let login = |from: &'static str, password: &'static str| {
        client
            .post("/auth/login")
            .header("x-forwarded-for", from)
            .json(&json!({"email": "owner@example.test", "password": password}))
            .send()
    };
    for _ in 0..10 {
        problem(
            login("203.0.113.66", "wrong-password-1").await.unwrap(),
            401,
            "unauthorized",
        )
        .await;
    }
    problem(
        login("203.0.113.66", "a-long-password-1").await.unwrap(),
        429,
        "rate_limited",
    )
    .await;
    let owner = login("198.51.100.7", "a-long-password-1").await.unwrap();
    assert_eq!(owner.status(), 200, "{}", owner.text().await.unwrap());
    // What cannot be an account is refused before the throttle remembers it.
    let response = client
        .post("/auth/login")
        .json(&json!({"email": "not an address", "password": "whatever-password"}))
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["email"]);
}

#[tokio::test]
async fn login_throttling_answers_429_before_hashing() {
    let Some(app) = spawn().await else { return };
    let client = app.bare();
    for _ in 0..10 {
        let response = client
            .post("/auth/login")
            .json(&json!({"email": "nobody@example.test", "password": "wrong-password-1"}))
            .send()
            .await
            .unwrap();
        problem(response, 401, "unauthorized").await;
    }
    let hashes_before = app.state.passwords.work_done();
    let started = Instant::now();
    let throttled = client
        .post("/auth/login")
        .json(&json!({"email": "nobody@example.test", "password": "wrong-password-1"}))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let retry_after: u64 = throttled
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    problem(throttled, 429, "rate_limited").await;
    assert_eq!(
        app.state.passwords.work_done(),
        hashes_before,
        "a throttled login must not hash"
    );
    assert!(elapsed.as_millis() < 1000, "{elapsed:?}");

    // Another account from the same address still gets in: the per-address limit (50) is
    // higher than the per-account one.
    let admin = client
        .post("/auth/login")
        .json(&json!({"email": ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
}

#[tokio::test]
async fn unknown_emails_cost_a_hash_too() {
    let Some(app) = spawn().await else { return };
    let before = app.state.passwords.work_done();
    let response = app
        .bare()
        .post("/auth/login")
        .json(&json!({"email": "ghost@example.test", "password": "whatever-password"}))
        .send()
        .await
        .unwrap();
    problem(response, 401, "unauthorized").await;
    assert_eq!(app.state.passwords.work_done(), before + 1);
}

#[tokio::test]
async fn the_bootstrap_admin_exists_and_can_list_users() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let profile: Value = admin
        .get("/auth/profile")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["role"], "admin");
    assert_eq!(profile["email"], ADMIN_EMAIL);
}

/// One client cannot mint accounts by the dozen: the eleventh registration from an address
/// within the hour is 429 with `Retry-After`, while another address still registers.
#[tokio::test]
async fn registrations_are_throttled_per_client() {
    let Some(app) = spawn().await else { return };
    let client = app.bare();
    let register = |address: &'static str, n: usize| {
        client
            .post("/auth/register")
            .header("x-forwarded-for", address)
            .json(&json!({"email": format!("user{n}-{address}@example.test"),
                          "password": PASSWORD, "name": "Flood"}))
            .send()
    };
    for n in 0..10 {
        let response = register("203.0.113.7", n).await.unwrap();
        assert_eq!(response.status(), 201, "registration {n}");
    }
    let refused = register("203.0.113.7", 10).await.unwrap();
    assert!(refused.headers().contains_key("retry-after"));
    problem(refused, 429, "rate_limited").await;
    let elsewhere = register("203.0.113.8", 0).await.unwrap();
    assert_eq!(elsewhere.status(), 201);
}

/// Personal access tokens have scopes: `read` reads and nothing else, `write` does what the
/// user may but never administration, `admin` only for administrators. Minting one and
/// changing the e-mail need the current password.
#[tokio::test]
async fn token_scopes_and_the_current_password() {
    let Some(app) = crate::helpers::spawn().await else {
        return;
    };
    let erin = app.user("erin@example.test").await;
    let mint = |client: &crate::helpers::Client, body: Value| {
        let request = client.post("/auth/tokens").json(&body);
        async move { request.send().await.unwrap() }
    };
    let missing = mint(&erin, json!({"name": "no password"})).await;
    assert_eq!(
        fields(&problem(missing, 400, "validation_failed").await),
        ["currentPassword"]
    );
    let wrong = mint(
        &erin,
        json!({"name": "x", "currentPassword": "not-my-password"}),
    )
    .await;
    assert_eq!(
        fields(&problem(wrong, 422, "validation_failed").await),
        ["currentPassword"]
    );
    let admin_scope = mint(
        &erin,
        json!({"name": "x", "scope": "admin", "currentPassword": PASSWORD}),
    )
    .await;
    assert_eq!(
        fields(&problem(admin_scope, 422, "validation_failed").await),
        ["scope"]
    );

    let created: Value = mint(
        &erin,
        json!({"name": "reader", "scope": "read", "currentPassword": PASSWORD}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(created["scope"], "read");
    let reader = created["token"].as_str().unwrap().to_owned();
    let bearer = app.bare();
    let read = bearer
        .get("/tenants")
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let write = bearer
        .post("/tenants")
        .bearer_auth(&reader)
        .json(&json!({"name": "nope", "spec": {}}))
        .send()
        .await
        .unwrap();
    let body = problem(write, 403, "forbidden").await;
    assert!(
        body["detail"].as_str().unwrap().contains("scope read"),
        "{body}"
    );

    // An administrator's write token is not an admin credential; an admin token is.
    let admin = app.admin().await;
    let write_token: Value = mint(
        &admin,
        json!({"name": "w", "currentPassword": crate::helpers::ADMIN_PASSWORD}),
    )
    .await
    .json()
    .await
    .unwrap();
    let admin_token: Value = mint(
        &admin,
        json!({"name": "a", "scope": "admin", "currentPassword": crate::helpers::ADMIN_PASSWORD}),
    )
    .await
    .json()
    .await
    .unwrap();
    for (token, status) in [(&write_token, 403), (&admin_token, 200)] {
        let answer = bearer
            .get("/admin/users")
            .bearer_auth(token["token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{}", token["scope"]);
    }

    // The e-mail is the login: changing it asks for the password; the name does not.
    let renamed = erin
        .patch("/auth/profile")
        .json(&json!({"name": "Erin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let unconfirmed = erin
        .patch("/auth/profile")
        .json(&json!({"email": "erin2@example.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        fields(&problem(unconfirmed, 422, "validation_failed").await),
        ["currentPassword"]
    );
    let confirmed = erin
        .patch("/auth/profile")
        .json(&json!({"email": "erin2@example.test", "currentPassword": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
}

/// The per-account rate holds across API replicas: guesses spread over two processes (and
/// many client addresses, so no per-client or per-address limit applies) still meet one
/// count of 40 kept in the store.
#[tokio::test]
async fn the_account_rate_holds_across_api_replicas() {
    let Some(app) = spawn().await else { return };
    let replica = app.replica().await;
    app.user("spread@example.test").await;
    let mut attempts = Vec::new();
    for n in 0..60u32 {
        let target = if n % 2 == 0 { &app } else { &replica };
        let url = target.url("/auth/login");
        let client = target.bare();
        attempts.push(async move {
            let response = client
                .http
                .post(url)
                .header(
                    "x-forwarded-for",
                    format!("198.18.{}.{}", n / 200, n % 200 + 1),
                )
                .json(&json!({"email": "spread@example.test", "password": "not-the-password"}))
                .send()
                .await
                .unwrap();
            response.status().as_u16()
        });
    }
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + throttled, 60, "{statuses:?}");
    assert_eq!(
        checked, 40,
        "passwords checked over both replicas: {statuses:?}"
    );
}

/// The lockout a guesser meets (one account from one client) holds across API replicas too:
/// each process alone would allow its 10, the store's count allows 10 in all — and the owner,
/// from another address, still logs in.
#[tokio::test]
async fn the_client_lockout_holds_across_api_replicas() {
    let Some(app) = spawn().await else { return };
    let replica = app.replica().await;
    app.user("paired@example.test").await;
    let login = |target: &TestApp, password: &'static str, from: &'static str| {
        let url = target.url("/auth/login");
        let client = target.bare();
        async move {
            client
                .http
                .post(url)
                .header("x-forwarded-for", from)
                .json(&json!({"email": "paired@example.test", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut statuses = Vec::new();
    for n in 0..24 {
        let target = if n % 2 == 0 { &app } else { &replica };
        statuses.push(login(target, "not-the-password", "198.18.50.1").await);
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(
        checked, 10,
        "passwords checked over both replicas: {statuses:?}"
    );
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(login(&replica, PASSWORD, "198.18.50.2").await, 200);
    assert_eq!(login(&app, PASSWORD, "198.18.50.3").await, 200);
}

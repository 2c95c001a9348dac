use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{problem, spawn};

#[tokio::test]
async fn announcements_and_maintenance_windows() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let alice = app.user("alice@example.test").await;
    let now = Utc::now();
    let current = json!({
        "type": "maintenance",
        "title": "Database upgrade",
        "message": "Sites may be slow",
        "start": (now - Duration::hours(1)).to_rfc3339(),
        "end": (now + Duration::hours(1)).to_rfc3339(),
    });
    let mut future = current.clone();
    future["start"] = json!((now + Duration::days(1)).to_rfc3339());
    future["end"] = json!((now + Duration::days(2)).to_rfc3339());

    // Users cannot write; admins can.
    let refused = alice
        .post("/admin/announcements")
        .json(&current)
        .send()
        .await
        .unwrap();
    problem(refused, 403, "forbidden").await;
    let created = admin
        .post("/admin/announcements")
        .json(&current)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    admin
        .post("/admin/announcements")
        .json(&future)
        .send()
        .await
        .unwrap();
    let mut backwards = current.clone();
    backwards["end"] = backwards["start"].clone();
    let invalid = admin
        .post("/admin/announcements")
        .json(&backwards)
        .send()
        .await
        .unwrap();
    let body = problem(invalid, 422, "validation_failed").await;
    assert_eq!(crate::helpers::fields(&body), ["end"]);

    // Public: only the active one.
    let active: Value = app
        .bare()
        .get("/announcements")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(active.as_array().unwrap().len(), 1);
    assert_eq!(active[0]["title"], "Database upgrade");
    let all: Value = admin
        .get("/admin/announcements")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);

    let id = created["id"].as_str().unwrap();
    let mut renamed = current.clone();
    renamed["title"] = json!("Upgrade done soon");
    let replaced: Value = admin
        .put(&format!("/admin/announcements/{id}"))
        .json(&renamed)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(replaced["title"], "Upgrade done soon");
    assert_eq!(
        admin
            .delete(&format!("/admin/announcements/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let gone = admin
        .get(&format!("/admin/announcements/{id}"))
        .send()
        .await
        .unwrap();
    problem(gone, 404, "not_found").await;

    // Maintenance status follows the windows.
    let status: Value = app
        .bare()
        .get("/maintenance/status")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["active"], false);
    let window = admin
        .post("/admin/maintenance-windows")
        .json(&json!({
            "start": (now - Duration::minutes(5)).to_rfc3339(),
            "end": (now + Duration::minutes(55)).to_rfc3339(),
            "message": "Upgrading the fleet",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(window.status(), 201);
    let status: Value = app
        .bare()
        .get("/maintenance/status")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["active"], true);
    assert_eq!(status["message"], "Upgrading the fleet");
    let windows: Value = admin
        .get("/admin/maintenance-windows")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(windows.as_array().unwrap().len(), 1);

    // The user list is for admins.
    problem(
        alice.get("/admin/users").send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    let users: Value = admin
        .get("/admin/users")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users.as_array().unwrap().len(), 2);
}

/// A blocking window refuses writes from everyone but administrators — session or token —
/// with 503 `maintenance` and `Retry-After` until it ends; reads, signing in and the
/// administrator's own writes keep working; a window that does not block closes nothing; the
/// window's end (here: its deletion) opens the door again at once.
#[tokio::test]
async fn a_blocking_window_refuses_writes_but_not_reads_or_administrators() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let alice = app.user("alice@example.test").await;
    let token = alice.personal_access_token("cli").await;
    let rename = |name: &str| json!({"name": name});
    let now = Utc::now();
    let window = |blocking: bool| {
        json!({
            "start": (now - Duration::minutes(5)).to_rfc3339(),
            "end": (now + Duration::minutes(55)).to_rfc3339(),
            "message": "Upgrading the database",
            "blocking": blocking,
        })
    };

    let open = admin
        .post("/admin/maintenance-windows")
        .json(&window(false))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), 201);
    let open: Value = open.json().await.unwrap();
    assert_eq!(open["blocking"], false);
    let response = alice
        .patch("/auth/profile")
        .json(&rename("Before"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "a window that does not block closes nothing"
    );

    let closing = admin
        .post("/admin/maintenance-windows")
        .json(&window(true))
        .send()
        .await
        .unwrap();
    assert_eq!(closing.status(), 201);
    let closing: Value = closing.json().await.unwrap();
    assert_eq!(closing["blocking"], true);

    // A user's write, by session or by token, and a newcomer's registration: refused.
    let response = alice
        .patch("/auth/profile")
        .json(&rename("During"))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (3000..=3300).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    let body = problem(response, 503, "maintenance").await;
    assert_eq!(body["detail"], "Upgrading the database");
    let by_token = app
        .bare()
        .post("/tenants")
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(by_token, 503, "maintenance").await;
    let register = app
        .bare()
        .post("/auth/register")
        .json(&json!({"email": "bob@example.test", "password": "a-long-password-1", "name": "Bob"}))
        .send()
        .await
        .unwrap();
    problem(register, 503, "maintenance").await;
    // Without credentials a protected write is still, first of all, unauthenticated.
    let anonymous = app
        .bare()
        .post("/tenants")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401, "unauthorized").await;

    // Reads, signing in and an administrator's writes still work.
    let tenants = alice.get("/tenants").send().await.unwrap();
    assert_eq!(tenants.status(), 200, "reads keep working");
    let again = app.admin().await;
    let response = again
        .patch("/auth/profile")
        .json(&rename("Admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "an administrator writes");

    // Ended (deleted): writes are open again at once.
    let id = closing["id"].as_str().unwrap();
    let deleted = admin
        .delete(&format!("/admin/maintenance-windows/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let response = alice
        .patch("/auth/profile")
        .json(&rename("After"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

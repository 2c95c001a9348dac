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

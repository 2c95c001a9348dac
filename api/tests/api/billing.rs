use serde_json::{Value, json};

use crate::helpers::{fields, problem, spawn};
use crate::tenants::create;

#[tokio::test]
async fn plans_subscription_usage_upgrade_and_invoices() {
    let Some(app) = spawn().await else { return };
    let plans: Value = app
        .bare()
        .get("/plans")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = plans
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"free") && ids.contains(&"starter"), "{ids:?}");

    let alice = app.user("alice@example.test").await;
    create(&alice, "acme-blog").await;
    let view: Value = alice
        .get("/subscription")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["plan"]["id"], "free");
    assert_eq!(view["subscription"]["status"], "active");
    assert_eq!(view["usage"]["instances"], json!({"used": 1, "allowed": 1}));
    assert_eq!(view["usage"]["replicas"]["used"], 1);

    let unknown = alice
        .post("/subscription/upgrade")
        .json(&json!({"plan": "platinum"}))
        .send()
        .await
        .unwrap();
    let body = problem(unknown, 422, "validation_failed").await;
    assert_eq!(crate::helpers::fields(&body), ["plan"]);

    // A dearer plan is a request: nothing changes, nothing is invoiced, until an
    // administrator approves it.
    let requested = alice
        .post("/subscription/upgrade")
        .json(&json!({"plan": "starter"}))
        .send()
        .await
        .unwrap();
    assert_eq!(requested.status(), 202);
    let requested: Value = requested.json().await.unwrap();
    assert_eq!(requested["plan"]["id"], "free");
    assert_eq!(requested["pending"]["planId"], "starter");
    assert_eq!(requested["pending"]["status"], "pending");
    let request_id = requested["pending"]["id"].as_str().unwrap().to_owned();
    let invoices: Value = alice
        .get("/invoices")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(invoices, json!([]));
    problem(
        alice
            .post(&format!("/admin/plan-requests/{request_id}/approve"))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;

    let admin = app.admin().await;
    let pending: Value = admin
        .get("/admin/plan-requests")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        pending
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == request_id.as_str()),
        "{pending}"
    );
    let approve = |id: String| {
        let admin = admin.clone();
        async move {
            admin
                .post(&format!("/admin/plan-requests/{id}/approve"))
                .header("X-Requested-With", "swarmpress")
                .send()
                .await
                .unwrap()
        }
    };
    let approved = approve(request_id.clone()).await;
    assert_eq!(approved.status(), 200);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["status"], "active");
    problem(approve(request_id).await, 404, "not_found").await;

    let upgraded: Value = alice
        .get("/subscription")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(upgraded["plan"]["id"], "starter");
    assert_eq!(upgraded["pending"], Value::Null);
    assert_eq!(upgraded["usage"]["instances"]["allowed"], 5);
    let invoices: Value = alice
        .get("/invoices")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(invoices.as_array().unwrap().len(), 1);
    assert_eq!(invoices[0]["planId"], "starter");
    assert_eq!(invoices[0]["status"], "open", "nothing was paid");

    // A refused request leaves the plan as it was.
    let requested: Value = alice
        .post("/subscription/upgrade")
        .json(&json!({"plan": "business"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request_id = requested["pending"]["id"].as_str().unwrap();
    let refused: Value = admin
        .post(&format!("/admin/plan-requests/{request_id}/refuse"))
        .header("X-Requested-With", "swarmpress")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused["status"], "refused");
    let view: Value = alice
        .get("/subscription")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["plan"]["id"], "starter");
    assert_eq!(view["pending"], Value::Null);

    // Now two replicas are allowed; going back to free with them is refused.
    let scaled = alice
        .post("/tenants/acme-blog/scale")
        .json(&json!({"replicas": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(scaled.status(), 202);
    let downgrade = alice
        .post("/subscription/upgrade")
        .json(&json!({"plan": "free"}))
        .send()
        .await
        .unwrap();
    problem(downgrade, 403, "quota_exceeded").await;
    problem(
        app.bare().get("/subscription").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
}

/// With upgrades opened by the operator, a dearer plan applies at once (its invoice still
/// open: nothing was paid).
#[tokio::test]
async fn open_upgrades_apply_at_once() {
    let Some(app) = crate::helpers::spawn_with(|config| config.open_upgrades = true).await else {
        return;
    };
    let bob = app.user("bob-open@example.test").await;
    let changed = bob
        .post("/subscription/upgrade")
        .json(&json!({"plan": "starter"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let view: Value = changed.json().await.unwrap();
    assert_eq!(view["plan"]["id"], "starter");
    let invoices: Value = bob
        .get("/invoices")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(invoices[0]["status"], "open");
}

/// Administrators see every user's invoices and mark open ones paid, on the record; the
/// user sees the payment in their own list.
#[tokio::test]
async fn administrators_mark_invoices_paid() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let alice = app.user("alice@example.test").await;
    app.move_to_plan(&alice, "starter").await;
    problem(
        alice.get("/admin/invoices").send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;

    let open: Value = admin
        .get("/admin/invoices?status=open")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["planId"], "starter");
    let id = open[0]["id"].as_str().unwrap();
    problem(
        alice
            .post(&format!("/admin/invoices/{id}/pay"))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    let paid = admin
        .post(&format!("/admin/invoices/{id}/pay"))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);
    let paid: Value = paid.json().await.unwrap();
    assert_eq!(paid["status"], "paid");
    assert!(paid["paidAt"].is_string());
    problem(
        admin
            .post(&format!("/admin/invoices/{id}/pay"))
            .send()
            .await
            .unwrap(),
        409,
        "conflict",
    )
    .await;
    problem(
        admin
            .post(&format!("/admin/invoices/{}/pay", uuid::Uuid::new_v4()))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    let bad = problem(
        admin
            .get("/admin/invoices?status=owed")
            .send()
            .await
            .unwrap(),
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&bad), ["status"]);
    let none_open: Value = admin
        .get("/admin/invoices?status=open")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none_open, serde_json::json!([]));

    let mine: Value = alice
        .get("/invoices")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["status"], "paid");
    let audit: Value = admin
        .get("/admin/audit")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit[0]["action"], "invoicePaid");
    assert_eq!(audit[0]["target"]["label"], "alice@example.test");
    assert_eq!(audit[0]["detail"]["invoice"], id);
}

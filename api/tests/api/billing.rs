use serde_json::{Value, json};

use crate::helpers::{problem, spawn};
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

    let upgraded = alice
        .post("/subscription/upgrade")
        .json(&json!({"plan": "starter"}))
        .send()
        .await
        .unwrap();
    assert_eq!(upgraded.status(), 200);
    let upgraded: Value = upgraded.json().await.unwrap();
    assert_eq!(upgraded["plan"]["id"], "starter");
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

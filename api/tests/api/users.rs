//! User administration: what an administrator can do to accounts, what each action does to
//! the account's sessions, tokens and sites, and the audit log that records it.

use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, Client, TestApp, fields, problem, spawn};
use crate::tenants::create;

const PASSWORD: &str = "a-long-password-1";

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let code = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(code, status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn user_by_email(admin: &Client, email: &str) -> Value {
    let users = json_of(admin.get("/admin/users").send().await.unwrap(), 200).await;
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .cloned()
        .unwrap_or_else(|| panic!("{email} not in {users}"))
}

async fn patch_user(admin: &Client, id: &str, body: Value) -> reqwest::Response {
    admin
        .patch(&format!("/admin/users/{id}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> (Client, reqwest::Response) {
    let client = app.browser();
    let response = client
        .post("/auth/login")
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    (client, response)
}

async fn audit(admin: &Client, query: &str) -> Vec<Value> {
    json_of(
        admin
            .get(&format!("/admin/audit{query}"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

/// The list shows plan and sites; role and plan changes are made and recorded; users and
/// administrators acting on themselves meet the limits.
#[tokio::test]
async fn administrators_see_accounts_and_change_roles_and_plans_on_the_record() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let alice = app.user("alice@example.test").await;
    create(&alice, "alice-blog").await;

    for path in ["/admin/users", "/admin/audit"] {
        problem(alice.get(path).send().await.unwrap(), 403, "forbidden").await;
    }
    let listed = user_by_email(&admin, "alice@example.test").await;
    assert_eq!(listed["planId"], "free");
    assert_eq!(listed["sites"], 1);
    assert_eq!(listed["role"], "user");
    assert!(listed.get("disabledAt").is_none(), "{listed}");
    assert_eq!(listed["mustChangePassword"], false);
    let id = listed["id"].as_str().unwrap().to_owned();
    let one = json_of(
        admin
            .get(&format!("/admin/users/{id}"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(one, listed);
    problem(
        admin
            .get(&format!("/admin/users/{}", uuid::Uuid::new_v4()))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;

    let promoted = json_of(patch_user(&admin, &id, json!({"role": "admin"})).await, 200).await;
    assert_eq!(promoted["role"], "admin");
    let demoted = json_of(patch_user(&admin, &id, json!({"role": "user"})).await, 200).await;
    assert_eq!(demoted["role"], "user");
    let moved = json_of(
        patch_user(&admin, &id, json!({"planId": "starter"})).await,
        200,
    )
    .await;
    assert_eq!(moved["planId"], "starter");
    // Changing nothing records nothing.
    json_of(
        patch_user(&admin, &id, json!({"role": "user", "planId": "starter"})).await,
        200,
    )
    .await;

    let body = problem(
        patch_user(&admin, &id, json!({"planId": "platinum"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["planId"]);
    let body = problem(
        patch_user(&admin, &id, json!({"stopSites": true})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["stopSites"]);
    problem(
        patch_user(&admin, &id, json!({"role": "root"})).await,
        400,
        "validation_failed",
    )
    .await;
    problem(
        patch_user(&admin, &id, json!({"unknown": 1})).await,
        400,
        "validation_failed",
    )
    .await;

    // No administrator locks themselves out.
    let me = user_by_email(&admin, ADMIN_EMAIL).await;
    let me = me["id"].as_str().unwrap();
    for body in [json!({"role": "user"}), json!({"disabled": true})] {
        problem(patch_user(&admin, me, body).await, 409, "conflict").await;
    }
    problem(
        admin
            .delete(&format!("/admin/users/{me}"))
            .send()
            .await
            .unwrap(),
        409,
        "conflict",
    )
    .await;
    problem(
        admin
            .post(&format!("/admin/users/{me}/password-reset"))
            .send()
            .await
            .unwrap(),
        409,
        "conflict",
    )
    .await;

    // A plan request decided by an administrator is on the record too.
    let asked = json_of(
        alice
            .post("/subscription/upgrade")
            .json(&json!({"plan": "business"}))
            .send()
            .await
            .unwrap(),
        202,
    )
    .await;
    let request = asked["pending"]["id"].as_str().unwrap();
    json_of(
        admin
            .post(&format!("/admin/plan-requests/{request}/refuse"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;

    let entries = audit(&admin, "").await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "planRequestRefused",
            "planChanged",
            "roleChanged",
            "roleChanged"
        ],
        "newest first: {entries:?}"
    );
    let promotion = &entries[3];
    assert_eq!(promotion["actor"]["email"], ADMIN_EMAIL);
    assert_eq!(
        promotion["target"],
        json!({"kind": "user", "id": id, "label": "alice@example.test"})
    );
    assert_eq!(promotion["detail"], json!({"from": "user", "to": "admin"}));
    assert_eq!(promotion["source"], "127.0.0.1");
    assert_eq!(
        entries[1]["detail"],
        json!({"from": "free", "to": "starter"})
    );
    assert_eq!(entries[0]["detail"], json!({"plan": "business"}));

    // Paged, and by target.
    let first = admin.get("/admin/audit?limit=3").send().await.unwrap();
    let next = first.headers()["x-continue"].to_str().unwrap().to_owned();
    assert_eq!(json_of(first, 200).await.as_array().unwrap().len(), 3);
    let rest = audit(&admin, &format!("?limit=3&continue={next}")).await;
    assert_eq!(rest, entries[3..]);
    assert_eq!(audit(&admin, &format!("?target={id}")).await.len(), 4);
    assert!(audit(&admin, &format!("?target={me}")).await.is_empty());
}

/// A disabled account cannot sign in and its session and tokens stop working; its sites
/// stop if the administrator asks. Enabled again, the tokens work and the sites stay as
/// they are.
#[tokio::test]
async fn a_disabled_account_is_locked_out_until_enabled() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let alice = app.user("alice@example.test").await;
    let token = alice.personal_access_token("cli").await;
    app.move_to_plan(&alice, "starter").await;
    create(&alice, "alice-blog").await;
    create(&alice, "alice-shop").await;
    let id = user_by_email(&admin, "alice@example.test").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_token = |path: &str| app.bare().get(path).bearer_auth(&token).send();
    assert_eq!(with_token("/tenants").await.unwrap().status(), 200);

    let disabled = json_of(
        patch_user(&admin, &id, json!({"disabled": true, "stopSites": true})).await,
        200,
    )
    .await;
    assert!(disabled["disabledAt"].is_string(), "{disabled}");
    problem(
        alice.get("/tenants").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    problem(with_token("/tenants").await.unwrap(), 401, "unauthorized").await;
    problem(
        alice.post("/auth/refresh").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    let (_, refused) = login(&app, "alice@example.test", PASSWORD).await;
    let body = problem(refused, 403, "forbidden").await;
    assert!(
        body["detail"].as_str().unwrap().contains("disabled"),
        "{body}"
    );
    // A wrong password is told nothing more.
    let (_, wrong) = login(&app, "alice@example.test", "not-her-password").await;
    problem(wrong, 401, "unauthorized").await;
    for site in ["alice-blog", "alice-shop"] {
        let tenant = json_of(
            admin.get(&format!("/tenants/{site}")).send().await.unwrap(),
            200,
        )
        .await;
        assert_eq!(tenant["spec"]["state"], "Stopped", "{site}");
    }

    let enabled = json_of(
        patch_user(&admin, &id, json!({"disabled": false})).await,
        200,
    )
    .await;
    assert!(enabled.get("disabledAt").is_none(), "{enabled}");
    assert_eq!(with_token("/tenants").await.unwrap().status(), 200);
    let (again, response) = login(&app, "alice@example.test", PASSWORD).await;
    assert_eq!(response.status(), 200);
    let tenant = json_of(again.get("/tenants/alice-blog").send().await.unwrap(), 200).await;
    assert_eq!(
        tenant["spec"]["state"], "Stopped",
        "enabling starts nothing"
    );

    // Disabled with its sites kept running.
    json_of(
        patch_user(&admin, &id, json!({"disabled": true})).await,
        200,
    )
    .await;
    json_of(
        again
            .post("/tenants/alice-blog/start")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    let actions: Vec<Value> = audit(&admin, &format!("?target={id}"))
        .await
        .iter()
        .map(|e| json!([e["action"], e["detail"]]))
        .collect();
    assert_eq!(
        actions,
        [
            json!(["disabled", {"sites": "kept running"}]),
            json!(["enabled", {}]),
            json!(["disabled", {"sites": "stopped"}]),
            json!(["planRequestApproved", {"plan": "starter"}]),
        ]
    );
}

/// A reset password: the old one and every session and token stop working, the new one is
/// shown once, and with it the user may do nothing but choose their own.
#[tokio::test]
async fn after_a_reset_the_user_must_choose_a_new_password_first() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let alice = app.user("alice@example.test").await;
    let token = alice.personal_access_token("cli").await;
    let id = user_by_email(&admin, "alice@example.test").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let reset = json_of(
        admin
            .post(&format!("/admin/users/{id}/password-reset"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let temporary = reset["temporaryPassword"].as_str().unwrap().to_owned();
    assert_eq!(temporary.len(), 20);
    assert_eq!(reset["user"]["mustChangePassword"], true);
    problem(
        alice.get("/tenants").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    problem(
        app.bare()
            .get("/tenants")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    let (_, old) = login(&app, "alice@example.test", PASSWORD).await;
    problem(old, 401, "unauthorized").await;

    let (client, response) = login(&app, "alice@example.test", &temporary).await;
    let user = json_of(response, 200).await;
    assert_eq!(user["mustChangePassword"], true);
    let body = problem(
        client.get("/tenants").send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("new one"),
        "{body}"
    );
    problem(
        client
            .patch("/auth/profile")
            .json(&json!({"name": "Eve"}))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    let profile = json_of(client.get("/auth/profile").send().await.unwrap(), 200).await;
    assert_eq!(profile["mustChangePassword"], true);
    let changed = client
        .put("/auth/password")
        .json(&json!({"currentPassword": temporary, "newPassword": "her-own-new-password"}))
        .send()
        .await
        .unwrap();
    assert!(
        changed.status().is_success(),
        "{}",
        changed.text().await.unwrap()
    );
    let profile = json_of(client.get("/auth/profile").send().await.unwrap(), 200).await;
    assert_eq!(profile["mustChangePassword"], false);
    assert_eq!(client.get("/tenants").send().await.unwrap().status(), 200);

    let entries = audit(&admin, &format!("?target={id}")).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"], "passwordReset");
    assert!(
        !entries[0].to_string().contains(&temporary),
        "the password is not in the log"
    );
}

/// Only an account without sites can be deleted; it is gone with its sessions, and the
/// audit log keeps the record.
#[tokio::test]
async fn an_account_is_deleted_only_once_its_sites_are_gone() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let alice = app.user("alice@example.test").await;
    let bob = app.user("bob@example.test").await;
    create(&alice, "alice-blog").await;
    let alice_id = user_by_email(&admin, "alice@example.test").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_id = user_by_email(&admin, "bob@example.test").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let body = problem(
        admin
            .delete(&format!("/admin/users/{alice_id}"))
            .send()
            .await
            .unwrap(),
        409,
        "conflict",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("1 site"),
        "{body}"
    );
    // Marked for deletion is not gone.
    json_of(
        alice.delete("/tenants/alice-blog").send().await.unwrap(),
        202,
    )
    .await;
    problem(
        admin
            .delete(&format!("/admin/users/{alice_id}"))
            .send()
            .await
            .unwrap(),
        409,
        "conflict",
    )
    .await;

    let deleted = admin
        .delete(&format!("/admin/users/{bob_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    problem(
        bob.get("/auth/profile").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    let (_, gone) = login(&app, "bob@example.test", PASSWORD).await;
    problem(gone, 401, "unauthorized").await;
    problem(
        admin
            .get(&format!("/admin/users/{bob_id}"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    problem(
        admin
            .delete(&format!("/admin/users/{bob_id}"))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    let entries = audit(&admin, &format!("?target={bob_id}")).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"], "deleted");
    assert_eq!(entries[0]["target"]["label"], "bob@example.test");
    // The address is free again.
    app.user("bob@example.test").await;
}

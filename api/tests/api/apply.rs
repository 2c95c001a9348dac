use serde_json::Value;

use crate::helpers::{Client, problem, spawn};

const MANIFEST: &str = r#"
apiVersion: swarmpress.io/v1
kind: Tenant
metadata: { name: acme-blog, labels: { team: web } }
spec:
  displayName: Acme Blog
  region: eu-west
  state: Running
  replicas: 1
  resources: { cpu: 0.5, memory: 512Mi }
  env: { WP_DEBUG: "false" }
  admin: { user: admin, email: admin@acme.test }
---
apiVersion: swarmpress.io/v1
kind: Tenant
metadata: { name: broken }
spec:
  displayName: Broken
  region: eu-west
  replicas: "many"
  admin: { user: admin, email: admin@acme.test }
"#;

async fn apply(client: &Client, dry_run: bool, body: &str) -> Vec<Value> {
    let response = client
        .post(&format!("/apply?dryRun={dry_run}"))
        .header("content-type", "application/yaml")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    body["results"].as_array().unwrap().clone()
}

#[tokio::test]
async fn dry_run_writes_nothing_and_a_second_apply_is_unchanged() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;

    let results = apply(&alice, true, MANIFEST).await;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["kind"], "Tenant");
    assert_eq!(results[0]["name"], "acme-blog");
    assert_eq!(results[0]["action"], "created");
    assert!(results[0].get("adminPassword").is_none());
    assert_eq!(results[1]["action"], "invalid");
    assert_eq!(results[1]["errors"][0]["field"], "spec.replicas");
    let response = alice.get("/tenants/acme-blog").send().await.unwrap();
    problem(response, 404, "not_found").await;

    // For real: the valid document is created despite the invalid one.
    let results = apply(&alice, false, MANIFEST).await;
    assert_eq!(results[0]["action"], "created");
    assert_eq!(results[0]["adminPassword"].as_str().unwrap().len(), 20);
    assert_eq!(results[1]["action"], "invalid");
    let tenant: Value = alice
        .get("/tenants/acme-blog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tenant["spec"]["resources"]["cpu"], "0.5");
    assert_eq!(tenant["metadata"]["labels"]["team"], "web");
    let version = tenant["metadata"]["resourceVersion"].clone();

    let results = apply(&alice, false, MANIFEST).await;
    assert_eq!(results[0]["action"], "unchanged");
    let tenant: Value = alice
        .get("/tenants/acme-blog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tenant["metadata"]["resourceVersion"], version);

    // A change is `configured` (dry run first: still nothing written).
    let changed = MANIFEST.replace("displayName: Acme Blog", "displayName: Acme Journal");
    assert_eq!(
        apply(&alice, true, &changed).await[0]["action"],
        "configured"
    );
    let tenant: Value = alice
        .get("/tenants/acme-blog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tenant["spec"]["displayName"], "Acme Blog");
    assert_eq!(
        apply(&alice, false, &changed).await[0]["action"],
        "configured"
    );
    let tenant: Value = alice
        .get("/tenants/acme-blog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tenant["spec"]["displayName"], "Acme Journal");
    assert_eq!(tenant["metadata"]["generation"], 2);

    // Someone else's tenant of the same name is not theirs to configure.
    let bob = app.user("bob@example.test").await;
    let results = apply(&bob, false, &changed).await;
    assert_eq!(results[0]["action"], "invalid");
}

#[tokio::test]
async fn quota_and_bad_yaml_are_reported_per_document() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    let two = format!(
        "{}\n---\n{}",
        MANIFEST.split("---").next().unwrap(),
        MANIFEST
            .split("---")
            .next()
            .unwrap()
            .replace("acme-blog", "second-blog")
    );
    // The free plan allows one site: the second creation of the same dry run is refused.
    let results = apply(&alice, true, &two).await;
    assert_eq!(results[0]["action"], "created");
    assert_eq!(results[1]["action"], "invalid");

    let results = apply(&alice, true, "kind: [unclosed").await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["action"], "invalid");

    let wrong_type = alice
        .post("/apply")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    problem(wrong_type, 415, "validation_failed").await;
}

/// A manifest of more documents than the limit is refused whole, before any is applied.
#[tokio::test]
async fn a_manifest_of_too_many_documents_is_refused_whole() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let documents: Vec<String> = (0..101)
        .map(|i| {
            format!(
                "apiVersion: swarmpress.io/v1\nkind: Tenant\nmetadata: {{ name: many-{i} }}\n\
                 spec: {{ displayName: Many, region: eu-west, replicas: 1, \
                 admin: {{ user: admin, email: admin@acme.test }} }}\n"
            )
        })
        .collect();
    let response = admin
        .post("/apply")
        .header("content-type", "application/yaml")
        .body(documents.join("---\n"))
        .send()
        .await
        .unwrap();
    let body = problem(response, 413, "payload_too_large").await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("at most 100") && detail.contains("101"),
        "{detail}"
    );
    let listed: Value = admin
        .get("/tenants")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed["items"].as_array().unwrap().is_empty(),
        "nothing applied"
    );
    // The limit itself is fine.
    let results = apply(&admin, true, &documents[..100].join("---\n")).await;
    assert_eq!(results.len(), 100);
}

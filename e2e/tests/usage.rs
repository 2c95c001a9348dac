//! Plan allocations on the real platform: a site's traffic through the edge is metered from
//! Traefik's per-router byte counters; its storage (volume, database, bucket) is measured; at
//! 80 % of the plan's storage its owner is warned, and over it WordPress refuses new uploads
//! (real uploads through wp-admin) while the site keeps serving, until the allocation grows.
//!
//! The test runs on a plan of its own (a row it adds to the platform's catalogue and removes
//! at the end) so that its allocation can be moved around the site's measured size.

// The helpers below are test code too: a failed step panics with what it saw.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use swarmpress_e2e::{Api, Platform, ScratchTenant, SqlValue, random_lowercase};

const SITE_TIMEOUT: Duration = Duration::from_secs(180);
const MIB: u64 = 1 << 20;
/// Under Debian PHP's 2 MiB `upload_max_filesize`.
const UPLOAD_BYTES: usize = 1_500_000;

async fn json_of(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{what}: {status} {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e}: {body}"))
}

/// Measures now (the controller's usage meter) and returns the usage report.
async fn measure(api: &Api, name: &str) -> Value {
    let action = json_of(
        api.request(Method::POST, &format!("/tenants/{name}/usage/measure"))
            .send()
            .await
            .unwrap(),
        "measure",
    )
    .await;
    assert_eq!(action["state"], "succeeded", "{action}");
    json_of(
        api.request(Method::GET, &format!("/tenants/{name}/usage"))
            .send()
            .await
            .unwrap(),
        "usage",
    )
    .await
}

async fn condition(api: &Api, name: &str, type_: &str) -> Value {
    let tenant = json_of(
        api.request(Method::GET, &format!("/tenants/{name}"))
            .send()
            .await
            .unwrap(),
        "tenant",
    )
    .await;
    tenant["status"]["conditions"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["type"] == type_).cloned())
        .unwrap_or_else(|| panic!("no {type_} condition in {tenant}"))
}

async fn set_allocation(platform: &Platform, plan: &str, mib: u64) {
    let changed = platform
        .execute(
            "UPDATE swarmpress.plans SET storage_mib = ? WHERE id = ?",
            vec![SqlValue::from(mib as i64), SqlValue::from(plan.to_owned())],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1, "the test plan is there");
}

/// A logged-in wp-admin session: its cookies and the media form's nonce.
struct WpSession {
    cookies: String,
    nonce: String,
}

async fn wp_login(client: &reqwest::Client, base: &str, user: &str, password: &str) -> WpSession {
    let response = client
        .post(format!("{base}/wp-login.php"))
        .header(COOKIE, "wordpress_test_cookie=WP%20Cookie%20check")
        .form(&[
            ("log", user),
            ("pwd", password),
            ("wp-submit", "Log In"),
            ("testcookie", "1"),
        ])
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("wordpress_logged_in")),
        "no login cookie: {} {cookies:?}",
        response.status()
    );
    let cookies = cookies.join("; ");
    let page = client
        .get(format!("{base}/wp-admin/media-new.php"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let nonce = ["\"_wpnonce\":\"", "name=\"_wpnonce\" value=\""]
        .iter()
        .find_map(|marker| {
            let start = page.find(marker)? + marker.len();
            let end = start + page[start..].find('"')?;
            Some(page[start..end].to_owned())
        })
        .unwrap_or_else(|| panic!("no media-form nonce on media-new.php"));
    WpSession { cookies, nonce }
}

/// Uploads a text file through WordPress's own upload handler (what the media library's
/// uploader calls): `Ok` with the attachment, or `Err` with WordPress's message.
async fn upload(
    client: &reqwest::Client,
    base: &str,
    session: &WpSession,
    name: &str,
) -> Result<Value, String> {
    let boundary = format!("swarmpress{}", random_lowercase(12).unwrap());
    let line = "usage test line of text for the storage allocation\n";
    let content = line.repeat(UPLOAD_BYTES / line.len());
    let mut body = String::new();
    for (field, value) in [
        ("action", "upload-attachment"),
        ("_wpnonce", session.nonce.as_str()),
        ("name", name),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"async-upload\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n{content}\r\n--{boundary}--\r\n"
    ));
    let response = client
        .post(format!("{base}/wp-admin/async-upload.php"))
        .header(COOKIE, &session.cookies)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let answer: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("upload answered {status}: {}", &text[..text.len().min(500)]));
    if answer["success"] == true {
        Ok(answer["data"].clone())
    } else {
        Err(answer["data"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_is_metered_and_storage_over_the_allocation_refuses_uploads() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let plan = format!("e2e-usage-{}", random_lowercase(6).unwrap());
    platform
        .execute(
            "INSERT INTO swarmpress.plans (id, name, max_instances, max_replicas, price_cents, \
             currency, features, sort_order, max_cpu_millis, max_memory_mib, storage_mib, \
             bandwidth_gib) VALUES (?, 'E2E usage', 1, 1, 0, 'USD', '[\"Basic\"]', 9999, 500, \
             512, 1024, 1)",
            vec![SqlValue::from(plan.clone())],
        )
        .await
        .unwrap();
    let api = Api::user(platform.config.edge_addr, "usage", &plan)
        .await
        .unwrap();
    let profile = json_of(
        api.request(Method::GET, "/auth/profile")
            .send()
            .await
            .unwrap(),
        "profile",
    )
    .await;
    let tenant = ScratchTenant::create(&platform, &api, "usage", |_| {})
        .await
        .unwrap();
    let name = tenant.name().to_string();
    let client = tenant.http_client().unwrap();
    let base = tenant.base_url();
    tenant
        .wait_for_page(
            &client,
            "/",
            Duration::from_millis(250),
            SITE_TIMEOUT,
            |_| true,
        )
        .await
        .unwrap();

    // Traffic: what the site served through the edge is added to this month.
    let before = measure(&api, &name).await;
    let mut served = 0u64;
    for _ in 0..20 {
        let page = client.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        served += page.bytes().await.unwrap().len() as u64;
    }
    let after = measure(&api, &name).await;
    let metered = after["bandwidth"]["bytes"].as_u64().unwrap()
        - before["bandwidth"]["bytes"].as_u64().unwrap();
    assert!(
        metered >= served,
        "the edge metered {metered} bytes for {served} bytes of pages served"
    );
    assert_eq!(after["bandwidth"]["allocationBytes"], json!(1u64 << 30));
    assert_eq!(after["history"][0]["month"], after["bandwidth"]["month"]);
    assert_eq!(
        condition(&api, &name, "BandwidthWithinAllocation").await["status"],
        "True"
    );

    // Storage: uploads go in while there is room; the measurement sees them.
    let session = wp_login(&client, &base, tenant.admin_user(), tenant.admin_password()).await;
    let mut usage = after;
    let mut n = 0;
    while usage["storage"]["totalBytes"].as_u64().unwrap() < 4 * MIB {
        n += 1;
        upload(&client, &base, &session, &format!("fill-{n}.txt"))
            .await
            .unwrap_or_else(|message| panic!("an upload within the allocation: {message}"));
        usage = measure(&api, &name).await;
    }
    let storage = &usage["storage"];
    assert!(storage["volumeBytes"].as_u64().unwrap() >= UPLOAD_BYTES as u64);
    assert!(storage["databaseBytes"].as_u64().unwrap() > 0);
    assert_eq!(storage["state"], "within");

    // An allocation just above the size: warned, uploads still taken.
    let total = storage["totalBytes"].as_u64().unwrap();
    set_allocation(&platform, &plan, total.div_ceil(MIB)).await;
    let near = measure(&api, &name).await;
    assert_eq!(near["storage"]["state"], "nearLimit", "{near}");
    let warned = condition(&api, &name, "StorageWithinAllocation").await;
    assert_eq!(
        (warned["status"].as_str(), warned["reason"].as_str()),
        (Some("True"), Some("NearLimit")),
        "{warned}"
    );
    upload(&client, &base, &session, "last.txt")
        .await
        .unwrap_or_else(|message| panic!("an upload at 80-100 %: {message}"));

    // Over it: refused with the reason, the site still serving.
    let over = measure(&api, &name).await;
    assert_eq!(over["storage"]["state"], "exceeded", "{over}");
    let refused = condition(&api, &name, "StorageWithinAllocation").await;
    assert_eq!(refused["status"], "False", "{refused}");
    let message = upload(&client, &base, &session, "refused.txt")
        .await
        .expect_err("an upload over the allocation is refused");
    assert!(
        message.contains("new uploads are refused"),
        "WordPress says why: {message}"
    );
    let page = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "the site keeps serving");

    // The refusal is an option of the site's own database, which its code can write: one
    // removed (as a hostile plugin would) is written again by the next measurement.
    let removed = platform
        .execute(
            &format!(
                "DELETE FROM `{}`.wp_options WHERE option_name = 'swarmpress_upload_refusal'",
                tenant.name().database_name()
            ),
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(removed, 1, "the refusal was in the site's options");
    measure(&api, &name).await;
    upload(&client, &base, &session, "sneaked.txt")
        .await
        .expect_err("the refusal is back after the next measurement");

    // A bigger allocation (an upgrade) takes uploads again at the next measurement.
    set_allocation(&platform, &plan, 1024).await;
    assert_eq!(measure(&api, &name).await["storage"]["state"], "within");
    upload(&client, &base, &session, "after-upgrade.txt")
        .await
        .unwrap_or_else(|message| panic!("an upload after the upgrade: {message}"));

    tenant.cleanup().await.unwrap();
    let admin = Api::admin(platform.config.edge_addr).await.unwrap();
    let id = profile["id"].as_str().unwrap();
    let gone = admin
        .request(Method::DELETE, &format!("/admin/users/{id}"))
        .send()
        .await
        .unwrap();
    assert!(
        gone.status().is_success(),
        "the test user is deleted: {}",
        gone.status()
    );
    platform
        .execute(
            "DELETE FROM swarmpress.plans WHERE id = ?",
            vec![SqlValue::from(plan)],
        )
        .await
        .unwrap();
}

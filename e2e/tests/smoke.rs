//! A WordPress site asked of the API comes up behind Traefik, installed with the requested
//! title; its admin can log in with the password the create showed once (and a wrong password
//! cannot); deleting it leaves nothing behind.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use swarmpress_e2e::{Api, Platform, ScratchTenant, html_title};

const SITE_TIMEOUT: Duration = Duration::from_secs(180);
const TEST_COOKIE: &str = "wordpress_test_cookie=WP%20Cookie%20check";

/// `name=value` of every cookie the response sets.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .map(|pair| pair.trim().to_owned())
        .collect()
}

async fn log_in(
    client: &reqwest::Client,
    base_url: &str,
    user: &str,
    password: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base_url}/wp-login.php"))
        .header(COOKIE, TEST_COOKIE)
        .form(&[
            ("log", user),
            ("pwd", password),
            ("wp-submit", "Log In"),
            ("testcookie", "1"),
        ])
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wordpress_tenant_comes_up_and_its_admin_can_log_in() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let api = Api::user(platform.config.edge_addr, "smoke", "free")
        .await
        .unwrap();
    let tenant = ScratchTenant::create(&platform, &api, "smoke", |_| {})
        .await
        .unwrap();
    eprintln!("smoke tenant: {} at {}", tenant.name(), tenant.base_url());

    let client = tenant.http_client().unwrap();
    let base_url = tenant.base_url();
    let title = tenant.title().to_owned();
    let home = tenant
        .wait_for_page(
            &client,
            "/",
            Duration::from_millis(500),
            SITE_TIMEOUT,
            |body| html_title(body).is_some_and(|t| t.contains(&title)),
        )
        .await
        .unwrap();
    assert!(html_title(&home).unwrap().contains(tenant.title()));

    let login_page = client
        .get(format!("{base_url}/wp-login.php"))
        .send()
        .await
        .unwrap();
    assert_eq!(login_page.status(), StatusCode::OK);

    let wrong = log_in(&client, &base_url, tenant.admin_user(), "not-the-password")
        .await
        .unwrap();
    let wrong_status = wrong.status();
    let wrong_cookies = set_cookies(&wrong);
    assert_ne!(
        wrong_status,
        StatusCode::FOUND,
        "a wrong password redirected"
    );
    assert!(
        !wrong_cookies
            .iter()
            .any(|c| c.starts_with("wordpress_logged_in_")),
        "a wrong password got a login cookie: {wrong_cookies:?}"
    );

    let right = log_in(
        &client,
        &base_url,
        tenant.admin_user(),
        tenant.admin_password(),
    )
    .await
    .unwrap();
    assert_eq!(right.status(), StatusCode::FOUND);
    let location = right
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        location.ends_with("/wp-admin/"),
        "redirected to {location:?} instead of the dashboard"
    );
    let cookies = set_cookies(&right);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("wordpress_logged_in_")),
        "no login cookie in {cookies:?}"
    );

    // The cookies are a working session: the dashboard answers instead of redirecting to login.
    let dashboard = client
        .get(format!("{base_url}/wp-admin/"))
        .header(COOKIE, cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(dashboard.status(), StatusCode::OK);
    assert!(dashboard.text().await.unwrap().contains("Dashboard"));

    let name = tenant.name().clone();
    tenant.cleanup().await.unwrap();
    assert!(!platform.database_exists(&name).await.unwrap());
    assert!(!platform.database_user_exists(&name).await.unwrap());
    assert!(!platform.service_exists(&name).await.unwrap());
    assert!(!platform.volume_exists(&name).await.unwrap());
}

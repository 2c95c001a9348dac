//! The tenant image's promises, checked on real services: replicas starting together install
//! once, a restarted site keeps its content and uploads, and a path prefix is honoured end to
//! end (Traefik rule, Apache alias, WordPress URLs).
// A test crate: its helpers fail the test the same way its assertions do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use swarmpress_e2e::{Platform, ScratchTenant, html_title};

const SITE_TIMEOUT: Duration = Duration::from_secs(180);
const POLL: Duration = Duration::from_millis(250);

/// One number from a query against the tenant's database, as the platform's admin.
async fn count(platform: &Platform, sql: String) -> i64 {
    let row = platform
        .databases
        .connection()
        .query_one_raw(Statement::from_string(
            platform.databases.connection().get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .expect("COUNT(*) returns a row");
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Running tasks of the tenant's service, as Swarm reports them.
async fn running_tasks(platform: &Platform, tenant: &ScratchTenant) -> usize {
    let service = tenant.name().service_name();
    let tasks = platform
        .swarm
        .docker()
        .list_tasks(Some(
            bollard::query_parameters::ListTasksOptionsBuilder::new()
                .filters(&std::collections::HashMap::from([
                    ("service", vec![service.as_str()]),
                    ("desired-state", vec!["running"]),
                ]))
                .build(),
        ))
        .await
        .unwrap();
    tasks
        .iter()
        .filter(|task| {
            task.status.as_ref().and_then(|s| s.state) == Some(bollard::models::TaskState::RUNNING)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_starting_together_install_once() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let mut tenant = ScratchTenant::prepare(&platform, "twin").await.unwrap();
    tenant.configure(|service| service.replicas = 2);
    tenant.start(&platform).await.unwrap();

    let client = tenant.http_client().unwrap();
    let title = tenant.title().to_owned();
    tenant
        .wait_for_page(&client, "/", POLL, SITE_TIMEOUT, |body| {
            html_title(body).is_some_and(|t| t.contains(&title))
        })
        .await
        .unwrap();
    // Both replicas must be healthy, i.e. both got past the install step.
    let deadline = std::time::Instant::now() + SITE_TIMEOUT;
    while running_tasks(&platform, &tenant).await < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "second replica never ran"
        );
        tokio::time::sleep(POLL).await;
    }

    let db = tenant.name().database_name();
    assert_eq!(
        count(&platform, format!("SELECT COUNT(*) FROM `{db}`.wp_users")).await,
        1,
        "exactly one admin user"
    );
    assert_eq!(
        count(
            &platform,
            format!("SELECT COUNT(*) FROM `{db}`.wp_posts WHERE post_type = 'post'")
        )
        .await,
        1,
        "exactly one sample post: the site was installed once"
    );
    assert_eq!(
        count(
            &platform,
            format!("SELECT COUNT(*) FROM `{db}`.wp_options WHERE option_name = 'siteurl'")
        )
        .await,
        1
    );
    tenant.cleanup(&platform).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_site_keeps_its_content_and_uploads() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let tenant = ScratchTenant::prepare(&platform, "restart").await.unwrap();
    tenant.start(&platform).await.unwrap();
    let client = tenant.http_client().unwrap();
    let title = tenant.title().to_owned();
    tenant
        .wait_for_page(&client, "/", POLL, SITE_TIMEOUT, |body| {
            html_title(body).is_some_and(|t| t.contains(&title))
        })
        .await
        .unwrap();

    // An upload, written where WordPress keeps them: the tenant's volume, seen from the host.
    let volume = platform
        .swarm
        .docker()
        .inspect_volume(&tenant.name().volume_name())
        .await
        .unwrap();
    let uploads = std::path::Path::new(&volume.mountpoint).join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    std::fs::write(uploads.join("probe.txt"), "kept across restarts\n").unwrap();

    // Restart the way `swarmpress restart` does: a forced update replaces the container.
    let service_name = tenant.name().service_name();
    let service = platform
        .swarm
        .inspect_service(&service_name)
        .await
        .unwrap()
        .unwrap();
    let first_task_count = platform
        .swarm
        .service_container_count(&service_name)
        .await
        .unwrap();
    let mut spec = service.spec.unwrap();
    if let Some(task) = spec.task_template.as_mut() {
        task.force_update = Some(task.force_update.unwrap_or(0) + 1);
    }
    platform.swarm.update_service(spec).await.unwrap();

    // Wait until a new container (not the first one) serves the site.
    let deadline = std::time::Instant::now() + SITE_TIMEOUT;
    loop {
        let containers = platform
            .swarm
            .service_container_count(&service_name)
            .await
            .unwrap();
        if containers > first_task_count && running_tasks(&platform, &tenant).await == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "restart never happened"
        );
        tokio::time::sleep(POLL).await;
    }
    let home = tenant
        .wait_for_page(&client, "/", POLL, SITE_TIMEOUT, |body| {
            html_title(body).is_some_and(|t| t.contains(&title))
        })
        .await
        .unwrap();
    assert!(home.contains("Hello world!"), "the sample post survived");
    let upload = client
        .get(format!(
            "{}/wp-content/uploads/probe.txt",
            tenant.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::OK);
    assert_eq!(upload.text().await.unwrap(), "kept across restarts\n");

    let db = tenant.name().database_name();
    assert_eq!(
        count(&platform, format!("SELECT COUNT(*) FROM `{db}`.wp_users")).await,
        1,
        "the restart did not install again"
    );
    tenant.cleanup(&platform).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_under_a_path_prefix_is_served_and_linked_there() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let mut tenant = ScratchTenant::prepare(&platform, "prefix").await.unwrap();
    tenant.configure(|service| service.path_prefix = Some("/blog".to_owned()));
    tenant.start(&platform).await.unwrap();
    let client = tenant.http_client().unwrap();
    let title = tenant.title().to_owned();
    let home = tenant
        .wait_for_page(&client, "/blog/", POLL, SITE_TIMEOUT, |body| {
            html_title(body).is_some_and(|t| t.contains(&title))
        })
        .await
        .unwrap();
    let base = tenant.base_url();
    assert!(
        home.contains(&format!("{base}/blog/")),
        "links point under the prefix"
    );
    assert!(
        !home.contains(&format!("\"{base}/wp-")),
        "no asset is linked outside the prefix"
    );

    // Assets under the prefix are served; outside the prefix Traefik has no route.
    let login = client
        .get(format!("{base}/blog/wp-login.php"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let outside = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
    tenant.cleanup(&platform).await.unwrap();
}

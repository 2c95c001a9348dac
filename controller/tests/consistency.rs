//! The consistency checker against the real platform: a scratch tenant's database, user and
//! secret made the way the reconciler makes them, then the world read back through the
//! checker's own listings and compared with records the test chooses. Only findings about the
//! scratch tenant are looked at: other suites' tenants come and go meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database};
use swarmpress_controller::reconcile::names::{PURPOSE_DB, secret_labels};
use swarmpress_controller::reconcile::password::GeneratedPassword;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::Tenant;

/// A record of `name` as the store would hold it, created `age` ago.
fn record(name: &TenantName, age: Duration) -> Tenant {
    let mut tenant: Tenant = serde_json::from_value(serde_json::json!({
        "metadata": {
            "name": name.as_str(),
            "uid": "00000000-0000-0000-0000-000000000001",
            "owner": "00000000-0000-0000-0000-000000000002",
            "generation": 1,
            "resourceVersion": "1",
            "creationTimestamp": "2026-12-07T12:00:00Z",
        },
        "spec": {"displayName": "Check", "region": "eu-west", "replicas": 1,
                 "admin": {"user": "admin", "email": "a@b.test"}},
    }))
    .unwrap();
    tenant.metadata.creation_timestamp = Utc::now() - chrono::Duration::from_std(age).unwrap();
    tenant
}

async fn findings_about(
    platform: &common::Platform,
    name: &TenantName,
    tenants: &[Tenant],
    grace: Duration,
) -> Vec<String> {
    common::consistency_findings(platform, name, tenants, grace).await
}

#[tokio::test]
async fn the_checker_reports_every_difference_between_records_and_the_world() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let name = common::unique_tenant("ck");
    let secret_name = format!("{}_db_{}", name.service_name(), common::random_suffix(8));
    let body = {
        let platform = platform.clone();
        let name = name.clone();
        let secret_name = secret_name.clone();
        async move {
            let password = GeneratedPassword::generate().unwrap();
            platform
                .databases
                .ensure(&name, &password, 4)
                .await
                .unwrap();
            platform
                .swarm
                .ensure_secret(
                    &secret_name,
                    secret_labels(&name, PURPOSE_DB),
                    b"not-a-password",
                )
                .await
                .unwrap();
            // Its S3 identity with the policy the reconciler gives it: checked, and found
            // allowed its own bucket alone.
            platform.identities.issue_key(&name).await.unwrap();
            let user = name.database_user();
            let database = name.database_name();

            // No record: everything of it is an orphan.
            assert_eq!(
                findings_about(&platform, &name, &[], Duration::ZERO).await,
                [
                    format!(
                        "{name}: S3 identity {}: belongs to no tenant",
                        name.bucket_name()
                    ),
                    format!("{name}: database user {user}: belongs to no tenant"),
                    format!("{name}: database {database}: belongs to no tenant"),
                    format!("{name}: secret {secret_name}: belongs to no tenant"),
                ]
            );

            // A record, older than the grace: what it lacks is missing, the secret mounted
            // by no service; nothing is an orphan any more.
            let settled = [record(&name, Duration::from_secs(600))];
            let found = findings_about(&platform, &name, &settled, Duration::ZERO).await;
            let bucket = name.bucket_name();
            assert_eq!(
                found,
                [
                    format!("{name}: bucket {bucket}: missing"),
                    format!("{name}: secret {secret_name}: mounted by no service"),
                    format!("{name}: service {}: missing", name.service_name()),
                    format!("{name}: volume {}: missing", name.volume_name()),
                ]
            );

            // A young record (within the grace) is still being provisioned.
            let young = [record(&name, Duration::from_secs(1))];
            assert_eq!(
                findings_about(&platform, &name, &young, Duration::from_secs(60)).await,
                Vec::<String>::new()
            );

            // A grant beyond its own database, made out of band, is found, and says only
            // what is granted on what (never the password's hash).
            let root = Database::connect(common::admin_url(&common::root_password().unwrap()))
                .await
                .unwrap();
            root.execute_unprepared(&format!("GRANT SELECT ON mysql.* TO '{user}'@'%'"))
                .await
                .unwrap();
            let found = findings_about(&platform, &name, &young, Duration::from_secs(60)).await;
            assert_eq!(
                found,
                [format!(
                    "{name}: database user {user}: holds SELECT ON `mysql`.*, beyond its own \
                     database"
                )]
            );
        }
    };
    let cleanup = async {
        platform.databases.drop(&name).await.unwrap();
        platform.swarm.remove_secret(&secret_name).await.unwrap();
        platform.identities.delete(&name).await.unwrap();
    };
    common::with_cleanup(body, cleanup).await;
}

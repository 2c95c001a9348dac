//! `TenantDatabases` against the platform's real MariaDB.

mod common;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use swarmpress_controller::{GeneratedPassword, TenantDatabases};
use swarmpress_schema::TenantName;

/// One replica's cap, as the controller sets it.
const CAP: u32 = 20;

async fn connect_as(
    tenant: &TenantName,
    password: &GeneratedPassword,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(common::tenant_url(tenant, password.expose()));
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options).await
}

async fn drop_all(databases: &TenantDatabases, tenants: &[TenantName]) {
    for tenant in tenants {
        if let Err(error) = databases.drop(tenant).await {
            eprintln!("cleanup of {tenant} failed: {error}");
        }
    }
}

#[tokio::test]
async fn ensure_is_idempotent_rotates_the_password_and_drop_removes_everything() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let tenant = common::unique_tenant("itdb");
    let databases = platform.databases.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let tenant = body_tenant;
            assert!(!databases.exists(&tenant).await.unwrap());
            assert!(!databases.user_exists(&tenant).await.unwrap());

            let first = GeneratedPassword::generate().unwrap();
            databases.ensure(&tenant, &first, CAP).await.unwrap();
            assert!(databases.exists(&tenant).await.unwrap());
            assert!(databases.user_exists(&tenant).await.unwrap());

            let session = connect_as(&tenant, &first).await.unwrap();
            session
                .execute_unprepared("CREATE TABLE probe (id INT PRIMARY KEY)")
                .await
                .unwrap();
            session
                .execute_unprepared("INSERT INTO probe VALUES (1)")
                .await
                .unwrap();
            session.close().await.unwrap();

            // Repeating with a new password keeps the data and switches the password.
            let second = GeneratedPassword::generate().unwrap();
            databases.ensure(&tenant, &second, CAP).await.unwrap();
            assert!(
                connect_as(&tenant, &first).await.is_err(),
                "the old password must stop working"
            );
            let session = connect_as(&tenant, &second).await.unwrap();
            let row = session
                .query_one_raw(sea_orm::Statement::from_string(
                    session.get_database_backend(),
                    "SELECT COUNT(*) AS n FROM probe",
                ))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
            session.close().await.unwrap();

            databases.drop(&tenant).await.unwrap();
            assert!(!databases.exists(&tenant).await.unwrap());
            assert!(!databases.user_exists(&tenant).await.unwrap());
            assert!(connect_as(&tenant, &second).await.is_err());
            // Dropping what is gone is not an error.
            databases.drop(&tenant).await.unwrap();
        },
        drop_all(&platform.databases, std::slice::from_ref(&tenant)),
    )
    .await;
}

/// `_` is a wildcard in database-level grants: an unescaped grant on `wp_<r>_x` would also
/// cover tenant `<r>xx`'s `wp_<r>xx`.
#[tokio::test]
async fn a_tenant_user_can_reach_only_its_own_database() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let stem = format!("g{}", common::random_suffix(8));
    let hyphenated = TenantName::parse(format!("{stem}-x")).unwrap();
    let lookalike = TenantName::parse(format!("{stem}xx")).unwrap();
    let tenants = vec![hyphenated.clone(), lookalike.clone()];
    let databases = platform.databases.clone();
    common::with_cleanup(
        async move {
            let password = GeneratedPassword::generate().unwrap();
            databases.ensure(&hyphenated, &password, CAP).await.unwrap();
            databases
                .ensure(&lookalike, &GeneratedPassword::generate().unwrap(), CAP)
                .await
                .unwrap();
            let victim = lookalike.database_name();
            for sql in [
                format!("CREATE TABLE `{victim}`.secret (v TEXT)"),
                format!("INSERT INTO `{victim}`.secret VALUES ('private')"),
            ] {
                databases
                    .connection()
                    .execute_unprepared(&sql)
                    .await
                    .unwrap();
            }

            let session = connect_as(&hyphenated, &password).await.unwrap();
            let read = session
                .execute_unprepared(&format!("SELECT * FROM `{victim}`.secret"))
                .await;
            assert!(read.is_err(), "read another tenant's table: {read:?}");
            let create = session
                .execute_unprepared("CREATE DATABASE wp_someone_else")
                .await;
            assert!(create.is_err(), "created a database: {create:?}");
            session.close().await.unwrap();
        },
        drop_all(&platform.databases, &tenants),
    )
    .await;
}

/// The bulk view a no-op reconcile trusts instead of asking per tenant: read through the
/// controller's own least-privilege account (its grants must cover `mysql.db`), up to date at
/// once after a change made through it, and within `VIEW_MAX_AGE` of one made behind its back.
#[tokio::test]
async fn the_bulk_view_shows_database_user_and_grant_and_sees_drift() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let databases = match common::controller_databases().await {
        Ok(databases) => databases,
        Err(reason) if common::platform_required() => panic!("controller account: {reason}"),
        Err(reason) => {
            eprintln!("SKIPPED: no controller account ({reason})");
            return;
        }
    };
    let tenant = common::unique_tenant("itdbv");
    let body_tenant = tenant.clone();
    let outsider = platform.databases.clone();
    common::with_cleanup(
        async move {
            let tenant = body_tenant;
            assert!(
                !databases
                    .view()
                    .await
                    .unwrap()
                    .unwrap()
                    .is_provisioned(&tenant, CAP)
            );
            databases
                .ensure(&tenant, &GeneratedPassword::generate().unwrap(), CAP)
                .await
                .unwrap();
            // Our own change invalidates the view: no wait for it to age.
            let view = databases.view().await.unwrap().unwrap();
            assert!(view.is_provisioned(&tenant, CAP));
            // A scaled site needs a new cap: the view says the user is not as wanted.
            assert!(!view.is_provisioned(&tenant, CAP + 16));

            // A grant revoked behind the controller's back (another connection, so the view
            // is not told): seen once the view is older than its maximum age.
            let pattern = tenant.database_name().replace('_', "\\_");
            outsider
                .connection()
                .execute_unprepared(&format!(
                    "REVOKE ALL PRIVILEGES ON `{pattern}`.* FROM '{}'@'%'",
                    tenant.database_user()
                ))
                .await
                .unwrap();
            tokio::time::sleep(swarmpress_controller::adapters::mariadb::VIEW_MAX_AGE).await;
            assert!(
                !databases
                    .view()
                    .await
                    .unwrap()
                    .unwrap()
                    .is_provisioned(&tenant, CAP)
            );
            databases
                .ensure_database_and_grants(&tenant, CAP)
                .await
                .unwrap();
            assert!(
                databases
                    .view()
                    .await
                    .unwrap()
                    .unwrap()
                    .is_provisioned(&tenant, CAP)
            );

            databases.drop(&tenant).await.unwrap();
            assert!(
                !databases
                    .view()
                    .await
                    .unwrap()
                    .unwrap()
                    .is_provisioned(&tenant, CAP)
            );
        },
        drop_all(&platform.databases, std::slice::from_ref(&tenant)),
    )
    .await;
}

/// `MAX_USER_CONNECTIONS`: a site cannot hold more sessions than its cap, whatever its code
/// does, and the cap follows a change (a scaled site) without a new password.
#[tokio::test]
async fn a_tenant_user_cannot_open_more_connections_than_its_cap() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let tenant = common::unique_tenant("itcap");
    let databases = platform.databases.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let tenant = body_tenant;
            let password = GeneratedPassword::generate().unwrap();
            databases.ensure(&tenant, &password, 2).await.unwrap();
            let first = connect_as(&tenant, &password).await.unwrap();
            let second = connect_as(&tenant, &password).await.unwrap();
            let third = connect_as(&tenant, &password).await;
            let Err(error) = third else {
                panic!("a third session over a cap of 2 was let in");
            };
            assert!(
                error.to_string().contains("max_user_connections"),
                "refused for another reason: {error}"
            );
            databases
                .ensure_database_and_grants(&tenant, 3)
                .await
                .unwrap();
            let third = connect_as(&tenant, &password).await.unwrap();
            for session in [first, second, third] {
                session.close().await.unwrap();
            }
        },
        drop_all(&platform.databases, std::slice::from_ref(&tenant)),
    )
    .await;
}

/// The usage meter's upload refusal: a row in the site's own `wp_options` (what the image's
/// upload guard reads), set, replaced and removed; a site not installed yet has nothing to
/// refuse.
#[tokio::test]
async fn the_upload_refusal_is_an_option_of_the_sites_own_database() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let tenant = common::unique_tenant("itquota");
    let databases = platform.databases.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let tenant = body_tenant;
            let password = GeneratedPassword::generate().unwrap();
            databases.ensure(&tenant, &password, CAP).await.unwrap();
            assert!(
                !databases
                    .set_upload_refusal(&tenant, Some("full"))
                    .await
                    .unwrap(),
                "no options table: not installed, nothing refused"
            );
            let session = connect_as(&tenant, &password).await.unwrap();
            session
                .execute_unprepared(
                    "CREATE TABLE wp_options (option_id BIGINT AUTO_INCREMENT PRIMARY KEY, \
                     option_name VARCHAR(191) NOT NULL UNIQUE, option_value LONGTEXT NOT NULL, \
                     autoload VARCHAR(20) NOT NULL DEFAULT 'yes')",
                )
                .await
                .unwrap();
            let refusal = async || -> Option<String> {
                session
                    .query_one_raw(sea_orm::Statement::from_string(
                        session.get_database_backend(),
                        "SELECT option_value FROM wp_options \
                         WHERE option_name = 'swarmpress_upload_refusal'",
                    ))
                    .await
                    .unwrap()
                    .map(|row| row.try_get::<String>("", "option_value").unwrap())
            };
            let quoted = "uses 2 MiB of 1 MiB: it's 'full'";
            assert!(
                databases
                    .set_upload_refusal(&tenant, Some("first"))
                    .await
                    .unwrap()
            );
            assert!(
                databases
                    .set_upload_refusal(&tenant, Some(quoted))
                    .await
                    .unwrap()
            );
            assert_eq!(
                refusal().await.as_deref(),
                Some(quoted),
                "bound, not spliced"
            );
            assert!(databases.set_upload_refusal(&tenant, None).await.unwrap());
            assert_eq!(refusal().await, None);
            session.close().await.unwrap();
        },
        drop_all(&platform.databases, std::slice::from_ref(&tenant)),
    )
    .await;
}

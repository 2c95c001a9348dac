//! `TenantDatabases` against the platform's real MariaDB.

mod common;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};
use swarmpress_controller::{GeneratedPassword, TenantDatabases};
use swarmpress_schema::TenantName;

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
            databases.ensure(&tenant, &first).await.unwrap();
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
            databases.ensure(&tenant, &second).await.unwrap();
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
            databases.ensure(&hyphenated, &password).await.unwrap();
            databases
                .ensure(&lookalike, &GeneratedPassword::generate().unwrap())
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
                    .is_provisioned(&tenant)
            );
            databases
                .ensure(&tenant, &GeneratedPassword::generate().unwrap())
                .await
                .unwrap();
            // Our own change invalidates the view: no wait for it to age.
            assert!(
                databases
                    .view()
                    .await
                    .unwrap()
                    .unwrap()
                    .is_provisioned(&tenant)
            );

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
                    .is_provisioned(&tenant)
            );
            databases.ensure_database_and_grants(&tenant).await.unwrap();
            assert!(
                databases
                    .view()
                    .await
                    .unwrap()
                    .unwrap()
                    .is_provisioned(&tenant)
            );

            databases.drop(&tenant).await.unwrap();
            assert!(
                !databases
                    .view()
                    .await
                    .unwrap()
                    .unwrap()
                    .is_provisioned(&tenant)
            );
        },
        drop_all(&platform.databases, std::slice::from_ref(&tenant)),
    )
    .await;
}

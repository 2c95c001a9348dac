//! Tenant databases and users in the shared MariaDB.
//!
//! Statements are built with `format!` because MariaDB cannot bind identifiers, and
//! `CREATE USER … IDENTIFIED BY` takes no placeholder. That is safe only because every
//! interpolated value comes from a [`TenantName`] derivation (`[a-z0-9_]`) or a
//! [`GeneratedPassword`] (`[A-Za-z0-9]`): neither type can hold a quote, backslash or backtick.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, RuntimeErr, Statement,
};
use swarmpress_schema::TenantName;

use crate::reconcile::password::GeneratedPassword;
use crate::views::cache::{RETRY_AFTER_FAILURE, ViewCache};

/// How long a bulk view of tenant databases, users and grants is trusted: a reconcile within
/// this long of the last listing makes no MariaDB round trip for a tenant the view shows
/// complete. Drift done behind the controller's back (a dropped user) is seen by the first
/// reconcile after the view is this old, and by the next periodic resync in any case (it
/// invalidates every view before queueing the tenants).
pub const VIEW_MAX_AGE: Duration = Duration::from_secs(10);

/// How long one administrative statement may take, waiting for a connection included. The
/// pool's own acquire timeout does not cover a connection that was handed out alive and whose
/// server then vanished: a query on it waited ~30 s for TCP to give up (seen when MariaDB
/// stopped under load), holding the reconcile — and its retry backoff — all that time.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Clone: a failed bulk listing's error is handed to every reconcile that waited for it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MariaDbError {
    /// The message has the connection URL (which carries the admin password) redacted.
    #[error("cannot connect to MariaDB: {0}")]
    Connect(String),
    /// `message` is the database's error text with the password redacted: MariaDB quotes the
    /// statement back in syntax errors.
    #[error("MariaDB refused to {action} for tenant {tenant}: {message}")]
    Statement {
        action: &'static str,
        tenant: TenantName,
        message: String,
    },
    /// The server could not be reached at all (refused, timed out, connection lost): what an
    /// operator reads in the tenant's status while MariaDB is down.
    #[error("database server unreachable (trying to {action}): {message}")]
    Unreachable {
        action: &'static str,
        message: String,
    },
    #[error("MariaDB refused to list tenant databases or users: {0}")]
    List(String),
    #[error("MariaDB refused to drop orphan {name}: {message}")]
    Orphan { name: String, message: String },
    #[error("{0:?} is not a tenant database or user name")]
    NotTenantIdentifier(String),
}

/// The option of a site's database that, when present, refuses new uploads (its value is the
/// sentence shown to the uploader). The image's `wp-config.php` reads the same name.
pub const UPLOAD_REFUSAL_OPTION: &str = "swarmpress_upload_refusal";

/// Whether `error` is MariaDB's "no such table" or "unknown database".
fn is_missing_table(error: &DbErr) -> bool {
    let text = error.to_string();
    text.contains("1146") || text.contains("1049")
}

/// Whether `error` means the server was not reached, rather than that it refused a statement
/// (a refusal needs a fix; an outage only needs waiting out).
fn is_unreachable(error: &DbErr) -> bool {
    let source = match error {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(source))
        | DbErr::Exec(RuntimeErr::SqlxError(source))
        | DbErr::Query(RuntimeErr::SqlxError(source)) => source,
        _ => return false,
    };
    matches!(
        source.as_ref(),
        sea_orm::sqlx::Error::Io(_)
            | sea_orm::sqlx::Error::Tls(_)
            | sea_orm::sqlx::Error::PoolTimedOut
            | sea_orm::sqlx::Error::PoolClosed
            | sea_orm::sqlx::Error::WorkerCrashed
    )
}

/// A failed statement as an error: [`MariaDbError::Unreachable`] when the server was not
/// reached, else `refused` with the database's message (`secret` redacted from both).
fn statement_error(
    source: &DbErr,
    action: &'static str,
    secret: Option<&str>,
    refused: impl FnOnce(String) -> MariaDbError,
) -> MariaDbError {
    let mut message = source.to_string();
    if let Some(secret) = secret {
        message = message.replace(secret, "***");
    }
    if is_unreachable(source) {
        MariaDbError::Unreachable { action, message }
    } else {
        refused(message)
    }
}

/// `wp_` followed by `[a-z0-9_]`: what [`TenantName::database_name`] makes, and so safe to
/// interpolate into a statement.
pub fn is_tenant_identifier(name: &str) -> bool {
    name.strip_prefix("wp_").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// Creates, checks and drops each tenant's database and its user, over an administrative
/// connection (a user allowed to create databases and users and to grant privileges).
#[derive(Clone)]
pub struct TenantDatabases {
    admin: DatabaseConnection,
    /// How long one statement may take, connection included (see [`STATEMENT_TIMEOUT`]).
    statement_timeout: Duration,
    /// Shared by clones: every reconcile reads, and every change here invalidates, one view.
    view: Arc<ViewCache<DatabaseView, MariaDbError>>,
}

/// Every tenant-like database, user and database grant, as listed in one go.
#[derive(Debug, Default)]
pub struct DatabaseView {
    databases: HashSet<String>,
    /// Each tenant user with its `MAX_USER_CONNECTIONS`.
    users: HashMap<String, u32>,
    /// `(Db, User)` rows of `mysql.db`; `Db` is the escaped pattern the grant was made on.
    grants: HashSet<(String, String)>,
}

impl DatabaseView {
    /// Whether the tenant's database, its user and the user's grant on it all exist, i.e.
    /// [`TenantDatabases::ensure_database_and_grants`] with `connection_cap` would change
    /// nothing.
    pub fn is_provisioned(&self, tenant: &TenantName, connection_cap: u32) -> bool {
        let database = tenant.database_name();
        let user = tenant.database_user();
        self.databases.contains(&database)
            && self.users.get(&user) == Some(&connection_cap)
            && self.grants.contains(&(grant_pattern(&database), user))
    }
}

/// PHP workers one replica of the tenant image runs at most (`SWARMPRESS_MAX_WORKERS`, the
/// image's default): each holds at most one database connection.
pub const WORKERS_PER_REPLICA: u32 = 16;

/// How many connections a tenant's database user may hold at once (`MAX_USER_CONNECTIONS`):
/// what its replicas' PHP workers can use, and a few for cron and administration. Replicas
/// are bounded by the owner's plan (API and controller both refuse more), so the cap is
/// too: one site cannot exhaust the server the control plane lives on
/// (`max_connections` 1000).
pub fn connection_cap(replicas: u32) -> u32 {
    replicas
        .max(1)
        .saturating_mul(WORKERS_PER_REPLICA)
        .saturating_add(4)
}

/// `(privileges, object)` of one `SHOW GRANTS` line: `GRANT <privileges> ON <object> TO …`.
fn grant_of(line: &str) -> (String, String) {
    let rest = line.strip_prefix("GRANT ").unwrap_or(line);
    let (privileges, rest) = rest.split_once(" ON ").unwrap_or((rest, ""));
    let object = rest.split_once(" TO ").map_or(rest, |(object, _)| object);
    (privileges.to_owned(), object.to_owned())
}

/// In a database-level GRANT, `_` is a wildcard: `wp_a_b.*` would also cover the database of
/// tenant "aab" (`wp_aab`). Escaping it grants exactly one database; `mysql.db` keeps the
/// escaped form.
pub(crate) fn grant_pattern(database: &str) -> String {
    database.replace('_', "\\_")
}

/// Written by hand so that no future change to the driver's `Debug` can print connection
/// options (which hold the admin password).
impl fmt::Debug for TenantDatabases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantDatabases").finish_non_exhaustive()
    }
}

impl TenantDatabases {
    pub fn new(admin: DatabaseConnection) -> Self {
        Self {
            admin,
            statement_timeout: STATEMENT_TIMEOUT,
            view: Arc::new(ViewCache::new(VIEW_MAX_AGE, RETRY_AFTER_FAILURE)),
        }
    }

    /// Connects with a `mysql://user:password@host:port/` URL. SQL statement logging is
    /// turned off because the statements of [`Self::ensure`] carry the tenant's password.
    pub async fn connect(admin_url: &str) -> Result<Self, MariaDbError> {
        let mut options = ConnectOptions::new(admin_url);
        options
            .max_connections(4)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        let admin = Database::connect(options).await.map_err(|error| {
            MariaDbError::Connect(error.to_string().replace(admin_url, "<admin url>"))
        })?;
        Ok(Self::new(admin))
    }

    /// The same adapter with another statement deadline (tests shorten it).
    pub fn with_statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// `call` (one statement), given up as unreachable after the statement deadline.
    async fn bounded<T>(
        &self,
        action: &'static str,
        call: impl Future<Output = Result<T, DbErr>>,
    ) -> Result<Result<T, DbErr>, MariaDbError> {
        tokio::time::timeout(self.statement_timeout, call)
            .await
            .map_err(|_| MariaDbError::Unreachable {
                action,
                message: format!(
                    "no answer within {} s",
                    self.statement_timeout.as_secs_f32()
                ),
            })
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.admin
    }

    /// Whether the server answers a `SELECT 1` within the statement deadline.
    pub async fn probe(&self) -> bool {
        let statement =
            Statement::from_string(self.admin.get_database_backend(), "SELECT 1".to_owned());
        matches!(
            self.bounded("probe", self.admin.query_one_raw(statement))
                .await,
            Ok(Ok(_))
        )
    }

    /// Makes the tenant's database and user exist, sets the user's password to `password`
    /// (also when the user already existed, so a rotated secret takes effect), and grants the
    /// user everything on its own database and nothing else. Safe to repeat.
    pub async fn ensure(
        &self,
        tenant: &TenantName,
        password: &GeneratedPassword,
        connection_cap: u32,
    ) -> Result<(), MariaDbError> {
        let result = self
            .ensure_statements(tenant, password, connection_cap)
            .await;
        self.view.invalidate();
        result
    }

    async fn ensure_statements(
        &self,
        tenant: &TenantName,
        password: &GeneratedPassword,
        connection_cap: u32,
    ) -> Result<(), MariaDbError> {
        let database = tenant.database_name();
        let user = tenant.database_user();
        let password = password.expose();
        self.run(
            tenant,
            "create the database",
            &format!(
                "CREATE DATABASE IF NOT EXISTS `{database}` \
                 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            ),
        )
        .await?;
        self.run_redacted(
            tenant,
            "create the user",
            &format!("CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '{password}'"),
            Some(password),
        )
        .await?;
        self.run_redacted(
            tenant,
            "set the user's password",
            &format!(
                "ALTER USER '{user}'@'%' IDENTIFIED BY '{password}' \
                 WITH MAX_USER_CONNECTIONS {connection_cap}"
            ),
            Some(password),
        )
        .await?;
        let pattern = grant_pattern(&database);
        self.run(
            tenant,
            "grant privileges",
            &format!("GRANT ALL PRIVILEGES ON `{pattern}`.* TO '{user}'@'%'"),
        )
        .await
    }

    /// Makes the tenant's database exist and grants it to the tenant's existing user, without
    /// touching the user's password: the controller cannot read a password back from its
    /// Swarm secret, so it sets one only when it makes a new secret.
    pub async fn ensure_database_and_grants(
        &self,
        tenant: &TenantName,
        connection_cap: u32,
    ) -> Result<(), MariaDbError> {
        let result = self
            .database_and_grant_statements(tenant, connection_cap)
            .await;
        self.view.invalidate();
        result
    }

    async fn database_and_grant_statements(
        &self,
        tenant: &TenantName,
        connection_cap: u32,
    ) -> Result<(), MariaDbError> {
        let database = tenant.database_name();
        let user = tenant.database_user();
        self.run(
            tenant,
            "create the database",
            &format!(
                "CREATE DATABASE IF NOT EXISTS `{database}` \
                 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            ),
        )
        .await?;
        self.run(
            tenant,
            "cap the user's connections",
            &format!("ALTER USER '{user}'@'%' WITH MAX_USER_CONNECTIONS {connection_cap}"),
        )
        .await?;
        let pattern = grant_pattern(&database);
        self.run(
            tenant,
            "grant privileges",
            &format!("GRANT ALL PRIVILEGES ON `{pattern}`.* TO '{user}'@'%'"),
        )
        .await
    }

    /// The bulk view of tenant databases, users and grants: listed (three queries for all
    /// tenants) at most once per [`VIEW_MAX_AGE`] and after every change made through this
    /// type, shared otherwise.
    /// `Ok(None)` when another caller's listing failed while this one waited for it (see
    /// [`ViewCache::get`]): ask per tenant instead.
    pub async fn view(&self) -> Result<Option<Arc<DatabaseView>>, MariaDbError> {
        self.view.get(|| self.list_view()).await
    }

    /// Marks the view stale: the next [`Self::view`] queries again.
    pub fn invalidate_view(&self) {
        self.view.invalidate();
    }

    async fn list_view(&self) -> Result<DatabaseView, MariaDbError> {
        let (databases, _) = self.list_tenant_like().await?;
        let users = self.connection_caps().await?;
        let statement = Statement::from_string(
            self.admin.get_database_backend(),
            "SELECT Db AS db, User AS user FROM mysql.db WHERE Host = '%' AND User LIKE 'wp\\_%'",
        );
        let rows = self
            .bounded("list tenant grants", self.admin.query_all_raw(statement))
            .await?
            .map_err(|source| {
                statement_error(&source, "list tenant grants", None, MariaDbError::List)
            })?;
        let grants = rows
            .iter()
            .map(|row| {
                let column = |name| {
                    row.try_get::<String>("", name)
                        .map_err(|source| MariaDbError::List(source.to_string()))
                };
                Ok((column("db")?, column("user")?))
            })
            .collect::<Result<_, MariaDbError>>()?;
        Ok(DatabaseView {
            databases: databases.into_iter().collect(),
            users,
            grants,
        })
    }

    /// Every tenant user with its `MAX_USER_CONNECTIONS`.
    async fn connection_caps(&self) -> Result<HashMap<String, u32>, MariaDbError> {
        let statement = Statement::from_string(
            self.admin.get_database_backend(),
            "SELECT User AS user, CAST(max_user_connections AS SIGNED) AS cap \
             FROM mysql.user WHERE Host = '%' AND User LIKE 'wp\\_%'",
        );
        let rows = self
            .bounded("list tenant users", self.admin.query_all_raw(statement))
            .await?
            .map_err(|source| {
                statement_error(&source, "list tenant users", None, MariaDbError::List)
            })?;
        rows.iter()
            .filter_map(|row| {
                let user = row.try_get::<String>("", "user");
                let cap = row.try_get::<i64>("", "cap");
                match (user, cap) {
                    (Ok(user), Ok(cap)) if is_tenant_identifier(&user) => {
                        Some(Ok((user, u32::try_from(cap).unwrap_or(0))))
                    }
                    (Ok(_), Ok(_)) => None,
                    (Err(e), _) | (_, Err(e)) => Some(Err(MariaDbError::List(e.to_string()))),
                }
            })
            .collect()
    }

    /// Names of every database and every `'…'@'%'` user that look like a tenant's
    /// (`wp_` followed by `[a-z0-9_]`), for orphan collection.
    pub async fn list_tenant_like(&self) -> Result<(Vec<String>, Vec<String>), MariaDbError> {
        let databases = self
            .names(
                "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA \
                 WHERE SCHEMA_NAME LIKE 'wp\\_%'",
            )
            .await?;
        let users = self
            .names("SELECT User AS name FROM mysql.user WHERE Host = '%' AND User LIKE 'wp\\_%'")
            .await?;
        Ok((
            databases
                .into_iter()
                .filter(|n| is_tenant_identifier(n))
                .collect(),
            users
                .into_iter()
                .filter(|n| is_tenant_identifier(n))
                .collect(),
        ))
    }

    /// What `SHOW GRANTS` says a tenant-like user holds, each grant as `(privileges, object)`
    /// (`("USAGE", "*.*")`, `("ALL PRIVILEGES", "`wp\\_acme`.*")`): never the statement's
    /// `IDENTIFIED BY PASSWORD` part, which carries the password's hash. Refuses any name
    /// that is not a tenant identifier (it is spliced into the statement).
    pub async fn grants(&self, user: &str) -> Result<Vec<(String, String)>, MariaDbError> {
        if !is_tenant_identifier(user) {
            return Err(MariaDbError::List(format!(
                "{user:?} is not a tenant identifier"
            )));
        }
        let statement = Statement::from_string(
            self.admin.get_database_backend(),
            format!("SHOW GRANTS FOR '{user}'@'%'"),
        );
        let rows = self
            .bounded("list a user's grants", self.admin.query_all_raw(statement))
            .await?
            .map_err(|source| {
                statement_error(&source, "list a user's grants", None, MariaDbError::List)
            })?;
        rows.iter()
            .map(|row| {
                let line = row
                    .try_get_by_index::<String>(0)
                    .map_err(|source| MariaDbError::List(source.to_string()))?;
                Ok(grant_of(&line))
            })
            .collect()
    }

    /// Drops a database found by [`Self::list_tenant_like`] that belongs to no tenant.
    /// Refuses any name that is not a tenant identifier.
    pub async fn drop_orphan_database(&self, name: &str) -> Result<(), MariaDbError> {
        if !is_tenant_identifier(name) {
            return Err(MariaDbError::NotTenantIdentifier(name.to_owned()));
        }
        self.run_orphan(name, &format!("DROP DATABASE IF EXISTS `{name}`"))
            .await
    }

    /// Drops a user found by [`Self::list_tenant_like`] that belongs to no tenant.
    pub async fn drop_orphan_user(&self, name: &str) -> Result<(), MariaDbError> {
        if !is_tenant_identifier(name) {
            return Err(MariaDbError::NotTenantIdentifier(name.to_owned()));
        }
        self.run_orphan(name, &format!("DROP USER IF EXISTS '{name}'@'%'"))
            .await
    }

    async fn run_orphan(&self, name: &str, sql: &str) -> Result<(), MariaDbError> {
        let result = self
            .bounded("drop an orphan", self.admin.execute_unprepared(sql))
            .await;
        self.view.invalidate();
        result?.map(drop).map_err(|source| {
            statement_error(&source, "drop an orphan", None, |message| {
                MariaDbError::Orphan {
                    name: name.to_owned(),
                    message,
                }
            })
        })
    }

    async fn names(&self, sql: &str) -> Result<Vec<String>, MariaDbError> {
        let statement = Statement::from_string(self.admin.get_database_backend(), sql);
        let rows = self
            .bounded("list tenant databases", self.admin.query_all_raw(statement))
            .await?
            .map_err(|source| {
                statement_error(&source, "list tenant databases", None, MariaDbError::List)
            })?;
        rows.iter()
            .map(|row| {
                row.try_get::<String>("", "name")
                    .map_err(|source| MariaDbError::List(source.to_string()))
            })
            .collect()
    }

    /// Drops the tenant's database and user. Tolerates either being already gone.
    pub async fn drop(&self, tenant: &TenantName) -> Result<(), MariaDbError> {
        let result = self.drop_statements(tenant).await;
        self.view.invalidate();
        result
    }

    async fn drop_statements(&self, tenant: &TenantName) -> Result<(), MariaDbError> {
        let database = tenant.database_name();
        let user = tenant.database_user();
        // The user first: once it is gone no new session can write to the database.
        self.run(
            tenant,
            "drop the user",
            &format!("DROP USER IF EXISTS '{user}'@'%'"),
        )
        .await?;
        self.run(
            tenant,
            "drop the database",
            &format!("DROP DATABASE IF EXISTS `{database}`"),
        )
        .await
    }

    /// Whether the tenant's database exists.
    pub async fn exists(&self, tenant: &TenantName) -> Result<bool, MariaDbError> {
        self.any_row(
            tenant,
            "look up the database",
            "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            tenant.database_name(),
        )
        .await
    }

    /// Whether the tenant's database user exists.
    pub async fn user_exists(&self, tenant: &TenantName) -> Result<bool, MariaDbError> {
        self.any_row(
            tenant,
            "look up the user",
            "SELECT 1 FROM mysql.user WHERE User = ? AND Host = '%'",
            tenant.database_user(),
        )
        .await
    }

    /// Sets (with the sentence WordPress shows the uploader) or clears the site's upload
    /// refusal: the `swarmpress_upload_refusal` option, which the image's `wp-config.php`
    /// checks before WordPress takes an upload. `false` when the site has no options table
    /// yet (not installed): nothing to refuse then. The option lives in the site's own
    /// database, so its code could remove it; the measurement that set it would then set it
    /// again at the next pass, and the owner's warning stays either way.
    pub async fn set_upload_refusal(
        &self,
        tenant: &TenantName,
        refusal: Option<&str>,
    ) -> Result<bool, MariaDbError> {
        let table = format!("`{}`.`wp_options`", tenant.database_name());
        let backend = self.admin.get_database_backend();
        let (action, statement) = match refusal {
            Some(message) => (
                "refuse uploads",
                Statement::from_sql_and_values(
                    backend,
                    format!(
                        "INSERT INTO {table} (option_name, option_value, autoload) \
                         VALUES ('{UPLOAD_REFUSAL_OPTION}', ?, 'yes') \
                         ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)"
                    ),
                    [message.into()],
                ),
            ),
            None => (
                "accept uploads",
                Statement::from_string(
                    backend,
                    format!("DELETE FROM {table} WHERE option_name = '{UPLOAD_REFUSAL_OPTION}'"),
                ),
            ),
        };
        match self
            .bounded(action, self.admin.execute_raw(statement))
            .await?
        {
            Ok(_) => Ok(true),
            // ER_NO_SUCH_TABLE / ER_BAD_DB_ERROR: not installed (or not created) yet.
            Err(error) if is_missing_table(&error) => Ok(false),
            Err(source) => Err(statement_error(&source, action, None, |message| {
                MariaDbError::Statement {
                    action,
                    tenant: tenant.clone(),
                    message,
                }
            })),
        }
    }

    async fn run(
        &self,
        tenant: &TenantName,
        action: &'static str,
        sql: &str,
    ) -> Result<(), MariaDbError> {
        self.run_redacted(tenant, action, sql, None).await
    }

    async fn run_redacted(
        &self,
        tenant: &TenantName,
        action: &'static str,
        sql: &str,
        secret: Option<&str>,
    ) -> Result<(), MariaDbError> {
        self.bounded(action, self.admin.execute_unprepared(sql))
            .await?
            .map(drop)
            .map_err(|source| {
                statement_error(&source, action, secret, |message| MariaDbError::Statement {
                    action,
                    tenant: tenant.clone(),
                    message,
                })
            })
    }

    async fn any_row(
        &self,
        tenant: &TenantName,
        action: &'static str,
        sql: &str,
        value: String,
    ) -> Result<bool, MariaDbError> {
        let statement =
            Statement::from_sql_and_values(self.admin.get_database_backend(), sql, [value.into()]);
        self.bounded(action, self.admin.query_one_raw(statement))
            .await?
            .map(|row| row.is_some())
            .map_err(|source| {
                statement_error(&source, action, None, |message| MariaDbError::Statement {
                    action,
                    tenant: tenant.clone(),
                    message,
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::ConnAcquireErr;

    use super::*;

    #[test]
    fn reads_privileges_and_object_but_never_the_password_from_a_grant() {
        let (privileges, object) = grant_of(
            "GRANT USAGE ON *.* TO `wp_acme`@`%` IDENTIFIED BY PASSWORD '*ABCDEF' \
             WITH MAX_USER_CONNECTIONS 12",
        );
        assert_eq!((privileges.as_str(), object.as_str()), ("USAGE", "*.*"));
        let (privileges, object) =
            grant_of("GRANT ALL PRIVILEGES ON `wp\\_acme`.* TO `wp_acme`@`%`");
        assert_eq!(privileges, "ALL PRIVILEGES");
        assert_eq!(object, "`wp\\_acme`.*");
    }

    fn sqlx(error: sea_orm::sqlx::Error) -> RuntimeErr {
        RuntimeErr::SqlxError(Arc::new(error))
    }

    #[test]
    fn tells_an_unreachable_server_from_a_refused_statement() {
        let refused = || std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_unreachable(&DbErr::ConnectionAcquire(
            ConnAcquireErr::Timeout
        )));
        assert!(is_unreachable(&DbErr::Conn(sqlx(
            sea_orm::sqlx::Error::Io(refused())
        ))));
        assert!(is_unreachable(&DbErr::Exec(sqlx(
            sea_orm::sqlx::Error::PoolTimedOut
        ))));
        assert!(!is_unreachable(&DbErr::Exec(sqlx(
            sea_orm::sqlx::Error::RowNotFound
        ))));
        assert!(!is_unreachable(&DbErr::Custom("no".to_owned())));

        let error = statement_error(
            &DbErr::Conn(sqlx(sea_orm::sqlx::Error::Io(refused()))),
            "look up the user",
            None,
            MariaDbError::List,
        );
        assert!(
            error
                .to_string()
                .starts_with("database server unreachable (trying to look up the user): "),
            "{error}"
        );
        let error = statement_error(
            &DbErr::Custom("syntax error near 'pw123'".to_owned()),
            "create the user",
            Some("pw123"),
            MariaDbError::List,
        );
        assert!(
            matches!(&error, MariaDbError::List(m) if m.contains("***") && !m.contains("pw123"))
        );
    }
}

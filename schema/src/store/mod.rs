//! The store: every read and write of the platform's database, shared by the API and the
//! controller. See `schema/STORE.md` for the list of operations.
//!
//! Tenant writes follow one rule: each runs in a single transaction that takes the next
//! global resourceVersion, writes the row and appends the change-feed entry holding the whole
//! object. The counter row stays locked until commit, so versions are handed out in commit
//! order and a watcher that has seen version N has seen everything below N.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, SqlErr, Statement,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use self::read_lane::ReadLane;
use crate::migration::Migrator;

mod accounts;
mod actions;
mod administration;
mod billing;
mod edge;
mod events;
mod lease;
mod notices;
mod read_lane;
mod rollouts;
mod tenants;
mod usage;

pub use accounts::{NewUser, RefreshRotation, UserCredentials};
pub use actions::RECLAIM_AFTER;
pub use administration::NewAuditEntry;
pub use edge::EdgeRoutes;
pub use lease::LeaseStatus;
pub use rollouts::{NewRolloutItem, RolloutCounts};
pub use tenants::{NewCondition, TenantChange, WriteResult};
pub use usage::{HISTORY_MONTHS, UsageSnapshot};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A conditional write found another version than the one expected.
    #[error(
        "conflict: the object was changed; current resourceVersion is {current_resource_version}"
    )]
    Conflict { current_resource_version: String },
    #[error("already exists")]
    AlreadyExists,
    /// The owner already has `limit` tenants, the most the caller allowed.
    #[error("the owner already has {limit} tenants")]
    QuotaExceeded { limit: u32 },
    /// The tenant has a deletionTimestamp: its spec can no longer change.
    #[error("the tenant is being deleted")]
    Terminating,
    /// A state machine refused a step (e.g. removing a tenant not marked for deletion,
    /// resuming a completed rollout).
    #[error("cannot go from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    /// The object is still needed by others (an account that owns sites).
    #[error("still in use by {what}")]
    InUse { what: String },
    /// The change feed no longer holds entries after this version: list, then watch from the
    /// list's version.
    #[error("resourceVersion {requested} is too old; the oldest change kept is {oldest}")]
    Gone { requested: i64, oldest: i64 },
    /// Connecting failed; the message has the URL (which carries the password) removed.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// A stored value could not be read back (bad JSON, unknown enum string): a bug or a
    /// manual edit, never user input.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// `mysql://user:password@host:port/database`, with user, password and database
/// percent-encoded (RFC 3986's unreserved characters kept) so any password connects.
pub fn mysql_url(user: &str, password: &str, host: &str, port: u16, database: &str) -> String {
    fn encode(value: &str) -> String {
        value
            .bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect()
    }
    format!(
        "mysql://{}:{}@{host}:{port}/{}",
        encode(user),
        encode(password),
        encode(database)
    )
}

/// The shared handle: cheap to clone (a connection pool).
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Connections for the hottest reads, beside the pool (see [`read_lane`]); `None` for a
    /// store made from an existing pool.
    reads: Option<Arc<ReadLane>>,
}

/// Written by hand so that no future change to the driver's `Debug` prints connection
/// options (which hold the password).
impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// A pooled connection idle at least this long is pinged before it is handed out (the same
/// rule as the read lane's).
const IDLE_PING_AFTER: Duration = read_lane::PING_AFTER;

/// The named lock that serializes migrations of one database across processes.
const MIGRATION_LOCK_SECONDS: u32 = 120;

impl Store {
    /// Connects with a `mysql://user:password@host:port/database` URL. SQL statement logging
    /// is off: statements carry password hashes and token hashes.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let mut options = ConnectOptions::new(url);
        options
            // At least 2: `migrate` holds one connection for its lock while it migrates on
            // another.
            .max_connections(10)
            .min_connections(0)
            .connect_timeout(read_lane::CONNECT_TIMEOUT)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings a pooled connection on every checkout by default: a second round
            // trip for every one-statement request (a third is its ping on release, which it
            // always does). A connection in use moments ago is known to be alive; only one
            // idle long enough to have been dropped by the server is checked first.
            .test_before_acquire_if_idle_for(IDLE_PING_AFTER)
            .sqlx_logging(false);
        let db = Database::connect(options)
            .await
            .map_err(|error| StoreError::Connect(redact(&error.to_string(), url)))?;
        Ok(Self {
            db,
            reads: ReadLane::new(url).map(Arc::new),
        })
    }

    /// [`Self::connect`], retried with backoff for up to `patience` while the database cannot
    /// be reached: a platform service starting beside a MariaDB that is itself being
    /// replaced (one `stack deploy` updates both) waits for it instead of exiting and having
    /// its update rolled back.
    pub async fn connect_patiently(url: &str, patience: Duration) -> StoreResult<Self> {
        use backon::BackoffBuilder as _;
        let deadline = tokio::time::Instant::now() + patience;
        let mut delays = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(250))
            .with_max_delay(Duration::from_secs(5))
            .without_max_times()
            .build();
        loop {
            match Self::connect(url).await {
                Err(StoreError::Connect(reason)) => {
                    let delay = delays.next().unwrap_or(Duration::from_secs(5));
                    if tokio::time::Instant::now() + delay > deadline {
                        return Err(StoreError::Connect(reason));
                    }
                    tracing::warn!(%reason, retry_in_ms = delay.as_millis() as u64, "database not reachable yet");
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    /// Wraps an existing pool, which must allow at least two connections for [`Self::migrate`].
    pub fn from_connection(db: DatabaseConnection) -> Self {
        Self { db, reads: None }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Applies pending migrations. Safe to call from several processes at once (the API and
    /// the controller both do on start): a MariaDB named lock, held on a connection of its
    /// own, lets one run at a time, and the others then find nothing to do.
    pub async fn migrate(&self) -> StoreResult<()> {
        let lock_name = format!("swarmpress_migrate_{}", self.database_name().await?);
        let holder = self.db.begin().await?;
        let acquired = holder
            .query_one_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "SELECT GET_LOCK(?, ?) AS acquired",
                [lock_name.clone().into(), MIGRATION_LOCK_SECONDS.into()],
            ))
            .await?
            .and_then(|row| row.try_get::<Option<i64>>("", "acquired").ok().flatten());
        if acquired != Some(1) {
            return Err(StoreError::Db(DbErr::Migration(format!(
                "could not take the migration lock within {MIGRATION_LOCK_SECONDS} s"
            ))));
        }
        let outcome = Migrator::up(&self.db, None).await;
        // Released explicitly so the next process need not wait for this connection to close;
        // it is released with the session anyway if this fails.
        holder
            .execute_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "DO RELEASE_LOCK(?)",
                [lock_name.into()],
            ))
            .await?;
        holder.commit().await?;
        outcome.map_err(StoreError::from)
    }

    async fn database_name(&self) -> StoreResult<String> {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT DATABASE() AS name",
            ))
            .await?;
        row.and_then(|row| row.try_get::<Option<String>>("", "name").ok().flatten())
            .ok_or_else(|| {
                StoreError::Connect("the URL names no database (add /<database>)".to_owned())
            })
    }

    fn backend(&self) -> sea_orm::DatabaseBackend {
        self.db.get_database_backend()
    }
}

fn redact(message: &str, url: &str) -> String {
    message.replace(url, "<database url>")
}

/// Now, truncated to the microseconds a `DATETIME(6)` keeps, so that an object returned by
/// a write equals the same object read back later.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|error| StoreError::Corrupt(error.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    value: serde_json::Value,
) -> StoreResult<T> {
    serde_json::from_value(value).map_err(|error| StoreError::Corrupt(format!("{what}: {error}")))
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: unexpected value {value:?}"))
}

/// Counts are stored as signed integers; a negative one can only come from a manual edit.
fn to_u32(what: &str, value: i32) -> StoreResult<u32> {
    u32::try_from(value).map_err(|_| corrupt(what, &value.to_string()))
}

fn to_i32(what: &str, value: u32) -> StoreResult<i32> {
    i32::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("{what}: {value} does not fit the column")))
}

//! A few connections of the store's own for the hottest one-statement reads (a tenant by
//! name: every `GET /tenants/{name}`, every reconcile).
//!
//! sqlx's pool pings each connection it takes back, unconditionally: for a request that runs
//! one statement, that is a second round trip to MariaDB, a third of the API's database work
//! and two cross-CPU wake-ups. Connections here go back to the lane as they are, because a
//! statement that completed leaves the connection ready for the next; one whose statement
//! failed or was cancelled half-way is dropped instead (closing it), never reused. A
//! connection idle for [`PING_AFTER`] is pinged before use, like the pool's (the server may
//! have dropped it meanwhile).
//!
//! The lane never makes a caller wait: when all its connections are busy, or it cannot
//! connect, the caller uses the pool as before.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlRow};
use sea_orm::sqlx::{self, ConnectOptions as _, Connection as _};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::timeout;

/// How many connections the lane keeps at most: enough for the API's worker threads to
/// never find it empty in practice.
const LANE_CONNECTIONS: usize = 4;
/// A connection idle at least this long is pinged before it is used.
pub const PING_AFTER: Duration = Duration::from_secs(1);
/// How long connecting or pinging may take before the caller goes to the pool instead (an
/// unreachable server would otherwise hold it for the whole TCP connect timeout).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct ReadLane {
    options: MySqlConnectOptions,
    permits: Semaphore,
    idle: Mutex<Vec<(MySqlConnection, Instant)>>,
}

/// A connection taken from the lane, with the permit that counts it.
struct Lent<'a> {
    lane: &'a ReadLane,
    connection: MySqlConnection,
    _permit: SemaphorePermit<'a>,
}

impl Lent<'_> {
    /// Gives the connection back for the next caller. Only after a statement completed.
    fn give_back(self) {
        let mut idle = self.lane.lock();
        idle.push((self.connection, Instant::now()));
    }
}

impl ReadLane {
    /// `None` when the URL cannot be read as MySQL connection options: the pool serves every
    /// read then, as before.
    pub fn new(url: &str) -> Option<Self> {
        let options = url
            .parse::<MySqlConnectOptions>()
            .ok()?
            .disable_statement_logging();
        Some(Self {
            options,
            permits: Semaphore::new(LANE_CONNECTIONS),
            idle: Mutex::new(Vec::with_capacity(LANE_CONNECTIONS)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(MySqlConnection, Instant)>> {
        // The list holds no invariant a panicking holder could break half-way.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A ready connection, or `None` when every lane connection is busy or none can be made.
    async fn lend(&self) -> Option<Lent<'_>> {
        let permit = self.permits.try_acquire().ok()?;
        let reused = self.lock().pop();
        let connection = match reused {
            Some((mut connection, since)) => {
                if since.elapsed() < PING_AFTER
                    || matches!(
                        timeout(CONNECT_TIMEOUT, connection.ping()).await,
                        Ok(Ok(()))
                    )
                {
                    connection
                } else {
                    self.connect().await?
                }
            }
            None => self.connect().await?,
        };
        Some(Lent {
            lane: self,
            connection,
            _permit: permit,
        })
    }

    async fn connect(&self) -> Option<MySqlConnection> {
        match timeout(CONNECT_TIMEOUT, self.options.connect()).await {
            Ok(Ok(connection)) => Some(connection),
            Ok(Err(error)) => {
                tracing::debug!(%error, "read lane cannot connect; using the pool");
                None
            }
            Err(_) => {
                tracing::debug!("read lane timed out connecting; using the pool");
                None
            }
        }
    }

    /// Runs `sql` with one string parameter and returns at most one row; `None` when the
    /// lane has no connection to offer (the caller uses the pool).
    pub async fn fetch_optional(
        &self,
        sql: &'static str,
        parameter: &str,
    ) -> Option<Result<Option<MySqlRow>, sqlx::Error>> {
        let mut lent = self.lend().await?;
        let result = sqlx::query(sql)
            .bind(parameter)
            .fetch_optional(&mut lent.connection)
            .await;
        if result.is_ok() {
            lent.give_back();
        }
        Some(result)
    }
}

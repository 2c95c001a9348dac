//! Leader leases: one row per lease, taken and renewed with a compare-and-swap UPDATE.
//! All times are the database's (`NOW(6)`), so the holders' clocks do not matter.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};

use super::{StoreError, StoreResult};
use crate::store::Store;

/// Who holds a lease after an acquire-or-renew attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseStatus {
    /// Whether the caller holds the lease now.
    pub leader: bool,
    /// The holder now (the caller when `leader`).
    pub holder: String,
    /// Grows by one each time the lease changes hands, never goes back: a leader can fence
    /// its writes with it, and a holder that sees a different epoch knows it lost the lease
    /// in between.
    pub epoch: i64,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Takes the lease `name` for `holder` if it is free or expired, or renews it if
    /// `holder` has it; either way it then runs until now + `ttl`. Renewing keeps the epoch;
    /// taking it over increments it.
    pub async fn try_acquire_or_renew(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<LeaseStatus> {
        let ttl_micros = i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX);
        // MariaDB assigns left to right, so `epoch` still sees the previous holder.
        let updated = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                self.backend(),
                "UPDATE leader_leases \
                 SET epoch = IF(holder = ?, epoch, epoch + 1), holder = ?, \
                     renewed_at = NOW(6), expires_at = NOW(6) + INTERVAL ? MICROSECOND \
                 WHERE name = ? AND (holder = ? OR expires_at < NOW(6))",
                [
                    holder.into(),
                    holder.into(),
                    ttl_micros.into(),
                    name.into(),
                    holder.into(),
                ],
            ))
            .await?;
        if updated.rows_affected() == 0 {
            // Absent, or held by someone else: insert, and if another process inserted
            // first the no-op update leaves its row alone.
            self.db
                .execute_raw(Statement::from_sql_and_values(
                    self.backend(),
                    "INSERT INTO leader_leases (name, holder, epoch, renewed_at, expires_at) \
                     VALUES (?, ?, 1, NOW(6), NOW(6) + INTERVAL ? MICROSECOND) \
                     ON DUPLICATE KEY UPDATE name = name",
                    [name.into(), holder.into(), ttl_micros.into()],
                ))
                .await?;
        }
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                self.backend(),
                "SELECT holder, epoch, expires_at, expires_at > NOW(6) AS valid \
                 FROM leader_leases WHERE name = ?",
                [name.into()],
            ))
            .await?
            .ok_or(StoreError::NotFound)?;
        let current: String = row.try_get("", "holder")?;
        let valid: i64 = row.try_get("", "valid")?;
        Ok(LeaseStatus {
            leader: current == holder && valid == 1,
            holder: current,
            epoch: row.try_get("", "epoch")?,
            expires_at: row.try_get("", "expires_at")?,
        })
    }

    /// Gives the lease up at once if `holder` has it, so another candidate need not wait for
    /// it to expire. The row stays (expired) so the epoch keeps growing. Returns whether
    /// `holder` had it.
    pub async fn release(&self, name: &str, holder: &str) -> StoreResult<bool> {
        let updated = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                self.backend(),
                "UPDATE leader_leases SET expires_at = NOW(6) - INTERVAL 1 MICROSECOND \
                 WHERE name = ? AND holder = ? AND expires_at >= NOW(6)",
                [name.into(), holder.into()],
            ))
            .await?;
        Ok(updated.rows_affected() == 1)
    }
}

//! The edge's routing table: written by the leading controller when it changes, read by
//! every controller replica when Traefik polls (one row; see the migration).

use sea_orm::{ConnectionTrait, Statement};

use super::{Store, StoreResult, now};

/// The routing table as stored: its digest, and the configuration when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeRoutes {
    pub digest: String,
    pub config: String,
}

impl Store {
    /// Replaces the routing table (a no-op when `digest` is already the stored one).
    pub async fn put_edge_routes(&self, digest: &str, config: &str) -> StoreResult<()> {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "INSERT INTO edge_routes (id, digest, config, updated_at) VALUES (1, ?, ?, ?) \
                 ON DUPLICATE KEY UPDATE \
                 config = IF(digest = VALUES(digest), config, VALUES(config)), \
                 updated_at = IF(digest = VALUES(digest), updated_at, VALUES(updated_at)), \
                 digest = VALUES(digest)",
                [digest.into(), config.into(), now().into()],
            ))
            .await?;
        Ok(())
    }

    /// The stored table's digest, `None` before the first publication.
    pub async fn edge_routes_digest(&self) -> StoreResult<Option<String>> {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT digest FROM edge_routes WHERE id = 1",
            ))
            .await?;
        Ok(row.map(|row| row.try_get("", "digest")).transpose()?)
    }

    /// The stored table, `None` before the first publication.
    pub async fn edge_routes(&self) -> StoreResult<Option<EdgeRoutes>> {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT digest, config FROM edge_routes WHERE id = 1",
            ))
            .await?;
        row.map(|row| {
            Ok(EdgeRoutes {
                digest: row.try_get("", "digest")?,
                config: row.try_get("", "config")?,
            })
        })
        .transpose()
    }
}

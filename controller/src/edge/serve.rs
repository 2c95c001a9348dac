//! The stored routing table, served to Traefik's HTTP provider by every controller replica
//! (Traefik reaches whichever the service name resolves to; each answers the same table).
//!
//! Each request reads the stored digest — one primary-key row — and the whole table only when
//! the digest changed since this replica last read it. When the store cannot be read the last
//! table read is served: the edge keeps routing through a MariaDB outage, and Traefik's
//! provider never falls into its growing retry backoff while a table exists.

use std::sync::Arc;

use swarmpress_schema::error_chain::ErrorChain;
use swarmpress_schema::store::{EdgeRoutes, Store, StoreError};
use tokio::sync::Mutex;

use super::table::empty_table;

/// Where Traefik's HTTP provider asks.
pub const ROUTES_PATH: &str = "/edge/routes";

#[derive(Clone)]
pub struct StoredRoutes {
    store: Store,
    last: Arc<Mutex<Option<EdgeRoutes>>>,
}

impl StoredRoutes {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            last: Arc::new(Mutex::new(None)),
        }
    }

    /// The current table: the stored one, the last one read when the store cannot answer,
    /// the table of no site before any was published; an error only when there is nothing to
    /// serve.
    pub async fn current(&self) -> Result<String, StoreError> {
        let mut last = self.last.lock().await;
        match self.read(last.as_ref()).await {
            Ok(Some(routes)) => {
                let config = routes.config.clone();
                *last = Some(routes);
                Ok(config)
            }
            Ok(None) => Ok(empty_table()),
            Err(error) => match last.as_ref() {
                Some(routes) => {
                    tracing::warn!(error = %ErrorChain(&error), "serving the last edge routes read");
                    Ok(routes.config.clone())
                }
                None => Err(error),
            },
        }
    }

    async fn read(&self, last: Option<&EdgeRoutes>) -> Result<Option<EdgeRoutes>, StoreError> {
        let Some(digest) = self.store.edge_routes_digest().await? else {
            return Ok(None);
        };
        if let Some(last) = last.filter(|last| last.digest == digest) {
            return Ok(Some(last.clone()));
        }
        self.store.edge_routes().await
    }
}

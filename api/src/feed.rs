//! One change-feed poller per API process, shared by every watch: it asks the store for
//! changes every [`POLL_INTERVAL`] and broadcasts them; each watch catches up from the store
//! on its own (its resume point may be old), then follows the broadcast. A thousand watchers
//! cost the database the same four queries a second as one.

use std::sync::Arc;
use std::time::Duration;

use swarmpress_schema::store::{Store, StoreError, TenantChange};
use tokio::sync::{OnceCell, broadcast};

/// How often the poller asks the change feed for news.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Changes fetched per query.
pub const BATCH: u64 = 500;
/// Changes a slow watcher may fall behind the poller before its stream ends (the client
/// resumes from the last id it saw, as SSE clients do).
const CAPACITY: usize = 4096;

#[derive(Debug, Clone)]
pub struct ChangeFeed {
    store: Store,
    sender: broadcast::Sender<Arc<TenantChange>>,
    started: Arc<OnceCell<()>>,
}

impl ChangeFeed {
    pub fn new(store: Store) -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self {
            store,
            sender,
            started: Arc::default(),
        }
    }

    /// Every change committed after this call returns, in resource-version order. The poller
    /// starts with the first subscriber, from the feed's position at that moment, so a
    /// subscriber that then catches up from the store misses nothing in between.
    pub async fn subscribe(&self) -> Result<broadcast::Receiver<Arc<TenantChange>>, StoreError> {
        let receiver = self.sender.subscribe();
        self.started
            .get_or_try_init(|| async {
                let after = self.store.current_resource_version().await?;
                tokio::spawn(poll(self.store.clone(), self.sender.clone(), after));
                Ok::<_, StoreError>(())
            })
            .await?;
        Ok(receiver)
    }
}

async fn poll(store: Store, sender: broadcast::Sender<Arc<TenantChange>>, mut after: i64) {
    let mut ticker = tokio::time::interval(POLL_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // A full batch means more is waiting: fetch again at once.
        loop {
            match store.changes_since(after, BATCH).await {
                Ok(changes) => {
                    let full = changes.len() as u64 >= BATCH;
                    for change in changes {
                        after = after.max(change.resource_version);
                        // No receiver is fine: nobody watches right now.
                        let _ = sender.send(Arc::new(change));
                    }
                    if !full {
                        break;
                    }
                }
                Err(StoreError::Gone { .. }) => {
                    // Fallen behind the pruned feed (the database was away for hours):
                    // carry on from now. Watchers resume from their own positions and meet
                    // the same 410 from the store when they reconnect.
                    tracing::error!(after, "change feed pruned past the poller; skipping ahead");
                    if let Ok(now) = store.current_resource_version().await {
                        after = now;
                    }
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, after, "change feed poll failed; retrying");
                    break;
                }
            }
        }
    }
}

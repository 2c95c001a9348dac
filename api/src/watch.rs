//! Watch streams: the store's change feed, filtered to what the caller may see, as
//! server-sent events.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use poem::web::sse::Event;
use poem_openapi::Object;
use swarmpress_schema::resource::{ChangeType, Tenant};
use swarmpress_schema::store::{StoreError, TenantChange};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::feed::BATCH;
use crate::selector::LabelSelector;
use crate::state::AppState;

/// A comment line this often keeps proxies from closing an idle stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One change. On the wire the SSE `event` is `type`, the `id` is `resourceVersion` and the
/// `data` is `object`, the tenant as it was right after the change.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct WatchEvent {
    #[oai(rename = "type")]
    pub type_: ChangeType,
    pub resource_version: String,
    pub object: Tenant,
}

pub fn to_sse_event(event: WatchEvent) -> Event {
    let data = serde_json::to_string(&event.object).unwrap_or_else(|_| "{}".to_owned());
    Event::message(data)
        .event_type(event.type_.as_str())
        .id(event.resource_version)
}

enum Phase {
    /// Reading the store from the resume point until a batch comes back short.
    CatchUp,
    /// Following the shared poller's broadcast.
    Live,
}

struct Cursor {
    state: AppState,
    owner: Option<Uuid>,
    selector: LabelSelector,
    after: i64,
    pending: VecDeque<WatchEvent>,
    phase: Phase,
    live: broadcast::Receiver<Arc<TenantChange>>,
}

impl Cursor {
    /// Queues `change` if this watch shows it and has not shown it yet.
    fn offer(&mut self, change: &TenantChange) {
        if change.resource_version <= self.after {
            return;
        }
        self.after = change.resource_version;
        let visible = self
            .owner
            .is_none_or(|owner| change.tenant.metadata.owner == owner);
        if visible && self.selector.matches(&change.tenant.metadata.labels) {
            self.pending.push_back(WatchEvent {
                type_: change.change_type,
                resource_version: change.resource_version.to_string(),
                object: change.tenant.clone(),
            });
        }
    }

    /// One batch from the store; `false` once caught up (or on an error, which ends the
    /// stream).
    async fn catch_up(&mut self) -> Option<bool> {
        let changes = match self.owner {
            Some(owner) => {
                self.state
                    .store
                    .changes_since_for_owner(self.after, owner, BATCH)
                    .await
            }
            None => self.state.store.changes_since(self.after, BATCH).await,
        };
        match changes {
            Ok(changes) => {
                let full = changes.len() as u64 >= BATCH;
                for change in &changes {
                    self.offer(change);
                }
                Some(full)
            }
            Err(error) => {
                tracing::warn!(%error, after = self.after, "watch ended");
                None
            }
        }
    }
}

/// Changes after `after`, for `owner`'s tenants (every tenant when `None`) matching
/// `selector`: caught up from the store, then followed through the process's shared
/// [`ChangeFeed`](crate::feed::ChangeFeed). The stream ends if the feed can no longer serve
/// it (pruned past its position, or the watcher fell too far behind the broadcast), and the
/// client resumes from the last id it saw, as SSE clients do.
pub async fn tenant_events(
    state: AppState,
    owner: Option<Uuid>,
    selector: LabelSelector,
    after: i64,
) -> Result<impl Stream<Item = WatchEvent> + Send + 'static, StoreError> {
    // Subscribed before catching up: whatever commits meanwhile is in the broadcast.
    let live = state.feed.subscribe().await?;
    let cursor = Cursor {
        state,
        owner,
        selector,
        after,
        pending: VecDeque::new(),
        phase: Phase::CatchUp,
        live,
    };
    Ok(futures_util::stream::unfold(
        cursor,
        |mut cursor| async move {
            loop {
                if let Some(event) = cursor.pending.pop_front() {
                    return Some((event, cursor));
                }
                match cursor.phase {
                    Phase::CatchUp => {
                        if !cursor.catch_up().await? {
                            cursor.phase = Phase::Live;
                        }
                    }
                    Phase::Live => match cursor.live.recv().await {
                        Ok(change) => cursor.offer(&change),
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::info!(missed, after = cursor.after, "slow watcher cut off");
                            return None;
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                }
            }
        },
    ))
}

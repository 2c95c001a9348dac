//! Watch streams: the store's change feed, polled, filtered to what the caller may see, as
//! server-sent events.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::Stream;
use poem::web::sse::Event;
use poem_openapi::Object;
use swarmpress_schema::resource::{ChangeType, Tenant};
use uuid::Uuid;

use crate::selector::LabelSelector;
use crate::state::AppState;

/// How often an idle watch asks the change feed for news.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// A comment line this often keeps proxies from closing an idle stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Changes fetched per query; a watcher far behind catches up in batches.
const BATCH: u64 = 500;

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

struct Cursor {
    state: AppState,
    owner: Option<Uuid>,
    selector: LabelSelector,
    after: i64,
    pending: VecDeque<WatchEvent>,
    first: bool,
}

/// Changes after `after`, for `owner`'s tenants (every tenant when `None`) matching
/// `selector`. The stream ends if the feed can no longer serve it (e.g. pruned past its
/// position), and the client resumes from the last id it saw, as SSE clients do.
pub fn tenant_events(
    state: AppState,
    owner: Option<Uuid>,
    selector: LabelSelector,
    after: i64,
) -> impl Stream<Item = WatchEvent> + Send + 'static {
    let cursor = Cursor {
        state,
        owner,
        selector,
        after,
        pending: VecDeque::new(),
        first: true,
    };
    futures_util::stream::unfold(cursor, |mut cursor| async move {
        loop {
            if let Some(event) = cursor.pending.pop_front() {
                return Some((event, cursor));
            }
            if !cursor.first {
                tokio::time::sleep(POLL_INTERVAL).await;
            }
            cursor.first = false;
            let changes = match cursor.owner {
                Some(owner) => {
                    cursor
                        .state
                        .store
                        .changes_since_for_owner(cursor.after, owner, BATCH)
                        .await
                }
                None => cursor.state.store.changes_since(cursor.after, BATCH).await,
            };
            let changes = match changes {
                Ok(changes) => changes,
                Err(error) => {
                    tracing::warn!(%error, after = cursor.after, "watch ended");
                    return None;
                }
            };
            for change in changes {
                cursor.after = cursor.after.max(change.resource_version);
                if cursor.selector.matches(&change.tenant.metadata.labels) {
                    cursor.pending.push_back(WatchEvent {
                        type_: change.change_type,
                        resource_version: change.resource_version.to_string(),
                        object: change.tenant,
                    });
                }
            }
        }
    })
}

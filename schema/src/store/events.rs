//! Tenant events: what the controller did or saw, folded by (tenant, reason, message).

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::{StoreError, StoreResult, corrupt, now, to_u32};
use crate::TenantName;
use crate::entity::tenant_events;
use crate::resource::{EventType, TenantEvent};
use crate::store::Store;

/// Column widths of `tenant_events` (see the migration): longer text is cut, on a character
/// boundary, before it is stored and compared.
const MAX_REASON_CHARS: usize = 64;
const MAX_MESSAGE_CHARS: usize = 512;

impl Store {
    /// Records an event. A repeat of the same (tenant, reason, message) bumps `count` and
    /// `lastTimestamp` (and takes the new `type`) instead of adding a row, in one statement,
    /// so concurrent repeats cannot both insert.
    pub async fn record_event(
        &self,
        tenant: &TenantName,
        type_: EventType,
        reason: &str,
        message: &str,
    ) -> StoreResult<TenantEvent> {
        let reason = truncate(reason, MAX_REASON_CHARS);
        let message = truncate(message, MAX_MESSAGE_CHARS);
        let at = now();
        self.db
            .execute_raw(Statement::from_sql_and_values(
                self.backend(),
                "INSERT INTO tenant_events \
                   (tenant_name, type, reason, message, count, first_timestamp, last_timestamp) \
                 VALUES (?, ?, ?, ?, 1, ?, ?) \
                 ON DUPLICATE KEY UPDATE count = LEAST(count + 1, 2147483647), \
                   type = VALUES(type), last_timestamp = VALUES(last_timestamp)",
                [
                    tenant.as_str().into(),
                    type_.as_str().into(),
                    reason.into(),
                    message.into(),
                    at.into(),
                    at.into(),
                ],
            ))
            .await?;
        let row = tenant_events::Entity::find()
            .filter(tenant_events::Column::TenantName.eq(tenant.as_str()))
            .filter(tenant_events::Column::Reason.eq(reason))
            .filter(tenant_events::Column::Message.eq(message))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        row_to_event(row)
    }

    /// The tenant's events, most recent first, at most `limit`.
    pub async fn list_events(
        &self,
        tenant: &TenantName,
        limit: u64,
    ) -> StoreResult<Vec<TenantEvent>> {
        tenant_events::Entity::find()
            .filter(tenant_events::Column::TenantName.eq(tenant.as_str()))
            .order_by_desc(tenant_events::Column::LastTimestamp)
            .order_by_desc(tenant_events::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row_to_event)
            .collect()
    }
}

fn truncate(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

fn row_to_event(row: tenant_events::Model) -> StoreResult<TenantEvent> {
    Ok(TenantEvent {
        type_: EventType::parse(&row.event_type)
            .ok_or_else(|| corrupt("tenant_events.type", &row.event_type))?,
        count: to_u32("tenant_events.count", row.count)?,
        reason: row.reason,
        message: row.message,
        first_timestamp: row.first_timestamp,
        last_timestamp: row.last_timestamp,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(super::truncate("héllo", 2), "hé");
        assert_eq!(super::truncate("abc", 3), "abc");
        assert_eq!(super::truncate("abc", 5), "abc");
    }
}

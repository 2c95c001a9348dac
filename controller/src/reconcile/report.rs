//! Writing status: only when it changed, with an event for each condition that flipped and
//! for a phase change.

use swarmpress_schema::resource::{ConditionStatus, EventType, Phase, Tenant, TenantStatus};

use super::events::EventReason;
use super::{Context, ReconcileError};
use crate::store::TenantStore;

/// Writes `status` if it differs from the stored one, then records the events of what
/// changed.
pub async fn write<S: TenantStore>(
    ctx: &Context<S>,
    tenant: &Tenant,
    status: &TenantStatus,
) -> Result<(), ReconcileError> {
    let before = &tenant.status;
    if status == before {
        return Ok(());
    }
    ctx.store
        .write_status(tenant, status)
        .await
        .map_err(ReconcileError::store)?;
    let recorder = ctx.recorder(tenant);
    for condition in &status.conditions {
        let previous = before.condition(condition.type_).map(|c| c.status);
        if previous == Some(condition.status) {
            continue;
        }
        // Only a regression (True → False) needs attention; a condition that has not come
        // true yet is the normal course of provisioning.
        let type_ = if condition.status == ConditionStatus::False
            && previous == Some(ConditionStatus::True)
            && status.phase != Phase::Stopped
        {
            EventType::Warning
        } else {
            EventType::Normal
        };
        let message = format!(
            "{:?} is {:?}: {}",
            condition.type_, condition.status, condition.message
        );
        recorder
            .publish_as(type_, &condition.reason, &message)
            .await?;
    }
    if status.phase != before.phase {
        recorder
            .publish(
                EventType::Normal,
                EventReason::PhaseChanged,
                &format!("{:?} → {:?}", before.phase, status.phase),
            )
            .await?;
    }
    Ok(())
}

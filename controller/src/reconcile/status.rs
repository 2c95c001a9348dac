//! Writing status: only when it changed, with an event for each condition that flipped.

use chrono::Utc;
use swarmpress_schema::resource::{
    ConditionStatus, ConditionType, EventType, Phase, Tenant, TenantStatus,
};

use super::secrets::record;
use super::{Context, ReconcileError};
use crate::store::TenantStore;

/// Sets a condition with the current time as its transition time if it flips.
pub fn set(
    status: &mut TenantStatus,
    type_: ConditionType,
    value: bool,
    reason: &str,
    message: impl Into<String>,
) {
    let value = if value {
        ConditionStatus::True
    } else {
        ConditionStatus::False
    };
    status.set_condition(type_, value, reason, message, Utc::now());
}

/// Writes `status` if it differs from the stored one, then records an event for every
/// condition whose status changed and for a phase change.
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
        record(ctx, tenant, type_, &condition.reason, &message).await?;
    }
    if status.phase != before.phase {
        record(
            ctx,
            tenant,
            EventType::Normal,
            "PhaseChanged",
            &format!("{:?} → {:?}", before.phase, status.phase),
        )
        .await?;
    }
    Ok(())
}

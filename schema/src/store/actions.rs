//! Tenant actions: the API asks (`pending`), the controller's leader claims one at a time
//! (`running`) and finishes it with its per-replica reports. A claim left `running` by a
//! leader that died is claimed again after [`RECLAIM_AFTER`]: the actions are safe to repeat.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{StoreError, StoreResult, corrupt, now};
use crate::entity::tenant_actions;
use crate::resource::{ActionKind, ActionState, ReplicaReport, TenantAction};
use crate::store::Store;

/// How long a `running` action may go without finishing before another claim takes it over.
pub const RECLAIM_AFTER: chrono::Duration = chrono::Duration::minutes(2);

impl Store {
    /// Records that `by` asks for `kind` on `tenant`: pending until the controller takes it.
    /// An action of the same kind on the tenant that is still pending is the answer instead:
    /// asking again and again queues nothing more (one will do the work of all).
    pub async fn request_tenant_action(
        &self,
        tenant: &str,
        kind: ActionKind,
        by: Uuid,
    ) -> StoreResult<TenantAction> {
        let waiting = tenant_actions::Entity::find()
            .filter(tenant_actions::Column::Tenant.eq(tenant))
            .filter(tenant_actions::Column::Kind.eq(kind.as_str()))
            .filter(tenant_actions::Column::State.eq(ActionState::Pending.as_str()))
            .order_by_asc(tenant_actions::Column::RequestedAt)
            .one(&self.db)
            .await?;
        if let Some(row) = waiting {
            return row_to_action(row);
        }
        let action = TenantAction {
            id: Uuid::new_v4(),
            tenant: tenant.to_owned(),
            kind,
            state: ActionState::Pending,
            requested_by: by,
            requested_at: now(),
            started_at: None,
            finished_at: None,
            replicas: Vec::new(),
            message: None,
        };
        tenant_actions::Entity::insert(tenant_actions::ActiveModel {
            id: Set(action.id),
            tenant: Set(action.tenant.clone()),
            kind: Set(kind.as_str().to_owned()),
            state: Set(action.state.as_str().to_owned()),
            requested_by: Set(by),
            requested_at: Set(action.requested_at),
            started_at: Set(None),
            finished_at: Set(None),
            replicas: Set("[]".to_owned()),
            message: Set(None),
        })
        .exec_without_returning(&self.db)
        .await?;
        Ok(action)
    }

    pub async fn get_tenant_action(&self, id: Uuid) -> StoreResult<TenantAction> {
        tenant_actions::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)
            .and_then(row_to_action)
    }

    /// The tenant's latest actions, newest first.
    pub async fn list_tenant_actions(
        &self,
        tenant: &str,
        limit: u64,
    ) -> StoreResult<Vec<TenantAction>> {
        tenant_actions::Entity::find()
            .filter(tenant_actions::Column::Tenant.eq(tenant))
            .order_by_desc(tenant_actions::Column::RequestedAt)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row_to_action)
            .collect()
    }

    /// Takes the oldest pending action (or one whose claim went stale), marking it running;
    /// `None` when there is none. Of two claimers of one action, one wins.
    pub async fn claim_tenant_action(&self) -> StoreResult<Option<TenantAction>> {
        let at = now();
        for _ in 0..3 {
            let candidate = tenant_actions::Entity::find()
                .filter(
                    Condition::any()
                        .add(tenant_actions::Column::State.eq(ActionState::Pending.as_str()))
                        .add(
                            Condition::all()
                                .add(
                                    tenant_actions::Column::State.eq(ActionState::Running.as_str()),
                                )
                                .add(tenant_actions::Column::StartedAt.lt(at - RECLAIM_AFTER)),
                        ),
                )
                .order_by_asc(tenant_actions::Column::RequestedAt)
                .one(&self.db)
                .await?;
            let Some(candidate) = candidate else {
                return Ok(None);
            };
            let claimed = tenant_actions::Entity::update_many()
                .col_expr(
                    tenant_actions::Column::State,
                    Expr::value(ActionState::Running.as_str()),
                )
                .col_expr(tenant_actions::Column::StartedAt, Expr::value(at))
                .filter(tenant_actions::Column::Id.eq(candidate.id))
                .filter(tenant_actions::Column::State.eq(candidate.state.clone()))
                .filter(match candidate.started_at {
                    Some(started) => tenant_actions::Column::StartedAt.eq(started),
                    None => tenant_actions::Column::StartedAt.is_null(),
                })
                .exec(&self.db)
                .await?;
            if claimed.rows_affected == 1 {
                return self.get_tenant_action(candidate.id).await.map(Some);
            }
        }
        Ok(None)
    }

    /// Ends a running action with its reports: `Succeeded` or `Failed`.
    pub async fn finish_tenant_action(
        &self,
        id: Uuid,
        state: ActionState,
        replicas: &[ReplicaReport],
        message: Option<&str>,
    ) -> StoreResult<TenantAction> {
        let replicas = serde_json::to_string(replicas)
            .map_err(|error| StoreError::Corrupt(format!("action reports: {error}")))?;
        let result = tenant_actions::Entity::update_many()
            .col_expr(tenant_actions::Column::State, Expr::value(state.as_str()))
            .col_expr(tenant_actions::Column::FinishedAt, Expr::value(now()))
            .col_expr(tenant_actions::Column::Replicas, Expr::value(replicas))
            .col_expr(tenant_actions::Column::Message, Expr::value(message))
            .filter(tenant_actions::Column::Id.eq(id))
            .filter(tenant_actions::Column::State.eq(ActionState::Running.as_str()))
            .exec(&self.db)
            .await?;
        let action = self.get_tenant_action(id).await?;
        if result.rows_affected != 1 {
            return Err(StoreError::InvalidTransition {
                from: action.state.as_str().to_owned(),
                to: state.as_str().to_owned(),
            });
        }
        Ok(action)
    }

    /// Forgets finished actions requested before `before` (they are reports, kept a while).
    pub async fn forget_tenant_actions(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        Ok(tenant_actions::Entity::delete_many()
            .filter(tenant_actions::Column::RequestedAt.lt(before))
            .filter(tenant_actions::Column::State.is_in([
                ActionState::Succeeded.as_str(),
                ActionState::Failed.as_str(),
            ]))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

fn row_to_action(row: tenant_actions::Model) -> StoreResult<TenantAction> {
    Ok(TenantAction {
        kind: ActionKind::parse(&row.kind)
            .ok_or_else(|| corrupt("tenant_actions.kind", &row.kind))?,
        state: ActionState::parse(&row.state)
            .ok_or_else(|| corrupt("tenant_actions.state", &row.state))?,
        replicas: serde_json::from_str(&row.replicas)
            .map_err(|_| corrupt("tenant_actions.replicas", &row.replicas))?,
        id: row.id,
        tenant: row.tenant,
        requested_by: row.requested_by,
        requested_at: row.requested_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        message: row.message,
    })
}

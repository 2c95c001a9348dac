//! Rollouts and their per-tenant items: the persisted state machine the controller drives.
//! State changes are compare-and-swap updates on the expected current state, so an admin's
//! pause and the controller's progress cannot overwrite each other.

use std::collections::HashMap;

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{
    StoreError, StoreResult, corrupt, from_json, is_unique_violation, now, to_json, to_u32,
};
use crate::TenantName;
use crate::entity::{rollout_items, rollouts};
use crate::resource::{Rollout, RolloutItem, RolloutItemState, RolloutSpec, RolloutState};
use crate::store::Store;

/// Rollouts per state and items of unfinished rollouts per item state, by wire name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolloutCounts {
    pub rollouts: HashMap<String, i64>,
    pub items: HashMap<String, i64>,
}

/// A tenant to add to a rollout's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRolloutItem {
    pub tenant: TenantName,
    pub from_image: Option<String>,
    pub to_image: String,
    pub batch: u32,
}

impl Store {
    /// Stores a new rollout in state `scheduled`. [`StoreError::AlreadyExists`] when `name`
    /// is taken.
    pub async fn create_rollout(
        &self,
        name: Option<&str>,
        spec: &RolloutSpec,
        created_by: Option<Uuid>,
    ) -> StoreResult<Rollout> {
        let id = Uuid::new_v4();
        let inserted = rollouts::Entity::insert(rollouts::ActiveModel {
            id: Set(id),
            name: Set(name.map(str::to_owned)),
            spec: Set(to_json(spec)?),
            state: Set(RolloutState::Scheduled.as_str().to_owned()),
            message: Set(None),
            created_by: Set(created_by),
            created_at: Set(now()),
            started_at: Set(None),
            finished_at: Set(None),
        })
        .exec_without_returning(&self.db)
        .await;
        match inserted {
            Ok(_) => self.get_rollout(id).await,
            Err(error) if is_unique_violation(&error) => Err(StoreError::AlreadyExists),
            Err(error) => Err(error.into()),
        }
    }

    /// One rollout with its items (by batch, then tenant).
    pub async fn get_rollout(&self, id: Uuid) -> StoreResult<Rollout> {
        let row = rollouts::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.with_items(vec![row])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    pub async fn get_rollout_by_name(&self, name: &str) -> StoreResult<Rollout> {
        let row = rollouts::Entity::find()
            .filter(rollouts::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.with_items(vec![row])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// All rollouts, newest first, with their items.
    pub async fn list_rollouts(&self) -> StoreResult<Vec<Rollout>> {
        let rows = rollouts::Entity::find()
            .order_by_desc(rollouts::Column::CreatedAt)
            .all(&self.db)
            .await?;
        self.with_items(rows).await
    }

    /// The images completed fleet rollouts moved to, each once, oldest first — without
    /// reading the rollouts' items.
    pub async fn completed_rollout_images(&self) -> StoreResult<Vec<String>> {
        let rows = rollouts::Entity::find()
            .filter(rollouts::Column::State.eq(RolloutState::Completed.as_str()))
            .order_by_asc(rollouts::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let mut images: Vec<String> = Vec::new();
        for row in rows {
            let spec: RolloutSpec = from_json("rollouts.spec", row.spec)?;
            if !images.contains(&spec.image) {
                images.push(spec.image);
            }
        }
        Ok(images)
    }

    /// What the rollout driver has to look at, oldest first: scheduled, running and paused
    /// rollouts, and aborted ones that still have a pending or updating item to settle.
    /// Finished history, however long, is not read.
    pub async fn list_unsettled_rollouts(&self) -> StoreResult<Vec<Rollout>> {
        let open_items = Query::select()
            .column(rollout_items::Column::RolloutId)
            .from(rollout_items::Entity)
            .and_where(rollout_items::Column::State.is_in([
                RolloutItemState::Pending.as_str(),
                RolloutItemState::Updating.as_str(),
            ]))
            .to_owned();
        let rows = rollouts::Entity::find()
            .filter(
                Condition::any()
                    .add(rollouts::Column::State.is_in([
                        RolloutState::Scheduled.as_str(),
                        RolloutState::Running.as_str(),
                        RolloutState::Paused.as_str(),
                    ]))
                    .add(
                        Condition::all()
                            .add(rollouts::Column::State.eq(RolloutState::Aborted.as_str()))
                            .add(rollouts::Column::Id.in_subquery(open_items)),
                    ),
            )
            .order_by_asc(rollouts::Column::CreatedAt)
            .all(&self.db)
            .await?;
        self.with_items(rows).await
    }

    /// How many rollouts are in each state, and how many items of unfinished rollouts are in
    /// each item state (states as their wire names; a state with none is absent). Two
    /// grouped queries, whatever the history: what the controller's gauges need every second.
    pub async fn rollout_counts(&self) -> StoreResult<RolloutCounts> {
        let rollouts: Vec<(String, i64)> = rollouts::Entity::find()
            .select_only()
            .column(rollouts::Column::State)
            .column_as(rollouts::Column::Id.count(), "count")
            .group_by(rollouts::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        let unfinished = RolloutState::ALL
            .into_iter()
            .filter(|state| !state.is_terminal())
            .map(RolloutState::as_str);
        let items: Vec<(String, i64)> = rollout_items::Entity::find()
            .select_only()
            .column(rollout_items::Column::State)
            .column_as(rollout_items::Column::Id.count(), "count")
            .filter(
                rollout_items::Column::RolloutId.in_subquery(
                    Query::select()
                        .column(rollouts::Column::Id)
                        .from(rollouts::Entity)
                        .and_where(rollouts::Column::State.is_in(unfinished))
                        .to_owned(),
                ),
            )
            .group_by(rollout_items::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(RolloutCounts {
            rollouts: rollouts.into_iter().collect(),
            items: items.into_iter().collect(),
        })
    }

    /// Rollouts in any of `states`, oldest first: what the controller resumes after a
    /// restart (`running`) or starts when due (`scheduled`).
    pub async fn list_rollouts_in(&self, states: &[RolloutState]) -> StoreResult<Vec<Rollout>> {
        let rows = rollouts::Entity::find()
            .filter(rollouts::Column::State.is_in(states.iter().map(|s| s.as_str())))
            .order_by_asc(rollouts::Column::CreatedAt)
            .all(&self.db)
            .await?;
        self.with_items(rows).await
    }

    /// Replaces the spec of a rollout that has not started ([`StoreError::InvalidTransition`]
    /// otherwise).
    pub async fn update_rollout_spec(&self, id: Uuid, spec: &RolloutSpec) -> StoreResult<Rollout> {
        let result = rollouts::Entity::update_many()
            .col_expr(rollouts::Column::Spec, Expr::value(to_json(spec)?))
            .filter(rollouts::Column::Id.eq(id))
            .filter(rollouts::Column::State.eq(RolloutState::Scheduled.as_str()))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 1 {
            return self.get_rollout(id).await;
        }
        let current = self.get_rollout(id).await?;
        Err(StoreError::InvalidTransition {
            from: current.state.as_str().to_owned(),
            to: "updated spec".to_owned(),
        })
    }

    /// Replaces the spec of a rollout that has not started: `scheduled`, or `paused` before
    /// it ever ran (no items planned yet). [`StoreError::InvalidTransition`] otherwise. What
    /// `apply` of a changed `kind: Rollout` manifest uses.
    pub async fn update_unstarted_rollout_spec(
        &self,
        id: Uuid,
        spec: &RolloutSpec,
    ) -> StoreResult<Rollout> {
        let result = rollouts::Entity::update_many()
            .col_expr(rollouts::Column::Spec, Expr::value(to_json(spec)?))
            .filter(rollouts::Column::Id.eq(id))
            .filter(rollouts::Column::State.is_in([
                RolloutState::Scheduled.as_str(),
                RolloutState::Paused.as_str(),
            ]))
            .filter(rollouts::Column::StartedAt.is_null())
            .exec(&self.db)
            .await?;
        if result.rows_affected == 1 {
            return self.get_rollout(id).await;
        }
        let current = self.get_rollout(id).await?;
        Err(StoreError::InvalidTransition {
            from: current.state.as_str().to_owned(),
            to: "updated spec".to_owned(),
        })
    }

    /// Moves the rollout to `to` if it is in one of `from` (compare-and-swap), with an
    /// optional message (`None` keeps the current one). Entering `running` sets `startedAt`
    /// the first time; entering a terminal state sets `finishedAt`.
    /// [`StoreError::InvalidTransition`] when the rollout is in another state.
    pub async fn set_rollout_state(
        &self,
        id: Uuid,
        from: &[RolloutState],
        to: RolloutState,
        message: Option<&str>,
    ) -> StoreResult<Rollout> {
        let at = now();
        let mut update = rollouts::Entity::update_many()
            .col_expr(rollouts::Column::State, Expr::value(to.as_str()))
            .filter(rollouts::Column::Id.eq(id))
            .filter(rollouts::Column::State.is_in(from.iter().map(|s| s.as_str())));
        if let Some(message) = message {
            update = update.col_expr(rollouts::Column::Message, Expr::value(message));
        }
        if to == RolloutState::Running {
            update = update.col_expr(
                rollouts::Column::StartedAt,
                Expr::col(rollouts::Column::StartedAt).if_null(at),
            );
        }
        if to.is_terminal() {
            update = update.col_expr(rollouts::Column::FinishedAt, Expr::value(at));
        }
        if update.exec(&self.db).await?.rows_affected == 1 {
            return self.get_rollout(id).await;
        }
        let current = self.get_rollout(id).await?;
        Err(StoreError::InvalidTransition {
            from: current.state.as_str().to_owned(),
            to: to.as_str().to_owned(),
        })
    }

    /// Adds tenants to a rollout's plan. Items already present are left as they are, so a
    /// controller that crashed while planning can plan again.
    pub async fn add_rollout_items(&self, id: Uuid, items: &[NewRolloutItem]) -> StoreResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let models = items
            .iter()
            .map(|item| {
                Ok(rollout_items::ActiveModel {
                    rollout_id: Set(id),
                    tenant_name: Set(item.tenant.to_string()),
                    from_image: Set(item.from_image.clone()),
                    to_image: Set(item.to_image.clone()),
                    state: Set(RolloutItemState::Pending.as_str().to_owned()),
                    reason: Set(None),
                    batch: Set(i32::try_from(item.batch).map_err(|_| {
                        StoreError::Corrupt(format!("batch {} is too large", item.batch))
                    })?),
                    started_at: Set(None),
                    finished_at: Set(None),
                    ..Default::default()
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let inserted = rollout_items::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([
                    rollout_items::Column::RolloutId,
                    rollout_items::Column::TenantName,
                ])
                // Rewriting the key column with its own value is MariaDB's "do nothing"
                // (sea-query's `do_nothing` renders invalid SQL for MySQL here).
                .update_column(rollout_items::Column::TenantName)
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await;
        match inserted {
            // Every item already present: nothing inserted, which is fine here.
            Ok(_) | Err(DbErr::RecordNotInserted) => Ok(()),
            Err(error) if is_unique_violation(&error) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Sets one item's state and reason (`None` keeps the current reason). Entering
    /// `updating` sets `startedAt` the first time; a terminal state sets `finishedAt`.
    pub async fn update_rollout_item(
        &self,
        id: Uuid,
        tenant: &TenantName,
        state: RolloutItemState,
        reason: Option<&str>,
    ) -> StoreResult<RolloutItem> {
        let at = now();
        let mut update = rollout_items::Entity::update_many()
            .col_expr(rollout_items::Column::State, Expr::value(state.as_str()))
            .filter(rollout_items::Column::RolloutId.eq(id))
            .filter(rollout_items::Column::TenantName.eq(tenant.as_str()));
        if let Some(reason) = reason {
            update = update.col_expr(rollout_items::Column::Reason, Expr::value(reason));
        }
        if state == RolloutItemState::Updating {
            update = update.col_expr(
                rollout_items::Column::StartedAt,
                Expr::col(rollout_items::Column::StartedAt).if_null(at),
            );
        }
        if state.is_terminal() {
            update = update.col_expr(rollout_items::Column::FinishedAt, Expr::value(at));
        }
        update.exec(&self.db).await?;
        let row = rollout_items::Entity::find()
            .filter(rollout_items::Column::RolloutId.eq(id))
            .filter(rollout_items::Column::TenantName.eq(tenant.as_str()))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        row_to_item(row)
    }

    /// Moves one item to `to` if it is in one of `from` (compare-and-swap), like
    /// [`Self::update_rollout_item`] otherwise. `None` when the item was in another state (or
    /// does not exist): a second controller, or this one before a restart, got there first.
    pub async fn transition_rollout_item(
        &self,
        id: Uuid,
        tenant: &TenantName,
        from: &[RolloutItemState],
        to: RolloutItemState,
        reason: Option<&str>,
    ) -> StoreResult<Option<RolloutItem>> {
        let at = now();
        let mut update = rollout_items::Entity::update_many()
            .col_expr(rollout_items::Column::State, Expr::value(to.as_str()))
            .filter(rollout_items::Column::RolloutId.eq(id))
            .filter(rollout_items::Column::TenantName.eq(tenant.as_str()))
            .filter(rollout_items::Column::State.is_in(from.iter().map(|s| s.as_str())));
        if let Some(reason) = reason {
            update = update.col_expr(rollout_items::Column::Reason, Expr::value(reason));
        }
        if to == RolloutItemState::Updating {
            update = update.col_expr(
                rollout_items::Column::StartedAt,
                Expr::col(rollout_items::Column::StartedAt).if_null(at),
            );
        }
        if to.is_terminal() {
            update = update.col_expr(rollout_items::Column::FinishedAt, Expr::value(at));
        }
        if update.exec(&self.db).await?.rows_affected != 1 {
            return Ok(None);
        }
        let row = rollout_items::Entity::find()
            .filter(rollout_items::Column::RolloutId.eq(id))
            .filter(rollout_items::Column::TenantName.eq(tenant.as_str()))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        row_to_item(row).map(Some)
    }

    async fn with_items(&self, rows: Vec<rollouts::Model>) -> StoreResult<Vec<Rollout>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut items: HashMap<Uuid, Vec<RolloutItem>> = HashMap::new();
        for row in rollout_items::Entity::find()
            .filter(rollout_items::Column::RolloutId.is_in(ids))
            .order_by_asc(rollout_items::Column::Batch)
            .order_by_asc(rollout_items::Column::TenantName)
            .all(&self.db)
            .await?
        {
            let rollout = row.rollout_id;
            items.entry(rollout).or_default().push(row_to_item(row)?);
        }
        rows.into_iter()
            .map(|row| {
                Ok(Rollout {
                    state: RolloutState::parse(&row.state)
                        .ok_or_else(|| corrupt("rollouts.state", &row.state))?,
                    spec: from_json("rollouts.spec", row.spec)?,
                    items: items.remove(&row.id).unwrap_or_default(),
                    id: row.id,
                    name: row.name,
                    message: row.message,
                    created_by: row.created_by,
                    created_at: row.created_at,
                    started_at: row.started_at,
                    finished_at: row.finished_at,
                })
            })
            .collect()
    }
}

fn row_to_item(row: rollout_items::Model) -> StoreResult<RolloutItem> {
    Ok(RolloutItem {
        tenant: TenantName::parse(row.tenant_name.as_str())
            .map_err(|_| corrupt("rollout_items.tenant_name", &row.tenant_name))?,
        state: RolloutItemState::parse(&row.state)
            .ok_or_else(|| corrupt("rollout_items.state", &row.state))?,
        batch: to_u32("rollout_items.batch", row.batch)?,
        from_image: row.from_image,
        to_image: row.to_image,
        reason: row.reason,
        started_at: row.started_at,
        finished_at: row.finished_at,
    })
}

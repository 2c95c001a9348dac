//! One pass over the rollouts that are not finished: start the due ones, look at the tenants
//! being updated, start the next batch, finish, or fail and revert.
//!
//! Everything the driver knows is in the store (rollout state, item states and their
//! `startedAt`), never in memory, so a pass after a restart or a failover continues exactly
//! where the last one stood; every transition is a compare-and-swap on the expected state and
//! every spec write sets the image only if it differs, so repeating a step changes nothing.

use chrono::Utc;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{
    MaintenanceWindow, Rollout, RolloutItem, RolloutItemState, RolloutState, Tenant, TenantState,
};
use swarmpress_schema::store::StoreError;

use super::RolloutError;
use super::health::{self, Prober, Verdict};
use super::metrics::RolloutMetrics;
use super::plan::plan;
use super::store::RolloutStore;
use crate::adapters::swarm::SwarmClient;

/// Reason of an item whose stopped tenant got the image without being started.
pub const STOPPED_REASON: &str = "stopped; image updated";
/// Reason of an item whose tenant was deleted before or while it was updated.
pub const DELETED_REASON: &str = "tenant deleted";

pub struct Driver<S> {
    pub store: S,
    pub swarm: SwarmClient,
    pub prober: Prober,
    pub metrics: RolloutMetrics,
}

impl<S: RolloutStore> Driver<S> {
    /// One pass over every unfinished rollout, oldest first, then the gauges. A rollout
    /// whose step fails is logged and retried on the next pass; the others go on.
    pub async fn tick(&self) -> Result<(), RolloutError> {
        let active = self.store.list_unsettled_rollouts().await?;
        // Read once per pass, and only when a scheduled rollout may wait for a window.
        let windows = if active.iter().any(|r| r.state == RolloutState::Scheduled) {
            self.store.list_maintenance_windows().await?
        } else {
            Vec::new()
        };
        for rollout in &active {
            if let Err(error) = self.step(rollout, &windows).await {
                tracing::warn!(rollout = %rollout.id, %error, "rollout step failed; retrying");
            }
        }
        self.metrics.refresh(&self.store).await?;
        self.metrics.pass_completed();
        Ok(())
    }

    async fn step(
        &self,
        rollout: &Rollout,
        windows: &[MaintenanceWindow],
    ) -> Result<(), RolloutError> {
        match rollout.state {
            RolloutState::Scheduled => {
                if is_due(rollout, windows) {
                    self.start(rollout).await?;
                }
                Ok(())
            }
            RolloutState::Running | RolloutState::Paused => self.advance(rollout).await,
            RolloutState::Aborted => self.settle_aborted(rollout).await,
            RolloutState::Completed | RolloutState::Failed => Ok(()),
        }
    }

    /// An abort starts nothing new, but a tenant already updating still ends somewhere:
    /// healthy at the new image, or rolled back after the timeout. Pending items are
    /// marked skipped so the progress says plainly that they were never touched.
    async fn settle_aborted(&self, rollout: &Rollout) -> Result<(), RolloutError> {
        for item in &rollout.items {
            match item.state {
                RolloutItemState::Updating => self.check_item(rollout, item).await?,
                RolloutItemState::Pending => {
                    self.transition(
                        rollout,
                        item,
                        RolloutItemState::Skipped,
                        Some("the rollout was aborted"),
                    )
                    .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Plans the items (again, harmlessly, after a crash) and enters `running`.
    async fn start(&self, rollout: &Rollout) -> Result<(), RolloutError> {
        let planned = self.plan(rollout).await?;
        match self
            .store
            .set_rollout_state(
                rollout.id,
                &[RolloutState::Scheduled],
                RolloutState::Running,
                Some(&format!("started: {planned} tenants planned")),
            )
            .await
        {
            Ok(_) => {
                tracing::info!(rollout = %rollout.id, planned, "rollout started");
                Ok(())
            }
            // Paused or aborted by an admin in between: their word stands.
            Err(StoreError::InvalidTransition { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn plan(&self, rollout: &Rollout) -> Result<usize, RolloutError> {
        let tenants = self.store.list_tenants().await?;
        let plans = self.store.active_plan_ids().await?;
        let items = plan(&rollout.spec, &tenants, &plans);
        self.store.add_rollout_items(rollout.id, &items).await?;
        Ok(items.len())
    }

    async fn advance(&self, rollout: &Rollout) -> Result<(), RolloutError> {
        // Resumed before it ever started (paused while scheduled): plan now.
        if rollout.state == RolloutState::Running && rollout.items.is_empty() {
            self.plan(rollout).await?;
        }
        let rollout = self.store.get_rollout(rollout.id).await?;
        // Together: each look may wait seconds for a slow site, and a batch is several.
        let checks = rollout
            .items
            .iter()
            .filter(|i| i.state == RolloutItemState::Updating)
            .map(|item| self.check_item(&rollout, item));
        for checked in futures_util::future::join_all(checks).await {
            checked?;
        }
        // Fresh: an admin may have paused or aborted while the tenants were looked at.
        let rollout = self.store.get_rollout(rollout.id).await?;
        if rollout.state.is_terminal() {
            return Ok(());
        }
        let failures = rollout
            .items
            .iter()
            .filter(|i| {
                matches!(
                    i.state,
                    RolloutItemState::RolledBack | RolloutItemState::Failed
                )
            })
            .count();
        if failures > usize::try_from(rollout.spec.failure_budget).unwrap_or(usize::MAX) {
            return self.fail(&rollout, failures).await;
        }
        // Paused: the in-flight items were finished above; nothing new starts.
        if rollout.state != RolloutState::Running
            || rollout
                .items
                .iter()
                .any(|i| i.state == RolloutItemState::Updating)
        {
            return Ok(());
        }
        let next_batch = rollout
            .items
            .iter()
            .filter(|i| i.state == RolloutItemState::Pending)
            .map(|i| i.batch)
            .min();
        match next_batch {
            Some(batch) => {
                for item in rollout
                    .items
                    .iter()
                    .filter(|i| i.state == RolloutItemState::Pending && i.batch == batch)
                {
                    self.start_item(&rollout, item).await?;
                }
                Ok(())
            }
            None => self.complete(&rollout).await,
        }
    }

    /// Starts one tenant's update: `updating` first (with `startedAt`, the health clock),
    /// then the spec. A crash in between leaves an `updating` item whose tenant is still at
    /// the old image, which [`Self::check_item`] completes.
    async fn start_item(&self, rollout: &Rollout, item: &RolloutItem) -> Result<(), RolloutError> {
        let Some(tenant) = self.live_tenant(&item.tenant).await? else {
            self.transition(
                rollout,
                item,
                RolloutItemState::Skipped,
                Some(DELETED_REASON),
            )
            .await?;
            return Ok(());
        };
        if tenant.spec.state == TenantState::Stopped {
            // No task to watch: the image takes effect when the owner starts the site.
            self.set_image(&item.tenant, Some(&item.to_image), nonce(rollout))
                .await?;
            self.transition(
                rollout,
                item,
                RolloutItemState::Skipped,
                Some(STOPPED_REASON),
            )
            .await?;
            return Ok(());
        }
        if self
            .transition(rollout, item, RolloutItemState::Updating, None)
            .await?
        {
            self.set_image(&item.tenant, Some(&item.to_image), nonce(rollout))
                .await?;
            tracing::info!(rollout = %rollout.id, tenant = %item.tenant, image = %item.to_image, "updating tenant");
        }
        Ok(())
    }

    /// Looks at an `updating` tenant: healthy at the new image → `healthy`; Swarm gave up or
    /// the health timeout passed → back to `fromImage`, `rolledBack`.
    async fn check_item(&self, rollout: &Rollout, item: &RolloutItem) -> Result<(), RolloutError> {
        let Some(tenant) = self.live_tenant(&item.tenant).await? else {
            self.transition(
                rollout,
                item,
                RolloutItemState::Skipped,
                Some(DELETED_REASON),
            )
            .await?;
            return Ok(());
        };
        if tenant.spec.state == TenantState::Stopped {
            self.set_image(&item.tenant, Some(&item.to_image), nonce(rollout))
                .await?;
            self.transition(
                rollout,
                item,
                RolloutItemState::Skipped,
                Some(STOPPED_REASON),
            )
            .await?;
            return Ok(());
        }
        // After a crash between `updating` and the spec write, or a concurrent edit: re-set,
        // which writes nothing when the image is already there.
        if tenant.spec.image.as_deref() != Some(item.to_image.as_str()) {
            self.set_image(&item.tenant, Some(&item.to_image), nonce(rollout))
                .await?;
            return Ok(());
        }
        let since = item.started_at.unwrap_or_else(Utc::now);
        let verdict =
            health::check(&self.swarm, &self.prober, &tenant, &item.to_image, since).await?;
        let timeout = chrono::Duration::seconds(i64::from(rollout.spec.health_timeout_seconds));
        let failure = match verdict {
            Verdict::Healthy => {
                self.transition(rollout, item, RolloutItemState::Healthy, None)
                    .await?;
                tracing::info!(rollout = %rollout.id, tenant = %item.tenant, "tenant healthy at the new image");
                return Ok(());
            }
            Verdict::Failed(reason) => reason,
            Verdict::Waiting(reason) if Utc::now() - since > timeout => format!(
                "not healthy within {}s: {reason}",
                rollout.spec.health_timeout_seconds
            ),
            Verdict::Waiting(reason) => {
                tracing::debug!(rollout = %rollout.id, tenant = %item.tenant, %reason, "waiting");
                return Ok(());
            }
        };
        self.set_image(&item.tenant, item.from_image.as_deref(), None)
            .await?;
        self.transition(rollout, item, RolloutItemState::RolledBack, Some(&failure))
            .await?;
        tracing::warn!(rollout = %rollout.id, tenant = %item.tenant, reason = %failure, "tenant rolled back");
        Ok(())
    }

    /// Over the failure budget: every tenant this rollout changed goes back to its
    /// `fromImage`, the rest are skipped, then the rollout is `failed`. Reverting first means
    /// a crash in the middle is finished by the next pass (the rollout is still active).
    async fn fail(&self, rollout: &Rollout, failures: usize) -> Result<(), RolloutError> {
        for item in &rollout.items {
            match item.state {
                RolloutItemState::Healthy | RolloutItemState::Updating => {
                    self.set_image(&item.tenant, item.from_image.as_deref(), None)
                        .await?;
                    self.transition(
                        rollout,
                        item,
                        RolloutItemState::RolledBack,
                        Some("the rollout failed; reverted"),
                    )
                    .await?;
                }
                RolloutItemState::Pending => {
                    self.transition(
                        rollout,
                        item,
                        RolloutItemState::Skipped,
                        Some("the rollout failed"),
                    )
                    .await?;
                }
                _ => {}
            }
        }
        let message = format!(
            "{failures} tenants failed, over the failure budget of {}; every updated tenant was reverted",
            rollout.spec.failure_budget
        );
        match self
            .store
            .set_rollout_state(
                rollout.id,
                &[RolloutState::Running, RolloutState::Paused],
                RolloutState::Failed,
                Some(&message),
            )
            .await
        {
            Ok(_) => {
                tracing::warn!(rollout = %rollout.id, %message, "rollout failed");
                self.metrics.finished(RolloutState::Failed);
                Ok(())
            }
            Err(StoreError::InvalidTransition { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn complete(&self, rollout: &Rollout) -> Result<(), RolloutError> {
        let count =
            |state: RolloutItemState| rollout.items.iter().filter(|i| i.state == state).count();
        let message = format!(
            "{} tenants updated, {} rolled back, {} skipped",
            count(RolloutItemState::Healthy),
            count(RolloutItemState::RolledBack),
            count(RolloutItemState::Skipped)
        );
        match self
            .store
            .set_rollout_state(
                rollout.id,
                &[RolloutState::Running],
                RolloutState::Completed,
                Some(&message),
            )
            .await
        {
            Ok(_) => {
                tracing::info!(rollout = %rollout.id, %message, "rollout completed");
                self.metrics.finished(RolloutState::Completed);
                Ok(())
            }
            Err(StoreError::InvalidTransition { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Compare-and-swap of one item from the state it was read in; `false` when it had
    /// moved on meanwhile.
    async fn transition(
        &self,
        rollout: &Rollout,
        item: &RolloutItem,
        to: RolloutItemState,
        reason: Option<&str>,
    ) -> Result<bool, RolloutError> {
        let moved = self
            .store
            .transition_rollout_item(rollout.id, &item.tenant, &[item.state], to, reason)
            .await?
            .is_some();
        if moved {
            self.metrics.item_moved(to);
        }
        Ok(moved)
    }

    /// The tenant, unless it is gone or being deleted.
    async fn live_tenant(&self, name: &TenantName) -> Result<Option<Tenant>, RolloutError> {
        match self.store.get_tenant(name).await {
            Ok(tenant) if tenant.is_deleting() => Ok(None),
            Ok(tenant) => Ok(Some(tenant)),
            Err(StoreError::NotFound) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Sets `spec.image` (and, for a force-pull, `spec.rebuildNonce`) if it differs: the
    /// desired-state change the tenant's reconcile turns into Swarm's rolling update. Written
    /// on the resourceVersion it was read at, so a concurrent edit of the spec is not lost
    /// (read again and retried instead).
    async fn set_image(
        &self,
        name: &TenantName,
        image: Option<&str>,
        nonce: Option<String>,
    ) -> Result<(), RolloutError> {
        for _ in 0..5 {
            let Some(tenant) = self.live_tenant(name).await? else {
                return Ok(());
            };
            let mut spec = tenant.spec.clone();
            spec.image = image.map(str::to_owned);
            if let Some(nonce) = &nonce {
                spec.rebuild_nonce = Some(nonce.clone());
            }
            if spec == tenant.spec {
                return Ok(());
            }
            match self
                .store
                .replace_spec(
                    name,
                    spec,
                    tenant.metadata.labels.clone(),
                    Some(&tenant.metadata.resource_version),
                )
                .await
            {
                Ok(_) | Err(StoreError::Terminating | StoreError::NotFound) => return Ok(()),
                Err(StoreError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(RolloutError::Contended(name.clone()))
    }
}

/// Due when its `startAt` has passed, or its maintenance window has begun; with neither a
/// start time nor a window, at once.
fn is_due(rollout: &Rollout, windows: &[MaintenanceWindow]) -> bool {
    let now = Utc::now();
    if rollout.spec.start_at.is_some_and(|at| at <= now) {
        return true;
    }
    let mut own = windows
        .iter()
        .filter(|w| w.rollout_id == Some(rollout.id))
        .peekable();
    if own.peek().is_none() {
        return rollout.spec.start_at.is_none();
    }
    own.any(|window| window.start <= now)
}

/// What `forcePull` writes into `rebuildNonce`: a new value per rollout makes the tenant's
/// reconcile force Swarm to resolve and pull the image again, once.
fn nonce(rollout: &Rollout) -> Option<String> {
    rollout
        .spec
        .force_pull
        .then(|| format!("rollout-{}", rollout.id))
}

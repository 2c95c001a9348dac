//! The forward path as steps — database → bucket and S3 identity side by side → admin secret
//! → volume → service → stale secrets → tasks — each ensuring one thing and recording what it
//! saw in [`Facts`]; then the
//! status and the next action, both computed from the facts alone.

use chrono::Utc;
use swarmpress_schema::resource::{EventType, Tenant};

use super::action::{self, Action};
use super::events::EventReason;
use super::facts::{Facts, ServiceFact, TaskFacts};
use super::names::tenant_labels;
use super::secrets::{
    MountedSecrets, TenantSecrets, ensure_admin, ensure_database, ensure_s3_identity,
};
use super::service::{self, Outcome};
use super::status::{self, Ending};
use super::{Context, ReconcileError, report};
use crate::adapters::swarm::{SecretRef, SwarmError};
use crate::store::TenantStore;
use crate::views::snapshot::Snapshot;

pub async fn run<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
) -> Result<Action, ReconcileError> {
    let mut facts = Facts::default();
    let result = converge(tenant, ctx, &mut facts).await;
    let failure = result
        .as_ref()
        .err()
        .map(|error| (error.to_string(), error.is_permanent()));
    let ending = failure
        .as_ref()
        .map_or(Ending::Converged, |(message, permanent)| Ending::Failed {
            message,
            permanent: *permanent,
        });
    let next = status::compute(
        tenant,
        &facts,
        ending,
        ctx.settings.public_url(tenant),
        Utc::now(),
    );
    match result {
        Ok(()) => {
            report::write(ctx, tenant, &next).await?;
            Ok(action::after_converge(&facts, &ctx.settings))
        }
        Err(error) => {
            // The failure is the one to report; a failed status write is logged with it.
            if let Err(write_error) = report::write(ctx, tenant, &next).await {
                tracing::warn!(%write_error, "cannot record the failure in status");
            }
            Err(error)
        }
    }
}

async fn converge<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
    facts: &mut Facts,
) -> Result<(), ReconcileError> {
    let name = &tenant.metadata.name;
    // Bulk views answer a no-op reconcile: the Swarm snapshot for secrets, volume and service,
    // the MariaDB view, the bucket list. Fetched side by side, so the first reconcile after
    // they went stale lists Swarm, MariaDB and S3 at once rather than one after the other.
    // The database and bucket answers (or errors) go to their steps.
    let (observed, database_view, bucket_listed) = tokio::join!(
        ctx.observer.snapshot(),
        ctx.databases.view(),
        ctx.buckets.listed(name)
    );
    let observed = observed?;
    let secrets = TenantSecrets::of(observed.secrets.get(name).map_or(&[], Vec::as_slice));

    // The database, the bucket with its S3 identity (an IAM user, its policy and key: several
    // round trips) and the admin secret depend on none of each other: made side by side, a
    // new site waits for the longest of them, not their sum. Their results are taken in the
    // old order, so a failed database still hides the rest, and each step's fact is recorded
    // as before.
    let (database, (bucket, s3_secret), admin_secret) = tokio::join!(
        ensure_database(tenant, ctx, &secrets, database_view),
        async {
            tokio::join!(
                ctx.buckets.ensure_listed(name, bucket_listed),
                ensure_s3_identity(tenant, ctx, &secrets),
            )
        },
        ensure_admin(tenant, ctx, &secrets),
    );
    let db_secret = Facts::record(&mut facts.database, database)?;
    Facts::record(&mut facts.bucket, bucket)?;
    let s3_secret = s3_secret?;
    let admin_secret = admin_secret?;
    let mounted = MountedSecrets {
        db: db_secret,
        admin: admin_secret,
        s3: s3_secret,
    };
    ensure_volume(tenant, ctx, &observed).await?;
    let outcome = ensure_service(tenant, ctx, &mounted, facts).await?;
    announce(tenant, ctx, outcome).await?;
    remove_stale_secrets(ctx, &secrets, &mounted.all()).await?;
    let tasks = observe_tasks(tenant, ctx, outcome).await?;
    if facts
        .ensured()
        .is_some_and(|(_, replicas)| tasks.running >= replicas && (tasks.serving || replicas == 0))
    {
        // Up and answering (or stopped): whatever start slot the site held is free.
        ctx.admission.release(name);
    }
    facts.tasks = Some(tasks);
    Ok(())
}

async fn ensure_volume<S>(
    tenant: &Tenant,
    ctx: &Context<S>,
    observed: &Snapshot,
) -> Result<(), ReconcileError> {
    let name = &tenant.metadata.name;
    if !observed.volumes.contains(&name.volume_name()) {
        ctx.swarm
            .ensure_volume(&name.volume_name(), tenant_labels(name))
            .await?;
    }
    Ok(())
}

/// Creates or updates the service unless it already runs the desired spec; records what it
/// did (or why it could not) in `facts.service`.
async fn ensure_service<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
    mounted: &MountedSecrets,
    facts: &mut Facts,
) -> Result<Outcome, ReconcileError> {
    let snapshot = ctx.observer.snapshot().await?;
    let current = snapshot.services.get(&tenant.metadata.name);
    // A node being drained takes no new task: the site's tasks there are replaced by a
    // start-first update of the service as it is, so the site never stops serving. Not
    // while an update runs (its tasks are still moving), nor after one failed (retrying at
    // every reconcile would roll it back and forth).
    if let Some(current) = current
        && !current.updating
        && !current.update_failed
        && let Some(node) = current
            .nodes
            .iter()
            .find(|node| snapshot.placement.is_draining(node))
    {
        let hostname = snapshot.placement.hostname(node).to_owned();
        service::move_off(ctx, current).await?;
        ctx.recorder(tenant)
            .publish(
                EventType::Normal,
                EventReason::ServiceUpdated,
                &format!("moving off {hostname}, which is being drained"),
            )
            .await?;
        facts.service = Some(ServiceFact::Ensured {
            outcome: Outcome::Updated,
            replicas: u32::try_from(current.desired_replicas).unwrap_or(u32::MAX),
        });
        return Ok(Outcome::Updated);
    }
    if !snapshot.placement.unfinished_drains().is_empty() {
        crate::runtime::drain::finish(ctx, &snapshot).await;
    }
    // The steady state: the service runs what the remembered desired spec hashes to, so the
    // spec need not be built (or serialized and hashed) again.
    let unchanged = current.and_then(|current| {
        ctx.desired
            .get(tenant, mounted)
            .filter(|summary| service::is_current(summary, current))
    });
    if let Some(summary) = unchanged {
        // Nothing to start: a site that queued for a slot and no longer needs one (its
        // scale-up undone) leaves the line.
        ctx.admission.withdraw(&tenant.metadata.name);
        facts.service = Some(ServiceFact::Ensured {
            outcome: Outcome::Unchanged,
            replicas: summary.replicas,
        });
        return Ok(Outcome::Unchanged);
    }
    // The API refuses such specs; this holds for one written past it (straight into the
    // store, or before a plan changed).
    let plan = ctx
        .store
        .plan_of(tenant)
        .await
        .map_err(ReconcileError::store)?;
    if let Some(exceeded) = plan.and_then(|plan| plan.exceeded_by(&tenant.spec)) {
        facts.service = Some(ServiceFact::OverPlan(exceeded.message.clone()));
        return Err(ReconcileError::OverPlan(exceeded.message));
    }
    let image = match service::image(tenant, ctx, current).await {
        Ok(image) => image,
        Err(error) => {
            facts.service = Some(ServiceFact::Failed(format!(
                "the rebuild could not pull the image: {error}"
            )));
            return Err(error);
        }
    };
    let desired = match service::desired(tenant, ctx, mounted, image) {
        Ok(desired) => desired,
        Err(error) => {
            facts.service = Some(ServiceFact::InvalidSpec(error.to_string()));
            return Err(error);
        }
    };
    // Tasks to start (a new service, or more replicas than run): only with a start slot.
    let running = current.map_or(0, |current| current.running_tasks);
    let starts = u64::from(desired.replicas) > running;
    if !starts {
        ctx.admission.withdraw(&tenant.metadata.name);
    }
    let region = tenant.spec.region.as_str();
    let unschedulable = !region.is_empty() && snapshot.placement.schedulable(region) == 0;
    if starts && unschedulable {
        // Swarm would keep the tasks pending until a node comes, and a start slot held for
        // them would hold up every site behind it.
        ctx.admission.withdraw(&tenant.metadata.name);
        if running == 0 {
            // Nothing runs it: nothing is deployed until a node of its region takes tasks
            // (a node event — one joins, is made active, comes back — wakes the runner).
            facts.service = Some(ServiceFact::Unschedulable(format!(
                "no active node in region {region}: the site starts when one is there"
            )));
            return Ok(Outcome::Unchanged);
        }
        // Still running somewhere (its node drained since, a scale-up): the change is made
        // and Swarm's message on the pending task says why it waits.
    }
    if starts
        && !unschedulable
        && let Err(waiting) = ctx.admission.admit(&tenant.metadata.name)
    {
        let message = format!(
            "queued: {} sites are starting (at most {} at once); number {} in line",
            waiting.starting,
            ctx.admission.limit(),
            waiting.place
        );
        facts.service = Some(ServiceFact::Queued(message));
        return Ok(Outcome::Unchanged);
    }
    ctx.desired.remember(tenant, mounted, &desired);
    let replicas = desired.replicas;
    match service::ensure(ctx, desired, current).await {
        Ok(outcome) => {
            facts.service = Some(ServiceFact::Ensured { outcome, replicas });
            Ok(outcome)
        }
        Err(error) => {
            facts.service = Some(ServiceFact::Failed(error.to_string()));
            Err(error)
        }
    }
}

async fn announce<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
    outcome: Outcome,
) -> Result<(), ReconcileError> {
    let (reason, message) = match outcome {
        Outcome::Created => (EventReason::ServiceCreated, "created the service"),
        Outcome::Updated => (EventReason::ServiceUpdated, "updated the service"),
        Outcome::Unchanged => return Ok(()),
    };
    ctx.recorder(tenant)
        .publish(EventType::Normal, reason, message)
        .await
}

/// Secrets replaced by this or an earlier run go once no service refers to them.
async fn remove_stale_secrets<S>(
    ctx: &Context<S>,
    secrets: &TenantSecrets,
    keep: &[&SecretRef],
) -> Result<(), ReconcileError> {
    for stale in secrets.stale(keep) {
        match ctx.swarm.remove_secret_id(&stale.id, &stale.name).await {
            Ok(_) => {}
            Err(SwarmError::SecretInUse(name)) => {
                tracing::debug!(secret = %name, "replaced secret still in use; removing later");
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// The service's tasks after the service step (after a change the snapshot is stale, so this
/// lists once more), and whether the site answers with them.
async fn observe_tasks<S>(
    tenant: &Tenant,
    ctx: &Context<S>,
    outcome: Outcome,
) -> Result<TaskFacts, ReconcileError> {
    let snapshot = ctx.observer.snapshot().await?;
    let Some(view) = snapshot.services.get(&tenant.metadata.name) else {
        ctx.readiness.forget(&tenant.metadata.name);
        return Ok(TaskFacts::default());
    };
    Ok(TaskFacts {
        running: u32::try_from(view.running_tasks).unwrap_or(u32::MAX),
        serving: ctx
            .readiness
            .serving(tenant, &view.running_containers)
            .await,
        image: view.image.clone(),
        labelled: view.spec_hash.is_some(),
        updating: view.updating,
        // A completed rollback to the spec that is desired now (the failed spec was undone,
        // say by a fleet rollout) is no failure any more: Swarm keeps the state until the
        // next update.
        update_failed: view.update_failed && !(view.rolled_back && outcome == Outcome::Unchanged),
        task_message: view.task_message.clone(),
        nodes: {
            let mut nodes: Vec<String> = view
                .nodes
                .iter()
                .map(|id| snapshot.placement.hostname(id).to_owned())
                .collect();
            nodes.sort_unstable();
            nodes
        },
    })
}

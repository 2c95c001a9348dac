//! The forward path: database → bucket → secrets → volume → service → observe → status.

use swarmpress_schema::resource::{ConditionType, EventType, Phase, Tenant, TenantState};

use super::names::tenant_labels;
use super::secrets::{TenantSecrets, ensure_admin, ensure_database, record};
use super::service::{self, Outcome};
use super::{Action, Context, ReconcileError, status};
use crate::store::TenantStore;
use crate::swarm::SwarmError;

pub async fn run<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
) -> Result<Action, ReconcileError> {
    let mut next = tenant.status.clone();
    next.url = Some(ctx.settings.public_url(tenant));
    if next.phase == Phase::Pending {
        next.phase = Phase::Provisioning;
    }
    match converge(tenant, ctx, &mut next).await {
        Ok(action) => {
            // Only a reconcile that got through every step has seen this generation.
            next.observed_generation = tenant.metadata.generation;
            status::write(ctx, tenant, &next).await?;
            Ok(action)
        }
        Err(error) => {
            next.message = Some(error.to_string());
            if error.is_permanent() {
                next.phase = Phase::Failed;
            }
            // The failure is the one to report; a failed status write is logged with it.
            if let Err(write_error) = status::write(ctx, tenant, &next).await {
                tracing::warn!(%write_error, "cannot record the failure in status");
            }
            Err(error)
        }
    }
}

async fn converge<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
    next: &mut swarmpress_schema::resource::TenantStatus,
) -> Result<Action, ReconcileError> {
    let name = &tenant.metadata.name;
    // Bulk views answer a no-op reconcile: the Swarm snapshot for secrets, volume and service,
    // the MariaDB view, the bucket list. Fetched side by side, so the first reconcile after
    // they went stale lists Swarm, MariaDB and S3 at once rather than one after the other.
    // The database and bucket answers (or errors) go to their steps, which report them in the
    // tenant's conditions.
    let (observed, database_view, bucket_listed) = tokio::join!(
        ctx.observer.snapshot(),
        ctx.databases.view(),
        ctx.buckets.listed(name)
    );
    let observed = observed?;
    let secrets = TenantSecrets::of(observed.secrets.get(name).map_or(&[], Vec::as_slice));

    let db_secret = match ensure_database(tenant, ctx, &secrets, database_view).await {
        Ok(secret) => secret,
        Err(error) => {
            status::set(
                next,
                ConditionType::DatabaseReady,
                false,
                "Failed",
                error.to_string(),
            );
            return Err(error);
        }
    };
    status::set(
        next,
        ConditionType::DatabaseReady,
        true,
        "Provisioned",
        "database and user exist",
    );

    if let Err(error) = ctx.buckets.ensure_listed(name, bucket_listed).await {
        status::set(
            next,
            ConditionType::BucketReady,
            false,
            "Failed",
            error.to_string(),
        );
        return Err(error.into());
    }
    status::set(
        next,
        ConditionType::BucketReady,
        true,
        "Provisioned",
        "bucket exists and takes writes",
    );

    let admin_secret = ensure_admin(tenant, ctx, &secrets).await?;
    if !observed.volumes.contains(&name.volume_name()) {
        ctx.swarm
            .ensure_volume(&name.volume_name(), tenant_labels(name))
            .await?;
    }

    let snapshot = ctx.observer.snapshot().await?;
    let current = snapshot.services.get(name);
    // The steady state: the service runs what the remembered desired spec hashes to, so the
    // spec need not be built (or serialized and hashed) again.
    let unchanged = current.and_then(|current| {
        ctx.desired
            .get(tenant, &db_secret, &admin_secret)
            .filter(|summary| service::is_current(summary, current))
    });
    let (replicas, outcome) = if let Some(summary) = unchanged {
        (summary.replicas, Outcome::Unchanged)
    } else {
        let desired = match service::desired(tenant, ctx, &db_secret, &admin_secret) {
            Ok(desired) => desired,
            Err(error) => {
                status::set(
                    next,
                    ConditionType::ServiceReady,
                    false,
                    "InvalidSpec",
                    error.to_string(),
                );
                return Err(error);
            }
        };
        ctx.desired
            .remember(tenant, &db_secret, &admin_secret, &desired);
        let replicas = desired.replicas;
        match service::ensure(ctx, desired, current).await {
            Ok(outcome) => (replicas, outcome),
            Err(error) => {
                status::set(
                    next,
                    ConditionType::ServiceReady,
                    false,
                    "Failed",
                    error.to_string(),
                );
                return Err(error);
            }
        }
    };
    match outcome {
        Outcome::Created => {
            record(
                ctx,
                tenant,
                EventType::Normal,
                "ServiceCreated",
                "created the service",
            )
            .await?;
        }
        Outcome::Updated => {
            record(
                ctx,
                tenant,
                EventType::Normal,
                "ServiceUpdated",
                "updated the service",
            )
            .await?;
        }
        Outcome::Unchanged => {}
    }
    // Secrets replaced by this or an earlier run go once no service refers to them.
    for stale in secrets.stale(&[&db_secret, &admin_secret]) {
        match ctx.swarm.remove_secret_id(&stale.id, &stale.name).await {
            Ok(_) => {}
            Err(SwarmError::SecretInUse(name)) => {
                tracing::debug!(secret = %name, "replaced secret still in use; removing later");
            }
            Err(error) => return Err(error.into()),
        }
    }

    // After a change the snapshot is stale (invalidated): this lists once more.
    let snapshot = ctx.observer.snapshot().await?;
    let view = snapshot.services.get(name);
    let running = view.map_or(0, |v| v.running_tasks);
    let running = u32::try_from(running).unwrap_or(u32::MAX);
    next.replicas.desired = replicas;
    next.replicas.running = running;
    next.image = view.and_then(|v| v.image.clone());

    let current = view.is_some_and(|v| v.spec_hash.is_some()) && outcome == Outcome::Unchanged;
    let update_failed = view.is_some_and(|v| v.update_failed);
    let updating = outcome != Outcome::Unchanged || view.is_some_and(|v| v.updating);
    if update_failed {
        status::set(
            next,
            ConditionType::ServiceReady,
            false,
            "UpdateFailed",
            "the last service update did not come up and was rolled back",
        );
    } else {
        status::set(
            next,
            ConditionType::ServiceReady,
            true,
            "Deployed",
            "the service runs the current spec",
        );
    }
    let installed = running > 0 || next.is_true(ConditionType::Installed);
    if installed {
        status::set(
            next,
            ConditionType::Installed,
            true,
            "Installed",
            "WordPress is installed",
        );
    } else {
        status::set(
            next,
            ConditionType::Installed,
            false,
            "Installing",
            "waiting for the first healthy task",
        );
    }
    let stopped = tenant.spec.state == TenantState::Stopped;
    let available = !stopped && running >= replicas && replicas > 0;
    let (reason, message) = if stopped {
        ("Stopped", "the site is stopped".to_owned())
    } else if available {
        (
            "MinimumReplicasAvailable",
            format!("{running}/{replicas} replicas running"),
        )
    } else {
        (
            "ReplicasUnavailable",
            format!("{running}/{replicas} replicas running"),
        )
    };
    status::set(next, ConditionType::Available, available, reason, message);

    next.phase = if stopped {
        if running == 0 {
            Phase::Stopped
        } else {
            Phase::Updating
        }
    } else if update_failed {
        Phase::Degraded
    } else if available && !updating {
        Phase::Running
    } else if !installed {
        Phase::Provisioning
    } else if updating || running < replicas {
        if updating {
            Phase::Updating
        } else {
            Phase::Degraded
        }
    } else {
        Phase::Running
    };
    next.message = if available || (stopped && running == 0) {
        None
    } else {
        view.and_then(|v| v.task_message.clone())
    };

    let settled = current && !updating && running == replicas;
    Ok(Action::requeue(if settled {
        ctx.settings.resync
    } else {
        ctx.settings.converging_requeue
    }))
}

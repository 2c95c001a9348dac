//! Deletion: the forward steps backwards, then the record goes.
//!
//! The contract of a finalizer: every step must tolerate its object never having been made
//! (a tenant deleted before its first reconcile finished) and having been removed already (a
//! crash half-way through), so each one treats "not there" as done.

use swarmpress_schema::resource::{EventType, Phase, Tenant};

use super::events::EventReason;
use super::{Action, Context, ReconcileError, report};
use crate::store::TenantStore;

pub async fn run<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
) -> Result<Action, ReconcileError> {
    let name = &tenant.metadata.name;
    if tenant.status.phase != Phase::Deleting {
        let mut next = tenant.status.clone();
        next.phase = Phase::Deleting;
        next.message = Some("removing the site and its data".to_owned());
        report::write(ctx, tenant, &next).await?;
    }

    ctx.desired.forget(name);
    ctx.readiness.forget(name);
    ctx.admission.release(name);
    let service = name.service_name();
    if ctx.swarm.remove_service(&service).await? {
        ctx.observer.invalidate_workload();
    }
    // The volume and the secrets stay in use until the last container is gone.
    ctx.swarm
        .wait_service_gone(&service, ctx.settings.service_gone_timeout)
        .await?;

    for secret in ctx
        .swarm
        .list_secrets_labelled(&name.label_filter())
        .await?
    {
        let (Some(id), Some(secret_name)) = (secret.id, secret.spec.and_then(|s| s.name)) else {
            continue;
        };
        ctx.swarm.remove_secret_id(&id, &secret_name).await?;
    }
    // A container that has just exited can hold the volume for a moment; VolumeInUse fails
    // this run and the retry finds it free.
    ctx.swarm.remove_volume(&name.volume_name()).await?;
    ctx.databases.drop(name).await?;
    ctx.identities.delete(name).await?;
    ctx.buckets.delete(name).await?;
    ctx.store
        .delete_admin_password(tenant)
        .await
        .map_err(ReconcileError::store)?;
    ctx.recorder(tenant)
        .publish(
            EventType::Normal,
            EventReason::Deleted,
            "service, secrets, volume, database, user, S3 identity and bucket removed",
        )
        .await?;
    ctx.store
        .remove_tenant(tenant)
        .await
        .map_err(ReconcileError::store)?;
    tracing::info!("tenant finalized and removed");
    Ok(Action::await_change())
}

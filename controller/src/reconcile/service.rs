//! The tenant's Swarm service: built from the spec, created when missing, updated when the
//! hash of its desired spec differs from the one its label records.

use bollard::models::ServiceSpec;
use swarmpress_schema::resource::{Tenant, TenantState};

use super::secrets::MountedSecrets;
use super::{Context, ReconcileError};
use crate::adapters::swarm::{WordPressService, names_registry};
use crate::digest::short_hash;
use crate::views::snapshot::ServiceView;

/// The service as the spec wants it, without `ForceUpdate` (which depends on the running
/// service), and its hash.
pub struct Desired {
    pub spec: ServiceSpec,
    pub hash: String,
    pub restart_token: String,
    pub replicas: u32,
}

/// The hash a rebuild (`spec.rebuildNonce`) is known by on the service.
pub fn rebuild_token(tenant: &Tenant) -> Option<String> {
    tenant
        .spec
        .rebuild_nonce
        .as_ref()
        .map(|nonce| short_hash(nonce.as_bytes(), 16))
}

/// The image reference the service is to run. Without a rebuild, the spec's (or the
/// platform's default) reference as it is: Swarm resolves a tag when it starts a task. For a
/// rebuild — a `rebuildNonce` the running service was not deployed for — the image is pulled
/// anew from its registry and named by digest, so the redeploy runs what the registry has
/// now (on every node alike); once deployed, that pinned reference is kept until the next
/// rebuild or image change. A reference with no registry host cannot be pulled here: the
/// rebuild redeploys the engine's copy of the tag.
pub async fn image<S>(
    tenant: &Tenant,
    ctx: &Context<S>,
    current: Option<&ServiceView>,
) -> Result<String, ReconcileError> {
    let wanted = tenant
        .spec
        .image
        .clone()
        .unwrap_or_else(|| ctx.settings.default_image.clone());
    let Some(token) = rebuild_token(tenant) else {
        return Ok(wanted);
    };
    if wanted.contains('@') || !names_registry(&wanted) {
        return Ok(wanted);
    }
    if let Some(pinned) = current
        .filter(|service| service.rebuild_token.as_deref() == Some(token.as_str()))
        .and_then(|service| service.image.as_deref())
        .filter(|image| image.split('@').next() == Some(wanted.as_str()))
    {
        return Ok(pinned.to_owned());
    }
    let pinned = ctx.swarm.pull_by_digest(&wanted).await?;
    tracing::info!(tenant = %tenant.metadata.name, image = %pinned, "rebuild pulled the image anew");
    Ok(pinned)
}

pub fn desired<S>(
    tenant: &Tenant,
    ctx: &Context<S>,
    secrets: &MountedSecrets,
    image: String,
) -> Result<Desired, ReconcileError> {
    let spec = &tenant.spec;
    let name = &tenant.metadata.name;
    let settings = &ctx.settings;
    let replicas = match spec.state {
        TenantState::Running => spec.replicas,
        TenantState::Stopped => 0,
    };
    let memory_bytes = spec
        .resources
        .memory_quantity()
        .map_err(|error| ReconcileError::InvalidSpec(error.to_string()))?
        .bytes();
    let restart_token = short_hash(
        format!(
            "{:?}|{:?}",
            spec.restarted_at.map(|at| at.to_rfc3339()),
            spec.rebuild_nonce
        )
        .as_bytes(),
        16,
    );
    let built = WordPressService {
        name: name.clone(),
        image,
        replicas,
        cpu_nanos: spec
            .resources
            .cpu_quantity()
            .map_err(|error| ReconcileError::InvalidSpec(error.to_string()))?
            .nanos(),
        memory_bytes: i64::try_from(memory_bytes)
            .map_err(|_| ReconcileError::InvalidSpec("memory is out of range".to_owned()))?,
        public_url: settings.origin(tenant),
        path_prefix: spec.path_prefix.clone(),
        site_title: spec.display_name.clone(),
        admin_user: spec.admin.user.clone(),
        admin_email: spec.admin.email.clone(),
        db_host: settings.db_host_for_tenants.clone(),
        db_secret: secrets.db.clone(),
        admin_secret: secrets.admin.clone(),
        s3_secret: secrets.s3.clone(),
        s3_endpoint: settings.s3_endpoint_for_tenants.clone(),
        network_edge: settings.network_edge.clone(),
        network_data: settings.network_data.clone(),
        base_domain: settings.base_domain.clone(),
        region: (!spec.region.is_empty()).then(|| spec.region.clone()),
        env: spec.env.clone(),
        restart_token: restart_token.clone(),
        rebuild_token: rebuild_token(tenant),
    }
    .build()?;
    Ok(Desired {
        spec: built.spec,
        hash: built.hash,
        restart_token,
        replicas,
    })
}

/// The parts of a [`Desired`] that decide whether the running service is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub hash: String,
    pub restart_token: String,
    pub replicas: u32,
}

impl Desired {
    pub fn summary(&self) -> Summary {
        Summary {
            hash: self.hash.clone(),
            restart_token: self.restart_token.clone(),
            replicas: self.replicas,
        }
    }
}

/// What the service step did.
/// Replaces the service's tasks with the spec it has (`ForceUpdate` + 1): Swarm starts each
/// new task first, on a node that takes tasks, then stops the old one — how a site leaves a
/// node being drained without a failed request.
pub async fn move_off<S>(ctx: &Context<S>, current: &ServiceView) -> Result<(), ReconcileError> {
    let Some(mut spec) = ctx
        .swarm
        .inspect_service(&current.id)
        .await?
        .and_then(|service| service.spec)
    else {
        return Ok(());
    };
    if let Some(task) = spec.task_template.as_mut() {
        task.force_update = Some(task.force_update.unwrap_or(0).wrapping_add(1));
    }
    ctx.swarm.update_service(spec).await?;
    ctx.observer.invalidate_workload();
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Whether the running service is what `summary` describes: its label records the desired
/// hash, and its replicas are as desired (`docker service scale` changes replicas without
/// touching labels, so an out-of-band scale must be seen here too).
pub fn is_current(summary: &Summary, current: &ServiceView) -> bool {
    current.spec_hash.as_deref() == Some(summary.hash.as_str())
        && current.desired_replicas == u64::from(summary.replicas)
}

pub async fn ensure<S>(
    ctx: &Context<S>,
    mut desired: Desired,
    current: Option<&ServiceView>,
) -> Result<Outcome, ReconcileError> {
    let Some(current) = current else {
        ctx.swarm.create_service(desired.spec).await?;
        ctx.observer.invalidate_workload();
        return Ok(Outcome::Created);
    };
    if is_current(&desired.summary(), current) {
        return Ok(Outcome::Unchanged);
    }
    // A new restart token (restart or rebuild action) makes Swarm replace every task even if
    // nothing else changed; otherwise the counter stays and only real changes roll.
    let force_update = if current.restart_token.as_deref() == Some(desired.restart_token.as_str()) {
        current.force_update
    } else {
        current.force_update.wrapping_add(1)
    };
    if let Some(task) = desired.spec.task_template.as_mut() {
        task.force_update = Some(force_update);
    }
    ctx.swarm.update_service(desired.spec).await?;
    ctx.observer.invalidate_workload();
    Ok(Outcome::Updated)
}

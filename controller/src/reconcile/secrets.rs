//! The tenant's database (with its user and password secret) and its admin password secret.
//!
//! Swarm secrets cannot be read back. So the database password is generated once, set in
//! MariaDB and kept only in a secret; as long as that secret and the user both exist, they
//! are reused as they are. When either is missing the password cannot be recovered, so a new
//! one is made (new secret, `ALTER USER`) and the service follows the new secret.

use bollard::models::Secret;
use swarmpress_schema::resource::{EventType, Tenant};

use super::names::{
    PURPOSE_ADMIN, PURPOSE_DB, PURPOSE_LABEL, secret_labels, secret_name, short_hash, tenant_filter,
};
use super::{Context, ReconcileError};
use crate::password::GeneratedPassword;
use crate::store::TenantStore;
use crate::swarm::SecretRef;

/// The tenant's secrets as listed at the start of the step.
pub struct TenantSecrets {
    all: Vec<SecretRef>,
    db: Vec<SecretRef>,
    admin: Vec<SecretRef>,
}

impl TenantSecrets {
    pub async fn list<S>(tenant: &Tenant, ctx: &Context<S>) -> Result<Self, ReconcileError> {
        let listed = ctx
            .swarm
            .list_secrets_labelled(&tenant_filter(&tenant.metadata.name))
            .await?;
        let mut secrets = Self {
            all: Vec::new(),
            db: Vec::new(),
            admin: Vec::new(),
        };
        for secret in listed {
            let purpose = purpose_of(&secret);
            let Some(reference) = reference(secret) else {
                continue;
            };
            match purpose.as_deref() {
                Some(PURPOSE_DB) => secrets.db.push(reference.clone()),
                Some(PURPOSE_ADMIN) => secrets.admin.push(reference.clone()),
                _ => {}
            }
            secrets.all.push(reference);
        }
        // A stable choice when a crash left two of a kind.
        secrets.admin.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(secrets)
    }

    /// Every secret of the tenant that is not one of `keep`.
    pub fn stale<'a>(&'a self, keep: &'a [&SecretRef]) -> impl Iterator<Item = &'a SecretRef> {
        self.all
            .iter()
            .filter(move |secret| !keep.iter().any(|kept| kept.id == secret.id))
    }
}

fn purpose_of(secret: &Secret) -> Option<String> {
    secret
        .spec
        .as_ref()?
        .labels
        .as_ref()?
        .get(PURPOSE_LABEL)
        .cloned()
}

fn reference(secret: Secret) -> Option<SecretRef> {
    Some(SecretRef {
        id: secret.id?,
        name: secret.spec?.name?,
    })
}

fn random_suffix() -> Result<String, ReconcileError> {
    let seed = GeneratedPassword::generate()?;
    Ok(short_hash(seed.expose().as_bytes(), 8))
}

/// Database, user, grants and the password secret. Returns the secret the service mounts.
pub async fn ensure_database<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
    secrets: &TenantSecrets,
) -> Result<SecretRef, ReconcileError> {
    let name = &tenant.metadata.name;
    let user_exists = ctx.databases.user_exists(name).await?;
    if let ([existing], true) = (secrets.db.as_slice(), user_exists) {
        ctx.databases.ensure_database_and_grants(name).await?;
        return Ok(existing.clone());
    }
    let password = GeneratedPassword::generate()?;
    // MariaDB first: a crash before the secret exists only leaves a password nobody knows,
    // which the next run replaces.
    ctx.databases.ensure(name, &password).await?;
    let secret = ctx
        .swarm
        .ensure_secret(
            &secret_name(name, PURPOSE_DB, &random_suffix()?),
            secret_labels(name, PURPOSE_DB),
            password.expose().as_bytes(),
        )
        .await?;
    ctx.observer.invalidate();
    let message = if secrets.db.is_empty() {
        "database, user and password secret created"
    } else {
        "database password could not be matched to its secret; set a new one"
    };
    record(ctx, tenant, EventType::Normal, "DatabaseReady", message).await?;
    Ok(secret)
}

/// The admin password secret, made from the password the API left in the store. The
/// plain-text copy is deleted as soon as a secret exists.
pub async fn ensure_admin<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
    secrets: &TenantSecrets,
) -> Result<SecretRef, ReconcileError> {
    if let Some(existing) = secrets.admin.first() {
        ctx.store
            .delete_admin_password(tenant)
            .await
            .map_err(ReconcileError::store)?;
        return Ok(existing.clone());
    }
    let name = &tenant.metadata.name;
    let stored = ctx
        .store
        .admin_password(tenant)
        .await
        .map_err(ReconcileError::store)?;
    let password = match stored {
        Some(password) => password,
        None => {
            // Nothing to install with: the site still needs a secret to start. The password
            // only matters at the first install, so a site already installed keeps its own.
            record(
                ctx,
                tenant,
                EventType::Warning,
                "AdminPasswordGenerated",
                "no admin password was stored for this site; generated one",
            )
            .await?;
            GeneratedPassword::generate()?.expose().to_owned()
        }
    };
    let secret = ctx
        .swarm
        .ensure_secret(
            &secret_name(name, PURPOSE_ADMIN, &random_suffix()?),
            secret_labels(name, PURPOSE_ADMIN),
            password.as_bytes(),
        )
        .await?;
    ctx.store
        .delete_admin_password(tenant)
        .await
        .map_err(ReconcileError::store)?;
    Ok(secret)
}

pub async fn record<S: TenantStore>(
    ctx: &Context<S>,
    tenant: &Tenant,
    type_: EventType,
    reason: &str,
    message: &str,
) -> Result<(), ReconcileError> {
    ctx.store
        .record_event(tenant, type_, reason, message)
        .await
        .map_err(ReconcileError::store)
}

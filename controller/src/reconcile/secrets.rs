//! The tenant's database (with its user and password secret), its S3 identity (with its key
//! secret) and its admin password secret.
//!
//! Swarm secrets cannot be read back. So the database password is generated once, set in
//! MariaDB and kept only in a secret; as long as that secret and the user both exist, they
//! are reused as they are. When either is missing the password cannot be recovered, so a new
//! one is made (new secret, `ALTER USER`) and the service follows the new secret.

use std::sync::Arc;

use bollard::models::Secret;
use swarmpress_schema::resource::{EventType, Tenant};

use super::events::EventReason;
use super::names::{
    PURPOSE_ADMIN, PURPOSE_DB, PURPOSE_LABEL, PURPOSE_S3, S3_KEY_ID_LABEL, secret_labels,
};
use super::{Context, ReconcileError};
use crate::adapters::mariadb::{DatabaseView, MariaDbError, connection_cap};
use crate::adapters::s3_identity::credentials_file;
use crate::adapters::swarm::SecretRef;
use crate::digest::short_hash;
use crate::reconcile::password::GeneratedPassword;
use crate::store::TenantStore;

/// The secrets a tenant's service mounts, as the steps ensured them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountedSecrets {
    pub db: SecretRef,
    pub admin: SecretRef,
    pub s3: SecretRef,
}

impl MountedSecrets {
    pub fn all(&self) -> [&SecretRef; 3] {
        [&self.db, &self.admin, &self.s3]
    }
}

/// The tenant's secrets as the observer's snapshot (one secret list for every tenant) showed
/// them at the start of the reconcile.
pub struct TenantSecrets {
    all: Vec<SecretRef>,
    db: Vec<SecretRef>,
    admin: Vec<SecretRef>,
    /// With the access key id each names.
    s3: Vec<(SecretRef, Option<String>)>,
}

impl TenantSecrets {
    pub fn of(listed: &[Secret]) -> Self {
        let mut secrets = Self {
            all: Vec::new(),
            db: Vec::new(),
            admin: Vec::new(),
            s3: Vec::new(),
        };
        for secret in listed {
            let purpose = purpose_of(secret);
            let Some(reference) = reference(secret) else {
                continue;
            };
            match purpose {
                Some(PURPOSE_DB) => secrets.db.push(reference.clone()),
                Some(PURPOSE_ADMIN) => secrets.admin.push(reference.clone()),
                Some(PURPOSE_S3) => secrets
                    .s3
                    .push((reference.clone(), label_of(secret, S3_KEY_ID_LABEL))),
                _ => {}
            }
            secrets.all.push(reference);
        }
        // A stable choice when a crash left two of a kind.
        secrets.admin.sort_by(|a, b| a.name.cmp(&b.name));
        secrets
    }

    /// Every secret of the tenant that is not one of `keep`.
    pub fn stale<'a>(&'a self, keep: &'a [&SecretRef]) -> impl Iterator<Item = &'a SecretRef> {
        self.all
            .iter()
            .filter(move |secret| !keep.iter().any(|kept| kept.id == secret.id))
    }
}

fn purpose_of(secret: &Secret) -> Option<&str> {
    secret
        .spec
        .as_ref()?
        .labels
        .as_ref()?
        .get(PURPOSE_LABEL)
        .map(String::as_str)
}

fn label_of(secret: &Secret, label: &str) -> Option<String> {
    secret.spec.as_ref()?.labels.as_ref()?.get(label).cloned()
}

fn reference(secret: &Secret) -> Option<SecretRef> {
    Some(SecretRef {
        id: secret.id.clone()?,
        name: secret.spec.as_ref()?.name.clone()?,
    })
}

fn random_suffix() -> Result<String, ReconcileError> {
    let seed = GeneratedPassword::generate()?;
    Ok(short_hash(seed.expose().as_bytes(), 8))
}

/// Database, user, grants and the password secret, given the bulk database view (or why it
/// could not be listed). Returns the secret the service mounts.
pub async fn ensure_database<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
    secrets: &TenantSecrets,
    view: Result<Option<Arc<DatabaseView>>, MariaDbError>,
) -> Result<SecretRef, ReconcileError> {
    let name = &tenant.metadata.name;
    let cap = connection_cap(tenant.spec.replicas);
    // The steady state: one secret, and the bulk view (shared by every tenant) shows
    // database, user and grant in place. Nothing to do, and no round trip of this tenant's
    // own.
    if let [existing] = secrets.db.as_slice()
        && view?.is_some_and(|view| view.is_provisioned(name, cap))
    {
        return Ok(existing.clone());
    }
    // Otherwise ask MariaDB itself: whether to make a new password hangs on this answer.
    let user_exists = ctx.databases.user_exists(name).await?;
    if let ([existing], true) = (secrets.db.as_slice(), user_exists) {
        ctx.databases.ensure_database_and_grants(name, cap).await?;
        return Ok(existing.clone());
    }
    let password = GeneratedPassword::generate()?;
    // MariaDB first: a crash before the secret exists only leaves a password nobody knows,
    // which the next run replaces.
    ctx.databases.ensure(name, &password, cap).await?;
    let secret = ctx
        .swarm
        .ensure_secret(
            &name.secret_name(PURPOSE_DB, &random_suffix()?),
            secret_labels(name, PURPOSE_DB),
            password.expose().as_bytes(),
        )
        .await?;
    let message = if secrets.db.is_empty() {
        "database, user and password secret created"
    } else {
        "database password could not be matched to its secret; set a new one"
    };
    ctx.recorder(tenant)
        .publish(EventType::Normal, EventReason::DatabaseReady, message)
        .await?;
    Ok(secret)
}

/// The tenant's S3 user (its bucket alone) and the secret with its access key. Like the
/// database password: a secret whose key is still the user's is kept; otherwise (no secret,
/// several, or a key that is gone) a new key is issued — the user's other keys removed — and
/// the service follows the new secret.
pub async fn ensure_s3_identity<S: TenantStore>(
    tenant: &Tenant,
    ctx: &Context<S>,
    secrets: &TenantSecrets,
) -> Result<SecretRef, ReconcileError> {
    let name = &tenant.metadata.name;
    if let [(existing, Some(key_id))] = secrets.s3.as_slice()
        && ctx.identities.is_current(name, key_id).await?
    {
        return Ok(existing.clone());
    }
    let key = ctx.identities.issue_key(name).await?;
    let mut labels = secret_labels(name, PURPOSE_S3);
    labels.insert(S3_KEY_ID_LABEL.to_owned(), key.id.clone());
    let secret = ctx
        .swarm
        .ensure_secret(
            &name.secret_name(PURPOSE_S3, &random_suffix()?),
            labels,
            credentials_file(&key).as_bytes(),
        )
        .await?;
    let message = if secrets.s3.is_empty() {
        "S3 identity for the site's bucket created"
    } else {
        "S3 key could not be matched to its secret; issued a new one"
    };
    ctx.recorder(tenant)
        .publish(EventType::Normal, EventReason::StorageReady, message)
        .await?;
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
        // A reconcile that got through every step (observed a generation) handed the
        // password over already: the store keeps it only until then, and only the API's
        // create puts one there. Skipping the delete saves a store write per tenant per
        // resync.
        if tenant.status.observed_generation == 0 {
            ctx.store
                .delete_admin_password(tenant)
                .await
                .map_err(ReconcileError::store)?;
        }
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
            ctx.recorder(tenant)
                .publish(
                    EventType::Warning,
                    EventReason::AdminPasswordGenerated,
                    "no admin password was stored for this site; generated one",
                )
                .await?;
            GeneratedPassword::generate()?.expose().to_owned()
        }
    };
    let secret = ctx
        .swarm
        .ensure_secret(
            &name.secret_name(PURPOSE_ADMIN, &random_suffix()?),
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

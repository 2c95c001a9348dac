//! What a no-op reconcile needs of a tenant's desired service — its hash, restart token and
//! replicas — remembered per tenant with the inputs it was built from.
//!
//! Building the service spec and hashing its canonical JSON was a quarter of a resync's CPU
//! (the profile of `scripts/bench`'s no-op resync), spent on every tenant on every pass to
//! learn that the hash had not changed. The answer only depends on the tenant (uid and spec),
//! its secrets and the platform settings (fixed for the life of a [`super::Context`]), so
//! it is reused for as long as those are equal, and rebuilt the moment any differs.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{Tenant, TenantSpec};
use uuid::Uuid;

use super::secrets::MountedSecrets;
use super::service::{Desired, Summary};

struct Entry {
    uid: Uuid,
    spec: TenantSpec,
    secrets: MountedSecrets,
    summary: Summary,
}

impl Entry {
    fn built_from(&self, tenant: &Tenant, secrets: &MountedSecrets) -> bool {
        self.uid == tenant.metadata.uid && self.spec == tenant.spec && self.secrets == *secrets
    }
}

#[derive(Default)]
pub struct DesiredCache {
    entries: Mutex<HashMap<TenantName, Entry>>,
}

impl DesiredCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantName, Entry>> {
        // Every holder replaces whole entries: a poisoned map is still consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The summary of the desired service, if it was built from exactly these inputs.
    pub fn get(&self, tenant: &Tenant, secrets: &MountedSecrets) -> Option<Summary> {
        self.lock()
            .get(&tenant.metadata.name)
            .filter(|entry| entry.built_from(tenant, secrets))
            .map(|entry| entry.summary.clone())
    }

    pub fn remember(&self, tenant: &Tenant, secrets: &MountedSecrets, desired: &Desired) {
        let entry = Entry {
            uid: tenant.metadata.uid,
            spec: tenant.spec.clone(),
            secrets: secrets.clone(),
            summary: desired.summary(),
        };
        self.lock().insert(tenant.metadata.name.clone(), entry);
    }

    /// Drops the tenant's entry (it is being deleted).
    pub fn forget(&self, name: &TenantName) {
        self.lock().remove(name);
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::ServiceSpec;

    use super::*;
    use crate::adapters::swarm::SecretRef;
    use crate::store::memory::{MemoryStore, example_spec};

    fn tenant(name: &str) -> Tenant {
        let spec = example_spec("Cached");
        MemoryStore::default().create(&TenantName::parse(name).unwrap(), spec, "password")
    }

    fn secret(id: &str) -> SecretRef {
        SecretRef {
            id: id.to_owned(),
            name: format!("secret-{id}"),
        }
    }

    fn desired(hash: &str) -> Desired {
        Desired {
            spec: ServiceSpec::default(),
            hash: hash.to_owned(),
            restart_token: "token".to_owned(),
            replicas: 1,
        }
    }

    #[test]
    fn answers_only_for_the_inputs_it_was_built_from() {
        let cache = DesiredCache::default();
        let tenant = tenant("cached");
        let (db, admin) = (secret("db1"), secret("admin1"));
        let mounted = |db: &SecretRef, admin: &SecretRef| MountedSecrets {
            db: db.clone(),
            admin: admin.clone(),
            s3: secret("s3"),
        };
        assert_eq!(cache.get(&tenant, &mounted(&db, &admin)), None);
        cache.remember(&tenant, &mounted(&db, &admin), &desired("h1"));
        assert_eq!(
            cache.get(&tenant, &mounted(&db, &admin)).unwrap().hash,
            "h1"
        );

        let mut changed = tenant.clone();
        changed.spec.env.insert("A".to_owned(), "1".to_owned());
        assert_eq!(
            cache.get(&changed, &mounted(&db, &admin)),
            None,
            "a spec change"
        );
        let mut recreated = tenant.clone();
        recreated.metadata.uid = Uuid::new_v4();
        assert_eq!(
            cache.get(&recreated, &mounted(&db, &admin)),
            None,
            "a new incarnation"
        );
        assert_eq!(
            cache.get(&tenant, &mounted(&secret("db2"), &admin)),
            None,
            "a rotated database secret"
        );
        assert_eq!(cache.get(&tenant, &mounted(&db, &secret("admin2"))), None);
        // Status and resource version are not inputs.
        let mut written = tenant.clone();
        written.metadata.resource_version = "99".to_owned();
        written.status.message = Some("anything".to_owned());
        assert!(cache.get(&written, &mounted(&db, &admin)).is_some());

        cache.forget(&tenant.metadata.name);
        assert_eq!(cache.get(&tenant, &mounted(&db, &admin)), None);
    }
}

//! Orphan collection: removing what a tenant left behind when its record is gone without its
//! finalizer having run (a record deleted by hand, a controller bug, a restore of an older
//! control-plane backup).
//!
//! Two rules keep it from ever removing the wrong thing:
//! - **Ownership.** An object is considered only when it carries our naming *and* (for Swarm
//!   objects, which can carry labels) our label, and the name parses back to a valid
//!   [`TenantName`]: a service `wp_<slug>` labelled `swarmpress.tenant=<slug>`, a secret
//!   `wp_<slug>_…` and a volume `wp_<slug>_content` with the same label, a database and user
//!   `wp_<slug with - as _>`, a bucket `wp-<slug>`. Anything of a stack
//!   (`com.docker.stack.namespace`) is never ours, whatever it is called.
//! - **Grace.** An object is an orphan when no tenant record of that name exists, deleting
//!   ones included (those belong to the finalizer). It is removed only once it has been seen
//!   as an orphan on every pass for the whole grace period, which covers a tenant created
//!   between the listings, and an object made by a reconcile just before its tenant went.
//!   First sightings are remembered in memory only: a new leader starts every clock again,
//!   which can only delay a removal.
//!
//! The decision ([`OrphanTracker::observe`]) is a pure function of the listings, the tenant
//! names and the clock; [`OrphanCollector::pass`] does the I/O around it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::time::Duration;

use bollard::models::{Secret, Service, Volume};
use swarmpress_schema::TenantName;
use tokio::time::Instant;

use crate::adapters::swarm::TENANT_LABEL;
use crate::reconcile::Context;
use crate::runtime::leader::LeaderTask;
use crate::store::TenantStore;

/// The label `docker stack deploy` puts on everything of a stack: the platform's own
/// services, networks, secrets and volumes carry it, tenants' objects never do.
pub(crate) const STACK_LABEL: &str = "com.docker.stack.namespace";

/// The kinds of object a tenant owns, in the order orphans are removed: the service first
/// (its containers hold the secrets and the volume), the user before its database (so no new
/// session writes to a database being dropped), the S3 identity before its bucket, the bucket
/// last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrphanKind {
    Service,
    Secret,
    Volume,
    User,
    Database,
    S3Identity,
    Bucket,
}

impl OrphanKind {
    /// The metric label and log field.
    pub fn label(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Secret => "secret",
            Self::Volume => "volume",
            Self::User => "user",
            Self::Database => "database",
            Self::S3Identity => "s3_identity",
            Self::Bucket => "bucket",
        }
    }
}

impl fmt::Display for OrphanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An object of ours, and the tenant its name and labels say it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Owned {
    pub kind: OrphanKind,
    /// What removes it: the Swarm id of a service or secret (a recreated object with the
    /// same name is a new object with a clock of its own), the name of anything else.
    pub id: String,
    pub name: String,
    pub tenant: TenantName,
}

/// A Swarm object as listed: its id, name and labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labelled {
    pub id: String,
    pub name: String,
    pub labels: HashMap<String, String>,
}

impl Labelled {
    pub fn from_service(service: Service) -> Option<Self> {
        let spec = service.spec?;
        Some(Self {
            id: service.id?,
            name: spec.name?,
            labels: spec.labels.unwrap_or_default(),
        })
    }

    pub fn from_secret(secret: Secret) -> Option<Self> {
        let spec = secret.spec?;
        Some(Self {
            id: secret.id?,
            name: spec.name?,
            labels: spec.labels.unwrap_or_default(),
        })
    }

    pub fn from_volume(volume: Volume) -> Self {
        Self {
            id: volume.name.clone(),
            name: volume.name,
            labels: volume.labels,
        }
    }

    /// The tenant named by our label, unless the object belongs to a stack.
    fn labelled_tenant(&self) -> Option<TenantName> {
        if self.labels.contains_key(STACK_LABEL) {
            return None;
        }
        TenantName::parse(self.labels.get(TENANT_LABEL)?.as_str()).ok()
    }
}

/// Everything that might be ours, as listed in one pass.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub services: Vec<Labelled>,
    pub secrets: Vec<Labelled>,
    pub volumes: Vec<Labelled>,
    pub databases: Vec<String>,
    pub users: Vec<String>,
    pub buckets: Vec<String>,
    /// IAM users named like tenant buckets.
    pub identities: Vec<String>,
}

impl Listing {
    /// The objects that carry our naming and labels; everything else is dropped here and
    /// never considered again.
    pub fn owned(&self) -> Vec<Owned> {
        let mut owned = Vec::new();
        let swarm = [
            (OrphanKind::Service, &self.services),
            (OrphanKind::Secret, &self.secrets),
            (OrphanKind::Volume, &self.volumes),
        ];
        for (kind, objects) in swarm {
            for object in objects {
                let Some(tenant) = object.labelled_tenant() else {
                    continue;
                };
                let named_ours = match kind {
                    OrphanKind::Service => object.name == tenant.service_name(),
                    OrphanKind::Volume => object.name == tenant.volume_name(),
                    _ => object
                        .name
                        .strip_prefix(&format!("{}_", tenant.service_name()))
                        .is_some_and(|rest| !rest.is_empty()),
                };
                if named_ours {
                    owned.push(Owned {
                        kind,
                        id: object.id.clone(),
                        name: object.name.clone(),
                        tenant,
                    });
                }
            }
        }
        let named = [
            (OrphanKind::Database, &self.databases),
            (OrphanKind::User, &self.users),
        ];
        for (kind, names) in named {
            for name in names {
                if let Some(tenant) = TenantName::from_database_name(name) {
                    owned.push(Owned {
                        kind,
                        id: name.clone(),
                        name: name.clone(),
                        tenant,
                    });
                }
            }
        }
        let by_bucket_name = [
            (OrphanKind::Bucket, &self.buckets),
            (OrphanKind::S3Identity, &self.identities),
        ];
        for (kind, names) in by_bucket_name {
            for name in names {
                if let Some(tenant) = TenantName::from_bucket_name(name) {
                    owned.push(Owned {
                        kind,
                        id: name.clone(),
                        name: name.clone(),
                        tenant,
                    });
                }
            }
        }
        owned
    }
}

/// Which tenants' objects orphan collection may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrphanScope {
    /// Every object of ours: what the controller runs with.
    All,
    /// Only these tenants' objects: for tests, which share the platform with other tests'
    /// tenants that this controller's store knows nothing about.
    Only(BTreeSet<TenantName>),
}

impl OrphanScope {
    pub fn none() -> Self {
        Self::Only(BTreeSet::new())
    }

    pub fn covers(&self, tenant: &TenantName) -> bool {
        match self {
            Self::All => true,
            Self::Only(names) => names.contains(tenant),
        }
    }
}

/// When each orphan was first seen, and the decision which ones are due for removal.
#[derive(Debug)]
pub struct OrphanTracker {
    grace: Duration,
    scope: OrphanScope,
    first_seen: BTreeMap<(OrphanKind, String), Instant>,
}

/// The outcome of one observation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Orphans past their grace period, in removal order.
    pub due: Vec<Owned>,
    /// Orphans still waiting out the grace period.
    pub waiting: usize,
}

impl OrphanTracker {
    pub fn new(grace: Duration, scope: OrphanScope) -> Self {
        Self {
            grace,
            scope,
            first_seen: BTreeMap::new(),
        }
    }

    /// Records what `listing` shows at `now` against the `tenants` that have a record, and
    /// returns the orphans that have been orphans on every observation for the whole grace
    /// period. An object that is no longer an orphan (its tenant appeared, or it is gone)
    /// is forgotten, so if it becomes one again its clock starts over.
    pub fn observe(
        &mut self,
        listing: &Listing,
        tenants: &BTreeSet<TenantName>,
        now: Instant,
    ) -> Decision {
        let mut orphans: Vec<Owned> = listing
            .owned()
            .into_iter()
            .filter(|object| !tenants.contains(&object.tenant) && self.scope.covers(&object.tenant))
            .collect();
        orphans.sort();
        let current: BTreeMap<(OrphanKind, String), Owned> = orphans
            .into_iter()
            .map(|object| ((object.kind, object.id.clone()), object))
            .collect();
        self.first_seen.retain(|key, _| current.contains_key(key));
        let mut decision = Decision::default();
        for (key, object) in current {
            let first = *self.first_seen.entry(key).or_insert(now);
            if now.saturating_duration_since(first) >= self.grace {
                decision.due.push(object);
            } else {
                decision.waiting += 1;
            }
        }
        decision
    }

    /// Forgets an orphan (removed, or found to have a tenant after all).
    pub fn forget(&mut self, object: &Owned) {
        self.first_seen.remove(&(object.kind, object.id.clone()));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OrphanError {
    #[error("cannot list {what} for orphan collection: {message}")]
    List { what: &'static str, message: String },
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub removed: Vec<Owned>,
    /// Due orphans whose removal failed; each failure was logged, and the next pass retries.
    pub failed: usize,
    /// Orphans still inside their grace period.
    pub waiting: usize,
}

/// How orphan collection runs.
#[derive(Debug, Clone)]
pub struct OrphanSettings {
    /// How often a pass runs.
    pub every: Duration,
    /// How long an object must have been an orphan before it is removed.
    pub grace: Duration,
    /// Whose objects may be removed: everyone's, except in tests.
    pub scope: OrphanScope,
}

/// Orphan collection as a leader task: a pass every `settings.every`, for as long as the term
/// lasts. One collector per term: a new leader starts every orphan's grace period again,
/// which can only delay a removal, never hasten one.
pub fn collection_task<S: TenantStore>(
    ctx: std::sync::Arc<Context<S>>,
    settings: OrphanSettings,
) -> LeaderTask {
    LeaderTask::new("orphan-collection", move |token| {
        let ctx = std::sync::Arc::clone(&ctx);
        let settings = settings.clone();
        async move {
            let mut collector = OrphanCollector::new(settings.grace, settings.scope);
            let mut ticker = tokio::time::interval(settings.every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The first tick is at once; the reconciler's first resync comes first.
            ticker.tick().await;
            loop {
                tokio::select! {
                    () = token.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                // Cancelled with the term like any reconcile: each removal is safe to
                // repeat.
                let pass = tokio::select! {
                    () = token.cancelled() => return,
                    pass = collector.pass(&ctx) => pass,
                };
                match pass {
                    Ok(report) => tracing::debug!(
                        removed = report.removed.len(),
                        failed = report.failed,
                        waiting = report.waiting,
                        "orphan collection pass done"
                    ),
                    Err(error) => tracing::warn!(%error, "orphan collection pass skipped"),
                }
            }
        }
    })
}

/// Runs orphan collection passes, remembering first sightings between them.
#[derive(Debug)]
pub struct OrphanCollector {
    tracker: OrphanTracker,
}

impl OrphanCollector {
    pub fn new(grace: Duration, scope: OrphanScope) -> Self {
        Self {
            tracker: OrphanTracker::new(grace, scope),
        }
    }

    /// Lists, decides, and removes what is due. A failed listing removes nothing: a partial
    /// view could make live objects look orphaned or remove a volume before its service.
    pub async fn pass<S: TenantStore>(
        &mut self,
        ctx: &Context<S>,
    ) -> Result<PassReport, OrphanError> {
        // Objects before tenants: a tenant's objects are only made after its record, so a
        // record missing from a listing taken after the objects' really is missing (or
        // being removed by its finalizer right now, which the grace period covers).
        let listing = list(ctx).await?;
        let tenants: BTreeSet<TenantName> = ctx
            .store
            .list_tenants()
            .await
            .map_err(|error| OrphanError::List {
                what: "tenants",
                message: error.to_string(),
            })?
            .into_iter()
            .map(|tenant| tenant.metadata.name)
            .collect();
        let decision = self.tracker.observe(&listing, &tenants, Instant::now());
        ctx.metrics
            .orphans_waiting
            .set(i64::try_from(decision.waiting).unwrap_or(i64::MAX));
        let mut report = PassReport {
            waiting: decision.waiting,
            ..PassReport::default()
        };
        if decision.due.is_empty() {
            return Ok(report);
        }

        let confirmed = confirm_gone(ctx, &decision.due).await;
        let mut removed_services: Vec<String> = Vec::new();
        for object in decision.due {
            if !confirmed.get(&object.tenant).copied().unwrap_or(false) {
                self.tracker.forget(&object);
                continue;
            }
            // A volume stays in use until the containers of a service removed just before
            // are gone: wait for them once, when the first non-service object comes up.
            if object.kind != OrphanKind::Service {
                wait_gone(ctx, removed_services.drain(..)).await;
            }
            match remove(ctx, &object).await {
                Ok(removed) => {
                    if removed {
                        removed_one(ctx, &object);
                        report.removed.push(object.clone());
                    }
                    if object.kind == OrphanKind::Service {
                        removed_services.push(object.name.clone());
                    }
                    self.tracker.forget(&object);
                }
                Err(error) => {
                    report.failed += 1;
                    tracing::warn!(
                        kind = %object.kind,
                        name = %object.name,
                        tenant = %object.tenant,
                        %error,
                        "cannot remove an orphan; retrying on the next pass"
                    );
                }
            }
        }
        Ok(report)
    }
}

/// A last look at each tenant right before acting: a record created since the listing (a name
/// reused at the very end of the grace period) saves its objects. `true` for a tenant whose
/// record is still missing.
async fn confirm_gone<S: TenantStore>(
    ctx: &Context<S>,
    due: &[Owned],
) -> BTreeMap<TenantName, bool> {
    let mut confirmed = BTreeMap::new();
    for tenant in due.iter().map(|object| &object.tenant) {
        if confirmed.contains_key(tenant) {
            continue;
        }
        let orphaned = match ctx.store.get_tenant(tenant).await {
            Ok(record) => record.is_none(),
            Err(error) => {
                tracing::warn!(%tenant, %error, "cannot confirm the tenant is gone; keeping its objects");
                false
            }
        };
        confirmed.insert(tenant.clone(), orphaned);
    }
    confirmed
}

/// Waits for the containers of removed services to be gone (a failure is only logged: the
/// removal that needed it fails and is retried on the next pass).
async fn wait_gone<S>(ctx: &Context<S>, services: impl Iterator<Item = String>) {
    for service in services {
        if let Err(error) = ctx
            .swarm
            .wait_service_gone(&service, ctx.settings.service_gone_timeout)
            .await
        {
            tracing::warn!(%service, %error, "orphan service's containers are not gone yet");
        }
    }
}

fn removed_one<S>(ctx: &Context<S>, object: &Owned) {
    ctx.metrics
        .orphans_removed
        .with_label_values(&[object.kind.label()])
        .inc();
    tracing::info!(
        kind = %object.kind,
        name = %object.name,
        tenant = %object.tenant,
        "removed an orphan: no tenant of this name exists"
    );
}

async fn list<S>(ctx: &Context<S>) -> Result<Listing, OrphanError> {
    let swarm_error = |what: &'static str| {
        move |error: crate::adapters::swarm::SwarmError| OrphanError::List {
            what,
            message: error.to_string(),
        }
    };
    let services = ctx
        .swarm
        .list_tenant_services()
        .await
        .map_err(swarm_error("services"))?;
    let secrets = ctx
        .swarm
        .list_secrets_labelled(TENANT_LABEL)
        .await
        .map_err(swarm_error("secrets"))?;
    let volumes = ctx
        .swarm
        .list_volumes_labelled(TENANT_LABEL)
        .await
        .map_err(swarm_error("volumes"))?;
    let (databases, users) =
        ctx.databases
            .list_tenant_like()
            .await
            .map_err(|error| OrphanError::List {
                what: "databases and users",
                message: error.to_string(),
            })?;
    let buckets = ctx
        .buckets
        .list_tenant_buckets()
        .await
        .map_err(|error| OrphanError::List {
            what: "buckets",
            message: error.to_string(),
        })?;
    let identities =
        ctx.identities
            .list_tenant_users()
            .await
            .map_err(|error| OrphanError::List {
                what: "S3 identities",
                message: error.to_string(),
            })?;
    Ok(Listing {
        services: services
            .into_iter()
            .filter_map(Labelled::from_service)
            .collect(),
        secrets: secrets
            .into_iter()
            .filter_map(Labelled::from_secret)
            .collect(),
        volumes: volumes.into_iter().map(Labelled::from_volume).collect(),
        databases,
        users,
        buckets,
        identities,
    })
}

/// Removes one orphan; `false` when it was gone already.
async fn remove<S>(
    ctx: &Context<S>,
    object: &Owned,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    Ok(match object.kind {
        OrphanKind::Service => {
            let removed = ctx.swarm.remove_service(&object.id).await?;
            ctx.observer.invalidate_workload();
            removed
        }
        OrphanKind::Secret => ctx.swarm.remove_secret_id(&object.id, &object.name).await?,
        OrphanKind::Volume => ctx.swarm.remove_volume(&object.name).await?,
        OrphanKind::User => {
            ctx.databases.drop_orphan_user(&object.name).await?;
            true
        }
        OrphanKind::Database => {
            ctx.databases.drop_orphan_database(&object.name).await?;
            true
        }
        // The bucket's name is the tenant's bucket name (checked when it was listed), so
        // the tenant-keyed delete removes exactly it, objects first.
        OrphanKind::Bucket => ctx.buckets.delete(&object.tenant).await?,
        // Named like the bucket, hence the tenant's identity exactly.
        OrphanKind::S3Identity => ctx.identities.delete(&object.tenant).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(slug: &str) -> TenantName {
        TenantName::parse(slug).unwrap()
    }

    fn labelled(id: &str, object: &str, labels: &[(&str, &str)]) -> Labelled {
        Labelled {
            id: id.to_owned(),
            name: object.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// Everything a tenant called `slug` has, as the reconciler makes it.
    fn tenant_objects(slug: &str) -> Listing {
        let tenant = name(slug);
        let label = [(TENANT_LABEL, slug)];
        Listing {
            services: vec![labelled(
                &format!("svc-{slug}"),
                &tenant.service_name(),
                &label,
            )],
            secrets: vec![labelled(
                &format!("sec-{slug}"),
                &format!("{}_db_0a1b2c3d", tenant.service_name()),
                &label,
            )],
            volumes: vec![labelled(
                &tenant.volume_name(),
                &tenant.volume_name(),
                &label,
            )],
            databases: vec![tenant.database_name()],
            users: vec![tenant.database_user()],
            buckets: vec![tenant.bucket_name()],
            identities: vec![tenant.bucket_name()],
        }
    }

    fn merge(mut a: Listing, b: Listing) -> Listing {
        a.services.extend(b.services);
        a.secrets.extend(b.secrets);
        a.volumes.extend(b.volumes);
        a.databases.extend(b.databases);
        a.users.extend(b.users);
        a.buckets.extend(b.buckets);
        a.identities.extend(b.identities);
        a
    }

    fn kinds(due: &[Owned]) -> Vec<OrphanKind> {
        due.iter().map(|o| o.kind).collect()
    }

    const GRACE: Duration = Duration::from_secs(600);

    #[test]
    fn only_objects_with_our_naming_and_labels_are_owned() {
        let listing = Listing {
            services: vec![
                // The platform's own services carry no tenant label.
                labelled("s1", "swarmpress_mariadb", &[(STACK_LABEL, "swarmpress")]),
                // Our name without our label.
                labelled("s2", "wp_acme", &[]),
                // Our label on a name that is not the tenant's service.
                labelled("s3", "other", &[(TENANT_LABEL, "acme")]),
                // A label that is not a tenant name.
                labelled("s4", "wp_Bad", &[(TENANT_LABEL, "Bad")]),
            ],
            secrets: vec![
                labelled("x1", "wp_acme", &[(TENANT_LABEL, "acme")]),
                labelled("x2", "wp_acme_", &[(TENANT_LABEL, "acme")]),
                labelled("x3", "wp_other_db_1", &[(TENANT_LABEL, "acme")]),
            ],
            volumes: vec![
                // A stack object, even one named and labelled like a tenant's.
                labelled(
                    "wp_acme_content",
                    "wp_acme_content",
                    &[(TENANT_LABEL, "acme"), (STACK_LABEL, "swarmpress")],
                ),
                labelled("v2", "wp_acme_content", &[]),
                labelled(
                    "swarmpress_data",
                    "swarmpress_data",
                    &[(TENANT_LABEL, "acme")],
                ),
            ],
            databases: vec!["swarmpress".to_owned(), "wp_Acme".to_owned()],
            users: vec!["swarmpress_controller".to_owned()],
            buckets: vec!["backups".to_owned(), "wp-".to_owned()],
            identities: vec!["swarmpress".to_owned(), "wp-Acme".to_owned()],
        };
        assert_eq!(listing.owned(), Vec::<Owned>::new());
        let mut tracker = OrphanTracker::new(Duration::ZERO, OrphanScope::All);
        let decision = tracker.observe(&listing, &BTreeSet::new(), Instant::now());
        assert_eq!(decision, Decision::default());

        let ours = tenant_objects("acme-blog").owned();
        assert_eq!(
            kinds(&ours),
            [
                OrphanKind::Service,
                OrphanKind::Secret,
                OrphanKind::Volume,
                OrphanKind::Database,
                OrphanKind::User,
                OrphanKind::Bucket,
                OrphanKind::S3Identity
            ]
        );
        assert!(ours.iter().all(|o| o.tenant == name("acme-blog")));
    }

    #[tokio::test(start_paused = true)]
    async fn orphans_are_due_only_after_the_whole_grace_period_in_removal_order() {
        let listing = merge(tenant_objects("gone"), tenant_objects("live"));
        let tenants = BTreeSet::from([name("live")]);
        let mut tracker = OrphanTracker::new(GRACE, OrphanScope::All);
        let start = Instant::now();

        let first = tracker.observe(&listing, &tenants, start);
        assert!(first.due.is_empty());
        assert_eq!(
            first.waiting, 7,
            "every object of the tenant with no record"
        );

        let almost = tracker.observe(&listing, &tenants, start + GRACE - Duration::from_secs(1));
        assert!(almost.due.is_empty());

        let due = tracker.observe(&listing, &tenants, start + GRACE);
        assert_eq!(
            kinds(&due.due),
            [
                OrphanKind::Service,
                OrphanKind::Secret,
                OrphanKind::Volume,
                OrphanKind::User,
                OrphanKind::Database,
                OrphanKind::S3Identity,
                OrphanKind::Bucket
            ]
        );
        assert!(due.due.iter().all(|o| o.tenant == name("gone")));
        assert_eq!(due.waiting, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_tenant_that_appears_resets_the_clock() {
        let listing = tenant_objects("racy");
        let mut tracker = OrphanTracker::new(GRACE, OrphanScope::All);
        let start = Instant::now();
        assert_eq!(
            tracker.observe(&listing, &BTreeSet::new(), start).waiting,
            7
        );
        // Its record shows up (it was being created): not an orphan, clock forgotten.
        let with_record = BTreeSet::from([name("racy")]);
        let seen = tracker.observe(&listing, &with_record, start + Duration::from_secs(300));
        assert_eq!(seen, Decision::default());
        // Gone again: the full grace period counts from this sighting.
        let again = start + Duration::from_secs(400);
        let none = BTreeSet::new();
        assert_eq!(tracker.observe(&listing, &none, again).waiting, 7);
        let almost = again + GRACE - Duration::from_secs(1);
        assert!(tracker.observe(&listing, &none, almost).due.is_empty());
        assert_eq!(tracker.observe(&listing, &none, again + GRACE).due.len(), 7);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_object_gets_its_own_clock() {
        let start = Instant::now();
        let mut tracker = OrphanTracker::new(GRACE, OrphanScope::All);
        let old = tenant_objects("gone");
        tracker.observe(&old, &BTreeSet::new(), start);
        // The service was recreated under the same name: a new id, a new clock.
        let mut recreated = old.clone();
        recreated.services[0].id = "svc-new".to_owned();
        let later = start + GRACE;
        let decision = tracker.observe(&recreated, &BTreeSet::new(), later);
        assert_eq!(decision.waiting, 1);
        assert!(!kinds(&decision.due).contains(&OrphanKind::Service));
        let decision = tracker.observe(&recreated, &BTreeSet::new(), later + GRACE);
        assert!(kinds(&decision.due).contains(&OrphanKind::Service));
    }

    #[tokio::test(start_paused = true)]
    async fn the_scope_limits_what_is_considered() {
        let listing = merge(tenant_objects("mine"), tenant_objects("theirs"));
        let scope = OrphanScope::Only(BTreeSet::from([name("mine")]));
        let mut tracker = OrphanTracker::new(Duration::ZERO, scope);
        let now = Instant::now();
        let decision = tracker.observe(&listing, &BTreeSet::new(), now);
        assert_eq!(decision.due.len(), 7);
        assert!(decision.due.iter().all(|o| o.tenant == name("mine")));

        let mut none = OrphanTracker::new(Duration::ZERO, OrphanScope::none());
        assert_eq!(
            none.observe(&listing, &BTreeSet::new(), now),
            Decision::default()
        );
    }
}

//! Tenants and their change feed.
//!
//! Lock order, the same in every write: the tenant row first, then the resource-version
//! counter, taken last — right before the change is appended and the transaction commits.
//! The counter row lock is held until commit, so versions still follow commit order (what the
//! change feed's readers rely on), while the stretch during which all tenant writes queue on
//! one row is three statements and the commit, not the whole transaction. A write that turns
//! out to change nothing never takes the counter at all.

use std::collections::BTreeMap;

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use super::{StoreError, StoreResult, corrupt, from_json, is_unique_violation, now, to_json};
use crate::TenantName;
use crate::entity::{
    tenant_bandwidth, tenant_changes, tenant_events, tenant_secrets, tenant_usage, tenants, users,
};
use crate::resource::{
    API_VERSION, ChangeType, ConditionStatus, ConditionType, ObjectMeta, Phase, TENANT_KIND,
    Tenant, TenantSpec, TenantStatus,
};
use crate::store::Store;

/// One entry of the change feed: the tenant as it was right after the write that took
/// `resource_version` (for `Deleted`, as it was when removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantChange {
    pub resource_version: i64,
    pub change_type: ChangeType,
    pub tenant: Tenant,
}

/// A condition to set, as [`Store::set_conditions`] takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCondition {
    pub type_: ConditionType,
    pub status: ConditionStatus,
    pub reason: String,
    pub message: String,
}

/// The outcome of a write that may find nothing to change: `changed` is false when the
/// stored tenant already was as asked, in which case nothing was written and no
/// resourceVersion was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteResult {
    pub tenant: Tenant,
    pub changed: bool,
}

impl Store {
    /// Stores a new tenant: generation 1, status Pending, change `ADDED`.
    /// [`StoreError::AlreadyExists`] when the name is taken (including by a tenant still
    /// being deleted); nothing is written then.
    pub async fn create_tenant(
        &self,
        owner: Uuid,
        name: &TenantName,
        labels: BTreeMap<String, String>,
        spec: TenantSpec,
    ) -> StoreResult<Tenant> {
        self.insert_tenant(owner, name, labels, spec, None, None)
            .await
    }

    /// [`Self::create_tenant`] that also stores the generated WordPress admin password for
    /// the controller, in the same transaction: a tenant never exists without it.
    pub async fn create_tenant_with_admin_password(
        &self,
        owner: Uuid,
        name: &TenantName,
        labels: BTreeMap<String, String>,
        spec: TenantSpec,
        admin_password: &str,
    ) -> StoreResult<Tenant> {
        self.insert_tenant(owner, name, labels, spec, Some(admin_password), None)
            .await
    }

    /// [`Self::create_tenant_with_admin_password`] only while `owner` has fewer than
    /// `max_tenants` tenants ([`StoreError::QuotaExceeded`] otherwise; `None` is no limit).
    /// The count and the insert are one transaction holding the owner's user row, so
    /// parallel creates of one owner are serialized: a plan with room for one creates one.
    pub async fn create_tenant_within_quota(
        &self,
        owner: Uuid,
        name: &TenantName,
        labels: BTreeMap<String, String>,
        spec: TenantSpec,
        admin_password: &str,
        max_tenants: Option<u32>,
    ) -> StoreResult<Tenant> {
        self.insert_tenant(owner, name, labels, spec, Some(admin_password), max_tenants)
            .await
    }

    /// The admin password stored at creation, until the controller deletes it.
    pub async fn tenant_admin_password(&self, uid: Uuid) -> StoreResult<Option<String>> {
        Ok(tenant_secrets::Entity::find_by_id(uid)
            .one(&self.db)
            .await?
            .map(|row| row.admin_password))
    }

    /// Forgets the admin password (once it is a Swarm secret). Returns whether it was there.
    pub async fn delete_tenant_admin_password(&self, uid: Uuid) -> StoreResult<bool> {
        let result = tenant_secrets::Entity::delete_by_id(uid)
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn insert_tenant(
        &self,
        owner: Uuid,
        name: &TenantName,
        labels: BTreeMap<String, String>,
        spec: TenantSpec,
        admin_password: Option<&str>,
        max_tenants: Option<u32>,
    ) -> StoreResult<Tenant> {
        let tx = self.db.begin().await?;
        if let Some(limit) = max_tenants
            && !has_room(&tx, owner, limit).await?
        {
            tx.rollback().await?;
            return Err(StoreError::QuotaExceeded { limit });
        }
        let at = now();
        let tenant = Tenant {
            api_version: API_VERSION.to_owned(),
            kind: TENANT_KIND.to_owned(),
            metadata: ObjectMeta {
                name: name.clone(),
                uid: Uuid::new_v4(),
                owner,
                labels,
                generation: 1,
                // Set below, once the row (and with it the name) is ours.
                resource_version: String::new(),
                creation_timestamp: at,
                deletion_timestamp: None,
            },
            spec,
            status: TenantStatus::default(),
        };
        let row = tenants::ActiveModel {
            name: Set(name.to_string()),
            uid: Set(tenant.metadata.uid),
            owner_id: Set(owner),
            labels: Set(to_json(&tenant.metadata.labels)?),
            spec: Set(to_json(&tenant.spec)?),
            status: Set(to_json(&tenant.status)?),
            generation: Set(1),
            resource_version: Set(0),
            created_at: Set(at),
            deletion_timestamp: Set(None),
        };
        match tenants::Entity::insert(row)
            .exec_without_returning(&tx)
            .await
        {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                tx.rollback().await?;
                return Err(StoreError::AlreadyExists);
            }
            Err(error) => return Err(error.into()),
        }
        if let Some(password) = admin_password {
            tenant_secrets::Entity::insert(tenant_secrets::ActiveModel {
                tenant_uid: Set(tenant.metadata.uid),
                tenant_name: Set(name.to_string()),
                admin_password: Set(password.to_owned()),
                created_at: Set(at),
            })
            .exec_without_returning(&tx)
            .await?;
        }
        let version = next_resource_version(&tx).await?;
        tenants::Entity::update_many()
            .col_expr(tenants::Column::ResourceVersion, Expr::value(version))
            .filter(tenants::Column::Name.eq(name.as_str()))
            .exec(&tx)
            .await?;
        let mut tenant = tenant;
        tenant.metadata.resource_version = version.to_string();
        append_change(&tx, version, ChangeType::Added, &tenant).await?;
        tx.commit().await?;
        Ok(tenant)
    }

    /// One tenant, or [`StoreError::NotFound`].
    pub async fn get_tenant(&self, name: &TenantName) -> StoreResult<Tenant> {
        if let Some(lane) = &self.reads {
            match lane
                .fetch_optional(tenant_by_name_sql(), name.as_str())
                .await
            {
                Some(Ok(row)) => {
                    let row = row.ok_or(StoreError::NotFound)?;
                    let model = tenants::Model::from_query_result(&QueryResult::from(row), "")?;
                    return row_to_tenant(model);
                }
                // A read is safe to repeat: a lane connection that failed (the server dropped
                // it within the last second) costs this caller one more try on the pool.
                Some(Err(error)) => {
                    tracing::debug!(%error, "read lane failed; reading through the pool");
                }
                None => {}
            }
        }
        tenants::Entity::find_by_id(name.as_str())
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)
            .and_then(row_to_tenant)
    }

    /// Tenants ordered by name, of one owner or of all, carrying every `(key, value)` label
    /// of `label_selector`.
    pub async fn list_tenants(
        &self,
        owner: Option<Uuid>,
        label_selector: Option<&[(String, String)]>,
    ) -> StoreResult<Vec<Tenant>> {
        list(&self.db, owner, label_selector).await
    }

    /// Like [`Self::list_tenants`], with the resourceVersion the list is consistent with, read
    /// from the same snapshot: watching from that version misses nothing and repeats
    /// nothing.
    pub async fn list_tenants_snapshot(
        &self,
        owner: Option<Uuid>,
        label_selector: Option<&[(String, String)]>,
    ) -> StoreResult<(Vec<Tenant>, i64)> {
        // InnoDB's default REPEATABLE READ makes every plain read of a transaction use the
        // snapshot taken at its first read.
        let tx = self.db.begin().await?;
        let version = read_counter(&tx).await?;
        let tenants = list(&tx, owner, label_selector).await?;
        tx.commit().await?;
        Ok((tenants, version))
    }

    /// One page of [`Self::list_tenants_snapshot`]: at most `limit` tenants by name after
    /// `after`, the version read in the same snapshot, and whether more follow. Keyset
    /// paging on the primary key: each page costs the same however deep it is.
    pub async fn list_tenants_page(
        &self,
        owner: Option<Uuid>,
        after: Option<&str>,
        limit: u64,
    ) -> StoreResult<(Vec<Tenant>, i64, bool)> {
        let tx = self.db.begin().await?;
        let version = read_counter(&tx).await?;
        let mut query = tenants::Entity::find()
            .order_by_asc(tenants::Column::Name)
            .limit(limit.saturating_add(1));
        if let Some(owner) = owner {
            query = query.filter(tenants::Column::OwnerId.eq(owner));
        }
        if let Some(after) = after {
            query = query.filter(tenants::Column::Name.gt(after));
        }
        let rows = query.all(&tx).await?;
        tx.commit().await?;
        let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > limit;
        let tenants = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(row_to_tenant)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((tenants, version, more))
    }

    /// How many tenants `owner` has, including those being deleted (they hold resources
    /// until finalized).
    pub async fn count_tenants(&self, owner: Uuid) -> StoreResult<u64> {
        Ok(tenants::Entity::find()
            .filter(tenants::Column::OwnerId.eq(owner))
            .count(&self.db)
            .await?)
    }

    /// The replicas `owner`'s tenants ask for (`spec.replicas` summed, stopped tenants
    /// included, since starting one must not exceed the quota).
    pub async fn sum_replicas(&self, owner: Uuid) -> StoreResult<u64> {
        Ok(list(&self.db, Some(owner), None)
            .await?
            .iter()
            .map(|t| u64::from(t.spec.replicas))
            .sum())
    }

    /// Replaces spec and labels. `generation` grows only if the spec changed; nothing is
    /// written when neither changed. With `expected_resource_version`, the write happens
    /// only if the tenant is still at that version ([`StoreError::Conflict`] otherwise).
    /// [`StoreError::Terminating`] once deletion was requested.
    pub async fn replace_spec(
        &self,
        name: &TenantName,
        spec: TenantSpec,
        labels: BTreeMap<String, String>,
        expected_resource_version: Option<&str>,
    ) -> StoreResult<WriteResult> {
        let tx = self.db.begin().await?;
        let current = lock_tenant(&tx, name).await?;
        if let Some(expected) = expected_resource_version
            && expected != current.metadata.resource_version
        {
            tx.rollback().await?;
            return Err(StoreError::Conflict {
                current_resource_version: current.metadata.resource_version,
            });
        }
        if current.is_deleting() {
            tx.rollback().await?;
            return Err(StoreError::Terminating);
        }
        if current.spec == spec && current.metadata.labels == labels {
            tx.rollback().await?;
            return Ok(WriteResult {
                tenant: current,
                changed: false,
            });
        }
        let mut next = current.clone();
        if next.spec != spec {
            next.metadata.generation += 1;
        }
        next.spec = spec;
        next.metadata.labels = labels;
        let version = next_resource_version(&tx).await?;
        next.metadata.resource_version = version.to_string();
        write_tenant(&tx, version, &next).await?;
        tx.commit().await?;
        Ok(WriteResult {
            tenant: next,
            changed: true,
        })
    }

    /// Requests deletion: sets `deletionTimestamp` and phase Deleting (change `MODIFIED`).
    /// Repeating it changes nothing.
    pub async fn mark_deleted(&self, name: &TenantName) -> StoreResult<WriteResult> {
        let tx = self.db.begin().await?;
        let current = lock_tenant(&tx, name).await?;
        if current.is_deleting() {
            tx.rollback().await?;
            return Ok(WriteResult {
                tenant: current,
                changed: false,
            });
        }
        let mut next = current;
        next.metadata.deletion_timestamp = Some(now());
        next.status.phase = Phase::Deleting;
        let version = next_resource_version(&tx).await?;
        next.metadata.resource_version = version.to_string();
        write_tenant(&tx, version, &next).await?;
        tx.commit().await?;
        Ok(WriteResult {
            tenant: next,
            changed: true,
        })
    }

    /// Writes the status (the controller's part). No generation bump; and when the status
    /// is already as given, no write at all, so an idle reconcile loop does not flood the
    /// change feed.
    pub async fn update_status(
        &self,
        name: &TenantName,
        status: TenantStatus,
    ) -> StoreResult<WriteResult> {
        self.change_status(name, |_| status.clone()).await
    }

    /// Sets `conditions` on the tenant's current status, leaving the rest of it as it is:
    /// what a controller task other than the reconciler reports (the usage meter). No write
    /// when nothing changes.
    pub async fn set_conditions(
        &self,
        name: &TenantName,
        conditions: &[NewCondition],
    ) -> StoreResult<WriteResult> {
        self.change_status(name, |mut status| {
            let at = now();
            for c in conditions {
                status.set_condition(c.type_, c.status, c.reason.clone(), c.message.clone(), at);
            }
            status
        })
        .await
    }

    /// The status `change` makes of the current one, written unless it is the same.
    async fn change_status(
        &self,
        name: &TenantName,
        change: impl Fn(TenantStatus) -> TenantStatus,
    ) -> StoreResult<WriteResult> {
        // Cheap unlocked check first: most reconciles change nothing, and they should not
        // queue on the counter lock for it.
        let seen = self.get_tenant(name).await?;
        if change(seen.status.clone()) == seen.status {
            return Ok(WriteResult {
                tenant: seen,
                changed: false,
            });
        }
        let tx = self.db.begin().await?;
        let current = lock_tenant(&tx, name).await?;
        let status = change(current.status.clone());
        if status == current.status {
            tx.rollback().await?;
            return Ok(WriteResult {
                tenant: current,
                changed: false,
            });
        }
        let mut next = current;
        next.status = status;
        let version = next_resource_version(&tx).await?;
        next.metadata.resource_version = version.to_string();
        write_tenant(&tx, version, &next).await?;
        tx.commit().await?;
        Ok(WriteResult {
            tenant: next,
            changed: true,
        })
    }

    /// Removes a tenant whose deletion was requested and finalized, with its events, and
    /// appends `DELETED` holding the last object. [`StoreError::InvalidTransition`] when
    /// deletion was never requested: a hard delete must not skip the finalizer.
    pub async fn remove_tenant(&self, name: &TenantName) -> StoreResult<Tenant> {
        let tx = self.db.begin().await?;
        let mut last = lock_tenant(&tx, name).await?;
        if !last.is_deleting() {
            tx.rollback().await?;
            return Err(StoreError::InvalidTransition {
                from: "live".to_owned(),
                to: "removed".to_owned(),
            });
        }
        tenants::Entity::delete_by_id(name.as_str())
            .exec(&tx)
            .await?;
        tenant_events::Entity::delete_many()
            .filter(tenant_events::Column::TenantName.eq(name.as_str()))
            .exec(&tx)
            .await?;
        tenant_secrets::Entity::delete_by_id(last.metadata.uid)
            .exec(&tx)
            .await?;
        tenant_usage::Entity::delete_by_id(last.metadata.uid)
            .exec(&tx)
            .await?;
        tenant_bandwidth::Entity::delete_many()
            .filter(tenant_bandwidth::Column::TenantUid.eq(last.metadata.uid))
            .exec(&tx)
            .await?;
        let version = next_resource_version(&tx).await?;
        last.metadata.resource_version = version.to_string();
        append_change(&tx, version, ChangeType::Deleted, &last).await?;
        tx.commit().await?;
        Ok(last)
    }

    /// Up to `limit` changes with a resourceVersion above `after`, oldest first.
    /// [`StoreError::Gone`] when changes after `after` were already pruned.
    pub async fn changes_since(&self, after: i64, limit: u64) -> StoreResult<Vec<TenantChange>> {
        self.changes(after, None, limit).await
    }

    /// [`Self::changes_since`] restricted to one owner's tenants (an owner never changes).
    pub async fn changes_since_for_owner(
        &self,
        after: i64,
        owner: Uuid,
        limit: u64,
    ) -> StoreResult<Vec<TenantChange>> {
        self.changes(after, Some(owner), limit).await
    }

    async fn changes(
        &self,
        after: i64,
        owner: Option<Uuid>,
        limit: u64,
    ) -> StoreResult<Vec<TenantChange>> {
        // Versions are contiguous (a rolled-back write returns its version), so a gap
        // before the oldest entry can only mean pruning.
        let oldest: Option<i64> = tenant_changes::Entity::find()
            .select_only()
            .column_as(tenant_changes::Column::ResourceVersion.min(), "oldest")
            .into_tuple::<Option<i64>>()
            .one(&self.db)
            .await?
            .flatten();
        if let Some(oldest) = oldest
            && after.saturating_add(1) < oldest
        {
            return Err(StoreError::Gone {
                requested: after,
                oldest,
            });
        }
        let mut query = tenant_changes::Entity::find()
            .filter(tenant_changes::Column::ResourceVersion.gt(after));
        if let Some(owner) = owner {
            query = query.filter(tenant_changes::Column::OwnerId.eq(owner));
        }
        query
            .order_by_asc(tenant_changes::Column::ResourceVersion)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                let change_type = ChangeType::parse(&row.change_type)
                    .ok_or_else(|| corrupt("tenant_changes.change_type", &row.change_type))?;
                Ok(TenantChange {
                    resource_version: row.resource_version,
                    change_type,
                    tenant: from_json("tenant_changes.object", row.object)?,
                })
            })
            .collect()
    }

    /// The last resourceVersion handed out (0 before the first write).
    pub async fn current_resource_version(&self) -> StoreResult<i64> {
        read_counter(&self.db).await
    }

    /// Deletes change-feed entries written before `before`, always keeping the newest one
    /// (it proves that nothing after it was pruned). Watchers further behind get
    /// [`StoreError::Gone`] and must list again. Returns how many entries went.
    pub async fn prune_changes(&self, before: chrono::DateTime<chrono::Utc>) -> StoreResult<u64> {
        let newest = read_counter(&self.db).await?;
        let result = tenant_changes::Entity::delete_many()
            .filter(tenant_changes::Column::CreatedAt.lt(before))
            .filter(tenant_changes::Column::ResourceVersion.lt(newest))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

async fn list<C: ConnectionTrait>(
    db: &C,
    owner: Option<Uuid>,
    label_selector: Option<&[(String, String)]>,
) -> StoreResult<Vec<Tenant>> {
    let mut query = tenants::Entity::find().order_by_asc(tenants::Column::Name);
    if let Some(owner) = owner {
        query = query.filter(tenants::Column::OwnerId.eq(owner));
    }
    let mut tenants = Vec::new();
    for row in query.all(db).await? {
        let tenant = row_to_tenant(row)?;
        // Labels are filtered here rather than in SQL: JSON path expressions would need the
        // keys escaped, and a user's tenants are few.
        let selected = label_selector.is_none_or(|selector| {
            selector
                .iter()
                .all(|(k, v)| tenant.metadata.labels.get(k) == Some(v))
        });
        if selected {
            tenants.push(tenant);
        }
    }
    Ok(tenants)
}

/// Takes the next resourceVersion. `LAST_INSERT_ID(expr)` makes the incremented value
/// readable on this connection without a second locking read; the row lock taken by the
/// UPDATE is held until the transaction ends.
async fn next_resource_version(tx: &DatabaseTransaction) -> StoreResult<i64> {
    let backend = tx.get_database_backend();
    let updated = tx
        .execute_raw(Statement::from_string(
            backend,
            "UPDATE resource_version_counter SET value = LAST_INSERT_ID(value + 1) WHERE id = 1",
        ))
        .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Corrupt(
            "the resource_version_counter row is missing; run the migrations".to_owned(),
        ));
    }
    // `LAST_INSERT_ID(expr)` puts the new value in the statement's OK packet: no second
    // round trip (`SELECT LAST_INSERT_ID()`) while every other write waits on this row.
    i64::try_from(updated.last_insert_id())
        .ok()
        .filter(|version| *version > 0)
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the resource_version_counter returned {}",
                updated.last_insert_id()
            ))
        })
}

async fn read_counter<C: ConnectionTrait>(db: &C) -> StoreResult<i64> {
    use crate::entity::resource_version_counter as counter;
    counter::Entity::find_by_id(1)
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| {
            StoreError::Corrupt(
                "the resource_version_counter row is missing; run the migrations".to_owned(),
            )
        })
}

/// Reads the tenant with an exclusive row lock (and the newest committed data, which a plain
/// read in REPEATABLE READ might not give).
/// Whether `owner` has fewer than `limit` tenants, holding the owner's row: it is the lock
/// every create of theirs queues on, so the count is the one the caller's insert adds to.
async fn has_room(tx: &DatabaseTransaction, owner: Uuid, limit: u32) -> StoreResult<bool> {
    users::Entity::find_by_id(owner)
        .lock_exclusive()
        .one(tx)
        .await?;
    let owned = tenants::Entity::find()
        .filter(tenants::Column::OwnerId.eq(owner))
        .count(tx)
        .await?;
    Ok(owned < u64::from(limit))
}

async fn lock_tenant(tx: &DatabaseTransaction, name: &TenantName) -> StoreResult<Tenant> {
    let row = tenants::Entity::find_by_id(name.as_str())
        .lock_exclusive()
        .one(tx)
        .await?;
    match row {
        Some(row) => row_to_tenant(row),
        None => Err(StoreError::NotFound),
    }
}

/// Updates the row to `tenant` (whose resourceVersion must be `version`) and appends the
/// `MODIFIED` change.
async fn write_tenant(tx: &DatabaseTransaction, version: i64, tenant: &Tenant) -> StoreResult<()> {
    let result = tenants::Entity::update_many()
        .set(tenants::ActiveModel {
            labels: Set(to_json(&tenant.metadata.labels)?),
            spec: Set(to_json(&tenant.spec)?),
            status: Set(to_json(&tenant.status)?),
            generation: Set(tenant.metadata.generation),
            resource_version: Set(version),
            deletion_timestamp: Set(tenant.metadata.deletion_timestamp),
            ..Default::default()
        })
        .filter(tenants::Column::Name.eq(tenant.metadata.name.as_str()))
        .exec(tx)
        .await?;
    if result.rows_affected != 1 {
        return Err(StoreError::NotFound);
    }
    append_change(tx, version, ChangeType::Modified, tenant).await
}

async fn append_change(
    tx: &DatabaseTransaction,
    version: i64,
    change_type: ChangeType,
    tenant: &Tenant,
) -> StoreResult<()> {
    tenant_changes::Entity::insert(tenant_changes::ActiveModel {
        resource_version: Set(version),
        tenant_name: Set(tenant.metadata.name.to_string()),
        owner_id: Set(tenant.metadata.owner),
        change_type: Set(change_type.as_str().to_owned()),
        object: Set(to_json(tenant)?),
        created_at: Set(now()),
    })
    .exec_without_returning(tx)
    .await?;
    Ok(())
}

fn row_to_tenant(row: tenants::Model) -> StoreResult<Tenant> {
    let name =
        TenantName::parse(row.name.as_str()).map_err(|_| corrupt("tenants.name", &row.name))?;
    Ok(Tenant {
        api_version: API_VERSION.to_owned(),
        kind: TENANT_KIND.to_owned(),
        metadata: ObjectMeta {
            name,
            uid: row.uid,
            owner: row.owner_id,
            labels: from_json("tenants.labels", row.labels)?,
            generation: row.generation,
            resource_version: row.resource_version.to_string(),
            creation_timestamp: row.created_at,
            deletion_timestamp: row.deletion_timestamp,
        },
        spec: from_json("tenants.spec", row.spec)?,
        status: from_json("tenants.status", row.status)?,
    })
}

/// `SELECT … FROM tenants WHERE name = ?`, as the entity would build it, built once.
fn tenant_by_name_sql() -> &'static str {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        tenants::Entity::find_by_id("")
            .build(sea_orm::DatabaseBackend::MySql)
            .sql
    });
    &SQL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lane_reads_every_column_by_the_name_alone() {
        let sql = tenant_by_name_sql();
        assert_eq!(sql.matches('?').count(), 1, "{sql}");
        assert!(sql.ends_with("WHERE `tenants`.`name` = ?"), "{sql}");
        for column in [
            "`spec`",
            "`status`",
            "`resource_version`",
            "`deletion_timestamp`",
        ] {
            assert!(sql.contains(column), "{sql} lacks {column}");
        }
    }
}

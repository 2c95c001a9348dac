//! What sites use of their plans' allocations: storage as the controller last measured it
//! (one row per tenant incarnation, replaced by each measurement) and edge traffic summed per
//! calendar month (each metering adds what the edge carried since the last one).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait as _, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{StoreResult, now};
use crate::entity::{tenant_bandwidth, tenant_usage};
use crate::resource::{MeasuredStorage, MonthlyBandwidth, Plan, Tenant, TenantUsage, month_of};
use crate::store::Store;

/// Every tenant's usage as of one moment ([`Store::usage_snapshot`]).
#[derive(Debug, Clone)]
pub struct UsageSnapshot {
    pub storage: HashMap<Uuid, MeasuredStorage>,
    pub this_month: HashMap<Uuid, u64>,
    pub plans: HashMap<String, Plan>,
    /// Users' active plans; a user absent here is on [`Plan::DEFAULT_ID`].
    pub plan_of: HashMap<Uuid, String>,
    pub at: DateTime<Utc>,
}

impl UsageSnapshot {
    /// `tenant`'s usage report (its history only the current month).
    pub fn usage_of(&self, tenant: &Tenant) -> TenantUsage {
        let uid = tenant.metadata.uid;
        let plan_id = self
            .plan_of
            .get(&tenant.metadata.owner)
            .map_or(Plan::DEFAULT_ID, String::as_str);
        let months = self
            .this_month
            .get(&uid)
            .map(|&bytes| {
                vec![MonthlyBandwidth {
                    month: month_of(self.at),
                    bytes,
                }]
            })
            .unwrap_or_default();
        TenantUsage::compose(
            tenant.metadata.name.as_str(),
            self.plans.get(plan_id),
            self.storage.get(&uid).copied().unwrap_or_default(),
            months,
            self.at,
        )
    }
}

/// Months of traffic a usage report lists.
pub const HISTORY_MONTHS: u64 = 12;

fn to_i64(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

fn to_u64(bytes: i64) -> u64 {
    u64::try_from(bytes).unwrap_or(0)
}

impl Store {
    /// Replaces the tenant's measured storage.
    pub async fn record_storage(
        &self,
        tenant: &Tenant,
        storage: MeasuredStorage,
    ) -> StoreResult<()> {
        let at = storage.measured_at.unwrap_or_else(now);
        tenant_usage::Entity::insert(tenant_usage::ActiveModel {
            tenant_uid: Set(tenant.metadata.uid),
            tenant: Set(tenant.metadata.name.to_string()),
            volume_bytes: Set(to_i64(storage.volume_bytes)),
            database_bytes: Set(to_i64(storage.database_bytes)),
            bucket_bytes: Set(to_i64(storage.bucket_bytes)),
            measured_at: Set(at),
        })
        .on_conflict(
            OnConflict::column(tenant_usage::Column::TenantUid)
                .update_columns([
                    tenant_usage::Column::VolumeBytes,
                    tenant_usage::Column::DatabaseBytes,
                    tenant_usage::Column::BucketBytes,
                    tenant_usage::Column::MeasuredAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// Adds `bytes` of edge traffic to the tenant's month of `at`.
    pub async fn add_bandwidth(&self, uid: Uuid, bytes: u64, at: DateTime<Utc>) -> StoreResult<()> {
        if bytes == 0 {
            return Ok(());
        }
        tenant_bandwidth::Entity::insert(tenant_bandwidth::ActiveModel {
            tenant_uid: Set(uid),
            month: Set(month_of(at)),
            bytes: Set(to_i64(bytes)),
            updated_at: Set(at),
        })
        .on_conflict(
            OnConflict::columns([
                tenant_bandwidth::Column::TenantUid,
                tenant_bandwidth::Column::Month,
            ])
            .value(
                tenant_bandwidth::Column::Bytes,
                Expr::col(tenant_bandwidth::Column::Bytes).add(to_i64(bytes)),
            )
            .value(tenant_bandwidth::Column::UpdatedAt, at)
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// The tenant's storage as last measured (zeros and no time before the first measurement).
    pub async fn measured_storage(&self, uid: Uuid) -> StoreResult<MeasuredStorage> {
        Ok(tenant_usage::Entity::find_by_id(uid)
            .one(&self.db)
            .await?
            .map(|row| MeasuredStorage {
                volume_bytes: to_u64(row.volume_bytes),
                database_bytes: to_u64(row.database_bytes),
                bucket_bytes: to_u64(row.bucket_bytes),
                measured_at: Some(row.measured_at),
            })
            .unwrap_or_default())
    }

    /// The tenant's metered months, newest first.
    pub async fn bandwidth_months(&self, uid: Uuid) -> StoreResult<Vec<MonthlyBandwidth>> {
        let rows = tenant_bandwidth::Entity::find()
            .filter(tenant_bandwidth::Column::TenantUid.eq(uid))
            .order_by_desc(tenant_bandwidth::Column::Month)
            .limit(HISTORY_MONTHS)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| MonthlyBandwidth {
                month: row.month,
                bytes: to_u64(row.bytes),
            })
            .collect())
    }

    /// Every tenant's usage in a few queries, for a pass over all of them: measured storage
    /// and this month's traffic by tenant uid, every plan by id and every user's active plan.
    pub async fn usage_snapshot(&self, at: DateTime<Utc>) -> StoreResult<UsageSnapshot> {
        let storage = tenant_usage::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                (
                    row.tenant_uid,
                    MeasuredStorage {
                        volume_bytes: to_u64(row.volume_bytes),
                        database_bytes: to_u64(row.database_bytes),
                        bucket_bytes: to_u64(row.bucket_bytes),
                        measured_at: Some(row.measured_at),
                    },
                )
            })
            .collect();
        let this_month = tenant_bandwidth::Entity::find()
            .filter(tenant_bandwidth::Column::Month.eq(month_of(at)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.tenant_uid, to_u64(row.bytes)))
            .collect();
        let plans = self
            .list_plans()
            .await?
            .into_iter()
            .map(|plan| (plan.id.clone(), plan))
            .collect();
        Ok(UsageSnapshot {
            storage,
            this_month,
            plans,
            plan_of: self.active_plan_ids().await?,
            at,
        })
    }

    /// The tenant's usage report against its owner's plan, as of `at`.
    pub async fn tenant_usage(
        &self,
        tenant: &Tenant,
        at: DateTime<Utc>,
    ) -> StoreResult<TenantUsage> {
        let plan = self.plan_of_user(tenant.metadata.owner).await?;
        let storage = self.measured_storage(tenant.metadata.uid).await?;
        let months = self.bandwidth_months(tenant.metadata.uid).await?;
        Ok(TenantUsage::compose(
            tenant.metadata.name.as_str(),
            Some(&plan),
            storage,
            months,
            at,
        ))
    }
}

//! Plans, subscriptions and invoices. There is no payment provider: a plan change issues an
//! *open* invoice for its first month, which stays open until it is paid (where a provider
//! would plug in: it marks invoices paid). A move to a dearer plan is a *pending*
//! subscription until an administrator approves it (or the operator opens upgrades).

use std::collections::HashMap;

use chrono::{DateTime, Months, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use super::administration::{NewAuditEntry, record_audit};
use super::{
    StoreError, StoreResult, corrupt, from_json, is_unique_violation, now, to_i32, to_u32,
};
use crate::entity::{invoices, plans, subscriptions};
use crate::resource::{
    Invoice, InvoiceStatus, Plan, Subscription, SubscriptionStatus, workers_for,
};
use crate::store::Store;

impl Store {
    /// The catalogue, cheapest first.
    pub async fn list_plans(&self) -> StoreResult<Vec<Plan>> {
        plans::Entity::find()
            .order_by_asc(plans::Column::SortOrder)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row_to_plan)
            .collect()
    }

    pub async fn get_plan(&self, id: &str) -> StoreResult<Plan> {
        plans::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)
            .and_then(row_to_plan)
    }

    /// The user's active subscription and its plan. A user without one (created before
    /// subscriptions existed, or by hand) is on the default plan: the subscription returned
    /// then is started for them.
    pub async fn current_subscription(&self, user_id: Uuid) -> StoreResult<(Subscription, Plan)> {
        let active = active_subscription(&self.db, user_id, false).await?;
        let subscription = match active {
            Some(subscription) => subscription,
            None => {
                let tx = self.db.begin().await?;
                // Re-checked under lock: two first requests must not start two.
                let subscription = match active_subscription(&tx, user_id, true).await? {
                    Some(subscription) => subscription,
                    None => start_subscription(&tx, user_id, Plan::DEFAULT_ID, now()).await?,
                };
                tx.commit().await?;
                subscription
            }
        };
        let plan = self.get_plan(&subscription.plan_id).await?;
        Ok((subscription, plan))
    }

    /// The plan a user is on ([`Plan::DEFAULT_ID`] without an active subscription).
    pub async fn plan_of_user(&self, user_id: Uuid) -> StoreResult<Plan> {
        let plan_id = active_subscription(&self.db, user_id, false)
            .await?
            .map_or_else(|| Plan::DEFAULT_ID.to_owned(), |s| s.plan_id);
        self.get_plan(&plan_id).await
    }

    /// Every user's active plan id, for evaluating rollout selectors in bulk. Users absent
    /// from the map are on [`Plan::DEFAULT_ID`].
    pub async fn active_plan_ids(&self) -> StoreResult<HashMap<Uuid, String>> {
        let rows: Vec<(Uuid, String)> = subscriptions::Entity::find()
            .select_only()
            .column(subscriptions::Column::UserId)
            .column(subscriptions::Column::PlanId)
            .filter(subscriptions::Column::Status.eq(SubscriptionStatus::Active.as_str()))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Moves the user to `plan_id`: ends the active subscription, starts a new one now and,
    /// for a paid plan, issues an open invoice for its first month, all in one transaction.
    /// A pending request of the user's is withdrawn. Choosing the current plan changes
    /// nothing. [`StoreError::NotFound`] for an unknown plan. Quota checks (a smaller plan
    /// than the tenants in use) are the API's.
    /// An administrator's change is recorded as `audit` in the same transaction.
    pub async fn change_plan(
        &self,
        user_id: Uuid,
        plan_id: &str,
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<Subscription> {
        let plan = self.get_plan(plan_id).await?;
        let tx = self.db.begin().await?;
        if let Some(audit) = audit {
            record_audit(&tx, audit).await?;
        }
        end_subscriptions(
            &tx,
            user_id,
            SubscriptionStatus::Pending,
            SubscriptionStatus::Cancelled,
        )
        .await?;
        let subscription = switch_plan(&tx, user_id, &plan, None).await?;
        tx.commit().await?;
        Ok(subscription)
    }

    /// Records that the user asks to move to `plan_id`: a pending subscription, replacing any
    /// earlier pending one. Asking for the current plan withdraws the request and returns
    /// the active subscription.
    pub async fn request_plan(&self, user_id: Uuid, plan_id: &str) -> StoreResult<Subscription> {
        let plan = self.get_plan(plan_id).await?;
        let tx = self.db.begin().await?;
        let current = active_subscription(&tx, user_id, true).await?;
        end_subscriptions(
            &tx,
            user_id,
            SubscriptionStatus::Pending,
            SubscriptionStatus::Cancelled,
        )
        .await?;
        if let Some(current) = current
            && current.plan_id == plan.id
        {
            tx.commit().await?;
            return Ok(current);
        }
        let request = Subscription {
            id: Uuid::new_v4(),
            user_id,
            plan_id: plan.id.clone(),
            status: SubscriptionStatus::Pending,
            started_at: now(),
            ended_at: None,
        };
        insert_subscription(&tx, &request).await?;
        tx.commit().await?;
        Ok(request)
    }

    /// The user's pending plan change, if any.
    pub async fn pending_plan_request(&self, user_id: Uuid) -> StoreResult<Option<Subscription>> {
        subscriptions::Entity::find()
            .filter(subscriptions::Column::UserId.eq(user_id))
            .filter(subscriptions::Column::Status.eq(SubscriptionStatus::Pending.as_str()))
            .order_by_desc(subscriptions::Column::StartedAt)
            .one(&self.db)
            .await?
            .map(row_to_subscription)
            .transpose()
    }

    /// The pending plan change `id`, if it is one.
    pub async fn get_plan_request(&self, id: Uuid) -> StoreResult<Option<Subscription>> {
        subscriptions::Entity::find_by_id(id)
            .filter(subscriptions::Column::Status.eq(SubscriptionStatus::Pending.as_str()))
            .one(&self.db)
            .await?
            .map(row_to_subscription)
            .transpose()
    }

    /// Every pending plan change, oldest first.
    pub async fn list_plan_requests(&self) -> StoreResult<Vec<Subscription>> {
        subscriptions::Entity::find()
            .filter(subscriptions::Column::Status.eq(SubscriptionStatus::Pending.as_str()))
            .order_by_asc(subscriptions::Column::StartedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row_to_subscription)
            .collect()
    }

    /// An administrator's decision on a pending plan change: approved, it becomes the user's
    /// active subscription now (the old one ends, an open invoice is issued); refused, it
    /// ends as `refused`. [`StoreError::NotFound`] unless `id` is pending.
    /// An administrator's decision is recorded as `audit` in the same transaction.
    pub async fn decide_plan_request(
        &self,
        id: Uuid,
        approve: bool,
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<Subscription> {
        let tx = self.db.begin().await?;
        let request = subscriptions::Entity::find_by_id(id)
            .filter(subscriptions::Column::Status.eq(SubscriptionStatus::Pending.as_str()))
            .lock_exclusive()
            .one(&tx)
            .await?
            .map(row_to_subscription)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let at = now();
        let decided = if approve {
            let plan = plans::Entity::find_by_id(request.plan_id.as_str())
                .one(&tx)
                .await?
                .ok_or(StoreError::NotFound)
                .and_then(row_to_plan)?;
            switch_plan(&tx, request.user_id, &plan, Some(request.id)).await?
        } else {
            set_status(&tx, request.id, SubscriptionStatus::Refused, Some(at)).await?;
            Subscription {
                status: SubscriptionStatus::Refused,
                ended_at: Some(at),
                ..request
            }
        };
        if let Some(audit) = audit {
            record_audit(&tx, audit).await?;
        }
        tx.commit().await?;
        Ok(decided)
    }

    /// The user's invoices, newest first.
    pub async fn list_invoices(&self, user_id: Uuid) -> StoreResult<Vec<Invoice>> {
        invoices::Entity::find()
            .filter(invoices::Column::UserId.eq(user_id))
            .order_by_desc(invoices::Column::IssuedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row_to_invoice)
            .collect()
    }

    /// Every user's invoices, newest first, a page at a time (administrators); only those
    /// in `status` when given. `before` is the last invoice of the previous page.
    pub async fn invoices_page(
        &self,
        before: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
        status: Option<InvoiceStatus>,
    ) -> StoreResult<(Vec<Invoice>, bool)> {
        let mut query = invoices::Entity::find()
            .order_by_desc(invoices::Column::IssuedAt)
            .order_by_desc(invoices::Column::Id)
            .limit(limit.saturating_add(1));
        if let Some(status) = status {
            query = query.filter(invoices::Column::Status.eq(status.as_str()));
        }
        if let Some((at, id)) = before {
            query = query.filter(
                Condition::any().add(invoices::Column::IssuedAt.lt(at)).add(
                    Condition::all()
                        .add(invoices::Column::IssuedAt.eq(at))
                        .add(invoices::Column::Id.lt(id)),
                ),
            );
        }
        let rows = query.all(&self.db).await?;
        let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > limit;
        let invoices = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(row_to_invoice)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((invoices, more))
    }

    pub async fn get_invoice(&self, id: Uuid) -> StoreResult<Invoice> {
        invoices::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)
            .and_then(row_to_invoice)
    }

    /// Marks an open invoice paid now, recording `audit` in the same transaction (where a
    /// payment provider plugs in: its confirmation calls this). `InvalidTransition` unless
    /// the invoice is open.
    pub async fn mark_invoice_paid(&self, id: Uuid, audit: &NewAuditEntry) -> StoreResult<Invoice> {
        let at = now();
        let tx = self.db.begin().await?;
        let invoice = invoices::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or(StoreError::NotFound)
            .and_then(row_to_invoice)?;
        if invoice.status != InvoiceStatus::Open {
            tx.rollback().await?;
            return Err(StoreError::InvalidTransition {
                from: invoice.status.as_str().to_owned(),
                to: InvoiceStatus::Paid.as_str().to_owned(),
            });
        }
        invoices::Entity::update_many()
            .col_expr(
                invoices::Column::Status,
                Expr::value(InvoiceStatus::Paid.as_str()),
            )
            .col_expr(invoices::Column::PaidAt, Expr::value(at))
            .filter(invoices::Column::Id.eq(id))
            .exec(&tx)
            .await?;
        record_audit(&tx, audit).await?;
        tx.commit().await?;
        Ok(Invoice {
            status: InvoiceStatus::Paid,
            paid_at: Some(at),
            ..invoice
        })
    }

    /// The billing scheduler's pass: for every active subscription to a paid plan, issues an
    /// open invoice for each billing period (a month from the subscription's start) that has
    /// begun by `now` and has none yet — the first is issued by the plan change itself. A
    /// period already billed (by another scheduler, or an earlier pass) is skipped by the
    /// unique (subscription, period start) index, so passes may repeat and overlap. Catches up
    /// at most [`MAX_CATCH_UP`] periods per subscription a pass. Returns what it issued.
    pub async fn issue_due_invoices(&self, now: DateTime<Utc>) -> StoreResult<Vec<Invoice>> {
        let paid: HashMap<String, Plan> = self
            .list_plans()
            .await?
            .into_iter()
            .filter(|plan| plan.price_cents > 0)
            .map(|plan| (plan.id.clone(), plan))
            .collect();
        if paid.is_empty() {
            return Ok(Vec::new());
        }
        let subscriptions = subscriptions::Entity::find()
            .filter(subscriptions::Column::Status.eq(SubscriptionStatus::Active.as_str()))
            .filter(subscriptions::Column::PlanId.is_in(paid.keys().cloned()))
            .all(&self.db)
            .await?;
        let mut issued = Vec::new();
        for subscription in subscriptions {
            let Some(plan) = paid.get(&subscription.plan_id) else {
                continue;
            };
            let last_end: Option<DateTime<Utc>> = invoices::Entity::find()
                .select_only()
                .column_as(invoices::Column::PeriodEnd.max(), "end")
                .filter(invoices::Column::SubscriptionId.eq(subscription.id))
                .into_tuple::<Option<DateTime<Utc>>>()
                .one(&self.db)
                .await?
                .flatten();
            let mut start = last_end.unwrap_or(subscription.started_at);
            for _ in 0..MAX_CATCH_UP {
                if start > now {
                    break;
                }
                let end = next_period(start);
                let invoice = new_invoice(
                    subscription.user_id,
                    subscription.id,
                    plan,
                    format!(
                        "{} plan, {} to {}",
                        plan.name,
                        start.date_naive(),
                        end.date_naive()
                    ),
                    (start, end),
                    now,
                );
                match insert_invoice(&self.db, &invoice).await {
                    Ok(()) => issued.push(invoice),
                    Err(StoreError::AlreadyExists) => {}
                    Err(error) => return Err(error),
                }
                start = end;
            }
        }
        Ok(issued)
    }
}

/// Periods one scheduler pass bills per subscription at most (a scheduler down for longer
/// catches up over several passes).
pub const MAX_CATCH_UP: usize = 12;

/// The end of the billing period starting at `start`: a calendar month later (the last day
/// of a shorter month for a start on the 31st).
fn next_period(start: DateTime<Utc>) -> DateTime<Utc> {
    start
        .checked_add_months(Months::new(1))
        .unwrap_or(start + chrono::Duration::days(30))
}

fn new_invoice(
    user_id: Uuid,
    subscription_id: Uuid,
    plan: &Plan,
    description: String,
    (period_start, period_end): (DateTime<Utc>, DateTime<Utc>),
    issued_at: DateTime<Utc>,
) -> Invoice {
    Invoice {
        id: Uuid::new_v4(),
        user_id,
        subscription_id: Some(subscription_id),
        plan_id: plan.id.clone(),
        description,
        amount_cents: plan.price_cents,
        currency: plan.currency.clone(),
        // Nothing has been paid: a payment provider (or an administrator) marks it paid.
        status: InvoiceStatus::Open,
        period_start,
        period_end,
        issued_at,
        paid_at: None,
    }
}

/// [`StoreError::AlreadyExists`] when the subscription's period is billed already.
async fn insert_invoice<C: ConnectionTrait>(db: &C, invoice: &Invoice) -> StoreResult<()> {
    let inserted = invoices::Entity::insert(invoices::ActiveModel {
        id: Set(invoice.id),
        user_id: Set(invoice.user_id),
        subscription_id: Set(invoice.subscription_id),
        plan_id: Set(invoice.plan_id.clone()),
        description: Set(invoice.description.clone()),
        amount_cents: Set(to_i32("invoices.amount_cents", invoice.amount_cents)?),
        currency: Set(invoice.currency.clone()),
        status: Set(invoice.status.as_str().to_owned()),
        period_start: Set(invoice.period_start),
        period_end: Set(invoice.period_end),
        issued_at: Set(invoice.issued_at),
        paid_at: Set(invoice.paid_at),
    })
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => Err(StoreError::AlreadyExists),
        Err(error) => Err(error.into()),
    }
}

fn row_to_invoice(row: invoices::Model) -> StoreResult<Invoice> {
    Ok(Invoice {
        status: InvoiceStatus::parse(&row.status)
            .ok_or_else(|| corrupt("invoices.status", &row.status))?,
        amount_cents: to_u32("invoices.amount_cents", row.amount_cents)?,
        id: row.id,
        user_id: row.user_id,
        subscription_id: row.subscription_id,
        plan_id: row.plan_id,
        description: row.description,
        currency: row.currency,
        period_start: row.period_start,
        period_end: row.period_end,
        issued_at: row.issued_at,
        paid_at: row.paid_at,
    })
}

async fn active_subscription<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    lock: bool,
) -> StoreResult<Option<Subscription>> {
    let mut query = subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Status.eq(SubscriptionStatus::Active.as_str()))
        .order_by_desc(subscriptions::Column::StartedAt);
    if lock {
        query = query.lock_exclusive();
    }
    query.one(db).await?.map(row_to_subscription).transpose()
}

/// Ends the user's active subscription and makes `plan` the active one from now — the
/// pending request `activate` when given, else a new row — with an open invoice for a paid
/// plan's first month. Inside the caller's transaction.
async fn switch_plan<C: ConnectionTrait>(
    tx: &C,
    user_id: Uuid,
    plan: &Plan,
    activate: Option<Uuid>,
) -> StoreResult<Subscription> {
    let at = now();
    if let Some(current) = active_subscription(tx, user_id, true).await?
        && current.plan_id == plan.id
        && activate.is_none()
    {
        return Ok(current);
    }
    end_subscriptions(
        tx,
        user_id,
        SubscriptionStatus::Active,
        SubscriptionStatus::Cancelled,
    )
    .await?;
    let subscription = match activate {
        Some(id) => {
            subscriptions::Entity::update_many()
                .col_expr(
                    subscriptions::Column::Status,
                    Expr::value(SubscriptionStatus::Active.as_str()),
                )
                .col_expr(subscriptions::Column::StartedAt, Expr::value(at))
                .filter(subscriptions::Column::Id.eq(id))
                .exec(tx)
                .await?;
            Subscription {
                id,
                user_id,
                plan_id: plan.id.clone(),
                status: SubscriptionStatus::Active,
                started_at: at,
                ended_at: None,
            }
        }
        None => start_subscription(tx, user_id, &plan.id, at).await?,
    };
    if plan.price_cents > 0 {
        let period = (at, next_period(at));
        let invoice = new_invoice(
            user_id,
            subscription.id,
            plan,
            format!("{} plan, first month", plan.name),
            period,
            at,
        );
        insert_invoice(tx, &invoice).await?;
    }
    Ok(subscription)
}

/// Every subscription of the user in status `from` moves to `to`, ended now.
async fn end_subscriptions<C: ConnectionTrait>(
    tx: &C,
    user_id: Uuid,
    from: SubscriptionStatus,
    to: SubscriptionStatus,
) -> StoreResult<()> {
    subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::Status, Expr::value(to.as_str()))
        .col_expr(subscriptions::Column::EndedAt, Expr::value(now()))
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Status.eq(from.as_str()))
        .exec(tx)
        .await?;
    Ok(())
}

async fn set_status<C: ConnectionTrait>(
    tx: &C,
    id: Uuid,
    status: SubscriptionStatus,
    ended_at: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    subscriptions::Entity::update_many()
        .col_expr(subscriptions::Column::Status, Expr::value(status.as_str()))
        .col_expr(subscriptions::Column::EndedAt, Expr::value(ended_at))
        .filter(subscriptions::Column::Id.eq(id))
        .exec(tx)
        .await?;
    Ok(())
}

async fn insert_subscription<C: ConnectionTrait>(
    db: &C,
    subscription: &Subscription,
) -> StoreResult<()> {
    subscriptions::Entity::insert(subscriptions::ActiveModel {
        id: Set(subscription.id),
        user_id: Set(subscription.user_id),
        plan_id: Set(subscription.plan_id.clone()),
        status: Set(subscription.status.as_str().to_owned()),
        started_at: Set(subscription.started_at),
        ended_at: Set(subscription.ended_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Inserts an active subscription (the caller has ended any other).
pub(super) async fn start_subscription<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    plan_id: &str,
    at: DateTime<Utc>,
) -> StoreResult<Subscription> {
    let subscription = Subscription {
        id: Uuid::new_v4(),
        user_id,
        plan_id: plan_id.to_owned(),
        status: SubscriptionStatus::Active,
        started_at: at,
        ended_at: None,
    };
    subscriptions::Entity::insert(subscriptions::ActiveModel {
        id: Set(subscription.id),
        user_id: Set(user_id),
        plan_id: Set(subscription.plan_id.clone()),
        status: Set(SubscriptionStatus::Active.as_str().to_owned()),
        started_at: Set(at),
        ended_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(subscription)
}

fn row_to_subscription(row: subscriptions::Model) -> StoreResult<Subscription> {
    Ok(Subscription {
        status: SubscriptionStatus::parse(&row.status)
            .ok_or_else(|| corrupt("subscriptions.status", &row.status))?,
        id: row.id,
        user_id: row.user_id,
        plan_id: row.plan_id,
        started_at: row.started_at,
        ended_at: row.ended_at,
    })
}

fn row_to_plan(row: plans::Model) -> StoreResult<Plan> {
    let max_memory_mib = to_u32("plans.max_memory_mib", row.max_memory_mib)?;
    let mut plan = Plan {
        max_instances: row
            .max_instances
            .map(|max| to_u32("plans.max_instances", max))
            .transpose()?,
        max_replicas: to_u32("plans.max_replicas", row.max_replicas)?,
        max_cpu_millis: to_u32("plans.max_cpu_millis", row.max_cpu_millis)?,
        max_memory_mib,
        storage_mib: to_u32("plans.storage_mib", row.storage_mib)?,
        bandwidth_gib: to_u32("plans.bandwidth_gib", row.bandwidth_gib)?,
        php_workers_per_replica: u32::try_from(workers_for(i64::from(max_memory_mib) << 20))
            .unwrap_or(u32::MAX),
        price_cents: to_u32("plans.price_cents", row.price_cents)?,
        features: from_json("plans.features", row.features)?,
        feature_details: Vec::new(),
        id: row.id,
        name: row.name,
        currency: row.currency,
    };
    plan.feature_details = plan.describe_features();
    Ok(plan)
}

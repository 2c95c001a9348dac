//! User administration: administrators' views of accounts and their actions on them, each
//! written to the audit log in the same transaction as the change it records — an action
//! either happened and is recorded, or neither.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use super::accounts::{revoke_families, row_to_credentials};
use super::{StoreError, StoreResult, corrupt, now};
use crate::entity::{audit_entries, personal_access_tokens, subscriptions, tenants, users};
use crate::resource::{
    AdminUser, AuditAction, AuditActor, AuditEntry, AuditTarget, Plan, Role, SubscriptionStatus,
    User,
};
use crate::store::Store;

/// An administrative action to record: everything but its id and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub actor: AuditActor,
    pub action: AuditAction,
    pub target: AuditTarget,
    pub detail: BTreeMap<String, String>,
    pub source: Option<String>,
}

impl NewAuditEntry {
    /// An action on the account `user`.
    pub fn on_user(actor: &User, action: AuditAction, user: &User, source: Option<String>) -> Self {
        Self {
            actor: AuditActor {
                id: actor.id,
                email: actor.email.clone(),
            },
            action,
            target: AuditTarget {
                kind: "user".to_owned(),
                id: user.id.to_string(),
                label: user.email.clone(),
            },
            detail: BTreeMap::new(),
            source,
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.detail.insert(key.to_owned(), value.into());
        self
    }
}

impl Store {
    /// Users with their plan and site count, oldest account first, a page at a time.
    pub async fn admin_users_page(
        &self,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> StoreResult<(Vec<AdminUser>, bool)> {
        let (users, more) = self.list_users_page(after, limit).await?;
        Ok((self.with_accounts(users).await?, more))
    }

    /// One user as administrators see it.
    pub async fn admin_user(&self, id: Uuid) -> StoreResult<AdminUser> {
        let user = self.get_user(id).await?;
        self.with_accounts(vec![user])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn with_accounts(&self, users: Vec<User>) -> StoreResult<Vec<AdminUser>> {
        let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let subscriptions: Vec<(Uuid, String, String)> = subscriptions::Entity::find()
            .select_only()
            .column(subscriptions::Column::UserId)
            .column(subscriptions::Column::PlanId)
            .column(subscriptions::Column::Status)
            .filter(subscriptions::Column::UserId.is_in(ids.clone()))
            .filter(subscriptions::Column::Status.is_in([
                SubscriptionStatus::Active.as_str(),
                SubscriptionStatus::Pending.as_str(),
            ]))
            .order_by_asc(subscriptions::Column::StartedAt)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut active = HashMap::new();
        let mut pending = HashMap::new();
        for (user, plan, status) in subscriptions {
            // The latest of each wins (ordered oldest first).
            if status == SubscriptionStatus::Active.as_str() {
                active.insert(user, plan);
            } else {
                pending.insert(user, plan);
            }
        }
        let sites: Vec<(Uuid, i64)> = tenants::Entity::find()
            .select_only()
            .column(tenants::Column::OwnerId)
            .column_as(tenants::Column::Name.count(), "sites")
            .filter(tenants::Column::OwnerId.is_in(ids))
            .group_by(tenants::Column::OwnerId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let sites: HashMap<Uuid, i64> = sites.into_iter().collect();
        Ok(users
            .into_iter()
            .map(|user| AdminUser {
                plan_id: active
                    .remove(&user.id)
                    .unwrap_or_else(|| Plan::DEFAULT_ID.to_owned()),
                pending_plan_id: pending.remove(&user.id),
                sites: sites
                    .get(&user.id)
                    .and_then(|n| u32::try_from(*n).ok())
                    .unwrap_or(0),
                user,
            })
            .collect())
    }

    /// Gives the user `role`, recording `audit`. Changing nothing records nothing.
    pub async fn set_role_audited(
        &self,
        id: Uuid,
        role: Role,
        audit: &NewAuditEntry,
    ) -> StoreResult<User> {
        let tx = self.db.begin().await?;
        let user = locked_user(&tx, id).await?;
        if user.role != role {
            users::Entity::update_many()
                .col_expr(users::Column::Role, Expr::value(role.as_str()))
                .col_expr(users::Column::UpdatedAt, Expr::value(now()))
                .filter(users::Column::Id.eq(id))
                .exec(&tx)
                .await?;
            record_audit(&tx, audit).await?;
        }
        tx.commit().await?;
        self.get_user(id).await
    }

    /// Disables the account (ending its login sessions; its personal access tokens are kept
    /// but refused while it is disabled) or enables it again, recording `audit`. Changing
    /// nothing records nothing.
    pub async fn set_disabled_audited(
        &self,
        id: Uuid,
        disabled: bool,
        audit: &NewAuditEntry,
    ) -> StoreResult<User> {
        let at = now();
        let tx = self.db.begin().await?;
        let user = locked_user(&tx, id).await?;
        if user.disabled_at.is_some() != disabled {
            users::Entity::update_many()
                .col_expr(
                    users::Column::DisabledAt,
                    Expr::value(disabled.then_some(at)),
                )
                .col_expr(users::Column::UpdatedAt, Expr::value(at))
                .filter(users::Column::Id.eq(id))
                .exec(&tx)
                .await?;
            if disabled {
                revoke_families(&tx, id, None, at).await?;
            }
            record_audit(&tx, audit).await?;
        }
        tx.commit().await?;
        self.get_user(id).await
    }

    /// An administrator's password reset: the new hash, every session ended and every
    /// personal access token deleted (as a change by the user does), and the user made to
    /// choose a new password at the next sign-in; recorded as `audit`.
    pub async fn reset_password_audited(
        &self,
        id: Uuid,
        password_hash: &str,
        audit: &NewAuditEntry,
    ) -> StoreResult<User> {
        let at = now();
        let tx = self.db.begin().await?;
        locked_user(&tx, id).await?;
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(users::Column::PasswordChangedAt, Expr::value(at))
            .col_expr(users::Column::MustChangePassword, Expr::value(true))
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(id))
            .exec(&tx)
            .await?;
        revoke_families(&tx, id, None, at).await?;
        personal_access_tokens::Entity::delete_many()
            .filter(personal_access_tokens::Column::UserId.eq(id))
            .exec(&tx)
            .await?;
        record_audit(&tx, audit).await?;
        tx.commit().await?;
        self.get_user(id).await
    }

    /// Deletes the account and everything that is only its own (sessions, tokens,
    /// subscriptions, invoices), recording `audit`. [`StoreError::InUse`] while it owns any
    /// tenant, one being deleted included: its sites must be gone first.
    pub async fn delete_user_audited(&self, id: Uuid, audit: &NewAuditEntry) -> StoreResult<()> {
        let tx = self.db.begin().await?;
        locked_user(&tx, id).await?;
        // Locks the owner's tenant rows (and the gap), so no tenant is created for the
        // account between this count and the delete.
        let owned = tenants::Entity::find()
            .select_only()
            .column(tenants::Column::Name)
            .filter(tenants::Column::OwnerId.eq(id))
            .lock_exclusive()
            .into_tuple::<String>()
            .all(&tx)
            .await?;
        if !owned.is_empty() {
            tx.rollback().await?;
            return Err(StoreError::InUse {
                what: match owned.len() {
                    1 => "1 site".to_owned(),
                    n => format!("{n} sites"),
                },
            });
        }
        users::Entity::delete_by_id(id).exec(&tx).await?;
        record_audit(&tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The audit log, newest first, a page at a time; only entries about `target` (an id)
    /// when given. `before` is the last entry of the previous page.
    pub async fn audit_page(
        &self,
        before: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
        target: Option<&str>,
    ) -> StoreResult<(Vec<AuditEntry>, bool)> {
        let mut query = audit_entries::Entity::find()
            .order_by_desc(audit_entries::Column::At)
            .order_by_desc(audit_entries::Column::Id)
            .limit(limit.saturating_add(1));
        if let Some(target) = target {
            query = query.filter(audit_entries::Column::TargetId.eq(target));
        }
        if let Some((at, id)) = before {
            query = query.filter(
                Condition::any().add(audit_entries::Column::At.lt(at)).add(
                    Condition::all()
                        .add(audit_entries::Column::At.eq(at))
                        .add(audit_entries::Column::Id.lt(id)),
                ),
            );
        }
        let rows = query.all(&self.db).await?;
        let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > limit;
        let entries = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(row_to_entry)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((entries, more))
    }
}

/// The user's row, locked for the rest of the transaction.
async fn locked_user<C: ConnectionTrait>(tx: &C, id: Uuid) -> StoreResult<User> {
    users::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound)
        .and_then(row_to_credentials)
        .map(|credentials| credentials.user)
}

/// Appends `entry` to the audit log inside the caller's transaction.
pub(crate) async fn record_audit<C: ConnectionTrait>(
    tx: &C,
    entry: &NewAuditEntry,
) -> StoreResult<()> {
    let detail = serde_json::to_string(&entry.detail)
        .map_err(|error| StoreError::Corrupt(format!("audit detail: {error}")))?;
    audit_entries::Entity::insert(audit_entries::ActiveModel {
        id: Set(Uuid::new_v4()),
        at: Set(now()),
        actor_id: Set(entry.actor.id),
        actor_email: Set(entry.actor.email.clone()),
        action: Set(entry.action.as_str().to_owned()),
        target_kind: Set(entry.target.kind.clone()),
        target_id: Set(entry.target.id.clone()),
        target_label: Set(entry.target.label.clone()),
        detail: Set(detail),
        source: Set(entry.source.clone()),
    })
    .exec_without_returning(tx)
    .await?;
    Ok(())
}

fn row_to_entry(row: audit_entries::Model) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        action: AuditAction::parse(&row.action)
            .ok_or_else(|| corrupt("audit_entries.action", &row.action))?,
        detail: serde_json::from_str(&row.detail)
            .map_err(|_| corrupt("audit_entries.detail", &row.detail))?,
        id: row.id,
        at: row.at,
        actor: AuditActor {
            id: row.actor_id,
            email: row.actor_email,
        },
        target: AuditTarget {
            kind: row.target_kind,
            id: row.target_id,
            label: row.target_label,
        },
        source: row.source,
    })
}

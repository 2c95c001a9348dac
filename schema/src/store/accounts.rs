//! Users, refresh-token families and personal access tokens. Hashing is the API's job: the
//! store keeps and compares only what it is given (Argon2 PHC strings, SHA-256 hex digests).

use std::fmt;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IsolationLevel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::billing::start_subscription;
use super::{StoreError, StoreResult, corrupt, is_unique_violation, now};
use crate::entity::{personal_access_tokens, refresh_token_families, users};
use crate::resource::{AccessToken, Plan, Role, TokenScope, User};

/// How long a login-attempt row is kept after its window started: longer than any window
/// the API uses (an hour at most), so no live window is forgotten.
const FORGET_AFTER: chrono::Duration = chrono::Duration::days(1);
use crate::store::Store;

/// The absolute lifetime of a login session: refreshing keeps it going until then, not past.
pub const SESSION_LIFETIME_DAYS: i64 = 30;

/// What is needed to create a user.
#[derive(Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A user with the password hash, for logging in and changing the password.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

impl fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The outcome of presenting a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRotation {
    /// The token was current: the family now expects the new jti.
    Rotated { user_id: Uuid },
    /// The token was an old one of a live family: it was stolen or replayed, so the family
    /// has been revoked (the legitimate holder must log in again).
    Reused { user_id: Uuid },
    /// Unknown, revoked or expired family.
    Invalid,
}

impl Store {
    /// Creates a user on the default plan (an active subscription to `free`, in the same
    /// transaction). [`StoreError::AlreadyExists`] when the e-mail is taken, regardless of
    /// case.
    pub async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        let at = now();
        let user = User {
            id: Uuid::new_v4(),
            email: new.email,
            name: new.name,
            role: new.role,
            created_at: at,
            updated_at: at,
            password_changed_at: at,
            disabled_at: None,
            must_change_password: false,
        };
        let tx = self.db.begin().await?;
        let inserted = users::Entity::insert(users::ActiveModel {
            id: Set(user.id),
            email: Set(user.email.clone()),
            name: Set(user.name.clone()),
            password_hash: Set(new.password_hash),
            role: Set(user.role.as_str().to_owned()),
            created_at: Set(at),
            updated_at: Set(at),
            password_changed_at: Set(at),
            disabled_at: Set(None),
            must_change_password: Set(false),
        })
        .exec_without_returning(&tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                tx.rollback().await?;
                return Err(StoreError::AlreadyExists);
            }
            Err(error) => return Err(error.into()),
        }
        start_subscription(&tx, user.id, Plan::DEFAULT_ID, at).await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn get_user(&self, id: Uuid) -> StoreResult<User> {
        Ok(self.get_user_credentials(id).await?.user)
    }

    pub async fn get_user_credentials(&self, id: Uuid) -> StoreResult<UserCredentials> {
        users::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)
            .and_then(row_to_credentials)
    }

    /// The user with this e-mail (compared without regard to case), if any.
    pub async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserCredentials>> {
        users::Entity::find()
            .filter(users::Column::Email.eq(email))
            .one(&self.db)
            .await?
            .map(row_to_credentials)
            .transpose()
    }

    /// All users, oldest first.
    pub async fn list_users(&self) -> StoreResult<Vec<User>> {
        users::Entity::find()
            .order_by_asc(users::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| row_to_credentials(row).map(|c| c.user))
            .collect()
    }

    /// One page of [`Self::list_users`]: at most `limit` users after `(created_at, id)`, in
    /// that order, and whether more follow (keyset paging: each page costs the same).
    pub async fn list_users_page(
        &self,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> StoreResult<(Vec<User>, bool)> {
        let mut query = users::Entity::find()
            .order_by_asc(users::Column::CreatedAt)
            .order_by_asc(users::Column::Id)
            .limit(limit.saturating_add(1));
        if let Some((at, id)) = after {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(users::Column::CreatedAt.gt(at))
                    .add(
                        sea_orm::Condition::all()
                            .add(users::Column::CreatedAt.eq(at))
                            .add(users::Column::Id.gt(id)),
                    ),
            );
        }
        let rows = query.all(&self.db).await?;
        let more = u64::try_from(rows.len()).unwrap_or(u64::MAX) > limit;
        let users = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|row| row_to_credentials(row).map(|c| c.user))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((users, more))
    }

    /// Takes one login attempt for `account` (a hash of the e-mail, or of e-mail and client)
    /// in the window shared by every API process — before the password is checked — and
    /// says whether it is within `limit`, or how long until the window ends. A window starts
    /// with its first attempt.
    pub async fn take_login_attempt(
        &self,
        account: &str,
        window: std::time::Duration,
        limit: u32,
    ) -> StoreResult<Result<(), std::time::Duration>> {
        let at = now();
        let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::hours(1));
        let expired_before = at - window;
        let backend = self.db.get_database_backend();
        // In one transaction: the upsert locks the account's row until the commit, so the
        // count read back is this attempt's own, however many run at once on any process.
        // The assignments run left to right: `attempts` reads the old `window_start`.
        let tx = self.db.begin().await?;
        tx.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO login_attempts (account, window_start, attempts) VALUES (?, ?, 1) \
             ON DUPLICATE KEY UPDATE \
             attempts = IF(window_start < ?, 1, attempts + 1), \
             window_start = IF(window_start < ?, ?, window_start)",
            [
                account.into(),
                at.into(),
                expired_before.into(),
                expired_before.into(),
                at.into(),
            ],
        ))
        .await?;
        let row = tx
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "SELECT attempts, window_start FROM login_attempts WHERE account = ?",
                [account.into()],
            ))
            .await?;
        tx.commit().await?;
        let Some(row) = row else {
            return Ok(Ok(()));
        };
        let attempts: i32 = row.try_get("", "attempts")?;
        if attempts == 1 {
            self.forget_old_login_attempts(at).await;
        }
        let started: DateTime<Utc> = row.try_get("", "window_start")?;
        if u32::try_from(attempts).unwrap_or(u32::MAX) <= limit {
            return Ok(Ok(()));
        }
        let left = (started + window - at)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(1));
        Ok(Err(left))
    }

    /// Rows whose window has long ended say nothing any more: dropped (when a new window
    /// starts, so not on every attempt) so the table stays as small as the attempts of the
    /// last day, whatever the number of accounts and addresses ever tried. Read-committed, so
    /// the scan locks no row it does not delete and cannot deadlock the attempts running
    /// meanwhile; best effort, since the next new window tries again.
    async fn forget_old_login_attempts(&self, at: DateTime<Utc>) {
        let purge = async {
            let tx = self
                .db
                .begin_with_config(Some(IsolationLevel::ReadCommitted), None)
                .await?;
            tx.execute_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "DELETE FROM login_attempts WHERE window_start < ? LIMIT 256",
                [(at - FORGET_AFTER).into()],
            ))
            .await?;
            tx.commit().await
        };
        if let Err(error) = purge.await {
            tracing::warn!(%error, "old login attempts not forgotten this time");
        }
    }

    /// Gives back the attempt [`Self::take_login_attempt`] took: the password was right.
    pub async fn give_back_login_attempt(&self, account: &str) -> StoreResult<()> {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "UPDATE login_attempts SET attempts = GREATEST(attempts - 1, 0) WHERE account = ?",
                [account.into()],
            ))
            .await?;
        Ok(())
    }

    /// Whether any admin exists (the first admin is created on first start).
    pub async fn any_admin_exists(&self) -> StoreResult<bool> {
        let admins = users::Entity::find()
            .filter(users::Column::Role.eq(Role::Admin.as_str()))
            .count(&self.db)
            .await?;
        Ok(admins > 0)
    }

    /// Changes name and/or e-mail. [`StoreError::AlreadyExists`] when the e-mail is taken.
    pub async fn update_user(
        &self,
        id: Uuid,
        name: Option<String>,
        email: Option<String>,
    ) -> StoreResult<User> {
        let mut update = users::Entity::update_many()
            .col_expr(users::Column::UpdatedAt, Expr::value(now()))
            .filter(users::Column::Id.eq(id));
        if let Some(name) = name {
            update = update.col_expr(users::Column::Name, Expr::value(name));
        }
        if let Some(email) = email {
            update = update.col_expr(users::Column::Email, Expr::value(email));
        }
        match update.exec(&self.db).await {
            Ok(result) if result.rows_affected == 1 => self.get_user(id).await,
            Ok(_) => Err(StoreError::NotFound),
            Err(error) if is_unique_violation(&error) => Err(StoreError::AlreadyExists),
            Err(error) => Err(error.into()),
        }
    }

    /// Sets a new password hash and `passwordChangedAt` (and lifts a reset's obligation to
    /// choose one), revokes every refresh-token family
    /// of the user except `keep` (the session that made the change) and deletes every
    /// personal access token of the user, in one transaction.
    pub async fn set_password(
        &self,
        id: Uuid,
        password_hash: &str,
        keep: Option<Uuid>,
    ) -> StoreResult<User> {
        let at = now();
        let tx = self.db.begin().await?;
        let result = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(users::Column::PasswordChangedAt, Expr::value(at))
            .col_expr(users::Column::MustChangePassword, Expr::value(false))
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(id))
            .exec(&tx)
            .await?;
        if result.rows_affected != 1 {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        }
        revoke_families(&tx, id, keep, at).await?;
        personal_access_tokens::Entity::delete_many()
            .filter(personal_access_tokens::Column::UserId.eq(id))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        self.get_user(id).await
    }

    pub async fn set_role(&self, id: Uuid, role: Role) -> StoreResult<User> {
        let result = users::Entity::update_many()
            .col_expr(users::Column::Role, Expr::value(role.as_str()))
            .col_expr(users::Column::UpdatedAt, Expr::value(now()))
            .filter(users::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound);
        }
        self.get_user(id).await
    }

    /// Starts a refresh-token family (a login) expecting `jti` next; returns its id.
    pub async fn create_refresh_family(
        &self,
        user_id: Uuid,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Uuid> {
        let id = Uuid::new_v4();
        refresh_token_families::Entity::insert(refresh_token_families::ActiveModel {
            id: Set(id),
            user_id: Set(user_id),
            current_jti: Set(jti.to_owned()),
            revoked_at: Set(None),
            expires_at: Set(expires_at),
            created_at: Set(now()),
        })
        .exec_without_returning(&self.db)
        .await?;
        Ok(id)
    }

    /// Presents refresh token `presented_jti` of `family_id`. A compare-and-swap on the
    /// current jti: of two concurrent refreshes with the same token exactly one rotates, and
    /// the other is treated as reuse. The new expiry never passes [`SESSION_LIFETIME_DAYS`]
    /// after the login, however often the session refreshes.
    pub async fn rotate_refresh_family(
        &self,
        family_id: Uuid,
        presented_jti: &str,
        new_jti: &str,
        new_expires_at: DateTime<Utc>,
    ) -> StoreResult<RefreshRotation> {
        let at = now();
        let swapped = refresh_token_families::Entity::update_many()
            .col_expr(
                refresh_token_families::Column::CurrentJti,
                Expr::value(new_jti),
            )
            .col_expr(
                refresh_token_families::Column::ExpiresAt,
                Expr::cust_with_values(
                    "LEAST(?, DATE_ADD(`created_at`, INTERVAL ? DAY))",
                    [
                        sea_orm::Value::from(new_expires_at),
                        sea_orm::Value::from(SESSION_LIFETIME_DAYS),
                    ],
                ),
            )
            .filter(refresh_token_families::Column::Id.eq(family_id))
            .filter(refresh_token_families::Column::CurrentJti.eq(presented_jti))
            .filter(refresh_token_families::Column::RevokedAt.is_null())
            .filter(refresh_token_families::Column::ExpiresAt.gt(at))
            .exec(&self.db)
            .await?;
        let Some(family) = refresh_token_families::Entity::find_by_id(family_id)
            .one(&self.db)
            .await?
        else {
            return Ok(RefreshRotation::Invalid);
        };
        if swapped.rows_affected == 1 {
            return Ok(RefreshRotation::Rotated {
                user_id: family.user_id,
            });
        }
        if family.revoked_at.is_some() || family.expires_at <= at {
            return Ok(RefreshRotation::Invalid);
        }
        self.revoke_refresh_family(family_id).await?;
        Ok(RefreshRotation::Reused {
            user_id: family.user_id,
        })
    }

    /// Whether the family exists, is not revoked and has not expired (access tokens carry
    /// their family, so logging out ends them too).
    pub async fn refresh_family_active(&self, family_id: Uuid) -> StoreResult<bool> {
        let family = refresh_token_families::Entity::find_by_id(family_id)
            .one(&self.db)
            .await?;
        Ok(family.is_some_and(|f| f.revoked_at.is_none() && f.expires_at > now()))
    }

    /// Revokes one family (logout). Returns whether it was live.
    pub async fn revoke_refresh_family(&self, family_id: Uuid) -> StoreResult<bool> {
        let result = refresh_token_families::Entity::update_many()
            .col_expr(
                refresh_token_families::Column::RevokedAt,
                Expr::value(now()),
            )
            .filter(refresh_token_families::Column::Id.eq(family_id))
            .filter(refresh_token_families::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Revokes every live family of the user except `keep`; returns how many.
    pub async fn revoke_user_refresh_families(
        &self,
        user_id: Uuid,
        keep: Option<Uuid>,
    ) -> StoreResult<u64> {
        revoke_families(&self.db, user_id, keep, now()).await
    }

    /// Stores a personal access token by the SHA-256 hex of its secret.
    pub async fn create_access_token(
        &self,
        user_id: Uuid,
        name: &str,
        token_hash: &str,
        prefix: &str,
        expires_at: Option<DateTime<Utc>>,
        scope: TokenScope,
    ) -> StoreResult<AccessToken> {
        let token = AccessToken {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            prefix: prefix.to_owned(),
            created_at: now(),
            last_used_at: None,
            expires_at,
            scope,
        };
        let inserted =
            personal_access_tokens::Entity::insert(personal_access_tokens::ActiveModel {
                id: Set(token.id),
                user_id: Set(user_id),
                name: Set(token.name.clone()),
                token_hash: Set(token_hash.to_owned()),
                prefix: Set(token.prefix.clone()),
                created_at: Set(token.created_at),
                last_used_at: Set(None),
                expires_at: Set(expires_at),
                scope: Set(scope.as_str().to_owned()),
            })
            .exec_without_returning(&self.db)
            .await;
        match inserted {
            Ok(_) => Ok(token),
            Err(error) if is_unique_violation(&error) => Err(StoreError::AlreadyExists),
            Err(error) => Err(error.into()),
        }
    }

    /// The user's tokens, newest first.
    pub async fn list_access_tokens(&self, user_id: Uuid) -> StoreResult<Vec<AccessToken>> {
        Ok(personal_access_tokens::Entity::find()
            .filter(personal_access_tokens::Column::UserId.eq(user_id))
            .order_by_desc(personal_access_tokens::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row_to_token)
            .collect())
    }

    /// Deletes one of the user's tokens; [`StoreError::NotFound`] if the user has no such
    /// token (another user's token id included).
    pub async fn delete_access_token(&self, user_id: Uuid, id: Uuid) -> StoreResult<()> {
        let result = personal_access_tokens::Entity::delete_many()
            .filter(personal_access_tokens::Column::Id.eq(id))
            .filter(personal_access_tokens::Column::UserId.eq(user_id))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// The user and token for a presented secret's SHA-256 hex, unless unknown or expired;
    /// records the use in `lastUsedAt`.
    pub async fn authenticate_access_token(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(User, AccessToken)>> {
        let Some(row) = personal_access_tokens::Entity::find()
            .filter(personal_access_tokens::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let at = now();
        if row.expires_at.is_some_and(|expires| expires <= at) {
            return Ok(None);
        }
        personal_access_tokens::Entity::update_many()
            .col_expr(personal_access_tokens::Column::LastUsedAt, Expr::value(at))
            .filter(personal_access_tokens::Column::Id.eq(row.id))
            .exec(&self.db)
            .await?;
        let user = self.get_user(row.user_id).await?;
        let mut token = row_to_token(row);
        token.last_used_at = Some(at);
        Ok(Some((user, token)))
    }
}

pub(super) async fn revoke_families<C: sea_orm::ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    keep: Option<Uuid>,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut update = refresh_token_families::Entity::update_many()
        .col_expr(refresh_token_families::Column::RevokedAt, Expr::value(at))
        .filter(refresh_token_families::Column::UserId.eq(user_id))
        .filter(refresh_token_families::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(refresh_token_families::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

pub(super) fn row_to_credentials(row: users::Model) -> StoreResult<UserCredentials> {
    let role = Role::parse(&row.role).ok_or_else(|| corrupt("users.role", &row.role))?;
    Ok(UserCredentials {
        user: User {
            id: row.id,
            email: row.email,
            name: row.name,
            role,
            created_at: row.created_at,
            updated_at: row.updated_at,
            password_changed_at: row.password_changed_at,
            disabled_at: row.disabled_at,
            must_change_password: row.must_change_password,
        },
        password_hash: row.password_hash,
    })
}

fn row_to_token(row: personal_access_tokens::Model) -> AccessToken {
    AccessToken {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        scope: TokenScope::parse(&row.scope),
    }
}

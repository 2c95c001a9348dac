//! User administration (admin only): the accounts with their plan and sites; changing a
//! user's role or plan; disabling an account (its sites kept running or stopped, as the
//! administrator chooses) and enabling it again; resetting a password; deleting an account
//! whose sites are gone; and the audit log every such action is written to.
//!
//! An administrator cannot disable, demote or delete their own account here: the last
//! administrator locking themselves out would leave nobody to undo it.

use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use swarmpress_schema::resource::{AdminUser, AuditAction, AuditEntry, Role, TenantState};
use swarmpress_schema::store::StoreError;
use uuid::Uuid;

use crate::auth::{Auth, Principal};
use crate::body::JsonBody;
use crate::declared::{CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, Outcome};
use crate::error::{ApiError, ApiResult};
use crate::paging::{self, PageRequest};
use crate::routes::ApiTags;
use crate::state::AppState;
use crate::tokens::random_token;

/// Length of a password an administrator's reset generates (`[A-Za-z0-9]`, ~119 bits).
const RESET_PASSWORD_LENGTH: usize = 20;

#[derive(ApiResponse)]
pub enum UsersResponse {
    /// `X-Continue`: more users follow; pass it as `continue`.
    #[oai(status = 200)]
    Ok(
        Json<Vec<AdminUser>>,
        #[oai(header = "X-Continue")] Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum UserResponse {
    #[oai(status = 200)]
    Ok(Json<AdminUser>),
}

#[derive(ApiResponse)]
pub enum UserDeletedResponse {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum PasswordResetResponse {
    #[oai(status = 200)]
    Ok(Json<PasswordReset>),
}

#[derive(ApiResponse)]
pub enum AuditResponse {
    /// `X-Continue`: older entries follow; pass it as `continue`.
    #[oai(status = 200)]
    Ok(
        Json<Vec<AuditEntry>>,
        #[oai(header = "X-Continue")] Option<String>,
    ),
}

/// What an administrator changes about an account; absent fields stay as they are.
#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct UserPatch {
    pub role: Option<Role>,
    /// Moves the user to this plan now (a pending request of theirs is withdrawn); 403
    /// `quota_exceeded` if their sites do not fit it.
    pub plan_id: Option<String>,
    /// `true` disables the account: it cannot sign in, its sessions end and its tokens are
    /// refused until it is enabled again. `false` enables it.
    pub disabled: Option<bool>,
    /// With `disabled: true`: also stop every site of the user (their data is kept).
    /// Otherwise the sites keep running. Enabling never starts sites.
    pub stop_sites: Option<bool>,
}

/// A password reset: the new password, shown this once. The user must choose another at
/// their next sign-in.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct PasswordReset {
    pub user: AdminUser,
    pub temporary_password: String,
}

pub struct UsersApi;

#[OpenApi(tag = "ApiTags::Maintenance")]
impl UsersApi {
    /// Every user with their plan, pending plan request and site count, oldest account
    /// first, a page at a time (admin).
    #[oai(path = "/admin/users", method = "get", operation_id = "adminListUsers")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// At most this many users (1–500; 500 when absent).
        limit: Query<Option<u32>>,
        /// `X-Continue` of the previous page.
        #[oai(name = "continue")]
        continue_: Query<Option<String>>,
    ) -> Outcome<UsersResponse, { FORBIDDEN }> {
        auth.principal().require_admin()?;
        let page = PageRequest::parse(limit.0, continue_.0.as_deref())?;
        let after = page.after.as_deref().map(paging::cursor).transpose()?;
        let (users, more) = state
            .store
            .admin_users_page(after, u64::from(page.limit))
            .await?;
        let next = more
            .then(|| {
                users
                    .last()
                    .map(|u| paging::position(u.user.created_at, u.user.id))
            })
            .flatten();
        Ok(UsersResponse::Ok(Json(users), next))
    }

    /// One user (admin).
    #[oai(
        path = "/admin/users/:id",
        method = "get",
        operation_id = "adminGetUser"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Outcome<UserResponse, { FORBIDDEN | NOT_FOUND }> {
        auth.principal().require_admin()?;
        Ok(UserResponse::Ok(Json(admin_user(&state, id.0).await?)))
    }

    /// Changes a user's role, plan or whether the account is disabled (admin). Each change
    /// is written to the audit log. Not allowed on one's own account, except the plan.
    #[oai(
        path = "/admin/users/:id",
        method = "patch",
        operation_id = "adminUpdateUser"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: Auth,
        id: Path<Uuid>,
        body: JsonBody<UserPatch>,
    ) -> Outcome<UserResponse, { FORBIDDEN | NOT_FOUND | INVALID | CONFLICT }> {
        let admin = auth.principal();
        admin.require_admin()?;
        let patch = body.0;
        if patch.stop_sites.is_some() && patch.disabled != Some(true) {
            return Err(ApiError::validation("stopSites", "only with disabled: true").into());
        }
        let target = admin_user(&state, id.0).await?;
        let own = target.user.id == admin.id();
        if let Some(role) = patch.role
            && role != target.user.role
        {
            if own {
                return Err(ApiError::Conflict(
                    "you cannot change your own role; another administrator can".to_owned(),
                )
                .into());
            }
            let audit = crate::audit::on_user(
                &state,
                request,
                admin,
                AuditAction::RoleChanged,
                &target.user,
            )
            .with("from", target.user.role.as_str())
            .with("to", role.as_str());
            state.store.set_role_audited(id.0, role, &audit).await?;
        }
        if let Some(plan_id) = patch.plan_id
            && plan_id != target.plan_id
        {
            let plan = match state.store.get_plan(&plan_id).await {
                Ok(plan) => plan,
                Err(StoreError::NotFound) => {
                    return Err(ApiError::validation("planId", "no such plan").into());
                }
                Err(error) => return Err(error.into()),
            };
            super::billing::check_fits(&state, id.0, &plan).await?;
            let audit = crate::audit::on_user(
                &state,
                request,
                admin,
                AuditAction::PlanChanged,
                &target.user,
            )
            .with("from", target.plan_id.clone())
            .with("to", plan.id.clone());
            state
                .store
                .change_plan(id.0, &plan.id, Some(&audit))
                .await?;
        }
        if let Some(disabled) = patch.disabled {
            if own && disabled {
                return Err(
                    ApiError::Conflict("you cannot disable your own account".to_owned()).into(),
                );
            }
            let stop_sites = patch.stop_sites.unwrap_or(false);
            if disabled != target.user.disabled_at.is_some() {
                let action = if disabled {
                    AuditAction::Disabled
                } else {
                    AuditAction::Enabled
                };
                let mut audit = crate::audit::on_user(&state, request, admin, action, &target.user);
                if disabled {
                    audit = audit.with(
                        "sites",
                        if stop_sites {
                            "stopped"
                        } else {
                            "kept running"
                        },
                    );
                }
                state
                    .store
                    .set_disabled_audited(id.0, disabled, &audit)
                    .await?;
                state.credentials.forget_user(id.0);
            }
            // After the account is disabled, so the owner cannot start them again meanwhile;
            // asked again (the account already disabled), it stops what is still running.
            if disabled && stop_sites {
                stop_sites_of(&state, admin, id.0).await?;
            }
        }
        tracing::info!(user = %id.0, admin = %admin.id(), "user changed by an administrator");
        Ok(UserResponse::Ok(Json(admin_user(&state, id.0).await?)))
    }

    /// Resets a user's password to a generated one, shown once in the response (admin).
    /// The user's sessions end and personal access tokens are deleted; at the next sign-in
    /// they must choose a new password before anything else.
    #[oai(
        path = "/admin/users/:id/password-reset",
        method = "post",
        operation_id = "adminResetPassword"
    )]
    async fn reset_password(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Outcome<PasswordResetResponse, { FORBIDDEN | NOT_FOUND | CONFLICT }> {
        let admin = auth.principal();
        admin.require_admin()?;
        let target = admin_user(&state, id.0).await?;
        if target.user.id == admin.id() {
            return Err(
                ApiError::Conflict("change your own password in your profile".to_owned()).into(),
            );
        }
        let password = random_token(RESET_PASSWORD_LENGTH)?;
        let hash = state
            .passwords
            .hash(&secrecy::SecretString::from(password.clone()))
            .await?;
        let audit = crate::audit::on_user(
            &state,
            request,
            admin,
            AuditAction::PasswordReset,
            &target.user,
        );
        state
            .store
            .reset_password_audited(id.0, &hash, &audit)
            .await?;
        state.credentials.forget_user(id.0);
        tracing::info!(user = %id.0, admin = %admin.id(), "password reset by an administrator");
        Ok(PasswordResetResponse::Ok(Json(PasswordReset {
            user: admin_user(&state, id.0).await?,
            temporary_password: password,
        })))
    }

    /// Deletes a user whose sites are all gone (admin; 409 while any remains, one being
    /// deleted included). Their sessions, tokens, subscriptions and invoices go with them;
    /// the audit log keeps the record.
    #[oai(
        path = "/admin/users/:id",
        method = "delete",
        operation_id = "adminDeleteUser"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Outcome<UserDeletedResponse, { FORBIDDEN | NOT_FOUND | CONFLICT }> {
        let admin = auth.principal();
        admin.require_admin()?;
        let target = admin_user(&state, id.0).await?;
        if target.user.id == admin.id() {
            return Err(ApiError::Conflict("you cannot delete your own account".to_owned()).into());
        }
        let audit =
            crate::audit::on_user(&state, request, admin, AuditAction::Deleted, &target.user)
                .with("plan", target.plan_id.clone());
        match state.store.delete_user_audited(id.0, &audit).await {
            Ok(()) => {}
            Err(StoreError::InUse { what }) => {
                return Err(ApiError::Conflict(format!(
                    "the user still owns {what}; delete them first"
                ))
                .into());
            }
            Err(error) => return Err(not_found(error).into()),
        }
        state.credentials.forget_user(id.0);
        tracing::info!(user = %id.0, admin = %admin.id(), "user deleted by an administrator");
        Ok(UserDeletedResponse::NoContent)
    }

    /// What administrators did to accounts, newest first, a page at a time (admin).
    #[oai(path = "/admin/audit", method = "get", operation_id = "adminListAudit")]
    async fn audit(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// Only entries about this target (a user id).
        target: Query<Option<String>>,
        /// At most this many entries (1–500; 500 when absent).
        limit: Query<Option<u32>>,
        /// `X-Continue` of the previous page.
        #[oai(name = "continue")]
        continue_: Query<Option<String>>,
    ) -> Outcome<AuditResponse, { FORBIDDEN }> {
        auth.principal().require_admin()?;
        let page = PageRequest::parse(limit.0, continue_.0.as_deref())?;
        let before = page.after.as_deref().map(paging::cursor).transpose()?;
        if let Some(target) = &target.0
            && (target.is_empty() || target.len() > 64)
        {
            return Err(ApiError::bad_request(Some("target"), "1 to 64 characters").into());
        }
        let (entries, more) = state
            .store
            .audit_page(before, u64::from(page.limit), target.0.as_deref())
            .await?;
        let next = more
            .then(|| entries.last().map(|e| paging::position(e.at, e.id)))
            .flatten();
        Ok(AuditResponse::Ok(Json(entries), next))
    }
}

async fn admin_user(state: &AppState, id: Uuid) -> ApiResult<AdminUser> {
    state.store.admin_user(id).await.map_err(not_found)
}

fn not_found(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::NotFound("no user with this id".to_owned()),
        other => other.into(),
    }
}

/// Stops every site of `owner` not already stopped or being deleted.
async fn stop_sites_of(state: &AppState, admin: &Principal, owner: Uuid) -> ApiResult<()> {
    let tenants = state.store.list_tenants(Some(owner), None).await?;
    for tenant in tenants {
        if tenant.is_deleting() || tenant.spec.state == TenantState::Stopped {
            continue;
        }
        super::tenants::update_spec(state, admin, &tenant.metadata.name, |spec| {
            spec.state = TenantState::Stopped;
        })
        .await?;
    }
    Ok(())
}

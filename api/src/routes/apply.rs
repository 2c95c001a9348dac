//! `POST /apply`: multi-document YAML manifests with create-or-update semantics.
//!
//! Each document gets its own result; an invalid one is reported and does not stop the
//! others. With `dryRun=true` every check runs and nothing is written. `kind: Tenant`
//! documents are applied as the caller; `kind: Rollout` documents by administrators only.

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use secrecy::{ExposeSecret, SecretString};
use swarmpress_schema::resource::{
    MAX_MANIFEST_DOCUMENTS, ManifestDocument, RolloutManifest, RolloutState, TenantManifest,
    parse_manifest,
};
use swarmpress_schema::store::StoreError;

use crate::auth::{Auth, Principal};
use crate::body::YamlBody;
use crate::declared::{CONFLICT, FORBIDDEN, INVALID, Outcome, TOO_LARGE};
use crate::domain::tenants::TenantWriteError;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::routes::ApiTags;
use crate::routes::rollouts;
use crate::routes::tenants::{self, ADMIN_PASSWORD_LEN};
use crate::state::AppState;
use crate::tokens::random_token;
use crate::wire::{ApplyAction, ApplyResult, ApplyResults};

#[derive(ApiResponse)]
pub enum ApplyResponse {
    #[oai(status = 200)]
    Ok(Json<ApplyResults>),
}

/// Turns a refusal into the document's errors; failures of the platform itself stay errors
/// of the whole request. (Rollout documents still go through the HTTP layer's checks.)
fn refusal(error: ApiError) -> ApiResult<Vec<FieldError>> {
    Ok(match error {
        ApiError::Validation { errors } | ApiError::BadRequest { errors, .. }
            if !errors.is_empty() =>
        {
            errors
        }
        ApiError::QuotaExceeded { detail, field } => {
            vec![FieldError::new(field.as_deref().unwrap_or("spec"), detail)]
        }
        ApiError::Conflict(message)
        | ApiError::BadRequest {
            detail: message, ..
        } => {
            vec![FieldError::new("metadata", message)]
        }
        ApiError::NotFound(message) | ApiError::Forbidden(message) => {
            vec![FieldError::new("metadata.name", message)]
        }
        other => return Err(other),
    })
}

/// What applying one tenant document did, or why it was refused.
type TenantOutcome = Result<(ApplyAction, Option<String>), TenantWriteError>;

/// Applies (or, on a dry run, checks) one tenant document through the domain's rules, whose
/// refusals become the document's errors.
async fn apply_tenant(
    state: &AppState,
    principal: &Principal,
    manifest: TenantManifest,
    dry_run: bool,
    planned_creations: &mut u64,
) -> ApiResult<TenantOutcome> {
    let name = manifest.metadata.name.clone();
    let existing = match state.store.get_tenant(&name).await {
        Ok(tenant) => Some(tenant),
        Err(StoreError::NotFound) => None,
        Err(error) => return Err(error.into()),
    };
    let rules = tenants::rules(state, principal);
    let labels = manifest.metadata.labels;
    Ok(match existing {
        None if dry_run => {
            // Earlier documents of this dry run would have created tenants too.
            rules
                .check_create(principal.id(), &labels, &manifest.spec, *planned_creations)
                .await
                .map(|()| {
                    *planned_creations += 1;
                    (ApplyAction::Created, None)
                })
        }
        None => {
            let password = SecretString::from(random_token(ADMIN_PASSWORD_LEN)?);
            rules
                .create(principal.id(), &name, labels, manifest.spec, &password)
                .await
                .map(|_| {
                    tracing::info!(tenant = %name, owner = %principal.id(), "tenant created by apply");
                    (
                        ApplyAction::Created,
                        Some(password.expose_secret().to_owned()),
                    )
                })
        }
        // Names are global; one taken by someone else is reported like a create's 409.
        Some(tenant) if !principal.can_access(tenant.metadata.owner) => {
            Err(TenantWriteError::NameTaken(name.to_string()))
        }
        Some(tenant) if tenant.spec == manifest.spec && tenant.metadata.labels == labels => {
            Ok((ApplyAction::Unchanged, None))
        }
        Some(tenant) if dry_run => rules
            .check_replace(
                &tenant,
                &manifest.spec,
                &labels,
                manifest.metadata.resource_version.as_deref(),
            )
            .await
            .map(|()| (ApplyAction::Configured, None)),
        Some(tenant) if tenant.is_deleting() => Err(TenantWriteError::Terminating),
        Some(tenant) => rules
            .replace(
                &tenant,
                manifest.spec,
                labels,
                manifest.metadata.resource_version.as_deref(),
            )
            .await
            .map(|written| {
                let action = if written.changed {
                    ApplyAction::Configured
                } else {
                    ApplyAction::Unchanged
                };
                (action, None)
            }),
    })
}

/// Applies (or checks) one rollout document: created when its name is new, `unchanged`
/// when the stored spec is equal, `configured` while the rollout has not started; a running
/// or finished rollout cannot be changed.
async fn apply_rollout(
    state: &AppState,
    principal: &Principal,
    manifest: RolloutManifest,
    dry_run: bool,
) -> ApiResult<ApplyAction> {
    if !principal.is_admin() {
        return Err(ApiError::Validation {
            errors: vec![FieldError::new(
                "kind",
                "only administrators may apply Rollout manifests",
            )],
        });
    }
    let mut errors = manifest.validate().err().unwrap_or_default();
    for error in rollouts::check_spec(state, &manifest.spec).await? {
        if !errors.iter().any(|e| e.field == error.field) {
            errors.push(error);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation { errors });
    }
    let name = manifest.metadata.name;
    let existing = match state.store.get_rollout_by_name(&name).await {
        Ok(rollout) => Some(rollout),
        Err(StoreError::NotFound) => None,
        Err(error) => return Err(error.into()),
    };
    let Some(existing) = existing else {
        if !dry_run {
            let created = state
                .store
                .create_rollout(Some(&name), &manifest.spec, Some(principal.id()))
                .await?;
            tracing::info!(rollout = %created.id, %name, "rollout created by apply");
        }
        return Ok(ApplyAction::Created);
    };
    if existing.spec == manifest.spec {
        return Ok(ApplyAction::Unchanged);
    }
    let unstarted = existing.started_at.is_none()
        && matches!(
            existing.state,
            RolloutState::Scheduled | RolloutState::Paused
        );
    if !unstarted {
        return Err(ApiError::Validation {
            errors: vec![FieldError::new(
                "spec",
                format!(
                    "rollout {name:?} is {} and has started; its spec can no longer change \
                     (create a rollout with another name)",
                    existing.state.as_str()
                ),
            )],
        });
    }
    if !dry_run {
        state
            .store
            .update_unstarted_rollout_spec(existing.id, &manifest.spec)
            .await?;
        tracing::info!(rollout = %existing.id, %name, "rollout reconfigured by apply");
    }
    Ok(ApplyAction::Configured)
}

pub struct ApplyApi;

#[OpenApi(tag = "ApiTags::Tenants")]
impl ApplyApi {
    /// Applies a multi-document YAML manifest: each `kind: Tenant` is created, or updated to
    /// match, as the caller; each `kind: Rollout` (administrators only) is created, or
    /// updated while it has not started. One result per non-empty document, in order.
    #[oai(path = "/apply", method = "post", operation_id = "applyManifest")]
    async fn apply(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// Check everything, write nothing.
        #[oai(name = "dryRun")]
        dry_run: Query<Option<bool>>,
        body: YamlBody,
    ) -> Outcome<ApplyResponse, { FORBIDDEN | CONFLICT | TOO_LARGE | INVALID }> {
        let principal = auth.principal();
        let dry_run = dry_run.0.unwrap_or(false);
        let mut planned_creations = 0;
        let mut results = Vec::new();
        let documents = parse_manifest(&body.0);
        // Refused whole, before anything is applied: nothing half-done.
        if documents.len() > MAX_MANIFEST_DOCUMENTS {
            return Err(ApiError::PayloadTooLarge(format!(
                "a manifest may hold at most {MAX_MANIFEST_DOCUMENTS} documents; this one \
                 holds {}",
                documents.len()
            ))
            .into());
        }
        for parsed in documents {
            let result = match parsed {
                Err(error) => ApplyResult {
                    kind: error.kind.unwrap_or_default(),
                    name: error.name.unwrap_or_default(),
                    action: ApplyAction::Invalid,
                    errors: error.errors,
                    admin_password: None,
                },
                Ok(ManifestDocument::Rollout(manifest)) => {
                    let name = manifest.metadata.name.clone();
                    let (action, errors) =
                        match apply_rollout(&state, principal, manifest, dry_run).await {
                            Ok(action) => (action, Vec::new()),
                            Err(error) => (ApplyAction::Invalid, refusal(error)?),
                        };
                    ApplyResult {
                        kind: "Rollout".to_owned(),
                        name,
                        action,
                        errors,
                        admin_password: None,
                    }
                }
                Ok(ManifestDocument::Tenant(manifest)) => {
                    let name = manifest.metadata.name.to_string();
                    let outcome =
                        apply_tenant(&state, principal, manifest, dry_run, &mut planned_creations)
                            .await?;
                    let (action, errors, admin_password) = match outcome {
                        Ok((action, password)) => (action, Vec::new(), password),
                        Err(error) => match error.field_errors() {
                            Some(errors) => (ApplyAction::Invalid, errors, None),
                            None => return Err(error.into()),
                        },
                    };
                    ApplyResult {
                        kind: "Tenant".to_owned(),
                        name,
                        action,
                        errors,
                        admin_password,
                    }
                }
            };
            results.push(result);
        }
        Ok(ApplyResponse::Ok(Json(ApplyResults { results })))
    }
}

//! `/tenants`: desired state of WordPress sites. Nothing here calls Docker, MariaDB's admin
//! interface or S3; the controller converges the platform to what is stored.
//!
//! A tenant the caller may not see answers 404 exactly like one that does not exist, so that
//! names of other users' sites cannot be probed through the API.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{EventStream, Json};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi, ResponseContent};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{
    API_VERSION, ActionKind, Resources, Tenant, TenantAction, TenantEvent, TenantSpec, TenantState,
    TenantUsage,
};
use swarmpress_schema::store::{StoreError, now};
use uuid::Uuid;

use crate::auth::{Auth, Principal};
use crate::body::{JsonBody, MergePatchBody, parse_json};
use crate::declared::{CONFLICT, FORBIDDEN, GONE, INVALID, NOT_FOUND, Outcome, THROTTLED};
use crate::domain::tenants::{TenantWriteError, Tenants};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::paging::PageRequest;
use crate::passwords::check_new_password;
use crate::patch::merge_patch;
use crate::routes::ApiTags;
use crate::selector::LabelSelector;
use crate::state::AppState;
use crate::tokens::random_token;
use crate::watch::{self, WatchEvent};
use crate::wire::{ListMeta, TenantList};

/// Length of generated WordPress admin passwords (`[A-Za-z0-9]`, ~119 bits).
pub const ADMIN_PASSWORD_LEN: usize = 20;
/// Read-modify-write actions retry this often when another write slips in between.
const ACTION_ATTEMPTS: usize = 5;
const MAX_EVENTS: u64 = 100;

/// A tenant name as a request carries it: documented with [`TenantName`]'s schema (pattern
/// and lengths, which the portal's checks are generated from), but taken as any string, so
/// that the handler reports a bad name as a field error beside the request's others (422)
/// instead of failing the whole body (400).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct NameInput(pub String);

mod name_input {
    use std::borrow::Cow;

    use poem_openapi::registry::MetaSchemaRef;
    use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
    use serde_json::Value;
    use swarmpress_schema::TenantName;

    use super::NameInput;

    impl Type for NameInput {
        const IS_REQUIRED: bool = true;
        type RawValueType = Self;
        type RawElementValueType = Self;

        fn name() -> Cow<'static, str> {
            TenantName::name()
        }

        fn schema_ref() -> MetaSchemaRef {
            TenantName::schema_ref()
        }

        fn as_raw_value(&self) -> Option<&Self::RawValueType> {
            Some(self)
        }

        fn raw_element_iter<'a>(
            &'a self,
        ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
            Box::new(self.as_raw_value().into_iter())
        }
    }

    impl ParseFromJSON for NameInput {
        fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
            match value.unwrap_or_default() {
                Value::String(text) => Ok(Self(text)),
                other => Err(ParseError::expected_type(other)),
            }
        }
    }

    impl ToJSON for NameInput {
        fn to_json(&self) -> Option<Value> {
            Some(Value::String(self.0.clone()))
        }
    }
}

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[oai(rename_all = "camelCase")]
pub struct CreateMetadata {
    /// The slug: 3–32 of `a-z0-9-`, starting with a letter. Becomes `<name>.<base domain>`.
    pub name: NameInput,
    #[serde(default)]
    #[oai(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[oai(rename_all = "camelCase")]
pub struct TenantCreateRequest {
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    pub metadata: CreateMetadata,
    pub spec: TenantSpec,
    /// The WordPress admin's password; generated (20 characters) when absent. It is
    /// returned once, in the creation response, and never again.
    #[serde(default)]
    #[oai(write_only)]
    pub admin_password: Option<String>,
}

#[derive(Debug, Default, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct ReplaceMetadata {
    /// When given, the write happens only if the tenant is still at this version (409
    /// otherwise).
    #[serde(default)]
    pub resource_version: Option<String>,
    /// Replaces the labels; kept when absent.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Must match the path when given.
    #[serde(default)]
    pub name: Option<String>,
}

/// A tenant as sent back by PUT: other metadata fields (uid, generation, …) and `status`
/// are accepted and ignored, so that a GET's document can be edited and PUT back.
#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct TenantReplaceRequest {
    #[serde(default)]
    #[oai(default)]
    pub metadata: ReplaceMetadata,
    pub spec: TenantSpec,
}

/// A tenant with the admin password generated for it, shown this once.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct CreatedTenant {
    #[oai(flatten)]
    pub tenant: Tenant,
    pub admin_password: String,
}

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[oai(rename_all = "camelCase")]
pub struct ScaleRequest {
    #[serde(default)]
    pub replicas: Option<u32>,
    #[serde(default)]
    pub resources: Option<Resources>,
}

#[derive(ApiRequest)]
pub enum PatchBody {
    /// RFC 7396 merge patch of `spec` (or of `{metadata: {labels, resourceVersion}, spec}`).
    MergePatch(MergePatchBody),
    Json(JsonBody<serde_json::Value>),
}

#[derive(ApiResponse)]
pub enum CreateTenantResponse {
    #[oai(status = 201)]
    Created(Json<CreatedTenant>),
}

#[derive(ResponseContent)]
pub enum ListContent {
    Json(Json<TenantList>),
    /// With `watch=true`: `ADDED`, `MODIFIED` and `DELETED` events whose data is the tenant
    /// and whose id is its resourceVersion.
    EventStream(EventStream<BoxStream<'static, WatchEvent>>),
}

#[derive(ApiResponse)]
pub enum ListTenantsResponse {
    #[oai(status = 200)]
    Ok(ListContent),
}

#[derive(ApiResponse)]
pub enum TenantResponse {
    #[oai(status = 200)]
    Ok(Json<Tenant>),
}

#[derive(ApiResponse)]
pub enum ActionResponse {
    /// Done: the report of every replica.
    #[oai(status = 200)]
    Ok(Json<TenantAction>),
    /// Asked, not finished yet: read it back at `GET /tenants/{name}/actions/{id}`.
    #[oai(status = 202)]
    Accepted(Json<TenantAction>),
}

/// Waits up to `action_wait` for the controller to finish `asked`: 200 with its report, or
/// 202 with where it stands. The controller's leader looks for requests four times a second.
async fn await_action(state: &AppState, asked: TenantAction) -> ApiResult<ActionResponse> {
    let deadline = tokio::time::Instant::now() + state.config.action_wait;
    let mut latest = asked;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        latest = state.store.get_tenant_action(latest.id).await?;
        if latest.state.is_finished() {
            return Ok(ActionResponse::Ok(Json(latest)));
        }
    }
    Ok(ActionResponse::Accepted(Json(latest)))
}

#[derive(ApiResponse)]
pub enum UsageResponse {
    #[oai(status = 200)]
    Ok(Json<TenantUsage>),
}

#[derive(ApiResponse)]
pub enum ActionReportResponse {
    #[oai(status = 200)]
    Ok(Json<TenantAction>),
}

#[derive(ApiResponse)]
pub enum AcceptedResponse {
    /// Stored; the controller converges the site to it.
    #[oai(status = 202)]
    Accepted(Json<Tenant>),
}

#[derive(ApiResponse)]
pub enum EventsResponse {
    /// `X-Continue`: older events follow; pass it as `continue`.
    #[oai(status = 200)]
    Ok(
        Json<Vec<TenantEvent>>,
        #[oai(header = "X-Continue")] Option<String>,
    ),
}

fn not_found(name: &str) -> ApiError {
    ApiError::NotFound(format!("tenant {name:?} not found"))
}

fn store_error(name: &TenantName, error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => not_found(name.as_str()),
        StoreError::AlreadyExists => {
            ApiError::Conflict(format!("a tenant named {:?} already exists", name.as_str()))
        }
        other => other.into(),
    }
}

/// The tenant, if the caller may see it.
pub async fn load_visible(
    state: &AppState,
    principal: &Principal,
    name: &TenantName,
) -> ApiResult<Tenant> {
    let tenant = state
        .store
        .get_tenant(name)
        .await
        .map_err(|error| store_error(name, error))?;
    if principal.can_access(tenant.metadata.owner) {
        Ok(tenant)
    } else {
        Err(not_found(name.as_str()))
    }
}

fn with_prefix(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError::new(format!("{prefix}{}", e.field), e.message))
        .collect()
}

/// The tenant-writing rules over this API's store, regions and image catalogue, for
/// `principal` (an administrator may name any image).
pub fn rules<'a>(state: &'a AppState, principal: &Principal) -> Tenants<'a> {
    Tenants {
        store: &state.store,
        regions: &state.config.regions,
        images: &state.config.images,
        any_image: principal.is_admin(),
    }
}

/// Applies `change` to the current spec and writes it, retrying when another write lands
/// in between (each attempt re-reads, so no update is lost).
pub(crate) async fn update_spec(
    state: &AppState,
    principal: &Principal,
    name: &TenantName,
    change: impl Fn(&mut TenantSpec),
) -> ApiResult<Tenant> {
    for _ in 0..ACTION_ATTEMPTS {
        let tenant = load_visible(state, principal, name).await?;
        let mut spec = tenant.spec.clone();
        change(&mut spec);
        let version = tenant.metadata.resource_version.clone();
        let labels = tenant.metadata.labels.clone();
        match rules(state, principal)
            .replace(&tenant, spec, labels, Some(&version))
            .await
        {
            Err(TenantWriteError::Conflict(_)) if !tenant.is_deleting() => continue,
            outcome => return Ok(outcome?.tenant),
        }
    }
    Err(ApiError::Conflict(
        "the tenant is changing too often; try again".to_owned(),
    ))
}

pub struct TenantsApi;

#[OpenApi(prefix_path = "/tenants", tag = "ApiTags::Tenants")]
impl TenantsApi {
    /// Creates a tenant. The response carries `adminPassword`, the WordPress admin's
    /// password, which is never shown again.
    #[oai(path = "/", method = "post", operation_id = "createTenant")]
    async fn create_tenant(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        body: JsonBody<TenantCreateRequest>,
    ) -> Outcome<CreateTenantResponse, { FORBIDDEN | CONFLICT | INVALID }> {
        let request = body.0;
        let mut errors = Vec::new();
        if let Some(version) = &request.api_version
            && version != API_VERSION
        {
            errors.push(FieldError::new(
                "apiVersion",
                format!("must be {API_VERSION}"),
            ));
        }
        if let Some(kind) = &request.kind
            && kind != "Tenant"
        {
            errors.push(FieldError::new("kind", "must be Tenant"));
        }
        let name = match TenantName::parse(request.metadata.name.0) {
            Ok(name) => Some(name),
            Err(error) => {
                errors.push(FieldError::new("metadata.name", error.to_string()));
                None
            }
        };
        if let Some(password) = &request.admin_password
            && let Err(message) = check_new_password(password)
        {
            errors.push(FieldError::new("adminPassword", message));
        }
        let (Some(name), true) = (name, errors.is_empty()) else {
            return Err(ApiError::Validation { errors }.into());
        };
        let password = match request.admin_password {
            Some(password) => SecretString::from(password),
            None => SecretString::from(random_token(ADMIN_PASSWORD_LEN)?),
        };
        let tenant = rules(&state, auth.principal())
            .create(
                auth.principal().id(),
                &name,
                request.metadata.labels,
                request.spec,
                &password,
            )
            .await?;
        tracing::info!(tenant = %name, owner = %auth.principal().id(), "tenant created");
        Ok(CreateTenantResponse::Created(Json(CreatedTenant {
            tenant,
            admin_password: password.expose_secret().to_owned(),
        })))
    }

    /// Lists the caller's tenants (admins: everyone's, or one owner's with `owner`).
    /// With `watch=true` it streams changes instead (`text/event-stream`), starting after
    /// `resourceVersion` (or `Last-Event-ID`), or from now.
    #[oai(path = "/", method = "get", operation_id = "listTenants")]
    #[allow(clippy::too_many_arguments)]
    async fn list_tenants(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// Admins only: restrict to this owner's tenants.
        owner: Query<Option<Uuid>>,
        /// `key=value[,key2=value2]`: all must match.
        #[oai(name = "labelSelector")]
        label_selector: Query<Option<String>>,
        watch: Query<Option<bool>>,
        /// With `watch`: stream the changes after this version.
        #[oai(name = "resourceVersion")]
        resource_version: Query<Option<String>>,
        /// With `watch`: an SSE client's resume point; `resourceVersion` wins when both are
        /// given.
        #[oai(name = "Last-Event-ID")]
        last_event_id: Header<Option<String>>,
        /// Without `watch`: at most this many tenants (1–500; 500 when absent).
        limit: Query<Option<u32>>,
        /// Without `watch`: `metadata.continue` of the previous page.
        #[oai(name = "continue")]
        continue_: Query<Option<String>>,
    ) -> Outcome<ListTenantsResponse, { FORBIDDEN | GONE | THROTTLED }> {
        let principal = auth.principal();
        let page = PageRequest::parse(limit.0, continue_.0.as_deref())?;
        let selector = LabelSelector::parse(label_selector.0.as_deref().unwrap_or_default())?;
        let owner = match (principal.is_admin(), owner.0) {
            (true, owner) => owner,
            // A user may name themselves; naming anyone else is an admin's privilege.
            (false, Some(other)) if other != principal.id() => {
                return Err(ApiError::Forbidden(
                    "only administrators may list other users' tenants".to_owned(),
                )
                .into());
            }
            (false, _) => Some(principal.id()),
        };
        if watch.0.unwrap_or(false) {
            let from = resource_version.0.or(last_event_id.0);
            let after = match from.as_deref().map(str::trim) {
                None | Some("") => state.store.current_resource_version().await?,
                Some(text) => text.parse::<i64>().map_err(|_| {
                    ApiError::bad_request(Some("resourceVersion"), "must be a decimal number")
                })?,
            };
            // Fail fast (410) when the feed was pruned past the resume point, before the
            // stream starts and a status can no longer be sent.
            state
                .store
                .changes_since(after, 1)
                .await
                .map_err(ApiError::from)?;
            let slot = state.streams.acquire(principal.id())?;
            let stream = watch::tenant_events(state.0.clone(), owner, selector, after).await?;
            let stream = crate::streams::holding(stream, slot);
            return Ok(ListTenantsResponse::Ok(ListContent::EventStream(
                EventStream::new(stream.boxed())
                    .keep_alive(watch::KEEP_ALIVE)
                    .to_event(watch::to_sse_event),
            )));
        }
        let (items, version, more) = state
            .store
            .list_tenants_page(owner, page.after.as_deref(), u64::from(page.limit))
            .await?;
        // The token names the last tenant read, matching or not: a selector that filters a
        // page down leaves it short, never makes the next one repeat.
        let next = more
            .then(|| {
                items
                    .last()
                    .map(|t| crate::paging::encode(t.metadata.name.as_str()))
            })
            .flatten();
        let items = items
            .into_iter()
            .filter(|tenant| selector.matches(&tenant.metadata.labels))
            .collect();
        Ok(ListTenantsResponse::Ok(ListContent::Json(Json(
            TenantList {
                api_version: API_VERSION.to_owned(),
                kind: "TenantList".to_owned(),
                metadata: ListMeta {
                    resource_version: version.to_string(),
                    continue_: next,
                },
                items,
            },
        ))))
    }

    /// One tenant.
    #[oai(path = "/:name", method = "get", operation_id = "getTenant")]
    async fn get_tenant(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<TenantResponse, { NOT_FOUND }> {
        let name = name.0;
        let tenant = load_visible(&state, auth.principal(), &name).await?;
        Ok(TenantResponse::Ok(Json(tenant)))
    }

    /// Replaces the spec (and the labels when given). With `metadata.resourceVersion`, only
    /// if the tenant is still at that version.
    #[oai(path = "/:name", method = "put", operation_id = "replaceTenant")]
    async fn replace_tenant(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
        body: JsonBody<TenantReplaceRequest>,
    ) -> Outcome<TenantResponse, { FORBIDDEN | NOT_FOUND | CONFLICT | INVALID }> {
        let name = name.0;
        let request = body.0;
        if let Some(body_name) = &request.metadata.name
            && body_name != name.as_str()
        {
            return Err(
                ApiError::validation("metadata.name", "must match the name in the path").into(),
            );
        }
        let tenant = load_visible(&state, auth.principal(), &name).await?;
        let labels = request
            .metadata
            .labels
            .unwrap_or_else(|| tenant.metadata.labels.clone());
        let written = rules(&state, auth.principal())
            .replace(
                &tenant,
                request.spec,
                labels,
                request.metadata.resource_version.as_deref(),
            )
            .await?;
        Ok(TenantResponse::Ok(Json(written.tenant)))
    }

    /// Merge-patches the spec (RFC 7396): `{"replicas": 2}`, or the tenant form
    /// `{"metadata": {"labels": …, "resourceVersion": …}, "spec": {…}}`.
    #[oai(path = "/:name", method = "patch", operation_id = "patchTenant")]
    async fn patch_tenant(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
        body: PatchBody,
    ) -> Outcome<TenantResponse, { FORBIDDEN | NOT_FOUND | CONFLICT | INVALID }> {
        let name = name.0;
        let patch = match body {
            PatchBody::MergePatch(MergePatchBody(patch)) | PatchBody::Json(JsonBody(patch)) => {
                patch
            }
        };
        let serde_json::Value::Object(object) = &patch else {
            return Err(ApiError::bad_request(None, "the patch must be a JSON object").into());
        };
        let whole_object = object.contains_key("spec") || object.contains_key("metadata");
        let (spec_patch, labels_patch, expected) = if whole_object {
            let metadata = object.get("metadata");
            (
                object.get("spec").cloned(),
                metadata.and_then(|m| m.get("labels")).cloned(),
                metadata
                    .and_then(|m| m.get("resourceVersion"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            )
        } else {
            (Some(patch.clone()), None, None)
        };
        let tenant = load_visible(&state, auth.principal(), &name).await?;
        let mut spec = serde_json::to_value(&tenant.spec).map_err(ApiError::internal)?;
        if let Some(spec_patch) = &spec_patch {
            merge_patch(&mut spec, spec_patch);
        }
        let spec_bytes = serde_json::to_vec(&spec).map_err(ApiError::internal)?;
        let spec: TenantSpec = parse_json(&spec_bytes).map_err(|error| match error {
            ApiError::BadRequest { detail, errors } => ApiError::BadRequest {
                detail,
                errors: with_prefix("spec.", errors),
            },
            other => other,
        })?;
        let mut labels =
            serde_json::to_value(&tenant.metadata.labels).map_err(ApiError::internal)?;
        if let Some(labels_patch) = &labels_patch {
            merge_patch(&mut labels, labels_patch);
        }
        let labels: BTreeMap<String, String> = serde_json::from_value(labels)
            .map_err(|_| ApiError::validation("metadata.labels", "labels must be string values"))?;
        let written = rules(&state, auth.principal())
            .replace(&tenant, spec, labels, expected.as_deref())
            .await?;
        Ok(TenantResponse::Ok(Json(written.tenant)))
    }

    /// Requests deletion: sets `deletionTimestamp` and phase Deleting. The controller
    /// removes the site, then the record.
    #[oai(path = "/:name", method = "delete", operation_id = "deleteTenant")]
    async fn delete_tenant(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<AcceptedResponse, { NOT_FOUND | CONFLICT }> {
        let name = name.0;
        load_visible(&state, auth.principal(), &name).await?;
        let written = state
            .store
            .mark_deleted(&name)
            .await
            .map_err(|error| store_error(&name, error))?;
        tracing::info!(tenant = %name, "tenant deletion requested");
        Ok(AcceptedResponse::Accepted(Json(written.tenant)))
    }

    /// Sets `spec.state` to Running.
    #[oai(path = "/:name/start", method = "post", operation_id = "startTenant")]
    async fn start(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<AcceptedResponse, { NOT_FOUND | CONFLICT }> {
        let name = name.0;
        let tenant = update_spec(&state, auth.principal(), &name, |spec| {
            spec.state = TenantState::Running;
        })
        .await?;
        Ok(AcceptedResponse::Accepted(Json(tenant)))
    }

    /// Sets `spec.state` to Stopped (the service scales to 0; data is kept).
    #[oai(path = "/:name/stop", method = "post", operation_id = "stopTenant")]
    async fn stop(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<AcceptedResponse, { NOT_FOUND | CONFLICT }> {
        let name = name.0;
        let tenant = update_spec(&state, auth.principal(), &name, |spec| {
            spec.state = TenantState::Stopped;
        })
        .await?;
        Ok(AcceptedResponse::Accepted(Json(tenant)))
    }

    /// Sets `spec.restartedAt` to now, which restarts every task.
    #[oai(
        path = "/:name/restart",
        method = "post",
        operation_id = "restartTenant"
    )]
    async fn restart(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<AcceptedResponse, { NOT_FOUND | CONFLICT }> {
        let name = name.0;
        let at = now();
        let tenant = update_spec(&state, auth.principal(), &name, |spec| {
            spec.restarted_at = Some(at);
        })
        .await?;
        Ok(AcceptedResponse::Accepted(Json(tenant)))
    }

    /// Sets a new `spec.rebuildNonce`: the controller pulls the image anew from its registry,
    /// names it by digest and redeploys every replica (an image with no registry host is
    /// redeployed from the engine's copy of its tag).
    #[oai(
        path = "/:name/rebuild",
        method = "post",
        operation_id = "rebuildTenant"
    )]
    async fn rebuild(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<AcceptedResponse, { NOT_FOUND | CONFLICT }> {
        let name = name.0;
        let nonce = random_token(16)?;
        let tenant = update_spec(&state, auth.principal(), &name, |spec| {
            spec.rebuild_nonce = Some(nonce.clone());
        })
        .await?;
        Ok(AcceptedResponse::Accepted(Json(tenant)))
    }

    /// Purges the site's caches in every running replica: WordPress's object cache and
    /// transients, and PHP's opcache. The controller does it and reports per replica; the
    /// answer waits for that report (200) up to 20 s (`SWARMPRESS_ACTION_WAIT_SECONDS`), else
    /// says where it stands (202) — read it back at `GET /tenants/{name}/actions/{id}`.
    #[oai(
        path = "/:name/purge-cache",
        method = "post",
        operation_id = "purgeTenantCache"
    )]
    async fn purge_cache(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<ActionResponse, { NOT_FOUND | CONFLICT }> {
        let tenant = load_visible(&state, auth.principal(), &name.0).await?;
        if tenant.is_deleting() {
            return Err(ApiError::Conflict("the site is being deleted".to_owned()).into());
        }
        if tenant.spec.state == TenantState::Stopped {
            return Err(ApiError::Conflict(
                "the site is stopped: it has no cache to purge".to_owned(),
            )
            .into());
        }
        let asked = state
            .store
            .request_tenant_action(
                tenant.metadata.name.as_str(),
                ActionKind::PurgeCache,
                auth.principal().id(),
            )
            .await?;
        tracing::info!(tenant = %tenant.metadata.name, action = %asked.id, "cache purge requested");
        Ok(await_action(&state, asked).await?)
    }

    /// What the site uses of its owner's plan's allocations: storage (volume, database and
    /// bucket, as last measured — every few minutes, or on request) and edge traffic this
    /// month and in earlier ones, each with its allocation and whether it is within it,
    /// close to it (from 80 %) or over it.
    #[oai(path = "/:name/usage", method = "get", operation_id = "getTenantUsage")]
    async fn usage(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<UsageResponse, { NOT_FOUND }> {
        let tenant = load_visible(&state, auth.principal(), &name.0).await?;
        let usage = state.store.tenant_usage(&tenant, now()).await?;
        Ok(UsageResponse::Ok(Json(usage)))
    }

    /// Measures the site's storage and meters its traffic now: after freeing space, uploads
    /// are accepted again as soon as this says the site is under its allocation. Waits for
    /// the controller like a cache purge (200 with the report, else 202); the figures are
    /// then at `GET /tenants/{name}/usage`.
    #[oai(
        path = "/:name/usage/measure",
        method = "post",
        operation_id = "measureTenantUsage"
    )]
    async fn measure_usage(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<ActionResponse, { NOT_FOUND | CONFLICT }> {
        let tenant = load_visible(&state, auth.principal(), &name.0).await?;
        if tenant.is_deleting() {
            return Err(ApiError::Conflict("the site is being deleted".to_owned()).into());
        }
        let asked = state
            .store
            .request_tenant_action(
                tenant.metadata.name.as_str(),
                ActionKind::MeasureUsage,
                auth.principal().id(),
            )
            .await?;
        Ok(await_action(&state, asked).await?)
    }

    /// One action on the site (a cache purge) with its per-replica report.
    #[oai(
        path = "/:name/actions/:id",
        method = "get",
        operation_id = "getTenantAction"
    )]
    async fn action(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
        id: Path<uuid::Uuid>,
    ) -> Outcome<ActionReportResponse, { NOT_FOUND }> {
        let tenant = load_visible(&state, auth.principal(), &name.0).await?;
        let missing = || ApiError::NotFound("no such action on this site".to_owned());
        let action = match state.store.get_tenant_action(id.0).await {
            Ok(action) if action.tenant == tenant.metadata.name.as_str() => action,
            Ok(_) | Err(StoreError::NotFound) => return Err(missing().into()),
            Err(error) => return Err(error.into()),
        };
        Ok(ActionReportResponse::Ok(Json(action)))
    }

    /// Changes replicas and/or resources.
    #[oai(path = "/:name/scale", method = "post", operation_id = "scaleTenant")]
    async fn scale(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
        body: JsonBody<ScaleRequest>,
    ) -> Outcome<AcceptedResponse, { FORBIDDEN | NOT_FOUND | CONFLICT | INVALID }> {
        let name = name.0;
        let request = body.0;
        if request.replicas.is_none() && request.resources.is_none() {
            return Err(
                ApiError::validation("replicas", "give replicas, resources or both").into(),
            );
        }
        let tenant = update_spec(&state, auth.principal(), &name, |spec| {
            if let Some(replicas) = request.replicas {
                spec.replicas = replicas;
            }
            if let Some(resources) = &request.resources {
                spec.resources = resources.clone();
            }
        })
        .await
        .map_err(|error| match error {
            // The scale body has no `spec.` level: name its own fields.
            ApiError::Validation { errors } => ApiError::Validation {
                errors: errors
                    .into_iter()
                    .map(|e| {
                        FieldError::new(e.field.trim_start_matches("spec.").to_owned(), e.message)
                    })
                    .collect(),
            },
            other => other,
        })?;
        Ok(AcceptedResponse::Accepted(Json(tenant)))
    }

    /// What the controller did with this tenant, newest first.
    #[oai(
        path = "/:name/events",
        method = "get",
        operation_id = "listTenantEvents"
    )]
    async fn events(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
        /// At most this many events (1–500; 500 when absent).
        limit: Query<Option<u32>>,
        /// `X-Continue` of the previous page.
        #[oai(name = "continue")]
        continue_: Query<Option<String>>,
    ) -> Outcome<EventsResponse, { NOT_FOUND }> {
        let name = name.0;
        let page = PageRequest::parse(limit.0, continue_.0.as_deref())?;
        load_visible(&state, auth.principal(), &name).await?;
        let events = state.store.list_events(&name, MAX_EVENTS).await?;
        let (events, next) = page.take(events, |e| {
            crate::paging::newest_first_key(
                e.last_timestamp,
                &format!("{}:{}", e.reason, e.message),
            )
        });
        Ok(EventsResponse::Ok(Json(events), next))
    }
}

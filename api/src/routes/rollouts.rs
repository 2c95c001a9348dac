//! Fleet rollouts (admin): create, list, read, follow, pause, resume and abort. The
//! controller drives a rollout's progress; these handlers only store what the admin asks for
//! and move the state machine where an admin may move it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use poem::web::Data;
use poem::web::sse::Event;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{EventStream, Json};
use poem_openapi::{ApiResponse, Object, OpenApi, ResponseContent};
use serde::Deserialize;
use swarmpress_schema::resource::{Rollout, RolloutSelector, RolloutSpec, RolloutState};
use swarmpress_schema::store::StoreError;
use uuid::Uuid;

use crate::auth::Auth;
use crate::body::JsonBody;
use crate::declared::{CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, Outcome, THROTTLED};
use crate::domain::rollouts::is_rollout_name;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::routes::ApiTags;
use crate::state::AppState;
use crate::watch::KEEP_ALIVE;

mod image;

pub use image::image_reference_problem;

/// How often a watch reads the rollout again; progress moves at the pace of health checks,
/// so half a second is live enough and cheap.
pub const WATCH_POLL: Duration = Duration::from_millis(500);

fn one() -> u32 {
    1
}

fn default_health_timeout() -> u32 {
    swarmpress_schema::resource::rollout::DEFAULT_HEALTH_TIMEOUT_SECONDS
}

/// The body of `POST /admin/rollouts`: a rollout spec, optionally named.
#[derive(Debug, Clone, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
// poem-openapi refuses unknown fields, naming the field (serde's refusal would not).
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewRollout {
    /// 1–63 characters of a-z, 0-9 and '-'; lets the rollout be addressed (and applied) by
    /// name.
    #[serde(default)]
    pub name: Option<String>,
    /// The target image, e.g. `swarmpress/wordpress:6.7`.
    pub image: String,
    pub selector: RolloutSelector,
    /// Tenants updated alone first.
    #[serde(default = "one")]
    #[oai(default = "one")]
    pub canary: u32,
    /// Tenants updated at once after the canaries.
    #[serde(default = "one")]
    #[oai(default = "one")]
    pub batch_size: u32,
    /// Failed tenants tolerated before the rollout halts and reverts.
    #[serde(default)]
    #[oai(default)]
    pub failure_budget: u32,
    /// Seconds a tenant has to become Available at the new image.
    #[serde(default = "default_health_timeout")]
    #[oai(default = "default_health_timeout")]
    pub health_timeout_seconds: u32,
    /// Start no earlier than this; now when absent.
    #[serde(default)]
    pub start_at: Option<DateTime<Utc>>,
    /// Pull the image even when a tag of that name is present.
    #[serde(default)]
    #[oai(default)]
    pub force_pull: bool,
}

impl NewRollout {
    fn into_parts(self) -> (Option<String>, RolloutSpec) {
        let spec = RolloutSpec {
            image: self.image,
            selector: self.selector,
            canary: self.canary,
            batch_size: self.batch_size,
            failure_budget: self.failure_budget,
            health_timeout_seconds: self.health_timeout_seconds,
            start_at: self.start_at,
            force_pull: self.force_pull,
        };
        (self.name, spec)
    }
}

#[derive(ApiResponse)]
pub enum RolloutsResponse {
    /// `X-Continue`: older rollouts follow; pass it as `continue`.
    #[oai(status = 200)]
    Ok(
        Json<Vec<Rollout>>,
        #[oai(header = "X-Continue")] Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum RolloutResponse {
    #[oai(status = 200)]
    Ok(Json<Rollout>),
    #[oai(status = 201)]
    Created(Json<Rollout>),
}

#[derive(ResponseContent)]
pub enum RolloutContent {
    // Boxed: a rollout with its items is large next to a stream handle.
    Json(Json<Box<Rollout>>),
    /// With `watch=true`: the rollout (with its items) each time it changes; the stream
    /// ends after the rollout reaches a terminal state.
    EventStream(EventStream<BoxStream<'static, Rollout>>),
}

#[derive(ApiResponse)]
pub enum GetRolloutResponse {
    #[oai(status = 200)]
    Ok(RolloutContent),
}

#[derive(ApiResponse)]
pub enum WatchRolloutResponse {
    /// The rollout each time it changes, until it is terminal.
    #[oai(status = 200)]
    Ok(EventStream<BoxStream<'static, Rollout>>),
}

/// Every rule of a spec, with paths under `spec.`: the schema's own, the image reference's
/// grammar, and plans that exist.
pub async fn check_spec(state: &AppState, spec: &RolloutSpec) -> ApiResult<Vec<FieldError>> {
    let mut errors = spec.validate().err().unwrap_or_default();
    if let Some(problem) = image_reference_problem(&spec.image)
        && !errors.iter().any(|e| e.field == "spec.image")
    {
        errors.push(FieldError::new("spec.image", problem));
    }
    if !spec.selector.plans.is_empty() {
        let known: Vec<String> = state
            .store
            .list_plans()
            .await?
            .into_iter()
            .map(|plan| plan.id)
            .collect();
        for (index, plan) in spec.selector.plans.iter().enumerate() {
            if !known.contains(plan) {
                errors.push(FieldError::new(
                    format!("spec.selector.plans[{index}]"),
                    format!("no plan {plan:?}; known plans: {}", known.join(", ")),
                ));
            }
        }
    }
    Ok(errors)
}

/// The rollout `id` names: a UUID, or else a rollout's name.
pub async fn find(state: &AppState, id: &str) -> ApiResult<Rollout> {
    let found = match id.parse::<Uuid>() {
        Ok(uuid) => state.store.get_rollout(uuid).await,
        Err(_) => state.store.get_rollout_by_name(id).await,
    };
    found.map_err(|error| match error {
        StoreError::NotFound => ApiError::NotFound(format!("no rollout {id:?}")),
        other => other.into(),
    })
}

/// A state change an admin asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Pause,
    Resume,
    Abort,
}

impl Command {
    fn verb(self) -> &'static str {
        match self {
            Self::Pause => "paused",
            Self::Resume => "resumed",
            Self::Abort => "aborted",
        }
    }

    /// The states the command applies to, said for a refusal.
    fn allowed_from(self) -> &'static str {
        match self {
            Self::Pause => "a scheduled or running rollout",
            Self::Resume => "a paused rollout",
            Self::Abort => "a rollout that has not finished",
        }
    }

    /// `(from, to)` for `rollout`, or `None` when the command does not apply to its state.
    fn transition(self, rollout: &Rollout) -> Option<(Vec<RolloutState>, RolloutState)> {
        use RolloutState::{Aborted, Paused, Running, Scheduled};
        match self {
            Self::Pause => Some((vec![Scheduled, Running], Paused)),
            // Back to where it was: a rollout paused before it started is still waiting
            // for its start (its time, or its maintenance window).
            Self::Resume if rollout.started_at.is_some() => Some((vec![Paused], Running)),
            Self::Resume => Some((vec![Paused], Scheduled)),
            Self::Abort if rollout.state.is_terminal() => None,
            Self::Abort => Some((vec![Scheduled, Running, Paused], Aborted)),
        }
    }

    /// The 409 for a rollout in `current`, which this command does not apply to.
    fn refused(self, current: &str) -> ApiError {
        ApiError::Conflict(format!(
            "the rollout is {current}; only {} can be {}",
            self.allowed_from(),
            self.verb()
        ))
    }
}

async fn command(state: &AppState, id: &str, command: Command) -> ApiResult<Rollout> {
    let rollout = find(state, id).await?;
    let (from, to) = command
        .transition(&rollout)
        .ok_or_else(|| command.refused(rollout.state.as_str()))?;
    let message = format!("{} by an administrator", command.verb());
    match state
        .store
        .set_rollout_state(rollout.id, &from, to, Some(&message))
        .await
    {
        Ok(updated) => {
            tracing::info!(rollout = %rollout.id, state = to.as_str(), "rollout {}", command.verb());
            Ok(updated)
        }
        // Lost a race with the controller (or another admin): say where it stands now.
        Err(StoreError::InvalidTransition { from, .. }) => Err(command.refused(&from)),
        Err(error) => Err(error.into()),
    }
}

/// The rollout each time it changes (first as it is now), until it is terminal or can no
/// longer be read.
fn rollout_changes(state: AppState, id: Uuid) -> impl Stream<Item = Rollout> + Send + 'static {
    futures_util::stream::unfold(
        (state, None::<Rollout>, false),
        move |(state, last, finished)| async move {
            if finished {
                return None;
            }
            loop {
                if last.is_some() {
                    tokio::time::sleep(WATCH_POLL).await;
                }
                match state.store.get_rollout(id).await {
                    Ok(rollout) if last.as_ref() != Some(&rollout) => {
                        let terminal = rollout.state.is_terminal();
                        return Some((rollout.clone(), (state, Some(rollout), terminal)));
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, rollout = %id, "rollout watch ended");
                        return None;
                    }
                }
            }
        },
    )
}

fn to_sse_event(rollout: Rollout) -> Event {
    let data = serde_json::to_string(&rollout).unwrap_or_else(|_| "{}".to_owned());
    // A plain `message` event, so that a browser's `EventSource.onmessage` sees it.
    Event::message(data).id(rollout.id.to_string())
}

/// The rollout's changes as SSE, counted against the caller's open streams.
fn watch_stream(
    state: &AppState,
    auth: &Auth,
    id: Uuid,
) -> ApiResult<EventStream<BoxStream<'static, Rollout>>> {
    let slot = state.streams.acquire(auth.principal().id())?;
    let stream = crate::streams::holding(rollout_changes(state.clone(), id), slot);
    Ok(EventStream::new(stream.boxed())
        .keep_alive(KEEP_ALIVE)
        .to_event(to_sse_event))
}

pub struct RolloutsApi;

#[OpenApi(tag = "ApiTags::Maintenance")]
impl RolloutsApi {
    /// Every rollout with its per-tenant progress, newest first (admin).
    #[oai(
        path = "/admin/rollouts",
        method = "get",
        operation_id = "listRollouts"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// At most this many rollouts (1–500; 500 when absent).
        limit: Query<Option<u32>>,
        /// `X-Continue` of the previous page.
        #[oai(name = "continue")]
        continue_: Query<Option<String>>,
    ) -> Outcome<RolloutsResponse, { FORBIDDEN }> {
        auth.principal().require_admin()?;
        let page = crate::paging::PageRequest::parse(limit.0, continue_.0.as_deref())?;
        let (rollouts, next) = page.take(state.store.list_rollouts().await?, |r| {
            crate::paging::newest_first_key(r.created_at, &r.id.to_string())
        });
        Ok(RolloutsResponse::Ok(Json(rollouts), next))
    }

    /// Creates a rollout in state `scheduled`; the controller starts it at `startAt` (now
    /// when absent) or at the start of the maintenance window that names it (admin).
    #[oai(
        path = "/admin/rollouts",
        method = "post",
        operation_id = "createRollout"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        body: JsonBody<NewRollout>,
    ) -> Outcome<RolloutResponse, { FORBIDDEN | INVALID | CONFLICT }> {
        auth.principal().require_admin()?;
        let (name, spec) = body.0.into_parts();
        let mut errors: Vec<FieldError> = check_spec(&state, &spec)
            .await?
            .into_iter()
            // The body is the spec itself: its fields are at the top.
            .map(|e| {
                let field = e.field.strip_prefix("spec.").unwrap_or(&e.field).to_owned();
                FieldError::new(field, e.message)
            })
            .collect();
        if let Some(name) = &name
            && !is_rollout_name(name)
        {
            errors.insert(
                0,
                FieldError::new("name", "must be 1 to 63 characters of a-z, 0-9 and '-'"),
            );
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation { errors }.into());
        }
        let created = state
            .store
            .create_rollout(name.as_deref(), &spec, Some(auth.principal().id()))
            .await
            .map_err(|error| match error {
                StoreError::AlreadyExists => ApiError::Conflict(format!(
                    "a rollout named {:?} already exists",
                    name.as_deref().unwrap_or_default()
                )),
                other => other.into(),
            })?;
        tracing::info!(rollout = %created.id, image = %created.spec.image, "rollout created");
        Ok(RolloutResponse::Created(Json(created)))
    }

    /// One rollout (by id or name) with its per-tenant progress (admin). With `watch=true`
    /// it streams the rollout each time it changes instead (`text/event-stream`), ending
    /// once the rollout is completed, failed or aborted.
    #[oai(
        path = "/admin/rollouts/:id",
        method = "get",
        operation_id = "getRollout"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The rollout's id or name.
        id: Path<String>,
        watch: Query<Option<bool>>,
    ) -> Outcome<GetRolloutResponse, { FORBIDDEN | NOT_FOUND | THROTTLED }> {
        auth.principal().require_admin()?;
        let rollout = find(&state, &id.0).await?;
        if watch.0.unwrap_or(false) {
            return Ok(GetRolloutResponse::Ok(RolloutContent::EventStream(
                watch_stream(&state, &auth, rollout.id)?,
            )));
        }
        Ok(GetRolloutResponse::Ok(RolloutContent::Json(Json(
            Box::new(rollout),
        ))))
    }

    /// Follows a rollout (by id or name) as server-sent events: the rollout now, then each
    /// time it changes, until it is completed, failed or aborted (admin).
    #[oai(
        path = "/admin/rollouts/:id/watch",
        method = "get",
        operation_id = "watchRollout"
    )]
    async fn watch(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The rollout's id or name.
        id: Path<String>,
    ) -> Outcome<WatchRolloutResponse, { FORBIDDEN | NOT_FOUND | THROTTLED }> {
        auth.principal().require_admin()?;
        let rollout = find(&state, &id.0).await?;
        Ok(WatchRolloutResponse::Ok(watch_stream(
            &state, &auth, rollout.id,
        )?))
    }

    /// Pauses a scheduled or running rollout; the controller finishes no new batch (admin).
    #[oai(
        path = "/admin/rollouts/:id/pause",
        method = "post",
        operation_id = "pauseRollout"
    )]
    async fn pause(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The rollout's id or name.
        id: Path<String>,
    ) -> Outcome<RolloutResponse, { FORBIDDEN | NOT_FOUND | CONFLICT }> {
        auth.principal().require_admin()?;
        let rollout = command(&state, &id.0, Command::Pause).await?;
        Ok(RolloutResponse::Ok(Json(rollout)))
    }

    /// Resumes a paused rollout: `running` again, or `scheduled` if it had not started
    /// (admin).
    #[oai(
        path = "/admin/rollouts/:id/resume",
        method = "post",
        operation_id = "resumeRollout"
    )]
    async fn resume(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The rollout's id or name.
        id: Path<String>,
    ) -> Outcome<RolloutResponse, { FORBIDDEN | NOT_FOUND | CONFLICT }> {
        auth.principal().require_admin()?;
        let rollout = command(&state, &id.0, Command::Resume).await?;
        Ok(RolloutResponse::Ok(Json(rollout)))
    }

    /// Starts a scheduled rollout now instead of at its time or its maintenance window: its
    /// `startAt` becomes now, so the controller's next pass (within a second) begins it
    /// (admin). 409 unless it is scheduled.
    #[oai(
        path = "/admin/rollouts/:id/start",
        method = "post",
        operation_id = "startRolloutNow"
    )]
    async fn start_now(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The rollout's id or name.
        id: Path<String>,
    ) -> Outcome<RolloutResponse, { FORBIDDEN | NOT_FOUND | CONFLICT }> {
        auth.principal().require_admin()?;
        let rollout = find(&state, &id.0).await?;
        let refused = |current: &str| {
            ApiError::Conflict(format!(
                "only a scheduled rollout can be started now; this one is {current}"
            ))
        };
        if rollout.state != RolloutState::Scheduled {
            return Err(refused(rollout.state.as_str()).into());
        }
        let spec = RolloutSpec {
            start_at: Some(swarmpress_schema::store::now()),
            ..rollout.spec.clone()
        };
        match state.store.update_rollout_spec(rollout.id, &spec).await {
            Ok(updated) => {
                tracing::info!(rollout = %rollout.id, "rollout started now by an administrator");
                Ok(RolloutResponse::Ok(Json(updated)))
            }
            // The controller started it meanwhile (or another admin acted): where it stands.
            Err(StoreError::InvalidTransition { from, .. }) => Err(refused(&from).into()),
            Err(error) => Err(error.into()),
        }
    }

    /// Aborts a rollout that has not finished; the controller starts no further tenant
    /// (admin).
    #[oai(
        path = "/admin/rollouts/:id/abort",
        method = "post",
        operation_id = "abortRollout"
    )]
    async fn abort(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The rollout's id or name.
        id: Path<String>,
    ) -> Outcome<RolloutResponse, { FORBIDDEN | NOT_FOUND | CONFLICT }> {
        auth.principal().require_admin()?;
        let rollout = command(&state, &id.0, Command::Abort).await?;
        Ok(RolloutResponse::Ok(Json(rollout)))
    }
}

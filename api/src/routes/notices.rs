//! Announcements and maintenance windows: public reads of what is in force, admin CRUD.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use swarmpress_schema::resource::{
    Announcement, AnnouncementInput, MaintenanceWindow, MaintenanceWindowInput, RolloutState,
};
use swarmpress_schema::store::{StoreError, now};
use uuid::Uuid;

use crate::auth::Auth;
use crate::body::JsonBody;
use crate::declared::{FORBIDDEN, INVALID, NOT_FOUND, Outcome};
use crate::error::{ApiError, ApiResult};
use crate::routes::ApiTags;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct MaintenanceStatus {
    pub active: bool,
    /// The window in force, when there is one.
    #[oai(skip_serializing_if_is_none)]
    pub window: Option<MaintenanceWindow>,
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
}

#[derive(ApiResponse)]
pub enum AnnouncementsResponse {
    #[oai(status = 200)]
    Ok(Json<Vec<Announcement>>),
}

#[derive(ApiResponse)]
pub enum AnnouncementResponse {
    #[oai(status = 200)]
    Ok(Json<Announcement>),
    #[oai(status = 201)]
    Created(Json<Announcement>),
}

#[derive(ApiResponse)]
pub enum MaintenanceStatusResponse {
    #[oai(status = 200)]
    Ok(Json<MaintenanceStatus>),
}

#[derive(ApiResponse)]
pub enum WindowsResponse {
    #[oai(status = 200)]
    Ok(Json<Vec<MaintenanceWindow>>),
}

#[derive(ApiResponse)]
pub enum WindowResponse {
    #[oai(status = 200)]
    Ok(Json<MaintenanceWindow>),
    #[oai(status = 201)]
    Created(Json<MaintenanceWindow>),
}

#[derive(ApiResponse)]
pub enum DeletedResponse {
    #[oai(status = 204)]
    NoContent,
}

fn missing(what: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |error| match error {
        StoreError::NotFound => ApiError::NotFound(format!("no such {what}")),
        other => other.into(),
    }
}

/// A window's `rolloutId` must name a rollout that is still scheduled: the controller starts
/// it at the window's start, and a dangling id — or a rollout already started, finished or
/// aborted — would silently start nothing. `kept` is the id the window already had (on
/// replace): a window may keep naming its rollout after that rollout ran.
async fn check_window_rollout(
    state: &AppState,
    input: &MaintenanceWindowInput,
    kept: Option<Uuid>,
) -> ApiResult<()> {
    let Some(id) = input.rollout_id else {
        return Ok(());
    };
    if kept == Some(id) {
        return Ok(());
    }
    match state.store.get_rollout(id).await {
        Ok(rollout) if rollout.state == RolloutState::Scheduled => Ok(()),
        Ok(rollout) => Err(ApiError::validation(
            "rolloutId",
            format!(
                "rollout {id} is {}: a window can only start a scheduled rollout",
                rollout.state.as_str()
            ),
        )),
        Err(StoreError::NotFound) => Err(ApiError::validation(
            "rolloutId",
            format!("no rollout {id}"),
        )),
        Err(error) => Err(error.into()),
    }
}

pub struct NoticesApi;

#[OpenApi(tag = "ApiTags::Maintenance")]
impl NoticesApi {
    /// Announcements in force now. No authentication.
    #[oai(
        path = "/announcements",
        method = "get",
        operation_id = "listActiveAnnouncements"
    )]
    async fn active_announcements(&self, state: Data<&AppState>) -> Outcome<AnnouncementsResponse> {
        let announcements = state.store.active_announcements(now()).await?;
        Ok(AnnouncementsResponse::Ok(Json(announcements)))
    }

    /// Whether a maintenance window is in force now. No authentication.
    #[oai(
        path = "/maintenance/status",
        method = "get",
        operation_id = "getMaintenanceStatus"
    )]
    async fn maintenance_status(
        &self,
        state: Data<&AppState>,
    ) -> Outcome<MaintenanceStatusResponse> {
        let window = state.store.active_maintenance_window(now()).await?;
        Ok(MaintenanceStatusResponse::Ok(Json(MaintenanceStatus {
            active: window.is_some(),
            message: window.as_ref().map(|w| w.message.clone()),
            window,
        })))
    }

    /// Every announcement, past and future (admin).
    #[oai(
        path = "/admin/announcements",
        method = "get",
        operation_id = "adminListAnnouncements"
    )]
    async fn list_announcements(
        &self,
        state: Data<&AppState>,
        auth: Auth,
    ) -> Outcome<AnnouncementsResponse, { FORBIDDEN }> {
        auth.principal().require_admin()?;
        Ok(AnnouncementsResponse::Ok(Json(
            state.store.list_announcements().await?,
        )))
    }

    /// Creates an announcement (admin).
    #[oai(
        path = "/admin/announcements",
        method = "post",
        operation_id = "adminCreateAnnouncement"
    )]
    async fn create_announcement(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        body: JsonBody<AnnouncementInput>,
    ) -> Outcome<AnnouncementResponse, { FORBIDDEN | INVALID }> {
        auth.principal().require_admin()?;
        body.0
            .validate()
            .map_err(|errors| ApiError::Validation { errors })?;
        let created = state
            .store
            .create_announcement(&body.0, Some(auth.principal().id()))
            .await?;
        Ok(AnnouncementResponse::Created(Json(created)))
    }

    /// One announcement (admin).
    #[oai(
        path = "/admin/announcements/:id",
        method = "get",
        operation_id = "adminGetAnnouncement"
    )]
    async fn get_announcement(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Outcome<AnnouncementResponse, { FORBIDDEN | NOT_FOUND }> {
        auth.principal().require_admin()?;
        let found = state
            .store
            .get_announcement(id.0)
            .await
            .map_err(missing("announcement"))?;
        Ok(AnnouncementResponse::Ok(Json(found)))
    }

    /// Replaces an announcement (admin).
    #[oai(
        path = "/admin/announcements/:id",
        method = "put",
        operation_id = "adminReplaceAnnouncement"
    )]
    async fn replace_announcement(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        id: Path<Uuid>,
        body: JsonBody<AnnouncementInput>,
    ) -> Outcome<AnnouncementResponse, { FORBIDDEN | NOT_FOUND | INVALID }> {
        auth.principal().require_admin()?;
        body.0
            .validate()
            .map_err(|errors| ApiError::Validation { errors })?;
        let updated = state
            .store
            .update_announcement(id.0, &body.0)
            .await
            .map_err(missing("announcement"))?;
        Ok(AnnouncementResponse::Ok(Json(updated)))
    }

    /// Deletes an announcement (admin).
    #[oai(
        path = "/admin/announcements/:id",
        method = "delete",
        operation_id = "adminDeleteAnnouncement"
    )]
    async fn delete_announcement(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Outcome<DeletedResponse, { FORBIDDEN | NOT_FOUND }> {
        auth.principal().require_admin()?;
        state
            .store
            .delete_announcement(id.0)
            .await
            .map_err(missing("announcement"))?;
        Ok(DeletedResponse::NoContent)
    }

    /// Every maintenance window (admin).
    #[oai(
        path = "/admin/maintenance-windows",
        method = "get",
        operation_id = "adminListMaintenanceWindows"
    )]
    async fn list_windows(
        &self,
        state: Data<&AppState>,
        auth: Auth,
    ) -> Outcome<WindowsResponse, { FORBIDDEN }> {
        auth.principal().require_admin()?;
        Ok(WindowsResponse::Ok(Json(
            state.store.list_maintenance_windows().await?,
        )))
    }

    /// Creates a maintenance window (admin).
    #[oai(
        path = "/admin/maintenance-windows",
        method = "post",
        operation_id = "adminCreateMaintenanceWindow"
    )]
    async fn create_window(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        body: JsonBody<MaintenanceWindowInput>,
    ) -> Outcome<WindowResponse, { FORBIDDEN | INVALID }> {
        auth.principal().require_admin()?;
        body.0
            .validate()
            .map_err(|errors| ApiError::Validation { errors })?;
        check_window_rollout(&state, &body.0, None).await?;
        let created = state.store.create_maintenance_window(&body.0).await?;
        state.maintenance.forget();
        Ok(WindowResponse::Created(Json(created)))
    }

    /// One maintenance window (admin).
    #[oai(
        path = "/admin/maintenance-windows/:id",
        method = "get",
        operation_id = "adminGetMaintenanceWindow"
    )]
    async fn get_window(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Outcome<WindowResponse, { FORBIDDEN | NOT_FOUND }> {
        auth.principal().require_admin()?;
        let found = state
            .store
            .get_maintenance_window(id.0)
            .await
            .map_err(missing("maintenance window"))?;
        Ok(WindowResponse::Ok(Json(found)))
    }

    /// Replaces a maintenance window (admin).
    #[oai(
        path = "/admin/maintenance-windows/:id",
        method = "put",
        operation_id = "adminReplaceMaintenanceWindow"
    )]
    async fn replace_window(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        id: Path<Uuid>,
        body: JsonBody<MaintenanceWindowInput>,
    ) -> Outcome<WindowResponse, { FORBIDDEN | NOT_FOUND | INVALID }> {
        auth.principal().require_admin()?;
        body.0
            .validate()
            .map_err(|errors| ApiError::Validation { errors })?;
        let kept = state
            .store
            .get_maintenance_window(id.0)
            .await
            .map_err(missing("maintenance window"))?
            .rollout_id;
        check_window_rollout(&state, &body.0, kept).await?;
        let updated = state
            .store
            .update_maintenance_window(id.0, &body.0)
            .await
            .map_err(missing("maintenance window"))?;
        state.maintenance.forget();
        Ok(WindowResponse::Ok(Json(updated)))
    }

    /// Deletes a maintenance window (admin).
    #[oai(
        path = "/admin/maintenance-windows/:id",
        method = "delete",
        operation_id = "adminDeleteMaintenanceWindow"
    )]
    async fn delete_window(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Outcome<DeletedResponse, { FORBIDDEN | NOT_FOUND }> {
        auth.principal().require_admin()?;
        state
            .store
            .delete_maintenance_window(id.0)
            .await
            .map_err(missing("maintenance window"))?;
        state.maintenance.forget();
        Ok(DeletedResponse::NoContent)
    }
}

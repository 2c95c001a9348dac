//! Announcements and maintenance windows. Inputs are validated by the caller
//! (`AnnouncementInput::validate`, `MaintenanceWindowInput::validate`).

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{StoreError, StoreResult, corrupt, now};
use crate::entity::{announcements, maintenance_windows};
use crate::resource::{
    Announcement, AnnouncementInput, AnnouncementType, MaintenanceWindow, MaintenanceWindowInput,
};
use crate::store::Store;

impl Store {
    pub async fn create_announcement(
        &self,
        input: &AnnouncementInput,
        created_by: Option<Uuid>,
    ) -> StoreResult<Announcement> {
        let announcement = Announcement {
            id: Uuid::new_v4(),
            type_: input.type_,
            title: input.title.clone(),
            message: input.message.clone(),
            start: input.start,
            end: input.end,
            created_at: now(),
        };
        announcements::Entity::insert(announcements::ActiveModel {
            id: Set(announcement.id),
            announcement_type: Set(input.type_.as_str().to_owned()),
            title: Set(input.title.clone()),
            message: Set(input.message.clone()),
            starts_at: Set(input.start),
            ends_at: Set(input.end),
            created_by: Set(created_by),
            created_at: Set(announcement.created_at),
        })
        .exec_without_returning(&self.db)
        .await?;
        // Read back so that the returned times are what the database kept (µs).
        self.get_announcement(announcement.id).await
    }

    pub async fn get_announcement(&self, id: Uuid) -> StoreResult<Announcement> {
        announcements::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)
            .and_then(row_to_announcement)
    }

    /// Replaces an announcement's content and period.
    pub async fn update_announcement(
        &self,
        id: Uuid,
        input: &AnnouncementInput,
    ) -> StoreResult<Announcement> {
        let result = announcements::Entity::update_many()
            .set(announcements::ActiveModel {
                announcement_type: Set(input.type_.as_str().to_owned()),
                title: Set(input.title.clone()),
                message: Set(input.message.clone()),
                starts_at: Set(input.start),
                ends_at: Set(input.end),
                ..Default::default()
            })
            .filter(announcements::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound);
        }
        self.get_announcement(id).await
    }

    pub async fn delete_announcement(&self, id: Uuid) -> StoreResult<()> {
        let result = announcements::Entity::delete_by_id(id)
            .exec(&self.db)
            .await?;
        if result.rows_affected == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// All announcements, latest start first.
    pub async fn list_announcements(&self) -> StoreResult<Vec<Announcement>> {
        announcements::Entity::find()
            .order_by_desc(announcements::Column::StartsAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row_to_announcement)
            .collect()
    }

    /// Announcements shown at `at` (start ≤ at < end), latest start first.
    pub async fn active_announcements(&self, at: DateTime<Utc>) -> StoreResult<Vec<Announcement>> {
        announcements::Entity::find()
            .filter(announcements::Column::StartsAt.lte(at))
            .filter(announcements::Column::EndsAt.gt(at))
            .order_by_desc(announcements::Column::StartsAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row_to_announcement)
            .collect()
    }

    pub async fn create_maintenance_window(
        &self,
        input: &MaintenanceWindowInput,
    ) -> StoreResult<MaintenanceWindow> {
        let id = Uuid::new_v4();
        maintenance_windows::Entity::insert(maintenance_windows::ActiveModel {
            id: Set(id),
            starts_at: Set(input.start),
            ends_at: Set(input.end),
            message: Set(input.message.clone()),
            rollout_id: Set(input.rollout_id),
            created_at: Set(now()),
            blocking: Set(input.blocking),
        })
        .exec_without_returning(&self.db)
        .await?;
        self.get_maintenance_window(id).await
    }

    pub async fn get_maintenance_window(&self, id: Uuid) -> StoreResult<MaintenanceWindow> {
        maintenance_windows::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(row_to_window)
            .ok_or(StoreError::NotFound)
    }

    pub async fn update_maintenance_window(
        &self,
        id: Uuid,
        input: &MaintenanceWindowInput,
    ) -> StoreResult<MaintenanceWindow> {
        let result = maintenance_windows::Entity::update_many()
            .set(maintenance_windows::ActiveModel {
                starts_at: Set(input.start),
                ends_at: Set(input.end),
                message: Set(input.message.clone()),
                rollout_id: Set(input.rollout_id),
                blocking: Set(input.blocking),
                ..Default::default()
            })
            .filter(maintenance_windows::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound);
        }
        self.get_maintenance_window(id).await
    }

    pub async fn delete_maintenance_window(&self, id: Uuid) -> StoreResult<()> {
        let result = maintenance_windows::Entity::delete_by_id(id)
            .exec(&self.db)
            .await?;
        if result.rows_affected == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// All windows, latest start first.
    pub async fn list_maintenance_windows(&self) -> StoreResult<Vec<MaintenanceWindow>> {
        Ok(maintenance_windows::Entity::find()
            .order_by_desc(maintenance_windows::Column::StartsAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row_to_window)
            .collect())
    }

    /// The window in force at `at`, if any (of overlapping ones, the one that started last).
    pub async fn active_maintenance_window(
        &self,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<MaintenanceWindow>> {
        Ok(maintenance_windows::Entity::find()
            .filter(maintenance_windows::Column::StartsAt.lte(at))
            .filter(maintenance_windows::Column::EndsAt.gt(at))
            .order_by_desc(maintenance_windows::Column::StartsAt)
            .one(&self.db)
            .await?
            .map(row_to_window))
    }

    /// The blocking window in force at `at`, if any (of overlapping ones, the one that ends
    /// last: how long writes stay refused).
    pub async fn blocking_maintenance_window(
        &self,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<MaintenanceWindow>> {
        Ok(maintenance_windows::Entity::find()
            .filter(maintenance_windows::Column::StartsAt.lte(at))
            .filter(maintenance_windows::Column::EndsAt.gt(at))
            .filter(maintenance_windows::Column::Blocking.eq(true))
            .order_by_desc(maintenance_windows::Column::EndsAt)
            .one(&self.db)
            .await?
            .map(row_to_window))
    }
}

fn row_to_announcement(row: announcements::Model) -> StoreResult<Announcement> {
    Ok(Announcement {
        type_: AnnouncementType::parse(&row.announcement_type)
            .ok_or_else(|| corrupt("announcements.type", &row.announcement_type))?,
        id: row.id,
        title: row.title,
        message: row.message,
        start: row.starts_at,
        end: row.ends_at,
        created_at: row.created_at,
    })
}

fn row_to_window(row: maintenance_windows::Model) -> MaintenanceWindow {
    MaintenanceWindow {
        id: row.id,
        start: row.starts_at,
        end: row.ends_at,
        message: row.message,
        rollout_id: row.rollout_id,
        created_at: row.created_at,
        blocking: row.blocking,
    }
}

//! Announcements, maintenance windows, rollouts and tenant secrets against the platform's
//! MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::collections::BTreeMap;

use chrono::Duration;
use common::TestDb;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{
    AdminSpec, AnnouncementInput, AnnouncementType, MaintenanceWindowInput, Resources,
    RolloutItemState, RolloutSelector, RolloutSpec, RolloutState, TenantSpec, TenantState,
};
use swarmpress_schema::store::{NewRolloutItem, StoreError, now};
use uuid::Uuid;

fn name(text: &str) -> TenantName {
    TenantName::parse(text).unwrap()
}

fn spec(replicas: u32) -> TenantSpec {
    TenantSpec {
        display_name: "S".into(),
        region: "eu-west".into(),
        state: TenantState::Running,
        replicas,
        resources: Resources::default(),
        env: BTreeMap::new(),
        image: None,
        admin: AdminSpec {
            user: "admin".into(),
            email: "a@b.test".into(),
        },
        path_prefix: None,
        restarted_at: None,
        rebuild_nonce: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn announcements_and_windows_are_active_within_their_period() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let t = now();
    let current = AnnouncementInput {
        type_: AnnouncementType::Maintenance,
        title: "Upgrade".into(),
        message: "WordPress 6.5 tonight".into(),
        start: t - Duration::hours(1),
        end: t + Duration::hours(1),
    };
    let future = AnnouncementInput {
        type_: AnnouncementType::Info,
        start: t + Duration::hours(2),
        end: t + Duration::hours(3),
        ..current.clone()
    };
    let a = store.create_announcement(&current, None).await.unwrap();
    let b = store
        .create_announcement(&future, Some(Uuid::new_v4()))
        .await
        .unwrap();
    assert_eq!(a.type_, AnnouncementType::Maintenance);
    assert_eq!(a.start, current.start);
    assert_eq!(
        store.active_announcements(t).await.unwrap(),
        std::slice::from_ref(&a)
    );
    assert_eq!(
        store.list_announcements().await.unwrap(),
        [b.clone(), a.clone()]
    );

    let edited = store
        .update_announcement(
            b.id,
            &AnnouncementInput {
                start: t - Duration::minutes(1),
                ..future.clone()
            },
        )
        .await
        .unwrap();
    assert!(edited.is_active(t));
    assert_eq!(store.active_announcements(t).await.unwrap().len(), 2);
    store.delete_announcement(a.id).await.unwrap();
    assert!(matches!(
        store.delete_announcement(a.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_announcement(a.id, &current).await,
        Err(StoreError::NotFound)
    ));

    assert!(store.active_maintenance_window(t).await.unwrap().is_none());
    let window = store
        .create_maintenance_window(&MaintenanceWindowInput {
            start: t - Duration::minutes(5),
            end: t + Duration::minutes(5),
            message: "Back soon".into(),
            rollout_id: None,
            blocking: false,
        })
        .await
        .unwrap();
    assert_eq!(
        store.active_maintenance_window(t).await.unwrap(),
        Some(window.clone())
    );
    assert!(
        store
            .blocking_maintenance_window(t)
            .await
            .unwrap()
            .is_none(),
        "a window that does not block"
    );
    let blocking = store
        .create_maintenance_window(&MaintenanceWindowInput {
            start: t - Duration::minutes(1),
            end: t + Duration::minutes(1),
            message: "Writes closed".into(),
            rollout_id: None,
            blocking: true,
        })
        .await
        .unwrap();
    assert!(blocking.blocking);
    assert_eq!(
        store.blocking_maintenance_window(t).await.unwrap(),
        Some(blocking.clone())
    );
    assert!(
        store
            .blocking_maintenance_window(t + Duration::minutes(2))
            .await
            .unwrap()
            .is_none(),
        "over once it ends"
    );
    store.delete_maintenance_window(blocking.id).await.unwrap();
    assert!(
        store
            .active_maintenance_window(t + Duration::minutes(10))
            .await
            .unwrap()
            .is_none()
    );
    let moved = store
        .update_maintenance_window(
            window.id,
            &MaintenanceWindowInput {
                start: t + Duration::hours(1),
                end: t + Duration::hours(2),
                message: "Later".into(),
                rollout_id: Some(Uuid::new_v4()),
                blocking: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.message, "Later");
    assert!(store.active_maintenance_window(t).await.unwrap().is_none());
    assert_eq!(store.list_maintenance_windows().await.unwrap(), [moved]);
    store.delete_maintenance_window(window.id).await.unwrap();
    assert!(store.list_maintenance_windows().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn rollouts_move_through_their_states_by_compare_and_swap() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let rollout_spec = RolloutSpec {
        image: "swarmpress/wordpress:6.5".into(),
        selector: RolloutSelector {
            all: true,
            ..RolloutSelector::default()
        },
        canary: 1,
        batch_size: 2,
        failure_budget: 0,
        health_timeout_seconds: 120,
        start_at: None,
        force_pull: false,
    };
    let created = store
        .create_rollout(Some("wp-6-5"), &rollout_spec, None)
        .await
        .unwrap();
    assert_eq!(created.state, RolloutState::Scheduled);
    assert_eq!(created.spec, rollout_spec);
    assert!(matches!(
        store
            .create_rollout(Some("wp-6-5"), &rollout_spec, None)
            .await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.get_rollout_by_name("wp-6-5").await.unwrap(), created);

    let mut bigger = rollout_spec.clone();
    bigger.batch_size = 5;
    let updated = store
        .update_rollout_spec(created.id, &bigger)
        .await
        .unwrap();
    assert_eq!(updated.spec.batch_size, 5);

    let items = [
        NewRolloutItem {
            tenant: name("canary"),
            from_image: None,
            to_image: bigger.image.clone(),
            batch: 0,
        },
        NewRolloutItem {
            tenant: name("second"),
            from_image: Some("swarmpress/wordpress:6.4".into()),
            to_image: bigger.image.clone(),
            batch: 1,
        },
    ];
    store.add_rollout_items(created.id, &items).await.unwrap();
    store.add_rollout_items(created.id, &items).await.unwrap();
    store.add_rollout_items(created.id, &[]).await.unwrap();

    let running = store
        .set_rollout_state(
            created.id,
            &[RolloutState::Scheduled],
            RolloutState::Running,
            None,
        )
        .await
        .unwrap();
    assert_eq!(running.items.len(), 2, "planning twice adds nothing");
    assert_eq!(running.items[0].tenant.as_str(), "canary");
    assert!(
        running
            .items
            .iter()
            .all(|i| i.state == RolloutItemState::Pending)
    );
    let counts = store.rollout_counts().await.unwrap();
    assert_eq!(counts.rollouts.get("running"), Some(&1));
    assert_eq!(counts.items.get("pending"), Some(&2));
    assert_eq!(store.list_unsettled_rollouts().await.unwrap().len(), 1);
    let started_at = running.started_at.unwrap();
    assert!(matches!(
        store.update_rollout_spec(created.id, &rollout_spec).await,
        Err(StoreError::InvalidTransition { .. })
    ));

    let item = store
        .update_rollout_item(
            created.id,
            &name("canary"),
            RolloutItemState::Updating,
            None,
        )
        .await
        .unwrap();
    assert!(item.started_at.is_some() && item.finished_at.is_none());
    let item = store
        .update_rollout_item(
            created.id,
            &name("canary"),
            RolloutItemState::Healthy,
            Some("Available"),
        )
        .await
        .unwrap();
    assert_eq!(item.reason.as_deref(), Some("Available"));
    assert!(item.finished_at.is_some());
    assert!(matches!(
        store
            .update_rollout_item(created.id, &name("absent"), RolloutItemState::Skipped, None)
            .await,
        Err(StoreError::NotFound)
    ));

    // Pause and resume keep the first start time.
    store
        .set_rollout_state(
            created.id,
            &[RolloutState::Running],
            RolloutState::Paused,
            Some("by admin"),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_rollout_state(created.id, &[RolloutState::Running], RolloutState::Completed, None)
            .await,
        Err(StoreError::InvalidTransition { from, .. }) if from == "paused"
    ));
    let resumed = store
        .set_rollout_state(
            created.id,
            &[RolloutState::Paused],
            RolloutState::Running,
            None,
        )
        .await
        .unwrap();
    assert_eq!(resumed.started_at, Some(started_at));
    assert_eq!(resumed.message.as_deref(), Some("by admin"));
    assert_eq!(
        store
            .list_rollouts_in(&[RolloutState::Running])
            .await
            .unwrap()
            .len(),
        1
    );
    let done = store
        .set_rollout_state(
            created.id,
            &[RolloutState::Running],
            RolloutState::Completed,
            Some("done"),
        )
        .await
        .unwrap();
    assert!(done.finished_at.is_some());
    assert!(
        store
            .list_rollouts_in(&[RolloutState::Running])
            .await
            .unwrap()
            .is_empty()
    );

    let unnamed = store
        .create_rollout(None, &rollout_spec, None)
        .await
        .unwrap();
    let all = store.list_rollouts().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, unnamed.id, "newest first");
    assert_eq!(all[1].items.len(), 2);
    assert!(matches!(
        store.get_rollout(Uuid::new_v4()).await,
        Err(StoreError::NotFound)
    ));
    let counts = store.rollout_counts().await.unwrap();
    assert_eq!(counts.rollouts.get("completed"), Some(&1));
    assert_eq!(counts.rollouts.get("scheduled"), Some(&1));
    assert!(
        counts.items.is_empty(),
        "items of finished rollouts are not counted: {counts:?}"
    );

    // An aborted rollout is the driver's business only while an item is left to settle.
    store
        .add_rollout_items(unnamed.id, &items[..1])
        .await
        .unwrap();
    store
        .set_rollout_state(
            unnamed.id,
            &[RolloutState::Scheduled],
            RolloutState::Aborted,
            None,
        )
        .await
        .unwrap();
    let unsettled = store.list_unsettled_rollouts().await.unwrap();
    assert_eq!(
        unsettled.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![unnamed.id]
    );
    store
        .update_rollout_item(unnamed.id, &name("canary"), RolloutItemState::Skipped, None)
        .await
        .unwrap();
    assert!(store.list_unsettled_rollouts().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_passwords_are_handed_over_with_the_tenant() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let owner = Uuid::new_v4();
    let tenant = store
        .create_tenant_with_admin_password(
            owner,
            &name("secretive"),
            BTreeMap::new(),
            spec(2),
            "pw-1",
        )
        .await
        .unwrap();
    let uid = tenant.metadata.uid;
    assert_eq!(
        store.tenant_admin_password(uid).await.unwrap().as_deref(),
        Some("pw-1")
    );

    // A failed create leaves no password behind.
    assert!(matches!(
        store
            .create_tenant_with_admin_password(
                owner,
                &name("secretive"),
                BTreeMap::new(),
                spec(1),
                "pw-2"
            )
            .await,
        Err(StoreError::AlreadyExists)
    ));
    store
        .create_tenant(owner, &name("plain"), BTreeMap::new(), spec(3))
        .await
        .unwrap();
    assert_eq!(store.sum_replicas(owner).await.unwrap(), 5);

    assert!(store.delete_tenant_admin_password(uid).await.unwrap());
    assert!(!store.delete_tenant_admin_password(uid).await.unwrap());
    assert!(store.tenant_admin_password(uid).await.unwrap().is_none());

    // Removing a tenant removes a password the controller never collected.
    let other = store
        .create_tenant_with_admin_password(
            owner,
            &name("gone-soon"),
            BTreeMap::new(),
            spec(1),
            "pw-3",
        )
        .await
        .unwrap();
    store.mark_deleted(&name("gone-soon")).await.unwrap();
    store.remove_tenant(&name("gone-soon")).await.unwrap();
    assert!(
        store
            .tenant_admin_password(other.metadata.uid)
            .await
            .unwrap()
            .is_none()
    );
}

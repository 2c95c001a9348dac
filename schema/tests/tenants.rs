//! The tenant store, its change feed, events and the leader lease against the platform's
//! real MariaDB, one fresh database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::TestDb;
use sea_orm::{ConnectionTrait, Statement};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{
    AdminSpec, ChangeType, ConditionStatus, ConditionType, EventType, Phase, Resources, Role,
    Tenant, TenantSpec, TenantState, TenantStatus,
};
use swarmpress_schema::store::{NewUser, StoreError, now};
use uuid::Uuid;

fn name(text: &str) -> TenantName {
    TenantName::parse(text).unwrap()
}

fn spec(display_name: &str) -> TenantSpec {
    TenantSpec {
        display_name: display_name.into(),
        region: "eu-west".into(),
        state: TenantState::Running,
        replicas: 1,
        resources: Resources::default(),
        env: BTreeMap::new(),
        image: None,
        admin: AdminSpec {
            user: "admin".into(),
            email: "admin@example.test".into(),
        },
        path_prefix: None,
        restarted_at: None,
        rebuild_nonce: None,
    }
}

fn rv(tenant: &Tenant) -> i64 {
    tenant.resource_version().unwrap()
}

async fn count_rows(db: &TestDb, table: &str) -> i64 {
    let connection = db.store.connection();
    let row = connection
        .query_one_raw(Statement::from_string(
            connection.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_run_twice_are_a_no_op() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let migrations = count_rows(&db, "seaql_migrations").await;
    let plans = count_rows(&db, "plans").await;
    assert!(migrations >= 4, "{migrations}");
    assert_eq!(plans, 10);
    let owner = Uuid::new_v4();
    db.store
        .create_tenant(owner, &name("before"), BTreeMap::new(), spec("B"))
        .await
        .unwrap();

    // Again, twice at once, as the API and the controller do on start.
    let (a, b) = tokio::join!(db.store.migrate(), db.store.migrate());
    a.unwrap();
    b.unwrap();
    db.store.migrate().await.unwrap();

    assert_eq!(count_rows(&db, "seaql_migrations").await, migrations);
    assert_eq!(count_rows(&db, "plans").await, plans);
    assert_eq!(db.store.current_resource_version().await.unwrap(), 1);
    assert_eq!(db.store.list_tenants(None, None).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_write_takes_a_new_version_and_appears_once_in_the_feed_in_order() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let owner = Uuid::new_v4();
    assert_eq!(store.current_resource_version().await.unwrap(), 0);

    let a = store
        .create_tenant(owner, &name("alpha"), BTreeMap::new(), spec("A"))
        .await
        .unwrap();
    let b = store
        .create_tenant(Uuid::new_v4(), &name("bravo"), BTreeMap::new(), spec("B"))
        .await
        .unwrap();
    assert_eq!(a.metadata.generation, 1);
    assert_eq!(a.status.phase, Phase::Pending);
    assert_eq!(a.metadata.owner, owner);
    assert_eq!(store.get_tenant(&name("alpha")).await.unwrap(), a);

    let a2 = store
        .replace_spec(
            &name("alpha"),
            spec("A2"),
            BTreeMap::new(),
            Some(&a.metadata.resource_version),
        )
        .await
        .unwrap();
    assert!(a2.changed);
    assert_eq!(a2.tenant.metadata.generation, 2);

    let mut status = TenantStatus {
        phase: Phase::Running,
        observed_generation: 1,
        ..TenantStatus::default()
    };
    status.set_condition(
        ConditionType::Available,
        ConditionStatus::True,
        "Up",
        "",
        now(),
    );
    let b2 = store.update_status(&name("bravo"), status).await.unwrap();
    assert!(b2.changed);
    assert_eq!(
        b2.tenant.metadata.generation, 1,
        "status writes keep the generation"
    );

    let a3 = store.mark_deleted(&name("alpha")).await.unwrap();
    assert!(a3.changed);
    assert!(a3.tenant.metadata.deletion_timestamp.is_some());
    assert_eq!(a3.tenant.status.phase, Phase::Deleting);
    let again = store.mark_deleted(&name("alpha")).await.unwrap();
    assert!(!again.changed);
    assert_eq!(again.tenant, a3.tenant);

    let a4 = store.remove_tenant(&name("alpha")).await.unwrap();
    assert!(matches!(
        store.get_tenant(&name("alpha")).await,
        Err(StoreError::NotFound)
    ));

    let written = [&a, &b, &a2.tenant, &b2.tenant, &a3.tenant, &a4];
    let versions: Vec<i64> = written.iter().map(|t| rv(t)).collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    assert_eq!(store.current_resource_version().await.unwrap(), versions[5]);

    let feed = store.changes_since(0, 100).await.unwrap();
    let feed_versions: Vec<i64> = feed.iter().map(|c| c.resource_version).collect();
    assert_eq!(feed_versions, versions);
    let types: Vec<ChangeType> = feed.iter().map(|c| c.change_type).collect();
    use ChangeType::*;
    assert_eq!(types, [Added, Added, Modified, Modified, Modified, Deleted]);
    for (change, tenant) in feed.iter().zip(written) {
        assert_eq!(
            &change.tenant, tenant,
            "the feed holds the object as written"
        );
        assert_eq!(rv(&change.tenant), change.resource_version);
    }

    // Resuming mid-way, with a limit, and per owner.
    let tail = store.changes_since(versions[2], 2).await.unwrap();
    assert_eq!(
        tail.iter().map(|c| c.resource_version).collect::<Vec<_>>(),
        &versions[3..5]
    );
    let mine = store.changes_since_for_owner(0, owner, 100).await.unwrap();
    assert_eq!(mine.len(), 4);
    assert!(
        store
            .changes_since(versions[5], 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replace_checks_the_version_and_bumps_generation_only_for_spec_changes() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let n = name("acme-blog");
    let created = store
        .create_tenant(Uuid::new_v4(), &n, BTreeMap::new(), spec("Acme"))
        .await
        .unwrap();
    let updated = store
        .replace_spec(&n, spec("Acme 2"), BTreeMap::new(), None)
        .await
        .unwrap()
        .tenant;
    let version_before = store.current_resource_version().await.unwrap();
    let feed_before = store.changes_since(0, 100).await.unwrap();

    let stale = store
        .replace_spec(
            &n,
            spec("Stale"),
            BTreeMap::new(),
            Some(&created.metadata.resource_version),
        )
        .await;
    match stale {
        Err(StoreError::Conflict {
            current_resource_version,
        }) => assert_eq!(current_resource_version, updated.metadata.resource_version),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let garbage = store
        .replace_spec(&n, spec("Stale"), BTreeMap::new(), Some("not-a-number"))
        .await;
    assert!(matches!(garbage, Err(StoreError::Conflict { .. })));
    assert_eq!(
        store.current_resource_version().await.unwrap(),
        version_before
    );
    assert_eq!(store.changes_since(0, 100).await.unwrap(), feed_before);
    assert_eq!(
        store.get_tenant(&n).await.unwrap(),
        updated,
        "nothing written"
    );

    // Same spec and labels: nothing written, no version taken.
    let same = store
        .replace_spec(&n, spec("Acme 2"), BTreeMap::new(), None)
        .await
        .unwrap();
    assert!(!same.changed);
    assert_eq!(
        store.current_resource_version().await.unwrap(),
        version_before
    );

    // Labels only: a new version but the same generation.
    let labels = BTreeMap::from([("team".to_owned(), "web".to_owned())]);
    let relabelled = store
        .replace_spec(&n, spec("Acme 2"), labels.clone(), None)
        .await
        .unwrap();
    assert!(relabelled.changed);
    assert_eq!(
        relabelled.tenant.metadata.generation,
        updated.metadata.generation
    );
    assert!(rv(&relabelled.tenant) > version_before);

    // Label selectors.
    let selector = [("team".to_owned(), "web".to_owned())];
    assert_eq!(
        store
            .list_tenants(None, Some(&selector))
            .await
            .unwrap()
            .len(),
        1
    );
    let other = [("team".to_owned(), "ops".to_owned())];
    assert!(
        store
            .list_tenants(None, Some(&other))
            .await
            .unwrap()
            .is_empty()
    );

    // Missing and terminating tenants.
    assert!(matches!(
        store
            .replace_spec(&name("nobody"), spec("x"), BTreeMap::new(), None)
            .await,
        Err(StoreError::NotFound)
    ));
    store.mark_deleted(&n).await.unwrap();
    assert!(matches!(
        store.replace_spec(&n, spec("x"), labels, None).await,
        Err(StoreError::Terminating)
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn unchanged_status_writes_nothing() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let n = name("steady");
    store
        .create_tenant(Uuid::new_v4(), &n, BTreeMap::new(), spec("S"))
        .await
        .unwrap();
    let mut status = TenantStatus {
        phase: Phase::Running,
        observed_generation: 1,
        url: Some("http://steady.localhost:8080/".into()),
        ..TenantStatus::default()
    };
    status.set_condition(
        ConditionType::Available,
        ConditionStatus::True,
        "Up",
        "ok",
        now(),
    );
    let first = store.update_status(&n, status.clone()).await.unwrap();
    assert!(first.changed);
    let version = store.current_resource_version().await.unwrap();
    let feed_len = store.changes_since(0, 100).await.unwrap().len();

    let second = store.update_status(&n, status.clone()).await.unwrap();
    assert!(!second.changed);
    assert_eq!(second.tenant, first.tenant);
    assert_eq!(store.current_resource_version().await.unwrap(), version);
    assert_eq!(store.changes_since(0, 100).await.unwrap().len(), feed_len);

    // Status round-trips exactly (timestamps at microsecond precision).
    assert_eq!(store.get_tenant(&n).await.unwrap().status, status);
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_appends_deleted_and_requires_a_deletion_request() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let n = name("short-lived");
    store
        .create_tenant(Uuid::new_v4(), &n, BTreeMap::new(), spec("S"))
        .await
        .unwrap();
    store
        .record_event(&n, EventType::Normal, "Created", "service created")
        .await
        .unwrap();
    let version = store.current_resource_version().await.unwrap();
    assert!(matches!(
        store.remove_tenant(&n).await,
        Err(StoreError::InvalidTransition { .. })
    ));
    assert_eq!(store.current_resource_version().await.unwrap(), version);

    let marked = store.mark_deleted(&n).await.unwrap().tenant;
    let removed = store.remove_tenant(&n).await.unwrap();
    assert_eq!(rv(&removed), rv(&marked) + 1);
    let last = store.changes_since(rv(&marked), 10).await.unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].change_type, ChangeType::Deleted);
    assert_eq!(last[0].tenant.metadata.uid, marked.metadata.uid);
    assert!(store.list_events(&n, 10).await.unwrap().is_empty());
    assert!(matches!(
        store.remove_tenant(&n).await,
        Err(StoreError::NotFound)
    ));

    // The name is free again, for a new incarnation.
    let again = store
        .create_tenant(Uuid::new_v4(), &n, BTreeMap::new(), spec("S2"))
        .await
        .unwrap();
    assert_ne!(again.metadata.uid, marked.metadata.uid);
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_create_is_refused_without_a_change_row() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let n = name("taken");
    let first = store
        .create_tenant(Uuid::new_v4(), &n, BTreeMap::new(), spec("First"))
        .await
        .unwrap();
    let duplicate = store
        .create_tenant(Uuid::new_v4(), &n, BTreeMap::new(), spec("Second"))
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::AlreadyExists)),
        "{duplicate:?}"
    );
    assert_eq!(store.changes_since(0, 100).await.unwrap().len(), 1);
    assert_eq!(store.current_resource_version().await.unwrap(), rv(&first));
    assert_eq!(store.get_tenant(&n).await.unwrap(), first);
}

#[tokio::test(flavor = "multi_thread")]
async fn events_are_folded_by_reason_and_message() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let n = name("eventful");
    let first = store
        .record_event(&n, EventType::Warning, "PullFailed", "image not found")
        .await
        .unwrap();
    assert_eq!(first.count, 1);
    tokio::time::sleep(Duration::from_millis(5)).await;
    store
        .record_event(&n, EventType::Normal, "Created", "service created")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let mut repeat = first.clone();
    for _ in 0..2 {
        repeat = store
            .record_event(&n, EventType::Warning, "PullFailed", "image not found")
            .await
            .unwrap();
    }
    assert_eq!(repeat.count, 3);
    assert_eq!(repeat.first_timestamp, first.first_timestamp);
    assert!(repeat.last_timestamp > first.last_timestamp);

    let events = store.list_events(&n, 10).await.unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0], repeat, "newest first");
    assert_eq!(events[1].reason, "Created");
    assert_eq!(store.list_events(&n, 1).await.unwrap().len(), 1);
    assert!(
        store
            .list_events(&name("other"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Concurrent repeats are all counted.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            let n = n.clone();
            tokio::spawn(async move {
                store
                    .record_event(&n, EventType::Normal, "Tick", "tick")
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let ticks = store.list_events(&n, 10).await.unwrap();
    assert_eq!(ticks.iter().find(|e| e.reason == "Tick").unwrap().count, 10);

    // Long text is cut to the column, and repeats of it still fold.
    let long = "é".repeat(600);
    let a = store
        .record_event(&n, EventType::Normal, "Long", &long)
        .await
        .unwrap();
    let b = store
        .record_event(&n, EventType::Normal, "Long", &long)
        .await
        .unwrap();
    assert_eq!(a.message.chars().count(), 512);
    assert_eq!(b.count, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lease_has_one_holder_until_it_expires() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let ttl = Duration::from_millis(800);

    let a = store
        .try_acquire_or_renew("controller", "a", ttl)
        .await
        .unwrap();
    assert!(a.leader);
    assert_eq!((a.holder.as_str(), a.epoch), ("a", 1));
    let b = store
        .try_acquire_or_renew("controller", "b", ttl)
        .await
        .unwrap();
    assert!(!b.leader);
    assert_eq!((b.holder.as_str(), b.epoch), ("a", 1));

    // Renewal keeps the epoch and pushes expiry out, so b keeps losing.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let renewed = store
            .try_acquire_or_renew("controller", "a", ttl)
            .await
            .unwrap();
        assert!(renewed.leader);
        assert_eq!(renewed.epoch, 1);
        assert!(renewed.expires_at >= a.expires_at);
        assert!(
            !store
                .try_acquire_or_renew("controller", "b", ttl)
                .await
                .unwrap()
                .leader
        );
    }

    // a stops renewing: after expiry b takes over with a new epoch, and a is out.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    let b = store
        .try_acquire_or_renew("controller", "b", ttl)
        .await
        .unwrap();
    assert!(b.leader);
    assert_eq!(b.epoch, 2);
    let a = store
        .try_acquire_or_renew("controller", "a", ttl)
        .await
        .unwrap();
    assert!(!a.leader);
    assert_eq!(a.holder, "b");

    // Release hands over at once, and the epoch keeps growing.
    assert!(!store.release("controller", "a").await.unwrap());
    assert!(store.release("controller", "b").await.unwrap());
    let a = store
        .try_acquire_or_renew("controller", "a", ttl)
        .await
        .unwrap();
    assert!(a.leader);
    assert_eq!(a.epoch, 3);

    // Leases are independent by name, and a race for a new one has exactly one winner.
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .try_acquire_or_renew("rollouts", &format!("r{i}"), ttl)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        let status = racer.await.unwrap();
        winners += usize::from(status.leader);
        assert_eq!(status.epoch, 1);
    }
    assert_eq!(winners, 1);
}

/// Ten creates of one owner at once with room for three: the count and the insert hold the
/// owner's row, so exactly three are stored and the others are refused with the quota.
#[tokio::test(flavor = "multi_thread")]
async fn creates_within_a_quota_are_serialized_per_owner() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let owner = db
        .store
        .create_user(NewUser {
            email: "quota@example.test".to_owned(),
            name: "Quota".to_owned(),
            password_hash: "not-a-real-hash".to_owned(),
            role: Role::User,
        })
        .await
        .unwrap()
        .id;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move {
                store
                    .create_tenant_within_quota(
                        owner,
                        &name(&format!("quota-{i}")),
                        BTreeMap::new(),
                        spec("Q"),
                        "admin-password",
                        Some(3),
                    )
                    .await
            })
        })
        .collect();
    let (mut created, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::QuotaExceeded { limit: 3 }) => refused += 1,
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!((created, refused), (3, 7));
    assert_eq!(db.store.count_tenants(owner).await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_creates_take_distinct_versions() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let owner = Uuid::new_v4();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move {
                store
                    .create_tenant(
                        owner,
                        &name(&format!("site-{i}")),
                        BTreeMap::new(),
                        spec("S"),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut versions = Vec::new();
    for task in tasks {
        versions.push(rv(&task.await.unwrap()));
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=20).collect::<Vec<i64>>());
    let feed = db.store.changes_since(0, 100).await.unwrap();
    assert_eq!(
        feed.iter().map(|c| c.resource_version).collect::<Vec<_>>(),
        versions
    );
    assert_eq!(db.store.count_tenants(owner).await.unwrap(), 20);
    assert_eq!(db.store.count_tenants(Uuid::new_v4()).await.unwrap(), 0);

    // More concurrent reads than the read lane has connections: the rest go through the
    // pool, and every one sees the same, whole tenant.
    let reads: Vec<_> = (0..40)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move { store.get_tenant(&name(&format!("site-{}", i % 20))).await })
        })
        .collect();
    for (i, read) in reads.into_iter().enumerate() {
        let tenant = read.await.unwrap().unwrap();
        assert_eq!(tenant.metadata.name.as_str(), format!("site-{}", i % 20));
        assert_eq!(tenant.metadata.owner, owner);
        assert_eq!(tenant.spec, spec("S"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshots_and_pruning() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let owner = Uuid::new_v4();
    for i in 0..3 {
        store
            .create_tenant(
                owner,
                &name(&format!("snap-{i}")),
                BTreeMap::new(),
                spec("S"),
            )
            .await
            .unwrap();
    }
    let (tenants, version) = store
        .list_tenants_snapshot(Some(owner), None)
        .await
        .unwrap();
    assert_eq!(tenants.len(), 3);
    assert_eq!(version, 3);
    assert_eq!(
        tenants
            .iter()
            .map(|t| t.metadata.name.as_str())
            .collect::<Vec<_>>(),
        ["snap-0", "snap-1", "snap-2"]
    );

    let pruned = store
        .prune_changes(now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(pruned, 2, "the newest entry is kept");
    assert!(matches!(
        store.changes_since(0, 10).await,
        Err(StoreError::Gone {
            requested: 0,
            oldest: 3
        })
    ));
    assert!(store.changes_since(2, 10).await.unwrap().len() == 1);
    assert!(store.changes_since(3, 10).await.unwrap().is_empty());
}

/// The pool skips its ping for a connection used moments ago, so a connection the server
/// dropped while it sat idle must still be noticed before it is handed out: the next reads
/// succeed on fresh connections instead of failing once per pooled connection.
#[tokio::test]
async fn a_connection_dropped_while_idle_is_replaced_before_use() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let absent = name("absent");
    assert!(matches!(
        db.store.get_tenant(&absent).await,
        Err(StoreError::NotFound)
    ));
    let admin = sea_orm::Database::connect(db.server_url()).await.unwrap();
    let rows = admin
        .query_all_raw(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::MySql,
            "SELECT CAST(ID AS SIGNED) AS id FROM information_schema.PROCESSLIST WHERE DB = ?",
            [db.name().into()],
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty(), "the store holds pooled connections");
    for row in rows {
        let id: i64 = row.try_get("", "id").unwrap();
        admin
            .execute_unprepared(&format!("KILL CONNECTION {id}"))
            .await
            .unwrap();
    }
    admin.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for _ in 0..3 {
        assert!(matches!(
            db.store.get_tenant(&absent).await,
            Err(StoreError::NotFound)
        ));
    }
}

/// Usage: storage is replaced by each measurement, traffic sums per month, conditions set by
/// the meter leave the rest of the status alone (and write nothing when unchanged), and all
/// of it goes with the tenant.
#[tokio::test(flavor = "multi_thread")]
async fn usage_is_measured_summed_per_month_and_goes_with_the_tenant() {
    use swarmpress_schema::resource::{AllocationState, MeasuredStorage};
    use swarmpress_schema::store::NewCondition;

    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let tenant = store
        .create_tenant(Uuid::new_v4(), &name("metered"), BTreeMap::new(), spec("M"))
        .await
        .unwrap();
    let fresh = store.tenant_usage(&tenant, now()).await.unwrap();
    assert_eq!(
        fresh.plan.as_deref(),
        Some("free"),
        "no subscription: the free plan"
    );
    assert_eq!(fresh.storage.measured_at, None);
    assert_eq!(fresh.storage.allocation_bytes, 1 << 30);
    assert_eq!(fresh.bandwidth.allocation_bytes, 10 << 30);

    let measured = |volume: u64| MeasuredStorage {
        volume_bytes: volume,
        database_bytes: 2 << 20,
        bucket_bytes: 1 << 20,
        measured_at: Some(now()),
    };
    store
        .record_storage(&tenant, measured(5 << 20))
        .await
        .unwrap();
    store
        .record_storage(&tenant, measured(900 << 20))
        .await
        .unwrap();
    let at = now();
    let last_month = at - chrono::Duration::days(40);
    store
        .add_bandwidth(tenant.metadata.uid, 1000, at)
        .await
        .unwrap();
    store
        .add_bandwidth(tenant.metadata.uid, 500, at)
        .await
        .unwrap();
    store
        .add_bandwidth(tenant.metadata.uid, 7, last_month)
        .await
        .unwrap();
    let usage = store.tenant_usage(&tenant, at).await.unwrap();
    assert_eq!(usage.storage.total_bytes, 903 << 20, "the last measurement");
    assert_eq!(
        usage.storage.state,
        AllocationState::NearLimit,
        "903 MiB of 1 GiB"
    );
    assert_eq!(usage.bandwidth.bytes, 1500, "this month's traffic sums");
    assert_eq!(usage.history.len(), 2);
    assert_eq!(usage.history[1].bytes, 7, "last month's, newest first");
    // The meter's pass reads every tenant at once and sees the same.
    let snapshot = store.usage_snapshot(at).await.unwrap();
    let seen = snapshot.usage_of(&tenant);
    assert_eq!(seen.storage, usage.storage);
    assert_eq!(seen.bandwidth, usage.bandwidth);
    assert_eq!(seen.plan.as_deref(), Some("free"));

    let warning = NewCondition {
        type_: ConditionType::StorageWithinAllocation,
        status: ConditionStatus::True,
        reason: "NearLimit".to_owned(),
        message: "uses 903 MiB".to_owned(),
    };
    let written = store
        .set_conditions(&tenant.metadata.name, std::slice::from_ref(&warning))
        .await
        .unwrap();
    assert!(written.changed);
    assert_eq!(written.tenant.spec, tenant.spec);
    assert!(rv(&written.tenant) > rv(&tenant));
    let again = store
        .set_conditions(&tenant.metadata.name, &[warning])
        .await
        .unwrap();
    assert!(!again.changed, "the same condition again writes nothing");
    let condition = again
        .tenant
        .status
        .condition(ConditionType::StorageWithinAllocation)
        .unwrap();
    assert_eq!(condition.reason, "NearLimit");

    store.mark_deleted(&tenant.metadata.name).await.unwrap();
    store.remove_tenant(&tenant.metadata.name).await.unwrap();
    assert_eq!(count_rows(&db, "tenant_usage").await, 0);
    assert_eq!(count_rows(&db, "tenant_bandwidth").await, 0);
}

//! Users, sessions, access tokens, plans and billing against the platform's MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use chrono::Duration;
use common::TestDb;
use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use swarmpress_schema::resource::{FeatureKind, InvoiceStatus, Plan, Role, SubscriptionStatus};
use swarmpress_schema::store::{NewUser, RefreshRotation, StoreError, now};
use uuid::Uuid;

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        name: "Ada".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::User,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn users_are_unique_by_email_without_regard_to_case() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    assert!(!store.any_admin_exists().await.unwrap());
    let user = store
        .create_user(new_user("ada@example.test"))
        .await
        .unwrap();
    assert_eq!(store.get_user(user.id).await.unwrap(), user);
    assert!(matches!(
        store.create_user(new_user("ADA@example.test")).await,
        Err(StoreError::AlreadyExists)
    ));
    let found = store
        .find_user_by_email("Ada@Example.Test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user, user);
    assert!(found.password_hash.starts_with("$argon2id$"));
    assert!(
        !format!("{found:?}").contains("argon2"),
        "Debug hides the hash"
    );
    assert!(
        store
            .find_user_by_email("nobody@x.test")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.get_user(Uuid::new_v4()).await,
        Err(StoreError::NotFound)
    ));

    let renamed = store
        .update_user(user.id, Some("Ada L.".into()), None)
        .await
        .unwrap();
    assert_eq!(renamed.name, "Ada L.");
    let other = store
        .create_user(new_user("bob@example.test"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .update_user(other.id, None, Some("ada@example.test".into()))
            .await,
        Err(StoreError::AlreadyExists)
    ));
    let admin = store.set_role(other.id, Role::Admin).await.unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert!(store.any_admin_exists().await.unwrap());
    assert_eq!(store.list_users().await.unwrap().len(), 2);

    // New users start on the free plan.
    let (subscription, plan) = store.current_subscription(user.id).await.unwrap();
    assert_eq!(plan.id, Plan::DEFAULT_ID);
    assert_eq!(subscription.status, SubscriptionStatus::Active);
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_families_rotate_and_detect_reuse() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let user = store.create_user(new_user("s@example.test")).await.unwrap();
    let expires = now() + Duration::days(7);
    let family = store
        .create_refresh_family(user.id, "jti-1", expires)
        .await
        .unwrap();
    assert!(store.refresh_family_active(family).await.unwrap());

    assert_eq!(
        store
            .rotate_refresh_family(family, "jti-1", "jti-2", expires)
            .await
            .unwrap(),
        RefreshRotation::Rotated { user_id: user.id }
    );
    // The old token again: reuse, and the family dies.
    assert_eq!(
        store
            .rotate_refresh_family(family, "jti-1", "jti-3", expires)
            .await
            .unwrap(),
        RefreshRotation::Reused { user_id: user.id }
    );
    assert!(!store.refresh_family_active(family).await.unwrap());
    assert_eq!(
        store
            .rotate_refresh_family(family, "jti-2", "jti-4", expires)
            .await
            .unwrap(),
        RefreshRotation::Invalid
    );
    assert_eq!(
        store
            .rotate_refresh_family(Uuid::new_v4(), "x", "y", expires)
            .await
            .unwrap(),
        RefreshRotation::Invalid
    );

    // However often it refreshes, a session ends 30 days after its login: a family created
    // 31 days ago rotates once more, to an expiry already past, and is then over.
    let old = store
        .create_refresh_family(user.id, "old-1", expires)
        .await
        .unwrap();
    let backend = store.connection().get_database_backend();
    store
        .connection()
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            "UPDATE refresh_token_families SET created_at = NOW(6) - INTERVAL 31 DAY WHERE id = ?",
            [old.into()],
        ))
        .await
        .unwrap();
    assert_eq!(
        store
            .rotate_refresh_family(old, "old-1", "old-2", expires)
            .await
            .unwrap(),
        RefreshRotation::Rotated { user_id: user.id }
    );
    assert!(!store.refresh_family_active(old).await.unwrap());

    // Two concurrent refreshes with the same token: exactly one rotates.
    let family = store
        .create_refresh_family(user.id, "a", expires)
        .await
        .unwrap();
    let (first, second) = tokio::join!(
        store.rotate_refresh_family(family, "a", "b1", expires),
        store.rotate_refresh_family(family, "a", "b2", expires),
    );
    let outcomes = [first.unwrap(), second.unwrap()];
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, RefreshRotation::Rotated { .. }))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");

    // Expired families are invalid; a password change revokes all but the kept one.
    let expired = store
        .create_refresh_family(user.id, "e", now() - Duration::seconds(1))
        .await
        .unwrap();
    assert!(!store.refresh_family_active(expired).await.unwrap());
    assert_eq!(
        store
            .rotate_refresh_family(expired, "e", "f", expires)
            .await
            .unwrap(),
        RefreshRotation::Invalid
    );
    let keep = store
        .create_refresh_family(user.id, "k", expires)
        .await
        .unwrap();
    let lose = store
        .create_refresh_family(user.id, "l", expires)
        .await
        .unwrap();
    store
        .create_access_token(
            user.id,
            "cli",
            "hash-of-a-token",
            "spat_abcd",
            None,
            swarmpress_schema::resource::TokenScope::Write,
        )
        .await
        .unwrap();
    let changed = store
        .set_password(user.id, "$argon2id$new", Some(keep))
        .await
        .unwrap();
    assert!(changed.password_changed_at > user.password_changed_at);
    assert!(
        store.list_access_tokens(user.id).await.unwrap().is_empty(),
        "a password change revokes every personal access token"
    );
    assert!(store.refresh_family_active(keep).await.unwrap());
    assert!(!store.refresh_family_active(lose).await.unwrap());
    assert_eq!(
        store
            .get_user_credentials(user.id)
            .await
            .unwrap()
            .password_hash,
        "$argon2id$new"
    );
    assert!(store.revoke_refresh_family(keep).await.unwrap());
    assert!(!store.revoke_refresh_family(keep).await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn access_tokens_authenticate_by_hash_until_they_expire() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let user = store.create_user(new_user("t@example.test")).await.unwrap();
    let other = store.create_user(new_user("u@example.test")).await.unwrap();
    let hash = "a".repeat(64);
    let token = store
        .create_access_token(
            user.id,
            "laptop",
            &hash,
            "swp_abcd",
            None,
            swarmpress_schema::resource::TokenScope::Read,
        )
        .await
        .unwrap();
    assert!(token.last_used_at.is_none());
    assert!(matches!(
        store
            .create_access_token(
                other.id,
                "dup",
                &hash,
                "swp_abcd",
                None,
                swarmpress_schema::resource::TokenScope::Write
            )
            .await,
        Err(StoreError::AlreadyExists)
    ));

    let (who, used) = store
        .authenticate_access_token(&hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who, user);
    assert!(used.last_used_at.is_some());
    assert_eq!(
        used.scope,
        swarmpress_schema::resource::TokenScope::Read,
        "the scope is kept"
    );
    assert_eq!(
        store.list_access_tokens(user.id).await.unwrap()[0].last_used_at,
        used.last_used_at
    );
    assert!(
        store
            .authenticate_access_token(&"b".repeat(64))
            .await
            .unwrap()
            .is_none()
    );

    let expired_hash = "c".repeat(64);
    store
        .create_access_token(
            user.id,
            "old",
            &expired_hash,
            "swp_old",
            Some(now() - Duration::seconds(1)),
            swarmpress_schema::resource::TokenScope::Write,
        )
        .await
        .unwrap();
    assert!(
        store
            .authenticate_access_token(&expired_hash)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.list_access_tokens(user.id).await.unwrap().len(), 2);

    // Only the owner can delete a token.
    assert!(matches!(
        store.delete_access_token(other.id, token.id).await,
        Err(StoreError::NotFound)
    ));
    store.delete_access_token(user.id, token.id).await.unwrap();
    assert!(
        store
            .authenticate_access_token(&hash)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_are_seeded_and_plan_changes_bill_once() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let plans = store.list_plans().await.unwrap();
    let summary: Vec<(&str, Option<u32>, u32)> = plans
        .iter()
        .map(|p| (p.id.as_str(), p.max_instances, p.max_replicas))
        .collect();
    assert_eq!(
        summary,
        [
            ("free", Some(1), 1),
            ("hobby", Some(2), 1),
            ("starter", Some(5), 2),
            ("starter-plus", Some(8), 2),
            ("professional", Some(15), 3),
            ("professional-plus", Some(25), 3),
            ("business", Some(50), 4),
            ("business-plus", Some(100), 4),
            ("agency", Some(200), 5),
            ("enterprise", None, 5),
        ]
    );
    assert!(
        plans
            .windows(2)
            .all(|w| w[0].price_cents < w[1].price_cents)
    );
    assert!(plans.iter().all(|p| !p.features.is_empty()));
    // Allocations are data: storage per site in MiB, traffic per site a month in GiB.
    let allocations: Vec<(&str, u32, u32)> = plans
        .iter()
        .map(|p| (p.id.as_str(), p.storage_mib, p.bandwidth_gib))
        .collect();
    assert_eq!(allocations[0], ("free", 1024, 10));
    assert_eq!(allocations[3], ("starter-plus", 20 * 1024, 250));
    assert!(
        allocations.windows(2).all(|w| w[0].2 <= w[1].2),
        "more traffic up the tiers: {allocations:?}"
    );
    let feature = |plan: &Plan, name: &str| {
        plan.feature_details
            .iter()
            .find(|f| f.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("{} has no {name}", plan.id))
    };
    let high = feature(&plans[7], "High Performance");
    assert_eq!(high.kind, FeatureKind::Measured);
    assert!(
        high.meaning.contains("8 GiB of memory per replica"),
        "{}",
        high.meaning
    );
    assert_eq!(
        feature(&plans[4], "Priority Support").kind,
        FeatureKind::Label
    );
    assert_eq!(
        feature(&plans[3], "More Bandwidth").kind,
        FeatureKind::Measured
    );
    assert_eq!(
        plans[0].php_workers_per_replica, 12,
        "512 MiB at 40 MiB a worker"
    );
    assert!(plans[9].allows_another_instance(1_000_000));
    assert!(!plans[0].allows_another_instance(1));

    let user = store.create_user(new_user("b@example.test")).await.unwrap();
    let starter = store.change_plan(user.id, "starter", None).await.unwrap();
    assert_eq!(starter.plan_id, "starter");
    let same = store.change_plan(user.id, "starter", None).await.unwrap();
    assert_eq!(same, starter, "the current plan again changes nothing");
    assert!(matches!(
        store.change_plan(user.id, "platinum", None).await,
        Err(StoreError::NotFound)
    ));
    store.change_plan(user.id, "free", None).await.unwrap();

    let invoices = store.list_invoices(user.id).await.unwrap();
    assert_eq!(invoices.len(), 1, "only the paid plan bills");
    assert_eq!(invoices[0].plan_id, "starter");
    assert_eq!(invoices[0].amount_cents, plans[2].price_cents);
    assert_eq!(invoices[0].status, InvoiceStatus::Open, "nothing was paid");
    assert!(invoices[0].period_end > invoices[0].period_start);

    let (current, plan) = store.current_subscription(user.id).await.unwrap();
    assert_eq!(plan.id, "free");
    assert_eq!(current.status, SubscriptionStatus::Active);
    assert_eq!(store.plan_of_user(user.id).await.unwrap().id, "free");
    assert_eq!(store.active_plan_ids().await.unwrap()[&user.id], "free");
    // A user nobody subscribed is on the default plan.
    assert_eq!(store.plan_of_user(Uuid::new_v4()).await.unwrap().id, "free");

    // A request waits; a newer one replaces it; approval makes it the active plan.
    let first = store.request_plan(user.id, "business").await.unwrap();
    assert_eq!(first.status, SubscriptionStatus::Pending);
    let request = store.request_plan(user.id, "starter").await.unwrap();
    assert_eq!(store.plan_of_user(user.id).await.unwrap().id, "free");
    assert_eq!(
        store
            .pending_plan_request(user.id)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(request.id)
    );
    assert!(
        !store
            .list_plan_requests()
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == first.id),
        "the replaced request is withdrawn"
    );
    assert!(matches!(
        store.decide_plan_request(first.id, true, None).await,
        Err(StoreError::NotFound)
    ));
    let approved = store
        .decide_plan_request(request.id, true, None)
        .await
        .unwrap();
    assert_eq!(approved.status, SubscriptionStatus::Active);
    assert_eq!(store.plan_of_user(user.id).await.unwrap().id, "starter");
    assert_eq!(store.pending_plan_request(user.id).await.unwrap(), None);
    assert!(matches!(
        store.decide_plan_request(request.id, true, None).await,
        Err(StoreError::NotFound)
    ));
    let refused = store.request_plan(user.id, "business").await.unwrap();
    let refused = store
        .decide_plan_request(refused.id, false, None)
        .await
        .unwrap();
    assert_eq!(refused.status, SubscriptionStatus::Refused);
    assert_eq!(store.plan_of_user(user.id).await.unwrap().id, "starter");
}

/// The shared login count: attempts within the limit pass, the next is refused with the time
/// left in the window, and a right password gives its attempt back.
#[tokio::test]
async fn login_attempts_are_counted_in_one_shared_window() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let window = std::time::Duration::from_secs(3600);
    let account = "f".repeat(64);
    for n in 0..3 {
        let taken = store.take_login_attempt(&account, window, 3).await.unwrap();
        assert_eq!(taken, Ok(()), "attempt {n}");
    }
    let refused = store.take_login_attempt(&account, window, 3).await.unwrap();
    let left = refused.expect_err("the fourth attempt is over the limit");
    assert!(left <= window && left > window / 2, "{left:?}");
    store.give_back_login_attempt(&account).await.unwrap();
    store.give_back_login_attempt(&account).await.unwrap();
    assert_eq!(
        store.take_login_attempt(&account, window, 3).await.unwrap(),
        Ok(())
    );
}

/// Rows of windows long gone are dropped when a new window starts, so the table holds only
/// recent attempts whatever the number of accounts ever tried.
#[tokio::test]
async fn old_login_attempts_are_forgotten() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let window = std::time::Duration::from_secs(3600);
    let stale = "a".repeat(64);
    let taken = store.take_login_attempt(&stale, window, 3).await.unwrap();
    assert_eq!(taken, Ok(()));
    let count = |key: String| async move {
        store
            .connection()
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::MySql,
                "SELECT COUNT(*) AS n FROM login_attempts WHERE account = ?",
                [key.into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    };
    store
        .connection()
        .execute_raw(Statement::from_string(
            DbBackend::MySql,
            "UPDATE login_attempts SET window_start = window_start - INTERVAL 2 DAY",
        ))
        .await
        .unwrap();
    let recent = "b".repeat(64);
    let taken = store.take_login_attempt(&recent, window, 3).await.unwrap();
    assert_eq!(taken, Ok(()));
    assert_eq!(count(stale).await, 0, "a row two days old is forgotten");
    assert_eq!(count(recent).await, 1);
}

/// Each billing period of a paid subscription is invoiced once, however many scheduler
/// passes run and however they overlap; free and ended subscriptions are not billed.
#[tokio::test(flavor = "multi_thread")]
async fn each_billing_period_is_invoiced_once() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let store = &db.store;
    let payer = store
        .create_user(new_user("pay@example.test"))
        .await
        .unwrap();
    let free = store
        .create_user(new_user("free@example.test"))
        .await
        .unwrap();
    let left = store
        .create_user(new_user("left@example.test"))
        .await
        .unwrap();
    store.change_plan(payer.id, "starter", None).await.unwrap();
    store.change_plan(left.id, "starter", None).await.unwrap();
    store.change_plan(left.id, "free", None).await.unwrap();
    let first = store.list_invoices(payer.id).await.unwrap();
    assert_eq!(first.len(), 1);

    assert!(
        store.issue_due_invoices(now()).await.unwrap().is_empty(),
        "the first month is billed by the change itself"
    );
    // Two months and a day on: the second and third months are due. Three passes at once
    // bill each period once.
    // (Months chained as the scheduler chains them: a month from the 31st is shorter.)
    let later = first[0]
        .period_end
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        + Duration::days(1);
    let (a, b, c) = tokio::join!(
        store.issue_due_invoices(later),
        store.issue_due_invoices(later),
        store.issue_due_invoices(later)
    );
    let issued = a.unwrap().len() + b.unwrap().len() + c.unwrap().len();
    assert_eq!(issued, 2);
    assert!(store.issue_due_invoices(later).await.unwrap().is_empty());

    let mut invoices = store.list_invoices(payer.id).await.unwrap();
    invoices.sort_by_key(|i| i.period_start);
    assert_eq!(invoices.len(), 3);
    for pair in invoices.windows(2) {
        assert_eq!(
            pair[0].period_end, pair[1].period_start,
            "periods follow each other"
        );
    }
    assert!(
        invoices
            .iter()
            .all(|i| i.status == InvoiceStatus::Open && i.paid_at.is_none())
    );
    assert!(invoices[2].period_start <= later && later < invoices[2].period_end);
    assert!(store.list_invoices(free.id).await.unwrap().is_empty());
    assert_eq!(
        store.list_invoices(left.id).await.unwrap().len(),
        1,
        "ended: no more"
    );

    // Paid once; paying again is refused.
    let admin = store
        .create_user(new_user("root@example.test"))
        .await
        .unwrap();
    let audit = swarmpress_schema::store::NewAuditEntry::on_user(
        &admin,
        swarmpress_schema::resource::AuditAction::InvoicePaid,
        &payer,
        None,
    );
    let paid = store
        .mark_invoice_paid(invoices[1].id, &audit)
        .await
        .unwrap();
    assert_eq!(paid.status, InvoiceStatus::Paid);
    assert!(paid.paid_at.is_some());
    assert_eq!(store.get_invoice(paid.id).await.unwrap(), paid);
    assert!(matches!(
        store.mark_invoice_paid(paid.id, &audit).await,
        Err(StoreError::InvalidTransition { .. })
    ));
    let (open, more) = store
        .invoices_page(None, 10, Some(InvoiceStatus::Open))
        .await
        .unwrap();
    assert!(!more);
    assert_eq!(
        open.len(),
        3,
        "the payer's two open ones and the leaver's first"
    );
    let (entries, _) = store.audit_page(None, 10, None).await.unwrap();
    assert_eq!(
        entries.len(),
        1,
        "the refused second payment recorded nothing"
    );
}

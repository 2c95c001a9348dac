//! The usage meter's pass over the real control-plane store and the platform's MariaDB,
//! engine and S3: each site gets its storage recorded and its allocation conditions; with S3
//! unreachable, storage is not measured (and says so) but the rest of the pass still runs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::collections::BTreeMap;

use common::memory_store::spec;
use swarmpress_controller::adapters::s3::TenantBuckets;
use swarmpress_controller::usage::Meter;
use swarmpress_schema::resource::{ConditionStatus, ConditionType};
use swarmpress_schema::store::Store;

/// No edge answers here: traffic metering finds nothing and the pass goes on.
const NO_EDGE: &str = "127.0.0.1:9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_records_storage_and_sets_conditions_and_survives_an_s3_outage() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let Some(database) = swarmpress_testkit::require(
        common::TestDatabase::create().await,
        "the platform's MariaDB",
    ) else {
        return;
    };
    let store = Store::connect(&database.url()).await.unwrap();
    store.migrate().await.unwrap();
    let owner = common::owner_on_plan(&store, "free").await;
    let name = common::unique_tenant("itusage");
    let tenant = store
        .create_tenant(owner, &name, BTreeMap::new(), spec("Metered"))
        .await
        .unwrap();
    let meter = |buckets: TenantBuckets| {
        Meter::new(
            store.clone(),
            platform.swarm.docker().clone(),
            platform.databases.clone(),
            buckets,
            None,
            NO_EDGE,
        )
        .unwrap()
    };

    // S3 unreachable: storage is not measured, the conditions that can be set still are.
    let mut down = platform.s3.clone();
    down.endpoint = "http://127.0.0.1:9".to_owned();
    let report = meter(TenantBuckets::new(down)).pass(true).await.unwrap();
    assert_eq!(report.sites, 1);
    assert!(!report.storage_measured, "S3 down: storage not measured");
    let seen = store.get_tenant(&name).await.unwrap();
    let bandwidth = seen
        .status
        .condition(ConditionType::BandwidthWithinAllocation)
        .expect("the traffic condition is set without S3");
    assert_eq!(bandwidth.status, ConditionStatus::True);
    assert!(
        seen.status
            .condition(ConditionType::StorageWithinAllocation)
            .is_none(),
        "no storage condition before a measurement"
    );

    // S3 back: measured (nothing yet: the site has no volume, database or bucket) and within.
    let report = meter(platform.buckets.clone()).pass(true).await.unwrap();
    assert!(report.storage_measured);
    let usage = store
        .tenant_usage(&tenant, swarmpress_schema::store::now())
        .await
        .unwrap();
    assert!(usage.storage.measured_at.is_some());
    assert_eq!(usage.storage.total_bytes, 0);
    let seen = store.get_tenant(&name).await.unwrap();
    let storage = seen
        .status
        .condition(ConditionType::StorageWithinAllocation)
        .unwrap();
    assert_eq!(
        (storage.status, storage.reason.as_str()),
        (ConditionStatus::True, "WithinAllocation")
    );
    // A second pass changes nothing: no new resourceVersion for an idle site.
    meter(platform.buckets.clone()).pass(true).await.unwrap();
    assert_eq!(
        store
            .get_tenant(&name)
            .await
            .unwrap()
            .metadata
            .resource_version,
        seen.metadata.resource_version
    );
}

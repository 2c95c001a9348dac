//! The invoicing scheduler as the controller runs it: a leader task over the real store,
//! billing each due period once however many instances run it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus::IntGauge;
use swarmpress_controller::billing::invoicing_task;
use swarmpress_controller::runtime::leader::{Elector, LeaseSettings};
use swarmpress_schema::store::Store;
use tokio_util::sync::CancellationToken;

/// Forty days on: the second month of a subscription started today is due.
fn forty_days_on() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::days(40)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_bills_each_due_period_once() {
    let Some(database) = swarmpress_testkit::require(
        common::TestDatabase::create().await,
        "the platform's MariaDB",
    ) else {
        return;
    };
    let store = Store::connect(&database.url()).await.unwrap();
    store.migrate().await.unwrap();
    let owner = common::owner_on_plan(&store, "starter").await;
    assert_eq!(store.list_invoices(owner).await.unwrap().len(), 1);

    // Two controllers; only the leader runs passes, a pass every 50 ms.
    let shutdown = CancellationToken::new();
    let electors: Vec<_> = ["billing-a", "billing-b"]
        .into_iter()
        .map(|holder| {
            let elector = Elector::new(
                store.clone(),
                LeaseSettings {
                    holder: holder.to_owned(),
                    ttl: Duration::from_secs(10),
                },
                IntGauge::new("leader", "test").unwrap(),
            )
            .with(invoicing_task(
                store.clone(),
                Duration::from_millis(50),
                forty_days_on,
            ));
            tokio::spawn(elector.run(shutdown.child_token()))
        })
        .collect();
    let invoices = common::eventually(
        "the second month's invoice",
        Duration::from_secs(30),
        || {
            let store = store.clone();
            async move {
                let invoices = store.list_invoices(owner).await.unwrap();
                (invoices.len() >= 2).then_some(invoices)
            }
        },
    )
    .await;
    // Nothing else is due by then: a pass of our own, racing the leader's, bills nothing.
    assert!(
        store
            .issue_due_invoices(forty_days_on())
            .await
            .unwrap()
            .is_empty()
    );
    shutdown.cancel();
    for elector in electors {
        elector.await.unwrap();
    }
    assert_eq!(invoices.len(), 2, "{invoices:?}");
    assert_eq!(store.list_invoices(owner).await.unwrap().len(), 2);
    assert_eq!(
        invoices[0].period_start, invoices[1].period_end,
        "newest first, back to back"
    );
}

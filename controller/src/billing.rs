//! The billing scheduler: while this instance leads, a pass every [`INVOICING_EVERY`] issues
//! the invoice of every billing period that has begun (`Store::issue_due_invoices`). The
//! store makes a pass safe to repeat or overlap (one invoice per subscription and period), so
//! a pass cut short by a lost term is simply run again by the next leader.

use std::time::Duration;

use chrono::{DateTime, Utc};
use swarmpress_schema::error_chain::ErrorChain;
use swarmpress_schema::store::Store;

use crate::runtime::leader::LeaderTask;

/// How often the scheduler looks for periods to bill: billing is monthly, so this only
/// bounds how late in its first hour a period's invoice appears.
pub const INVOICING_EVERY: Duration = Duration::from_secs(10 * 60);

/// The scheduler as a leader task; `clock` is the time passes bill up to (the wall clock,
/// but for tests).
pub fn invoicing_task(store: Store, every: Duration, clock: fn() -> DateTime<Utc>) -> LeaderTask {
    LeaderTask::new("invoicing", move |token| {
        let store = store.clone();
        async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = token.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                let pass = tokio::select! {
                    () = token.cancelled() => return,
                    pass = store.issue_due_invoices(clock()) => pass,
                };
                match pass {
                    Ok(issued) if issued.is_empty() => {}
                    Ok(issued) => tracing::info!(issued = issued.len(), "invoices issued"),
                    Err(error) => {
                        tracing::warn!(error = %ErrorChain(&error), "invoicing pass failed");
                    }
                }
            }
        }
    })
}

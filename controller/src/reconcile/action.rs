//! What the queue does with a tenant after a reconcile, and the pure choice of it from the
//! reconcile's facts.

use std::time::Duration;

use super::Settings;
use super::facts::Facts;
use super::service::Outcome;
use super::status::is_updating;

/// What the queue does with a tenant after a reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Reconcile again after this long, unless something triggers it sooner.
    Requeue(Duration),
    /// Reconcile again only when something triggers it.
    AwaitChange,
    /// Retry after the tenant's next backoff delay.
    Backoff,
}

impl Action {
    pub fn requeue(after: Duration) -> Self {
        Self::Requeue(after)
    }

    pub fn await_change() -> Self {
        Self::AwaitChange
    }
}

/// After a reconcile that got through every step: the periodic level check once the service
/// is the controller's, unchanged, not rolling and at its replicas; a quick look again while
/// anything is still converging.
pub fn after_converge(facts: &Facts, settings: &Settings) -> Action {
    let settled = match (facts.ensured(), &facts.tasks) {
        (Some((outcome, replicas)), Some(tasks)) => {
            tasks.labelled
                && outcome == Outcome::Unchanged
                && !is_updating(facts, tasks)
                && tasks.running == replicas
        }
        _ => false,
    };
    Action::requeue(if settled {
        settings.resync
    } else {
        settings.converging_requeue
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::facts::{ServiceFact, TaskFacts};

    fn settings() -> Settings {
        Settings {
            base_domain: "localhost".to_owned(),
            edge_port: 80,
            db_host_for_tenants: "mariadb".to_owned(),
            s3_endpoint_for_tenants: "http://s3:8333".to_owned(),
            default_image: "swarmpress/wordpress:latest".to_owned(),
            network_edge: "edge".to_owned(),
            network_data: "data".to_owned(),
            resync: Duration::from_secs(300),
            converging_requeue: Duration::from_secs(2),
            service_gone_timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn only_a_settled_service_waits_for_the_resync() {
        let settings = settings();
        let settled = TaskFacts {
            running: 2,
            labelled: true,
            ..TaskFacts::default()
        };
        // (outcome, replicas, tasks, settled)
        let cases = [
            (Outcome::Unchanged, 2, settled.clone(), true),
            (Outcome::Updated, 2, settled.clone(), false),
            (Outcome::Created, 2, settled.clone(), false),
            (Outcome::Unchanged, 3, settled.clone(), false),
            (
                Outcome::Unchanged,
                2,
                TaskFacts {
                    updating: true,
                    ..settled.clone()
                },
                false,
            ),
            (
                Outcome::Unchanged,
                2,
                TaskFacts {
                    labelled: false,
                    ..settled.clone()
                },
                false,
            ),
        ];
        for (outcome, replicas, tasks, want_settled) in cases {
            let facts = Facts {
                database: Some(Ok(())),
                bucket: Some(Ok(())),
                service: Some(ServiceFact::Ensured { outcome, replicas }),
                tasks: Some(tasks.clone()),
            };
            let want = if want_settled {
                settings.resync
            } else {
                settings.converging_requeue
            };
            assert_eq!(
                after_converge(&facts, &settings),
                Action::Requeue(want),
                "{outcome:?} {replicas} {tasks:?}"
            );
        }
        assert_eq!(
            after_converge(&Facts::default(), &settings),
            Action::Requeue(settings.converging_requeue)
        );
    }
}

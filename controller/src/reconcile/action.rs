//! What the queue does with a tenant after a reconcile, and the pure choice of it from the
//! reconcile's facts.

use std::time::Duration;

use super::Settings;
use super::admission::QUEUED_RECHECK;
use super::facts::{Facts, ServiceFact};
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

/// How soon a site whose tasks all run but which does not answer yet is asked again: the
/// time from a task's start to its first answer is most of a new site's wait.
pub const READINESS_REQUEUE: Duration = Duration::from_millis(200);

/// After a reconcile that got through every step: the periodic level check once the service
/// is the controller's, unchanged, not rolling, at its replicas and answering; a quick look
/// again while anything is still converging, quickest while only the answer is missing.
pub fn after_converge(facts: &Facts, settings: &Settings) -> Action {
    // Waiting for a start slot: the admission wakes the site when its turn comes; asking
    // again by itself is only the safety net.
    if matches!(facts.service, Some(ServiceFact::Queued(_))) {
        return Action::requeue(QUEUED_RECHECK.max(settings.converging_requeue));
    }
    // No node can run it: node events wake it; the resync is the safety net.
    if matches!(facts.service, Some(ServiceFact::Unschedulable(_))) {
        return Action::requeue(settings.resync);
    }
    let Some(((outcome, replicas), tasks)) = facts.ensured().zip(facts.tasks.as_ref()) else {
        return Action::requeue(settings.converging_requeue);
    };
    let answering = tasks.serving || replicas == 0;
    let settled = tasks.labelled
        && outcome == Outcome::Unchanged
        && !is_updating(facts, tasks)
        && tasks.running == replicas
        && answering;
    Action::requeue(if settled {
        settings.resync
    } else if tasks.running >= replicas && !answering {
        READINESS_REQUEUE.min(settings.converging_requeue)
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
            serving: true,
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
        // Waiting in line for a start slot: woken by the admission, so only the safety net.
        let queued = Facts {
            service: Some(ServiceFact::Queued("queued".to_owned())),
            ..Facts::default()
        };
        assert_eq!(
            after_converge(&queued, &settings),
            Action::Requeue(QUEUED_RECHECK)
        );
        // No node can run it: a node event wakes it, the resync is the safety net.
        let unschedulable = Facts {
            service: Some(ServiceFact::Unschedulable("no node".to_owned())),
            ..Facts::default()
        };
        assert_eq!(
            after_converge(&unschedulable, &settings),
            Action::Requeue(settings.resync)
        );
        // Every task runs but the site does not answer yet: asked again soon.
        let silent = Facts {
            service: Some(ServiceFact::Ensured {
                outcome: Outcome::Unchanged,
                replicas: 2,
            }),
            tasks: Some(TaskFacts {
                serving: false,
                ..settled.clone()
            }),
            ..Facts::default()
        };
        assert_eq!(
            after_converge(&silent, &settings),
            Action::Requeue(READINESS_REQUEUE)
        );
        // A stopped site has nothing to answer.
        let stopped = Facts {
            service: Some(ServiceFact::Ensured {
                outcome: Outcome::Unchanged,
                replicas: 0,
            }),
            tasks: Some(TaskFacts {
                running: 0,
                serving: false,
                ..settled
            }),
            ..Facts::default()
        };
        assert_eq!(
            after_converge(&stopped, &settings),
            Action::Requeue(settings.resync)
        );
    }
}

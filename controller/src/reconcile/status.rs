//! The tenant's status as a pure function of what this reconcile saw ([`Facts`]) and the
//! status before it: every condition set every time (`Unknown` when its fact was not
//! observed), reasons from one closed set, and the phase from the conditions' inputs.
//!
//! Nothing here touches Swarm, MariaDB, S3 or the store, so the whole table of cases is
//! unit-tested; [`super::report`] writes the result and its events.

use chrono::{DateTime, Utc};
use swarmpress_schema::resource::{
    ConditionStatus, ConditionType, Phase, Tenant, TenantState, TenantStatus,
};

use super::facts::{Facts, ServiceFact, TaskFacts};
use super::service::Outcome;

/// Why a condition has its status: the closed set of `reason` words the controller writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Database or bucket in place.
    Provisioned,
    /// The step failed; the message says how.
    Failed,
    /// The spec cannot be turned into a service.
    InvalidSpec,
    /// The spec asks more than its owner's plan allows: nothing is deployed for it.
    QuotaExceeded,
    /// Swarm rolled the last service update back.
    UpdateFailed,
    /// Waiting for a start slot: too many sites are starting at once.
    Queued,
    /// No node of the site's region takes tasks (none has joined, or all are drained or
    /// down): the site starts when one does.
    NoNodeInRegion,
    /// The service runs the current spec.
    Deployed,
    Installed,
    Installing,
    Stopped,
    MinimumReplicasAvailable,
    ReplicasUnavailable,
    /// The step that would have observed it did not run (an earlier step failed).
    NotObserved,
}

impl Reason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Provisioned => "Provisioned",
            Self::Failed => "Failed",
            Self::InvalidSpec => "InvalidSpec",
            Self::QuotaExceeded => "QuotaExceeded",
            Self::UpdateFailed => "UpdateFailed",
            Self::Queued => "Queued",
            Self::NoNodeInRegion => "NoNodeInRegion",
            Self::Deployed => "Deployed",
            Self::Installed => "Installed",
            Self::Installing => "Installing",
            Self::Stopped => "Stopped",
            Self::MinimumReplicasAvailable => "MinimumReplicasAvailable",
            Self::ReplicasUnavailable => "ReplicasUnavailable",
            Self::NotObserved => "NotObserved",
        }
    }
}

/// How the reconcile ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending<'a> {
    /// Every step ran: this generation has been seen.
    Converged,
    /// A step failed with `message`; `permanent` when a retry cannot help.
    Failed { message: &'a str, permanent: bool },
}

/// One condition's value.
struct Value {
    status: ConditionStatus,
    reason: Reason,
    message: String,
}

impl Value {
    fn new(status: ConditionStatus, reason: Reason, message: impl Into<String>) -> Self {
        Self {
            status,
            reason,
            message: message.into(),
        }
    }

    fn not_observed() -> Self {
        Self::new(
            ConditionStatus::Unknown,
            Reason::NotObserved,
            "not observed: an earlier step failed",
        )
    }
}

/// The status after a reconcile of `tenant` that saw `facts` and ended as `ending`.
pub fn compute(
    tenant: &Tenant,
    facts: &Facts,
    ending: Ending<'_>,
    url: String,
    now: DateTime<Utc>,
) -> TenantStatus {
    let previous = &tenant.status;
    let mut next = previous.clone();
    next.url = Some(url);
    let installed_before = previous.is_true(ConditionType::Installed);
    let observed = observed_service(facts);
    let conditions = [
        (
            ConditionType::DatabaseReady,
            step(&facts.database, "database and user exist"),
        ),
        (
            ConditionType::BucketReady,
            step(&facts.bucket, "bucket exists and takes writes"),
        ),
        (ConditionType::ServiceReady, service_ready(facts)),
        (
            ConditionType::Installed,
            installed(installed_before, observed.map(|(t, _)| t)),
        ),
        (ConditionType::Available, available(tenant, observed)),
    ];
    for (type_, value) in conditions {
        next.set_condition(
            type_,
            value.status,
            value.reason.as_str(),
            value.message,
            now,
        );
    }
    if let Some((tasks, replicas)) = observed {
        next.replicas.desired = replicas;
        next.replicas.running = tasks.ready();
        next.image = tasks.image.clone();
        next.nodes = tasks.nodes.clone();
    }
    match ending {
        Ending::Converged => {
            next.observed_generation = tenant.metadata.generation;
            match observed {
                Some((tasks, replicas)) => {
                    let stopped = tenant.spec.state == TenantState::Stopped;
                    let updating = is_updating(facts, tasks);
                    next.phase = phase(stopped, installed_before, tasks, replicas, updating);
                    let available = next.is_true(ConditionType::Available);
                    next.message = if available || (stopped && tasks.running == 0) {
                        None
                    } else {
                        tasks.task_message.clone()
                    };
                }
                None => match &facts.service {
                    // Nothing can run it: it stays Pending (the phase of a site nothing runs
                    // yet), whatever it was, until a node of its region takes tasks.
                    Some(ServiceFact::Unschedulable(message)) => {
                        next.phase = Phase::Pending;
                        next.replicas.running = 0;
                        next.nodes.clear();
                        next.message = Some(message.clone());
                    }
                    Some(ServiceFact::Queued(message)) => {
                        next.phase = started(previous.phase);
                        next.message = Some(message.clone());
                    }
                    _ => next.phase = started(previous.phase),
                },
            }
        }
        Ending::Failed { message, permanent } => {
            next.phase = if permanent {
                Phase::Failed
            } else {
                started(previous.phase)
            };
            next.message = Some(message.to_owned());
        }
    }
    next
}

/// A tenant's first reconcile moves it out of `Pending`.
fn started(phase: Phase) -> Phase {
    if phase == Phase::Pending {
        Phase::Provisioning
    } else {
        phase
    }
}

/// The service's tasks and its desired replicas, when the service step got through and its
/// tasks were looked at afterwards.
fn observed_service(facts: &Facts) -> Option<(&TaskFacts, u32)> {
    let (_, replicas) = facts.ensured()?;
    Some((facts.tasks.as_ref()?, replicas))
}

/// Swarm is (or is about to be) replacing tasks: this reconcile changed the service, or an
/// update is still rolling.
pub fn is_updating(facts: &Facts, tasks: &TaskFacts) -> bool {
    facts
        .ensured()
        .is_some_and(|(outcome, _)| outcome != Outcome::Unchanged)
        || tasks.updating
}

fn step(fact: &Option<Result<(), String>>, done: &str) -> Value {
    match fact {
        None => Value::not_observed(),
        Some(Ok(())) => Value::new(ConditionStatus::True, Reason::Provisioned, done),
        Some(Err(error)) => Value::new(ConditionStatus::False, Reason::Failed, error.clone()),
    }
}

fn service_ready(facts: &Facts) -> Value {
    match (&facts.service, &facts.tasks) {
        (Some(ServiceFact::InvalidSpec(error)), _) => {
            Value::new(ConditionStatus::False, Reason::InvalidSpec, error.clone())
        }
        (Some(ServiceFact::OverPlan(message)), _) => Value::new(
            ConditionStatus::False,
            Reason::QuotaExceeded,
            message.clone(),
        ),
        (Some(ServiceFact::Failed(error)), _) => {
            Value::new(ConditionStatus::False, Reason::Failed, error.clone())
        }
        (Some(ServiceFact::Queued(message)), _) => {
            Value::new(ConditionStatus::False, Reason::Queued, message.clone())
        }
        (Some(ServiceFact::Unschedulable(message)), _) => Value::new(
            ConditionStatus::False,
            Reason::NoNodeInRegion,
            message.clone(),
        ),
        (Some(ServiceFact::Ensured { .. }), Some(tasks)) if tasks.update_failed => Value::new(
            ConditionStatus::False,
            Reason::UpdateFailed,
            "the last service update did not come up and was rolled back",
        ),
        (Some(ServiceFact::Ensured { .. }), Some(_)) => Value::new(
            ConditionStatus::True,
            Reason::Deployed,
            "the service runs the current spec",
        ),
        (None, _) | (Some(ServiceFact::Ensured { .. }), None) => Value::not_observed(),
    }
}

/// Installed is for good once the site answered: a stopped or failing site is still an
/// installed one.
fn installed(before: bool, tasks: Option<&TaskFacts>) -> Value {
    let installed = || {
        Value::new(
            ConditionStatus::True,
            Reason::Installed,
            "WordPress is installed",
        )
    };
    match tasks {
        _ if before => installed(),
        Some(tasks) if tasks.ready() > 0 => installed(),
        Some(_) => Value::new(
            ConditionStatus::False,
            Reason::Installing,
            "waiting for the site to answer for the first time",
        ),
        None => Value::not_observed(),
    }
}

fn available(tenant: &Tenant, observed: Option<(&TaskFacts, u32)>) -> Value {
    let Some((tasks, replicas)) = observed else {
        return Value::not_observed();
    };
    let running = tasks.ready();
    if tenant.spec.state == TenantState::Stopped {
        return Value::new(
            ConditionStatus::False,
            Reason::Stopped,
            "the site is stopped",
        );
    }
    let mut message = format!("{running}/{replicas} replicas running");
    if tasks.running > 0 && !tasks.serving {
        message = format!(
            "{}/{replicas} replicas started; waiting for the site to answer",
            tasks.running
        );
    }
    if running >= replicas && replicas > 0 {
        Value::new(
            ConditionStatus::True,
            Reason::MinimumReplicasAvailable,
            message,
        )
    } else {
        Value::new(ConditionStatus::False, Reason::ReplicasUnavailable, message)
    }
}

/// The phase ladder of a reconcile that got through every step.
fn phase(
    stopped: bool,
    installed_before: bool,
    tasks: &TaskFacts,
    replicas: u32,
    updating: bool,
) -> Phase {
    let running = tasks.ready();
    let available = !stopped && running >= replicas && replicas > 0;
    let installed = running > 0 || installed_before;
    if stopped {
        // Stopped once no container runs, answering or not.
        if tasks.running == 0 {
            Phase::Stopped
        } else {
            Phase::Updating
        }
    } else if tasks.update_failed {
        Phase::Degraded
    } else if available && !updating {
        Phase::Running
    } else if !installed {
        Phase::Provisioning
    } else if updating {
        Phase::Updating
    } else if running < replicas {
        Phase::Degraded
    } else {
        Phase::Running
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use swarmpress_schema::TenantName;
    use swarmpress_schema::resource::{Condition, ObjectMeta, TenantSpec};

    use crate::store::memory::example_spec;

    use super::*;

    fn tenant(state: TenantState, installed: bool, phase: Phase) -> Tenant {
        let mut status = TenantStatus {
            phase,
            ..TenantStatus::default()
        };
        if installed {
            status.set_condition(
                ConditionType::Installed,
                ConditionStatus::True,
                "Installed",
                "WordPress is installed",
                Utc::now(),
            );
        }
        Tenant {
            api_version: "swarmpress.io/v1".to_owned(),
            kind: "Tenant".to_owned(),
            metadata: ObjectMeta {
                name: TenantName::parse("acme").unwrap(),
                uid: uuid::Uuid::new_v4(),
                owner: uuid::Uuid::nil(),
                labels: BTreeMap::new(),
                generation: 3,
                resource_version: "7".to_owned(),
                creation_timestamp: Utc::now(),
                deletion_timestamp: None,
            },
            spec: TenantSpec {
                state,
                ..example_spec("Acme")
            },
            status,
        }
    }

    fn converged(outcome: Outcome, replicas: u32, tasks: TaskFacts) -> Facts {
        Facts {
            database: Some(Ok(())),
            bucket: Some(Ok(())),
            service: Some(ServiceFact::Ensured { outcome, replicas }),
            tasks: Some(tasks),
        }
    }

    fn tasks(running: u32) -> TaskFacts {
        TaskFacts {
            running,
            serving: running > 0,
            labelled: true,
            task_message: Some("starting".to_owned()),
            ..TaskFacts::default()
        }
    }

    fn of(status: &TenantStatus, type_: ConditionType) -> (ConditionStatus, String) {
        let condition: &Condition = status.condition(type_).unwrap();
        (condition.status, condition.reason.clone())
    }

    const URL: &str = "http://acme.localhost/";

    #[test]
    fn the_phase_ladder() {
        use Outcome::{Created, Unchanged, Updated};
        use TenantState::{Running, Stopped};
        let updating = TaskFacts {
            updating: true,
            ..tasks(2)
        };
        let rolled_back = TaskFacts {
            update_failed: true,
            ..tasks(2)
        };
        // Containers started, the site not answering through the edge yet.
        let silent = TaskFacts {
            serving: false,
            ..tasks(2)
        };
        // (spec state, installed before, outcome, replicas, tasks, phase, Available)
        let cases = [
            (
                Running,
                false,
                Created,
                2,
                tasks(0),
                Phase::Provisioning,
                false,
            ),
            (
                Running,
                false,
                Unchanged,
                2,
                tasks(1),
                Phase::Degraded,
                false,
            ),
            (Running, false, Unchanged, 2, tasks(2), Phase::Running, true),
            (
                Running,
                false,
                Unchanged,
                2,
                silent.clone(),
                Phase::Provisioning,
                false,
            ),
            (
                Running,
                true,
                Unchanged,
                2,
                silent.clone(),
                Phase::Degraded,
                false,
            ),
            (Stopped, true, Unchanged, 0, silent, Phase::Updating, false),
            (Running, true, Updated, 2, tasks(2), Phase::Updating, true),
            (
                Running,
                true,
                Unchanged,
                2,
                updating.clone(),
                Phase::Updating,
                true,
            ),
            (
                Running,
                true,
                Unchanged,
                2,
                tasks(1),
                Phase::Degraded,
                false,
            ),
            (
                Running,
                true,
                Unchanged,
                2,
                tasks(0),
                Phase::Degraded,
                false,
            ),
            (
                Running,
                true,
                Unchanged,
                2,
                rolled_back,
                Phase::Degraded,
                true,
            ),
            (Running, true, Unchanged, 0, tasks(0), Phase::Running, false),
            (Stopped, true, Updated, 0, tasks(1), Phase::Updating, false),
            (Stopped, true, Unchanged, 0, tasks(0), Phase::Stopped, false),
        ];
        for (state, installed, outcome, replicas, facts, phase, available) in cases {
            let case = format!("{state:?} {installed} {outcome:?} {replicas} {facts:?}");
            let tenant = tenant(state, installed, Phase::Running);
            let started = facts.running;
            let facts = converged(outcome, replicas, facts);
            let status = compute(
                &tenant,
                &facts,
                Ending::Converged,
                URL.to_owned(),
                Utc::now(),
            );
            assert_eq!(status.phase, phase, "{case}");
            assert_eq!(
                status.is_true(ConditionType::Available),
                available,
                "{case}"
            );
            assert_eq!(status.observed_generation, 3, "{case}");
            assert_eq!(status.replicas.desired, replicas, "{case}");
            for type_ in [
                ConditionType::DatabaseReady,
                ConditionType::BucketReady,
                ConditionType::Installed,
            ] {
                let installed_now = installed || status.replicas.running > 0;
                let want = type_ != ConditionType::Installed || installed_now;
                assert_eq!(status.is_true(type_), want, "{type_:?} {case}");
            }
            let message_expected = !(available || (state == Stopped && started == 0));
            assert_eq!(status.message.is_some(), message_expected, "{case}");
        }
    }

    #[test]
    fn a_failed_step_leaves_what_it_did_not_observe_unknown() {
        use ConditionStatus::{False, True, Unknown};
        let bucket_failed = Facts {
            database: Some(Ok(())),
            bucket: Some(Err("S3 is down".to_owned())),
            ..Facts::default()
        };
        let invalid = Facts {
            service: Some(ServiceFact::InvalidSpec(
                "memory is out of range".to_owned(),
            )),
            tasks: None,
            ..converged(Outcome::Unchanged, 1, tasks(1))
        };
        let update_failed = Facts {
            service: Some(ServiceFact::Failed("swarm refused".to_owned())),
            tasks: None,
            ..converged(Outcome::Unchanged, 1, tasks(1))
        };
        // (facts, permanent, [database, bucket, service, installed, available], phase)
        let cases = [
            (
                Facts::default(),
                false,
                [Unknown, Unknown, Unknown, Unknown, Unknown],
                Phase::Provisioning,
            ),
            (
                bucket_failed,
                false,
                [True, False, Unknown, Unknown, Unknown],
                Phase::Provisioning,
            ),
            (
                invalid,
                true,
                [True, True, False, Unknown, Unknown],
                Phase::Failed,
            ),
            (
                update_failed,
                false,
                [True, True, False, Unknown, Unknown],
                Phase::Provisioning,
            ),
        ];
        for (facts, permanent, want, phase) in cases {
            let tenant = tenant(TenantState::Running, false, Phase::Pending);
            let ending = Ending::Failed {
                message: "it failed",
                permanent,
            };
            let status = compute(&tenant, &facts, ending, URL.to_owned(), Utc::now());
            let got = [
                ConditionType::DatabaseReady,
                ConditionType::BucketReady,
                ConditionType::ServiceReady,
                ConditionType::Installed,
                ConditionType::Available,
            ]
            .map(|type_| of(&status, type_).0);
            assert_eq!(got, want, "{facts:?}");
            assert_eq!(status.phase, phase, "{facts:?}");
            assert_eq!(
                status.observed_generation, 0,
                "a failed run has not seen it"
            );
            assert_eq!(status.message.as_deref(), Some("it failed"));
        }
    }

    #[test]
    fn reasons_come_from_the_closed_set() {
        let failed = Facts {
            service: Some(ServiceFact::InvalidSpec("bad".to_owned())),
            tasks: None,
            ..converged(Outcome::Unchanged, 1, tasks(1))
        };
        let tenant = tenant(TenantState::Running, true, Phase::Running);
        let ending = Ending::Failed {
            message: "bad",
            permanent: true,
        };
        let status = compute(&tenant, &failed, ending, URL.to_owned(), Utc::now());
        assert_eq!(of(&status, ConditionType::ServiceReady).1, "InvalidSpec");
        assert_eq!(of(&status, ConditionType::DatabaseReady).1, "Provisioned");
        // Installed holds once it was true, whatever this run saw.
        assert_eq!(of(&status, ConditionType::Installed).1, "Installed");
        assert_eq!(of(&status, ConditionType::Available).1, "NotObserved");
    }

    #[test]
    fn a_spec_over_the_plan_says_so_and_is_not_deployed() {
        let over = Facts {
            service: Some(ServiceFact::OverPlan(
                "the Free plan allows at most 0.5 CPU per replica".to_owned(),
            )),
            tasks: None,
            ..converged(Outcome::Unchanged, 1, tasks(1))
        };
        let tenant = tenant(TenantState::Running, false, Phase::Pending);
        let ending = Ending::Failed {
            message: "over the plan",
            permanent: true,
        };
        let status = compute(&tenant, &over, ending, URL.to_owned(), Utc::now());
        let condition = status.condition(ConditionType::ServiceReady).unwrap();
        assert_eq!(condition.status, ConditionStatus::False);
        assert_eq!(condition.reason, "QuotaExceeded");
        assert!(
            condition.message.contains("0.5 CPU"),
            "{}",
            condition.message
        );
    }

    #[test]
    fn a_queued_site_says_it_waits_for_a_start_slot() {
        let queued = Facts {
            service: Some(ServiceFact::Queued(
                "queued: 4 sites are starting (at most 4 at once)".to_owned(),
            )),
            ..converged(Outcome::Unchanged, 1, tasks(0))
        };
        let tenant = tenant(TenantState::Running, false, Phase::Pending);
        let status = compute(
            &tenant,
            &queued,
            Ending::Converged,
            URL.to_owned(),
            Utc::now(),
        );
        assert_eq!(status.phase, Phase::Provisioning);
        let condition = status.condition(ConditionType::ServiceReady).unwrap();
        assert_eq!(condition.status, ConditionStatus::False);
        assert_eq!(condition.reason, "Queued");
        assert_eq!(
            status.message.as_deref(),
            Some("queued: 4 sites are starting (at most 4 at once)")
        );
        assert_eq!(of(&status, ConditionType::Available).1, "NotObserved");
    }

    #[test]
    fn a_site_no_node_can_run_is_pending_and_says_why_even_after_it_ran() {
        let message = "no active node in region us-east: the site starts when one is there";
        let facts = Facts {
            service: Some(ServiceFact::Unschedulable(message.to_owned())),
            ..converged(Outcome::Unchanged, 1, tasks(0))
        };
        for before in [Phase::Pending, Phase::Running] {
            let mut tenant = tenant(TenantState::Running, before == Phase::Running, before);
            tenant.status.nodes = vec!["gone".to_owned()];
            tenant.status.replicas.running = 1;
            let status = compute(
                &tenant,
                &facts,
                Ending::Converged,
                URL.to_owned(),
                Utc::now(),
            );
            assert_eq!(status.phase, Phase::Pending, "from {before:?}");
            let condition = status.condition(ConditionType::ServiceReady).unwrap();
            assert_eq!(condition.status, ConditionStatus::False);
            assert_eq!(condition.reason, "NoNodeInRegion");
            assert_eq!(status.message.as_deref(), Some(message));
            assert_eq!(status.replicas.running, 0);
            assert!(status.nodes.is_empty());
        }
    }

    #[test]
    fn an_unchanged_world_computes_an_unchanged_status() {
        let tenant = tenant(TenantState::Running, true, Phase::Running);
        let facts = converged(Outcome::Unchanged, 2, tasks(2));
        let first = compute(
            &tenant,
            &facts,
            Ending::Converged,
            URL.to_owned(),
            Utc::now(),
        );
        let again = Tenant {
            status: first.clone(),
            ..tenant
        };
        let later = Utc::now() + chrono::Duration::seconds(30);
        let second = compute(&again, &facts, Ending::Converged, URL.to_owned(), later);
        assert_eq!(first, second, "no write, no events for a no-op reconcile");
    }
}

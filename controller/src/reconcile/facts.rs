//! What one reconcile saw, step by step: the input of the pure [`super::status`] and
//! [`super::action`] computations.
//!
//! A fact is `None` when its step did not run (an earlier step failed). The status then says
//! `Unknown` for what depends on it instead of repeating what an older reconcile saw
//! (cluster-api's rule: every condition is always set, and set only from this run's facts).

use super::service::Outcome;

/// The facts of one forward reconcile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Database, user, grants and the password secret are in place, or why not.
    pub database: Option<Result<(), String>>,
    /// The bucket exists and takes writes, or why not.
    pub bucket: Option<Result<(), String>>,
    /// What the service step did.
    pub service: Option<ServiceFact>,
    /// The service and its tasks as Swarm showed them after the service step.
    pub tasks: Option<TaskFacts>,
}

/// What the service step found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceFact {
    /// The spec cannot be turned into a service; retrying will not help.
    InvalidSpec(String),
    /// The spec asks more than the owner's plan allows; nothing was deployed for it.
    OverPlan(String),
    /// Creating or updating the service failed.
    Failed(String),
    /// The service would start tasks while every start slot is taken: nothing was changed;
    /// the message says how many sites are starting.
    Queued(String),
    /// The service would start tasks but no node of the site's region takes them: nothing
    /// was changed; the message names the region.
    Unschedulable(String),
    /// The service is (now) the desired one.
    Ensured { outcome: Outcome, replicas: u32 },
}

/// The tenant's service as the bulk view showed it (all zero/false when there is none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFacts {
    /// Running tasks (containers started).
    pub running: u32,
    /// The site answered through the edge with these tasks running.
    pub serving: bool,
    /// The image of the running tasks.
    pub image: Option<String>,
    /// The service carries a spec-hash label (it is one the controller made).
    pub labelled: bool,
    /// Swarm is rolling an update.
    pub updating: bool,
    /// Swarm gave the last update up and rolled it back.
    pub update_failed: bool,
    /// Why a task is not running, as Swarm says it.
    pub task_message: Option<String>,
    /// The nodes (hostnames, sorted) the running tasks are on.
    pub nodes: Vec<String>,
}

impl TaskFacts {
    /// Running tasks that count: all of them once the site answered through the edge, none
    /// before (a started container is not yet a serving site).
    pub fn ready(&self) -> u32 {
        if self.serving { self.running } else { 0 }
    }
}

impl Facts {
    /// The service step's outcome and replicas, when it got through.
    pub fn ensured(&self) -> Option<(Outcome, u32)> {
        match self.service {
            Some(ServiceFact::Ensured { outcome, replicas }) => Some((outcome, replicas)),
            _ => None,
        }
    }

    /// Records a step's result as a fact and passes the result on.
    pub fn record<T, E: std::fmt::Display>(
        slot: &mut Option<Result<(), String>>,
        result: Result<T, E>,
    ) -> Result<T, E> {
        *slot = Some(result.as_ref().map(|_| ()).map_err(ToString::to_string));
        result
    }
}

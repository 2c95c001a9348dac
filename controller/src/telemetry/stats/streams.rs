//! One sampler per running tenant container: a one-shot stats read every [`SAMPLE_EVERY`].
//!
//! A long-lived stats *stream* per container (what this was) makes the engine read every
//! container's cgroup and network counters once a second for as long as it runs — a cost per
//! idle site that no one reads (Prometheus scrapes every 15 s). A one-shot read
//! (`stream=false&one-shot=true`, API 1.41) answers from one reading; the CPU in use is the
//! difference from this sampler's previous reading, over the sampling period.
//!
//! The set of samplers follows the containers: container events (start, die, destroy) of
//! tenant containers trigger a re-list at once, and a periodic re-list catches anything an
//! event stream that dropped out missed. A sampler ends when its container is gone.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::{
    EventsOptionsBuilder, InspectContainerOptions, ListContainersOptionsBuilder, StatsOptions,
};
use futures_util::StreamExt as _;
use tokio::task::JoinSet;
use tokio::time::{MissedTickBehavior, interval};
use tokio_util::sync::CancellationToken;

use super::sample;
use super::state::StatsState;
use crate::adapters::swarm::TENANT_LABEL;

/// A running tenant container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningContainer {
    pub id: String,
    pub tenant: String,
}

/// Running containers labelled with a tenant.
pub async fn running_tenant_containers(
    docker: &Docker,
) -> Result<Vec<RunningContainer>, bollard::errors::Error> {
    let filters = HashMap::from([("label", vec![TENANT_LABEL]), ("status", vec!["running"])]);
    let options = ListContainersOptionsBuilder::new()
        .filters(&filters)
        .build();
    let containers = docker.list_containers(Some(options)).await?;
    Ok(containers
        .into_iter()
        .filter_map(|c| {
            let tenant = c.labels?.get(TENANT_LABEL)?.clone();
            Some(RunningContainer { id: c.id?, tenant })
        })
        .collect())
}

/// The streams of one collecting term: started and stopped as containers come and go.
pub struct Streams {
    docker: Docker,
    state: StatsState,
    open: HashMap<String, CancellationToken>,
    tasks: JoinSet<String>,
    token: CancellationToken,
}

impl Streams {
    pub fn new(docker: Docker, state: StatsState, token: CancellationToken) -> Self {
        Self {
            docker,
            state,
            open: HashMap::new(),
            tasks: JoinSet::new(),
            token,
        }
    }

    /// Makes the open streams those of `running`.
    pub fn sync(&mut self, running: &[RunningContainer]) {
        self.reap();
        for container in running {
            if self.open.contains_key(&container.id) {
                continue;
            }
            let token = self.token.child_token();
            self.open.insert(container.id.clone(), token.clone());
            self.tasks.spawn(stream(
                self.docker.clone(),
                self.state.clone(),
                container.clone(),
                token,
            ));
        }
        self.open.retain(|id, token| {
            let keep = running.iter().any(|c| &c.id == id);
            if !keep {
                token.cancel();
            }
            keep
        });
    }

    /// Forgets streams that ended by themselves, so the next sync may start them again.
    fn reap(&mut self) {
        while let Some(joined) = self.tasks.try_join_next() {
            match joined {
                Ok(id) => {
                    self.open.remove(&id);
                }
                Err(error) if error.is_panic() => {
                    tracing::error!(%error, "a stats stream panicked");
                }
                Err(_) => {}
            }
        }
    }

    pub fn open(&self) -> usize {
        self.open.len()
    }

    /// Stops every stream and waits for them to close their connections.
    pub async fn shut_down(mut self) {
        self.token.cancel();
        while self.tasks.join_next().await.is_some() {}
        self.open.clear();
    }
}

/// How often each running tenant container's figures are read.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(10);

/// Samples one container's stats into the state until the container is gone or `token` is
/// cancelled; returns the container's id.
async fn stream(
    docker: Docker,
    state: StatsState,
    container: RunningContainer,
    token: CancellationToken,
) -> String {
    let limit = match docker
        .inspect_container(&container.id, None::<InspectContainerOptions>)
        .await
    {
        Ok(inspected) => inspected
            .host_config
            .and_then(|host| host.nano_cpus)
            .filter(|nano| *nano > 0)
            .map(|nano| nano as f64 / 1e9),
        Err(error) => {
            tracing::debug!(container = %container.id, %error, "cannot inspect; skipping");
            return container.id;
        }
    };
    state.add_container(&container.id, &container.tenant, limit.unwrap_or(0.0));
    let mut ticker = interval(SAMPLE_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut previous = None;
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let options = StatsOptions {
            stream: false,
            one_shot: true,
        };
        let answer = docker.stats(&container.id, Some(options)).next().await;
        let mut entry = match answer {
            Some(Ok(entry)) => entry,
            Some(Err(error)) => {
                tracing::debug!(container = %container.id, %error, "stats read failed");
                break;
            }
            None => break,
        };
        // A one-shot answer carries no earlier reading: this sampler's last one is it.
        entry.precpu_stats = std::mem::replace(&mut previous, entry.cpu_stats.clone());
        let Some(figures) = sample::read(&entry) else {
            // A stopping container's zeros; the container events end this sampler.
            continue;
        };
        if limit.is_none() {
            // No CPU limit: the share of the host's CPUs is the meaningful %.
            let cpus = entry
                .cpu_stats
                .as_ref()
                .and_then(|c| c.online_cpus)
                .map_or(0.0, f64::from);
            state.add_limit_if_unset(&container.id, cpus);
        }
        state.record(&container.id, figures);
    }
    state.remove_container(&container.id);
    container.id
}

/// Container events of tenant containers, as a signal that the set may have changed; the
/// caller re-lists rather than trusting the event's content.
pub fn container_events(
    docker: &Docker,
) -> impl futures_util::Stream<Item = Result<(), bollard::errors::Error>> + use<> {
    let filters = HashMap::from([
        ("type", vec!["container"]),
        ("label", vec![TENANT_LABEL]),
        ("event", vec!["start", "die", "destroy"]),
    ]);
    let options = EventsOptionsBuilder::new().filters(&filters).build();
    docker.events(Some(options)).map(|event| event.map(|_| ()))
}

/// How often the container list is read even without events.
pub const RELIST_EVERY: Duration = Duration::from_secs(15);

/// A ticker for [`RELIST_EVERY`] that skips ticks missed while busy.
pub fn relist_ticker() -> tokio::time::Interval {
    let mut ticker = interval(RELIST_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker
}

//! One sampler per running tenant container: a reading every [`SAMPLE_EVERY`], from the
//! container's cgroup and network files ([`super::cgroup`]) when they are on this host, else
//! a one-shot stats request to the engine.
//!
//! A long-lived stats *stream* per container (what this first was) made the engine read every
//! container's counters once a second for as long as it ran — a cost per idle site that no one
//! reads (Prometheus scrapes every 15 s). A one-shot request (`stream=false&one-shot=true`,
//! API 1.41) answers from one reading, but still passes through dockerd, containerd and the
//! container's shim; the files cost none of them. Either way the CPU in use is the difference
//! from this sampler's previous reading, over the time between them.
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

use super::cgroup::{self, HostFiles};
use super::sample::{self, ContainerSample};
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
    host: HostFiles,
    state: StatsState,
    open: HashMap<String, CancellationToken>,
    tasks: JoinSet<String>,
    token: CancellationToken,
}

impl Streams {
    pub fn new(
        docker: Docker,
        host: HostFiles,
        state: StatsState,
        token: CancellationToken,
    ) -> Self {
        Self {
            docker,
            host,
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
                self.host.clone(),
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

/// Samples one container's figures into the state until the container is gone or `token`
/// is cancelled; returns the container's id.
async fn stream(
    docker: Docker,
    host: HostFiles,
    state: StatsState,
    container: RunningContainer,
    token: CancellationToken,
) -> String {
    let inspected = match docker
        .inspect_container(&container.id, None::<InspectContainerOptions>)
        .await
    {
        Ok(inspected) => inspected,
        Err(error) => {
            tracing::debug!(container = %container.id, %error, "cannot inspect; skipping");
            return container.id;
        }
    };
    // The plan's limit, not the engine's: a container in its startup boost has a higher one
    // for a few seconds.
    let limit = crate::runtime::cpu_weight::planned_nano_cpus(&docker, &inspected)
        .await
        .filter(|nano| *nano > 0)
        .map(|nano| nano as f64 / 1e9);
    let pid = inspected.state.and_then(|s| s.pid).unwrap_or(0);
    state.add_container(&container.id, &container.tenant, limit.unwrap_or(0.0));
    let files = host.locate(pid).await;
    if files.is_none() {
        tracing::debug!(container = %container.id, "no cgroup files here; asking the engine");
    }
    let mut sampler = match files {
        Some(files) => Sampler::Files {
            files,
            previous: None,
        },
        None => Sampler::Engine {
            docker,
            previous: None,
        },
    };
    // Read once: the files say nothing of the host's CPUs (the engine's answer does).
    let local_cpus = if limit.is_none() { host_cpus() } else { None };
    let mut ticker = interval(SAMPLE_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            _ = ticker.tick() => {}
        }
        match sampler.sample(&container.id).await {
            Sampled::Figures(figures, reported_cpus) => {
                if limit.is_none()
                    && let Some(cpus) = reported_cpus.or(local_cpus)
                {
                    // No CPU limit: the share of the host's CPUs is the meaningful %.
                    state.add_limit_if_unset(&container.id, cpus);
                }
                state.record(&container.id, figures);
            }
            // A stopping container's zeros; the container events end this sampler.
            Sampled::Nothing => {}
            Sampled::Gone => break,
        }
    }
    state.remove_container(&container.id);
    container.id
}

enum Sampler {
    Files {
        files: cgroup::ContainerFiles,
        previous: Option<cgroup::Reading>,
    },
    Engine {
        docker: Docker,
        previous: Option<bollard::models::ContainerCpuStats>,
    },
}

enum Sampled {
    /// The figures, and the host's CPU count when the reading says (the engine's does).
    Figures(ContainerSample, Option<f64>),
    Nothing,
    Gone,
}

impl Sampler {
    async fn sample(&mut self, id: &str) -> Sampled {
        match self {
            Self::Files { files, previous } => {
                let Some(reading) = cgroup::read(files).await else {
                    return Sampled::Gone;
                };
                let figures = figures_of(&reading, previous.as_ref());
                *previous = Some(reading);
                Sampled::Figures(figures, None)
            }
            Self::Engine { docker, previous } => {
                let options = StatsOptions {
                    stream: false,
                    one_shot: true,
                };
                let mut entry = match docker.stats(id, Some(options)).next().await {
                    Some(Ok(entry)) => entry,
                    Some(Err(error)) => {
                        tracing::debug!(container = %id, %error, "stats read failed");
                        return Sampled::Gone;
                    }
                    None => return Sampled::Gone,
                };
                // A one-shot answer carries no earlier reading: this sampler's last one is it.
                entry.precpu_stats = std::mem::replace(previous, entry.cpu_stats.clone());
                match sample::read(&entry) {
                    Some(figures) => Sampled::Figures(
                        figures,
                        entry
                            .cpu_stats
                            .as_ref()
                            .and_then(|c| c.online_cpus)
                            .map(f64::from),
                    ),
                    None => Sampled::Nothing,
                }
            }
        }
    }
}

/// A file reading as the collector's figures; CPU in use over the time since `previous`.
fn figures_of(reading: &cgroup::Reading, previous: Option<&cgroup::Reading>) -> ContainerSample {
    let cores_used = previous
        .and_then(|before| {
            let wall = reading.at.checked_duration_since(before.at)?.as_nanos() as f64;
            let used = reading.cpu_nanos.checked_sub(before.cpu_nanos)? as f64;
            (wall > 0.0).then(|| used / wall)
        })
        .unwrap_or(0.0);
    ContainerSample {
        cpu_seconds: reading.cpu_nanos as f64 / 1e9,
        cores_used,
        memory_bytes: reading.memory_bytes as f64,
        memory_limit_bytes: reading.memory_limit_bytes.map_or(0.0, |limit| limit as f64),
        rx_bytes: reading.rx_bytes as f64,
        tx_bytes: reading.tx_bytes as f64,
    }
}

/// The CPUs this process may run on: the host's, for a container without a CPU limit.
fn host_cpus() -> Option<f64> {
    std::thread::available_parallelism()
        .ok()
        .and_then(|n| u32::try_from(n.get()).ok())
        .map(f64::from)
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

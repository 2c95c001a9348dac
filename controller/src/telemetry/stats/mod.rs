//! The per-tenant resource collector: CPU, memory and network of each running tenant
//! container every 10 s, read from its cgroup and network files (a one-shot Docker stats
//! request for a container whose files are not on this host), and the storage the usage meter
//! (`crate::usage`) measures, exported on the controller's `/metrics` with a `tenant` label.
//!
//! Only the leader collects (the collector is a leader task: [`Collector::task`]), so the
//! engine serves one set of readings, not one per replica, and Prometheus sees each tenant
//! once; a standby exports no tenant series. After a failover the new leader's counters start
//! from the containers' own totals, which Prometheus' `rate` reads as one reset.

mod cgroup;
mod exposition;
mod sample;
mod state;
mod storage;
mod streams;

use std::time::Duration;

use bollard::Docker;
use futures_util::StreamExt as _;
use prometheus::Registry;
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

use crate::runtime::leader::LeaderTask;
pub use cgroup::HostFiles;
pub use exposition::{
    CONTAINERS, CPU_LIMIT, CPU_PERCENT, CPU_SECONDS, DATABASE, MEMORY, MEMORY_LIMIT,
    MEMORY_PERCENT, RX, STREAMS, TX, TenantCollector, VOLUME,
};
pub use sample::{ContainerSample, read as read_sample};
pub use state::{StatsState, TenantFigures};
pub use storage::{MEASURE_EVERY, StorageError, database_sizes, volume_sizes};
pub use streams::{RunningContainer, Streams, running_tenant_containers};

/// What the collector needs.
#[derive(Clone)]
pub struct Collector {
    pub docker: Docker,
    /// Where the host's `/proc` and `/sys/fs/cgroup` are seen from here.
    pub host: HostFiles,
    pub state: StatsState,
}

impl Collector {
    /// Adds the per-tenant series to `registry`.
    pub fn register(&self, registry: &Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(TenantCollector::new(self.state.clone())?))
    }

    /// Collection as a leader task: streams follow the containers for the term, and the
    /// figures are cleared when it ends, so a standby exports no tenant series.
    pub fn task(self) -> LeaderTask {
        LeaderTask::new("stats", move |term| {
            let collector = self.clone();
            async move {
                collector.collect(term).await;
                collector.state.clear();
            }
        })
    }

    /// One leading term: streams follow the containers until the term ends.
    async fn collect(&self, token: CancellationToken) {
        tracing::info!("collecting per-tenant stats");
        let mut streams = Streams::new(
            self.docker.clone(),
            self.host.clone(),
            self.state.clone(),
            token.clone(),
        );
        let mut events = streams::container_events(&self.docker).boxed();
        let mut relist = streams::relist_ticker();
        loop {
            tokio::select! {
                () = token.cancelled() => break,
                _ = relist.tick() => {}
                event = events.next() => match event {
                    Some(Ok(())) => {}
                    other => {
                        if let Some(Err(error)) = other {
                            tracing::warn!(%error, "container events failed; resubscribing");
                        }
                        // A pause, so an engine that is down is not asked in a tight loop;
                        // the re-list below catches what happened meanwhile.
                        sleep(Duration::from_secs(1)).await;
                        events = streams::container_events(&self.docker).boxed();
                    }
                },
            }
            match running_tenant_containers(&self.docker).await {
                Ok(running) => {
                    streams.sync(&running);
                    tracing::debug!(streams = streams.open(), "stats streams synced");
                }
                Err(error) => tracing::warn!(%error, "cannot list tenant containers"),
            }
        }
        streams.shut_down().await;
    }
}

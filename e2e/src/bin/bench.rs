//! `scripts/bench`: issue 4's figures against the running platform, each benchmark in its own
//! module of `e2e/src/bench/`:
//!
//! - `create`: API create → installed site answering 200 through Traefik (median of 5, p95);
//! - `drift`: `docker service rm` → service recreated, and site answering again;
//! - `scale`: N tenants applied at once as Stopped, then all started;
//! - `density`: the CPU and memory an idle site costs, at steps of running sites;
//!
//! The in-process controller benchmarks (resync cost, fleet rollout) are
//! `controller/benches/fleet`, which `scripts/bench` runs after this.
//!
//! Every tenant a benchmark makes is deleted before it returns, whatever the outcome. The
//! entries are merged into `target/bench/report.json` (or `$SWARMPRESS_BENCH_REPORT`), keeping
//! other benchmarks' entries. `SWARMPRESS_BENCH_ONLY=create,drift,…` runs a subset.

#[path = "../bench/mod.rs"]
mod bench;

use std::process::ExitCode;

use bench::BenchError;
use serde_json::Value;
use swarmpress_e2e::Api;
use swarmpress_e2e::{Platform, PlatformConfig};
use swarmpress_testkit::report::{report_path, selected, write_entries};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BenchError> {
    let platform = Platform::connect(PlatformConfig::from_env()?).await?;
    let api = Api::enterprise_user(platform.config.edge_addr).await?;
    let path = report_path();
    // Each benchmark's entries are written as soon as it finishes, so a later failure keeps
    // the earlier figures; the first failure stops the run.
    let record = |entries: Vec<Value>| -> Result<(), BenchError> {
        write_entries(&path, entries)?;
        Ok(())
    };
    if selected("create") {
        record(vec![bench::create::run(&api).await?])?;
    }
    if selected("drift") {
        record(bench::drift::run(&api, &platform).await?)?;
    }
    if selected("scale") {
        record(vec![bench::scale::run(&api).await?])?;
    }
    if selected("density") {
        record(vec![bench::density::run(&api, &platform).await?])?;
    }
    println!("report written to {}", path.display());
    Ok(())
}

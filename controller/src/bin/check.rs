//! `swarmpress-check`: the consistency checker for an operator (`scripts/check` runs it with
//! the platform's credentials). Prints every difference between the store's tenants and the
//! world, one per line; exits 0 when there is none, 1 when there are, 2 when it cannot look.
//!
//! Read from the environment: `SWARMPRESS_CHECK_MARIADB_URL` (an admin URL,
//! `mysql://root:…@127.0.0.1:3306/`), `SWARMPRESS_CHECK_STORE_DATABASE` (the control plane's
//! database, default `swarmpress`), `SWARMPRESS_S3_ENDPOINT`, `SWARMPRESS_S3_ACCESS_KEY`,
//! `SWARMPRESS_S3_SECRET_KEY`, and `SWARMPRESS_CHECK_GRACE_SECONDS` (default 120: tenants
//! and secrets younger than this may still be in flight).

use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use swarmpress_controller::TenantDatabases;
use swarmpress_controller::adapters::s3::{S3Config, TenantBuckets};
use swarmpress_controller::adapters::s3_identity::TenantIdentities;
use swarmpress_controller::consistency::{Sources, compare, observe};
use swarmpress_schema::error_chain::ErrorChain;
use swarmpress_schema::store::Store;

fn env(key: &str) -> Result<String, String> {
    std::env::var(key)
        .ok()
        .filter(|value| !value.is_empty())
        .ok_or_else(|| format!("{key} is not set (scripts/check sets it)"))
}

async fn run() -> Result<bool, String> {
    let admin_url = env("SWARMPRESS_CHECK_MARIADB_URL")?;
    let store_database =
        env("SWARMPRESS_CHECK_STORE_DATABASE").unwrap_or_else(|_| "swarmpress".to_owned());
    let grace = env("SWARMPRESS_CHECK_GRACE_SECONDS")
        .ok()
        .and_then(|seconds| seconds.parse().ok())
        .map_or(Duration::from_secs(120), Duration::from_secs);
    let s3 = S3Config {
        endpoint: env("SWARMPRESS_S3_ENDPOINT")?,
        region: "us-east-1".to_owned(),
        access_key: env("SWARMPRESS_S3_ACCESS_KEY")?,
        secret_key: env("SWARMPRESS_S3_SECRET_KEY")?.into(),
    };
    let docker = bollard::Docker::connect_with_local_defaults()
        .map_err(|error| format!("Docker: {error}"))?
        .negotiate_version()
        .await
        .map_err(|error| format!("Docker: {error}"))?;
    let databases = TenantDatabases::connect(&admin_url)
        .await
        .map_err(|error| error.to_string())?;
    let store_url = format!("{}/{store_database}", admin_url.trim_end_matches('/'));
    let store = Store::connect(&store_url)
        .await
        .map_err(|error| format!("store: {}", ErrorChain(&error)))?;
    let buckets = TenantBuckets::new(s3.clone());
    let identities = TenantIdentities::new(s3).map_err(|error| error.to_string())?;
    // The world first, then the records: a tenant created in between has no objects yet and
    // is inside the grace; one deleted in between shows as its objects' orphan.
    let world = observe(&Sources {
        docker: &docker,
        databases: &databases,
        buckets: &buckets,
        identities: &identities,
    })
    .await
    .map_err(|error| error.to_string())?;
    let tenants = store
        .list_tenants(None, None)
        .await
        .map_err(|error| format!("store: {}", ErrorChain(&error)))?;
    let findings = compare(&tenants, &world, Utc::now(), grace);
    for finding in &findings {
        println!("{finding}");
    }
    println!(
        "{} tenants; {} services, {} secrets, {} volumes, {} databases, {} database users, \
         {} buckets, {} S3 identities of tenants; {} difference(s)",
        tenants.len(),
        world.services.len(),
        world.secrets.len(),
        world.volumes.len(),
        world.databases.len(),
        world.users.len(),
        world.buckets.len(),
        world.identities.len(),
        findings.len()
    );
    Ok(findings.is_empty())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("swarmpress-check: {error}");
            ExitCode::from(2)
        }
    }
}

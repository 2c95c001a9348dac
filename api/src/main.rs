//! `swarmpress-api`: serves the control-plane API. `swarmpress-api openapi` (or `--openapi`)
//! prints the OpenAPI document instead, for the portal's generated client.

use std::process::ExitCode;
use swarmpress_schema::error_chain::ErrorChain;

use swarmpress_api::config::LogFormat;
use swarmpress_api::{BoundServer, Config};
use tracing_subscriber::EnvFilter;

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SWARMPRESS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .init(),
        LogFormat::Compact => builder.compact().init(),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutting down");
}

/// The same allocator as the controller: every request allocates and frees many small
/// objects (JSON, headers, rows), which mimalloc serves with less contention than glibc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("openapi" | "--openapi") => {
            println!("{}", swarmpress_api::openapi_json());
            return ExitCode::SUCCESS;
        }
        Some("--help" | "-h" | "help") => {
            println!(
                "usage: swarmpress-api [openapi]\n\
                 Serves the swarmpress API; configured by /etc/swarmpress/api.toml and \
                 SWARMPRESS_* variables. `openapi` prints the OpenAPI document."
            );
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("unknown argument {other:?}; try --help");
            return ExitCode::from(2);
        }
        None => {}
    }
    let config = match Config::load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("swarmpress-api: {}", ErrorChain(&error));
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    tracing::info!(?config, "starting");
    let listen = config.listen;
    let result = async {
        let state = swarmpress_api::prepare(config).await?;
        let server = BoundServer::bind(listen).await?;
        tracing::info!(addr = %server.local_addr, "listening");
        server.serve(state, shutdown_signal()).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %ErrorChain(&error), "swarmpress-api stopped");
            ExitCode::FAILURE
        }
    }
}

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    // Failing loudly keeps a deployment of this binary from looking healthy while it does
    // nothing.
    tracing::error!(
        "the reconcile loop is not implemented yet; this build only provides the adapters"
    );
    ExitCode::FAILURE
}

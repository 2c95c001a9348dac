//! `swarmpress`, the command line: manifests in, reconcile state out, over the HTTP API only.

mod client;
mod commands;
mod credentials;
mod error;
mod output;
mod rollout;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};

pub use error::CliError;
pub use output::Format;

const EXAMPLES: &str = "\
Examples:
  swarmpress login --server http://localhost:8080 --email me@example.com
  swarmpress apply -f manifests/examples/sites.yaml
  swarmpress get tenants -l team=web -o wide
  swarmpress wait tenant/acme-blog --for=condition=Available --timeout 120s
  swarmpress logs acme-blog -f
  swarmpress rollout create --image swarmpress/wordpress:6.7 --all --batch-size 3 --name wp-6-7
  swarmpress rollout status wp-6-7 -w";

#[derive(Debug, Parser)]
#[command(
    name = "swarmpress",
    version,
    about = "Manage WordPress sites on swarmpress: apply manifests, watch reconcile state.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in and store a personal access token (mode 0600) for the other commands.
    #[command(
        after_help = "Examples:\n  swarmpress login --server http://localhost:8080 --email me@example.com\n  echo \"$PASSWORD\" | swarmpress login --server https://press.example.com --email me@example.com --password-stdin"
    )]
    Login(LoginArgs),
    /// Revoke the stored token and forget it.
    #[command(after_help = "Examples:\n  swarmpress logout")]
    Logout,
    /// Create or update what manifests describe (multi-document YAML; files, directories or -).
    #[command(
        after_help = "Examples:\n  swarmpress apply -f site.yaml\n  swarmpress apply -f manifests/ --dry-run\n  swarmpress apply -f manifests/examples/rollout.yaml   (kind: Rollout, administrators)\n  swarmpress get tenants acme-blog -o yaml | swarmpress apply -f -"
    )]
    Apply(ApplyArgs),
    /// List tenants, or show one.
    #[command(
        after_help = "Examples:\n  swarmpress get tenants\n  swarmpress get tenants acme-blog -o yaml\n  swarmpress get tenants -l team=web -w"
    )]
    Get(GetArgs),
    /// Spec, status, conditions and recent events of a tenant.
    #[command(after_help = "Examples:\n  swarmpress describe tenant acme-blog")]
    Describe(DescribeArgs),
    /// Delete a tenant (by name, or the tenants a manifest names).
    #[command(
        after_help = "Examples:\n  swarmpress delete tenant acme-blog --wait\n  swarmpress delete -f sites.yaml"
    )]
    Delete(DeleteArgs),
    /// Print a tenant's logs (every replica), optionally following them.
    #[command(
        after_help = "Examples:\n  swarmpress logs acme-blog --tail 50\n  swarmpress logs acme-blog -f"
    )]
    Logs(LogsArgs),
    /// Wait until a tenant has a condition (exit 1 on timeout).
    #[command(
        after_help = "Examples:\n  swarmpress wait tenant/acme-blog --for=condition=Available --timeout 120s"
    )]
    Wait(WaitArgs),
    /// Start a stopped tenant.
    #[command(after_help = "Examples:\n  swarmpress start acme-blog")]
    Start(NameArg),
    /// Stop a tenant (0 replicas; data kept).
    #[command(after_help = "Examples:\n  swarmpress stop acme-blog")]
    Stop(NameArg),
    /// Restart every replica of a tenant.
    #[command(after_help = "Examples:\n  swarmpress restart acme-blog")]
    Restart(NameArg),
    /// Redeploy a tenant, pulling its image anew and pinning it by digest.
    #[command(after_help = "Examples:\n  swarmpress rebuild acme-blog")]
    Rebuild(NameArg),
    /// Purge a tenant's caches (object cache, transients, opcache) in every replica.
    #[command(after_help = "Examples:\n  swarmpress purge-cache acme-blog")]
    PurgeCache(NameArg),
    /// Show what a tenant uses of its plan: storage and this month's traffic.
    #[command(
        after_help = "Examples:\n  swarmpress usage acme-blog\n  swarmpress usage acme-blog --measure"
    )]
    Usage(UsageArgs),
    /// Change a tenant's replicas or resources.
    #[command(
        after_help = "Examples:\n  swarmpress scale acme-blog --replicas 2\n  swarmpress scale acme-blog --cpu 1 --memory 1Gi"
    )]
    Scale(ScaleArgs),
    /// Roll an image out to the fleet, and follow or steer rollouts (administrators).
    #[command(
        subcommand,
        after_help = "Examples:\n  swarmpress rollout create --image swarmpress/wordpress:6.7 --plan business --batch-size 3\n  swarmpress rollout status wp-6-7 -w\n  swarmpress rollout list\n  swarmpress rollout pause wp-6-7\n  swarmpress apply -f manifests/examples/rollout.yaml"
    )]
    Rollout(rollout::RolloutCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  swarmpress completion bash > /etc/bash_completion.d/swarmpress"
    )]
    Completion { shell: clap_complete::Shell },
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The platform's URL, e.g. http://localhost:8080
    #[arg(long, env = "SWARMPRESS_SERVER")]
    pub server: String,
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    /// The token's name, as listed in the portal.
    #[arg(long, default_value = "swarmpress CLI")]
    pub token_name: String,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A manifest file, a directory of *.yaml/*.yml files, or - for standard input.
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<String>,
    /// Check everything, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// What to get: tenants (tenant, t).
    pub resource: String,
    pub name: Option<String>,
    /// Label selector, e.g. team=web (several: team=web,tier=gold).
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// After listing, print each change as it happens.
    #[arg(short = 'w', long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// tenant
    pub resource: String,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// tenant
    pub resource: Option<String>,
    pub name: Option<String>,
    /// Delete the tenants this manifest names.
    #[arg(short = 'f', long = "filename")]
    pub files: Vec<String>,
    /// Return only once the tenant and everything it had are gone.
    #[arg(long)]
    pub wait: bool,
    #[arg(long, value_parser = parse_duration, default_value = "300s")]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    pub name: String,
    /// Keep printing new lines.
    #[arg(short = 'f', long)]
    pub follow: bool,
    #[arg(long, default_value_t = 100)]
    pub tail: u32,
    /// Only lines newer than this, e.g. 10m or 2h.
    #[arg(long, value_parser = parse_duration)]
    pub since: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// tenant/NAME
    pub target: String,
    /// condition=Available (or any condition type), or delete.
    #[arg(long = "for")]
    pub condition: String,
    #[arg(long, value_parser = parse_duration, default_value = "120s")]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct NameArg {
    pub name: String,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    pub name: String,
    /// Measure storage and meter traffic now instead of showing the last figures.
    #[arg(long)]
    pub measure: bool,
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    pub name: String,
    #[arg(long)]
    pub replicas: Option<u32>,
    /// Cores per replica, e.g. 0.5
    #[arg(long)]
    pub cpu: Option<String>,
    /// Memory per replica, e.g. 512Mi or 1Gi
    #[arg(long)]
    pub memory: Option<String>,
}

/// `120s`, `2m`, `1h`, `500ms`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 5m or 1h"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}: use ms, s, m or h"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

/// Parses the command line, runs the command and maps the outcome to an exit code:
/// 0 success, 1 failure, 2 usage.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Command::Completion { shell } = cli.command {
        clap_complete::generate(
            shell,
            &mut Cli::command(),
            "swarmpress",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    match runtime.block_on(commands::run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", error.report());
            error.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("120s"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3d").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}

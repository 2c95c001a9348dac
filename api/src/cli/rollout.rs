//! `swarmpress rollout …`: fleet image rollouts (administrators).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, Subcommand};
use reqwest::Method;
use serde_json::{Value, json};
use swarmpress_schema::resource::{Rollout, RolloutItem, RolloutState};

use super::client::{Api, SseReader};
use super::error::CliError;
use super::output::{self, age};
use super::parse_duration;
use crate::domain::rollouts::is_rollout_name;

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Create a rollout of an image to a selection of tenants.
    #[command(after_help = "\
Examples:
  swarmpress rollout create --image swarmpress/wordpress:6.7 --all
  swarmpress rollout create --image swarmpress/wordpress:6.7 --plan starter --plan business \\
      --canary 1 --batch-size 3 --failure-budget 1 --health-timeout 2m --name wp-6-7
  swarmpress rollout create --image swarmpress/wordpress:6.7 -l team=marketing \\
      --start-at 2026-12-01T02:00:00Z")]
    Create(CreateArgs),
    /// Show a rollout's per-tenant progress; -w follows it until it ends (exit 1 if it
    /// fails or is aborted).
    #[command(after_help = "\
Examples:
  swarmpress rollout status wp-6-7
  swarmpress rollout status 0f6b1c1e-4a63-4d3e-9d0e-5d6f1b1a2c3d -w")]
    Status(StatusArgs),
    /// List rollouts, newest first.
    #[command(after_help = "Examples:\n  swarmpress rollout list")]
    List,
    /// Pause a scheduled or running rollout.
    #[command(after_help = "Examples:\n  swarmpress rollout pause wp-6-7")]
    Pause(RolloutRef),
    /// Resume a paused rollout.
    #[command(after_help = "Examples:\n  swarmpress rollout resume wp-6-7")]
    Resume(RolloutRef),
    /// Abort a rollout that has not finished.
    #[command(after_help = "Examples:\n  swarmpress rollout abort wp-6-7")]
    Abort(RolloutRef),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("selector").required(true).multiple(true)))]
pub struct CreateArgs {
    /// The target image, e.g. swarmpress/wordpress:6.7
    #[arg(long)]
    pub image: String,
    /// Every tenant.
    #[arg(long, group = "selector", conflicts_with_all = ["plans", "labels", "tenants"])]
    pub all: bool,
    /// Tenants whose owner is on this plan (repeatable).
    #[arg(long = "plan", value_name = "PLAN", group = "selector")]
    pub plans: Vec<String>,
    /// Tenants with this label, key=value (repeatable; all must match).
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE", group = "selector", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// This tenant (repeatable).
    #[arg(long = "tenant", value_name = "NAME", group = "selector")]
    pub tenants: Vec<String>,
    /// Tenants updated alone first.
    #[arg(long, default_value_t = 1)]
    pub canary: u32,
    /// Tenants updated at once after the canaries.
    #[arg(long, default_value_t = 1)]
    pub batch_size: u32,
    /// Failed tenants tolerated before the rollout halts and reverts.
    #[arg(long, default_value_t = 0)]
    pub failure_budget: u32,
    /// How long each tenant has to become Available, e.g. 120s or 2m.
    #[arg(long, value_parser = parse_duration, default_value = "120s")]
    pub health_timeout: Duration,
    /// Start no earlier than this RFC 3339 time (e.g. 2026-12-01T02:00:00Z).
    #[arg(long, value_parser = parse_time)]
    pub start_at: Option<DateTime<Utc>>,
    /// Pull the image even if a tag of that name is present on the nodes.
    #[arg(long)]
    pub force_pull: bool,
    /// A name to address the rollout by (a-z, 0-9, '-').
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The rollout's id or name.
    pub rollout: String,
    /// Follow the rollout until it completes, fails or is aborted.
    #[arg(short = 'w', long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct RolloutRef {
    /// The rollout's id or name.
    pub rollout: String,
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?}: use key=value")),
    }
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 time like 2026-12-01T02:00:00Z: {e}"))
}

pub async fn run(api: &Api, command: RolloutCommand) -> Result<(), CliError> {
    match command {
        RolloutCommand::Create(args) => create(api, args).await,
        RolloutCommand::Status(args) => status(api, args).await,
        RolloutCommand::List => list(api).await,
        RolloutCommand::Pause(arg) => transition(api, &arg.rollout, "pause").await,
        RolloutCommand::Resume(arg) => transition(api, &arg.rollout, "resume").await,
        RolloutCommand::Abort(arg) => transition(api, &arg.rollout, "abort").await,
    }
}

fn rollout_path(reference: &str) -> Result<String, CliError> {
    if reference.parse::<uuid::Uuid>().is_ok() || is_rollout_name(reference) {
        Ok(format!("/admin/rollouts/{reference}"))
    } else {
        Err(CliError::Usage(format!(
            "{reference:?} is neither a rollout id nor a rollout name"
        )))
    }
}

/// `rollout/NAME`, or `rollout/ID` for an unnamed one.
fn label(rollout: &Rollout) -> String {
    format!(
        "rollout/{}",
        rollout
            .name
            .clone()
            .unwrap_or_else(|| rollout.id.to_string())
    )
}

fn create_body(args: &CreateArgs) -> Result<Value, CliError> {
    let seconds = args.health_timeout.as_secs_f64().ceil();
    if !(0.0..=f64::from(u32::MAX)).contains(&seconds) {
        return Err(CliError::Usage("--health-timeout is too long".to_owned()));
    }
    // Whole seconds on the wire; clap has already refused anything that is not a duration.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let seconds = seconds as u32;
    let labels: BTreeMap<&str, &str> = args
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut body = json!({
        "image": args.image,
        "selector": {"all": args.all, "plans": args.plans, "labels": labels, "tenants": args.tenants},
        "canary": args.canary,
        "batchSize": args.batch_size,
        "failureBudget": args.failure_budget,
        "healthTimeoutSeconds": seconds,
        "forcePull": args.force_pull,
    });
    if let Some(start_at) = args.start_at {
        body["startAt"] = json!(start_at.to_rfc3339());
    }
    if let Some(name) = &args.name {
        body["name"] = json!(name);
    }
    Ok(body)
}

async fn create(api: &Api, args: CreateArgs) -> Result<(), CliError> {
    let body = create_body(&args)?;
    let rollout: Rollout = api
        .json(api.request(Method::POST, "/admin/rollouts").json(&body))
        .await?;
    println!(
        "{} created (id {}, {})",
        label(&rollout),
        rollout.id,
        rollout.state.as_str()
    );
    Ok(())
}

async fn list(api: &Api) -> Result<(), CliError> {
    let rollouts: Vec<Rollout> = api.get("/admin/rollouts").await?;
    let now = Utc::now();
    let mut rows = vec![
        ["ID", "NAME", "IMAGE", "STATE", "PROGRESS", "AGE"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for rollout in &rollouts {
        rows.push(vec![
            rollout.id.to_string(),
            rollout.name.clone().unwrap_or_else(|| "-".to_owned()),
            rollout.spec.image.clone(),
            rollout.state.as_str().to_owned(),
            progress(&rollout.items),
            age(rollout.created_at, now),
        ]);
    }
    print!("{}", output::table(&rows));
    Ok(())
}

/// `3/10 healthy` plus the counts of failures, e.g. `3/10 healthy, 1 rolledBack`.
fn progress(items: &[RolloutItem]) -> String {
    if items.is_empty() {
        return "-".to_owned();
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for item in items {
        *counts.entry(item.state.as_str()).or_default() += 1;
    }
    let mut text = format!(
        "{}/{} healthy",
        counts.get("healthy").copied().unwrap_or(0),
        items.len()
    );
    for state in ["failed", "rolledBack", "skipped"] {
        if let Some(count) = counts.get(state) {
            text.push_str(&format!(", {count} {state}"));
        }
    }
    text
}

fn time_or_dash(time: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    time.map(|t| format!("{} ago", age(t, now)))
        .unwrap_or_else(|| "-".to_owned())
}

/// The header lines and the per-tenant table of `rollout status`.
fn status_text(rollout: &Rollout, now: DateTime<Utc>) -> String {
    let spec = &rollout.spec;
    let mut out = String::new();
    let mut line = |key: &str, value: String| out.push_str(&format!("{key:<12}{value}\n"));
    line("Rollout:", format!("{} ({})", label(rollout), rollout.id));
    line("Image:", spec.image.clone());
    let state = match &rollout.message {
        Some(message) => format!("{} ({message})", rollout.state.as_str()),
        None => rollout.state.as_str().to_owned(),
    };
    line("State:", state);
    line(
        "Strategy:",
        format!(
            "canary {}, batches of {}, failure budget {}, health timeout {}s{}",
            spec.canary,
            spec.batch_size,
            spec.failure_budget,
            spec.health_timeout_seconds,
            if spec.force_pull { ", force pull" } else { "" }
        ),
    );
    if let Some(start_at) = spec.start_at {
        line("Start at:", start_at.to_rfc3339());
    }
    line("Progress:", progress(&rollout.items));
    if rollout.items.is_empty() {
        out.push_str("Tenants:    (not planned yet)\n");
        return out;
    }
    let mut rows = vec![
        [
            "TENANT", "BATCH", "STATE", "FROM", "STARTED", "FINISHED", "REASON",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for item in &rollout.items {
        rows.push(vec![
            item.tenant.as_str().to_owned(),
            if item.batch == 0 {
                "canary".to_owned()
            } else {
                item.batch.to_string()
            },
            item.state.as_str().to_owned(),
            item.from_image
                .clone()
                .unwrap_or_else(|| "(default)".to_owned()),
            time_or_dash(item.started_at, now),
            time_or_dash(item.finished_at, now),
            item.reason.clone().unwrap_or_default(),
        ]);
    }
    out.push_str(&output::table(&rows));
    out
}

/// Lines saying what changed between two readings of a rollout.
fn changes(before: &Rollout, after: &Rollout) -> Vec<String> {
    let mut lines = Vec::new();
    if before.state != after.state {
        let mut text = format!(
            "{} {} -> {}",
            label(after),
            before.state.as_str(),
            after.state.as_str()
        );
        if let Some(message) = &after.message {
            text.push_str(&format!(": {message}"));
        }
        lines.push(text);
    }
    for item in &after.items {
        let previous = before.items.iter().find(|i| i.tenant == item.tenant);
        if previous.map(|p| p.state) == Some(item.state) {
            continue;
        }
        let from = previous.map_or("planned", |p| p.state.as_str());
        let mut text = format!(
            "tenant/{} {from} -> {}",
            item.tenant.as_str(),
            item.state.as_str()
        );
        if let Some(reason) = &item.reason {
            text.push_str(&format!(": {reason}"));
        }
        lines.push(text);
    }
    lines
}

/// What a finished rollout means for the exit code.
fn outcome(rollout: &Rollout) -> Result<(), CliError> {
    match rollout.state {
        RolloutState::Failed | RolloutState::Aborted => Err(CliError::Failed(format!(
            "{} {}{}",
            label(rollout),
            rollout.state.as_str(),
            rollout
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ))),
        _ => Ok(()),
    }
}

async fn status(api: &Api, args: StatusArgs) -> Result<(), CliError> {
    let path = rollout_path(&args.rollout)?;
    let rollout: Rollout = api.get(&path).await?;
    print!("{}", status_text(&rollout, Utc::now()));
    if !args.watch {
        return Ok(());
    }
    if rollout.state.is_terminal() {
        return outcome(&rollout);
    }
    let watch = format!("/admin/rollouts/{}/watch", rollout.id);
    let mut last = rollout;
    // A stream can end without the rollout ending (an API replica restarting); the watch
    // sends the rollout as it is first, so opening it again loses nothing.
    let mut reconnects = 0;
    while !last.state.is_terminal() {
        let response = api.send(api.request(Method::GET, &watch)).await?;
        let mut events = SseReader::new(response);
        while let Some(event) = events.next().await? {
            let Ok(current) = serde_json::from_str::<Rollout>(&event.data) else {
                continue;
            };
            for line in changes(&last, &current) {
                println!("{line}");
            }
            last = current;
        }
        if !last.state.is_terminal() {
            reconnects += 1;
            if reconnects > 10 {
                return Err(CliError::Protocol(
                    "the watch stream keeps ending before the rollout does".to_owned(),
                ));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    println!();
    print!("{}", status_text(&last, Utc::now()));
    outcome(&last)
}

async fn transition(api: &Api, reference: &str, verb: &str) -> Result<(), CliError> {
    let path = format!("{}/{verb}", rollout_path(reference)?);
    let rollout: Rollout = api.json(api.request(Method::POST, &path)).await?;
    println!("{} {}", label(&rollout), rollout.state.as_str());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarmpress_schema::TenantName;
    use swarmpress_schema::resource::{RolloutItemState, RolloutSelector, RolloutSpec};

    fn rollout(state: RolloutState, items: &[(&str, RolloutItemState)]) -> Rollout {
        Rollout {
            id: uuid::Uuid::nil(),
            name: Some("wp-6-7".to_owned()),
            spec: RolloutSpec {
                image: "swarmpress/wordpress:6.7".to_owned(),
                selector: RolloutSelector {
                    all: true,
                    ..Default::default()
                },
                canary: 1,
                batch_size: 2,
                failure_budget: 0,
                health_timeout_seconds: 120,
                start_at: None,
                force_pull: false,
            },
            state,
            message: None,
            created_by: None,
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            items: items
                .iter()
                .enumerate()
                .map(|(batch, (tenant, state))| RolloutItem {
                    tenant: TenantName::parse(*tenant).unwrap(),
                    from_image: None,
                    to_image: "swarmpress/wordpress:6.7".to_owned(),
                    state: *state,
                    reason: None,
                    batch: u32::try_from(batch).unwrap(),
                    started_at: None,
                    finished_at: None,
                })
                .collect(),
        }
    }

    #[test]
    fn changes_name_each_transition() {
        use RolloutItemState::{Healthy, Pending, Updating};
        let before = rollout(
            RolloutState::Running,
            &[("site-a", Updating), ("site-b", Pending)],
        );
        let after = rollout(
            RolloutState::Completed,
            &[("site-a", Healthy), ("site-b", Healthy)],
        );
        assert_eq!(
            changes(&before, &after),
            [
                "rollout/wp-6-7 running -> completed",
                "tenant/site-a updating -> healthy",
                "tenant/site-b pending -> healthy",
            ]
        );
        assert!(changes(&after, &after).is_empty());
        assert_eq!(progress(&after.items), "2/2 healthy");
        assert!(outcome(&after).is_ok());
        assert!(outcome(&rollout(RolloutState::Aborted, &[])).is_err());
    }

    #[test]
    fn status_shows_a_row_per_tenant() {
        let text = status_text(
            &rollout(
                RolloutState::Running,
                &[
                    ("site-a", RolloutItemState::Healthy),
                    ("site-b", RolloutItemState::RolledBack),
                ],
            ),
            Utc::now(),
        );
        assert!(text.contains("State:      running"), "{text}");
        assert!(text.contains("1/2 healthy, 1 rolledBack"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("site-b ") && l.contains("rolledBack")),
            "{text}"
        );
    }

    #[test]
    fn references_are_ids_or_names() {
        assert!(rollout_path("wp-6-7").is_ok());
        assert!(rollout_path("0f6b1c1e-4a63-4d3e-9d0e-5d6f1b1a2c3d").is_ok());
        assert!(matches!(rollout_path("../x"), Err(CliError::Usage(_))));
    }
}

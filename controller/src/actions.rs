//! Tenant actions: one-shot work an owner asks for through the API, carried out by the
//! leader: the cache purge (`POST /tenants/{name}/purge-cache`), on each running replica and
//! reported per replica, and a usage measurement (`POST /tenants/{name}/usage/measure`, by
//! `crate::usage`).
//!
//! A purge execs, as the site's own user `www-data`, a short script in each replica's
//! container: it writes a one-time token to `/tmp`, asks the replica's Apache for
//! `/.swarmpress/purge` with it from inside the container, and removes the token. The PHP
//! behind that path (in the image) checks the token, flushes WordPress's object cache and
//! transients, and resets the opcache of the Apache that serves the site — a CLI process has
//! an opcache of its own, so resetting from `php -r` would reset nothing that matters. Running
//! as `www-data` gives the script no right the site's own code lacks. A replica on another
//! node than this controller's engine is reported as not reached.

use std::collections::HashMap;
use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::query_parameters::ListTasksOptionsBuilder;
use futures_util::StreamExt;
use swarmpress_schema::TenantName;
use swarmpress_schema::error_chain::ErrorChain;
use swarmpress_schema::resource::{ActionKind, ActionState, ReplicaReport, TenantAction};
use swarmpress_schema::store::Store;

use crate::adapters::swarm::{SwarmClient, SwarmError};
use crate::runtime::leader::LeaderTask;
use crate::usage::{Meter, human_bytes};

/// How often the leader looks for requested actions: an owner waits at most this long for
/// their purge to begin.
pub const ACTIONS_POLL: Duration = Duration::from_millis(250);

/// At most this much of a replica's answer is kept in its report.
const MAX_ANSWER: usize = 2048;

/// How long one replica's purge may take.
const PER_REPLICA: Duration = Duration::from_secs(30);

/// How long finished actions are kept, as reports an owner can read back.
const KEEP_FOR: chrono::Duration = chrono::Duration::days(7);

/// The script each replica runs (as `www-data`): a token only this exec knows, the purge
/// asked of the replica's own Apache with it, then the token gone.
const PURGE_SCRIPT: &str = r#"set -u
f=/tmp/swarmpress-purge
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
rm -f "$f"
(umask 077 && printf %s "$token" > "$f")
code=0
curl -sS --max-time 20 -H 'Host: localhost' -H "X-Swarmpress-Purge: $token" \
  -w '\n%{http_code}' http://127.0.0.1/.swarmpress/purge || code=$?
rm -f "$f"
exit $code
"#;

/// The leader task: claims requested actions one at a time and carries them out. Without a
/// `meter`, usage measurements fail with a reason (the in-process tests run none).
pub fn actions_task(store: Store, swarm: SwarmClient, meter: Option<Meter>) -> LeaderTask {
    LeaderTask::new("tenant-actions", move |token| {
        let store = store.clone();
        let swarm = swarm.clone();
        let meter = meter.clone();
        async move {
            let mut ticker = tokio::time::interval(ACTIONS_POLL);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut forgotten_at = None::<tokio::time::Instant>;
            loop {
                tokio::select! {
                    () = token.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                // Drained one after another: a burst of requests waits only for the work.
                loop {
                    let claimed = match store.claim_tenant_action().await {
                        Ok(Some(action)) => action,
                        Ok(None) => break,
                        Err(error) => {
                            tracing::warn!(error = %ErrorChain(&error), "cannot claim tenant actions");
                            break;
                        }
                    };
                    let done = tokio::select! {
                        () = token.cancelled() => return,
                        done = carry_out(&swarm, meter.as_ref(), &claimed) => done,
                    };
                    let (state, replicas, message) = done;
                    if let Err(error) = store
                        .finish_tenant_action(claimed.id, state, &replicas, message.as_deref())
                        .await
                    {
                        tracing::warn!(action = %claimed.id, error = %ErrorChain(&error), "cannot record a tenant action's outcome");
                    }
                }
                if forgotten_at.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
                    forgotten_at = Some(tokio::time::Instant::now());
                    if let Err(error) = store
                        .forget_tenant_actions(chrono::Utc::now() - KEEP_FOR)
                        .await
                    {
                        tracing::debug!(error = %ErrorChain(&error), "old tenant actions not forgotten");
                    }
                }
            }
        }
    })
}

type Outcome = (ActionState, Vec<ReplicaReport>, Option<String>);

async fn carry_out(swarm: &SwarmClient, meter: Option<&Meter>, action: &TenantAction) -> Outcome {
    let Ok(tenant) = TenantName::parse(action.tenant.clone()) else {
        return (
            ActionState::Failed,
            Vec::new(),
            Some("not a tenant name".to_owned()),
        );
    };
    match action.kind {
        ActionKind::PurgeCache => match purge_cache(swarm, &tenant).await {
            Ok(reports) if reports.is_empty() => (
                ActionState::Failed,
                reports,
                Some("the site has no running replica".to_owned()),
            ),
            Ok(reports) => {
                let state = if reports.iter().all(|r| r.ok) {
                    ActionState::Succeeded
                } else {
                    ActionState::Failed
                };
                tracing::info!(tenant = %tenant, replicas = reports.len(), state = state.as_str(), "cache purged");
                (state, reports, None)
            }
            Err(error) => (
                ActionState::Failed,
                Vec::new(),
                Some(format!("the container engine: {}", ErrorChain(&error))),
            ),
        },
        ActionKind::MeasureUsage => {
            let Some(meter) = meter else {
                return (
                    ActionState::Failed,
                    Vec::new(),
                    Some("this controller meters no usage".to_owned()),
                );
            };
            match meter.measure_now(&tenant).await {
                Ok(usage) => (
                    ActionState::Succeeded,
                    Vec::new(),
                    Some(format!(
                        "storage {} ({} %), traffic this month {}",
                        human_bytes(usage.storage.total_bytes),
                        usage.storage.percent,
                        human_bytes(usage.bandwidth.bytes)
                    )),
                ),
                Err(error) => (
                    ActionState::Failed,
                    Vec::new(),
                    Some(ErrorChain(&error).to_string()),
                ),
            }
        }
    }
}

/// Purges the caches of every running replica of `tenant`'s service: one report per replica.
pub async fn purge_cache(
    swarm: &SwarmClient,
    tenant: &TenantName,
) -> Result<Vec<ReplicaReport>, SwarmError> {
    let docker = swarm.docker();
    let local = docker
        .info()
        .await?
        .swarm
        .and_then(|swarm| swarm.node_id)
        .unwrap_or_default();
    let hostnames: HashMap<String, String> = swarm
        .list_nodes()
        .await?
        .into_iter()
        .filter_map(|node| {
            let hostname = node.description.as_ref()?.hostname.clone()?;
            Some((node.id?, hostname))
        })
        .collect();
    let service = tenant.service_name();
    let filters = HashMap::from([
        ("service", vec![service.as_str()]),
        ("desired-state", vec!["running"]),
    ]);
    let tasks = docker
        .list_tasks(Some(
            ListTasksOptionsBuilder::new().filters(&filters).build(),
        ))
        .await?;
    let mut reports = Vec::new();
    for task in tasks {
        let status = task.status.unwrap_or_default();
        if status.state.map(|s| s.to_string()).as_deref() != Some("running") {
            continue;
        }
        let id = task.id.unwrap_or_default();
        let node_id = task.node_id.unwrap_or_default();
        let node = hostnames
            .get(&node_id)
            .cloned()
            .unwrap_or_else(|| node_id.clone());
        let container = status.container_status.and_then(|c| c.container_id);
        let report = |ok: bool, message: String| ReplicaReport {
            task: id.clone(),
            node: node.clone(),
            ok,
            message,
        };
        let Some(container) = container.filter(|_| node_id == local) else {
            reports.push(report(
                false,
                "not reached: it runs on a node whose engine this controller does not use"
                    .to_owned(),
            ));
            continue;
        };
        let outcome = tokio::time::timeout(PER_REPLICA, purge_container(swarm, &container)).await;
        reports.push(match outcome {
            Ok(Ok(answer)) => report(true, answer),
            Ok(Err(message)) => report(false, message),
            Err(_) => report(false, format!("no answer within {PER_REPLICA:?}")),
        });
    }
    Ok(reports)
}

/// Runs the purge script in one container: the replica's answer, or why it failed.
async fn purge_container(swarm: &SwarmClient, container: &str) -> Result<String, String> {
    let docker = swarm.docker();
    let exec = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(vec!["sh", "-c", PURGE_SCRIPT]),
                user: Some("www-data"),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("exec: {e}"))?;
    let mut output = Vec::new();
    if let StartExecResults::Attached {
        output: mut stream, ..
    } = docker
        .start_exec(&exec.id, None)
        .await
        .map_err(|e| format!("exec: {e}"))?
    {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| format!("exec output: {e}"))?;
            // A hostile site controls what its Apache answers: keep a bounded prefix only.
            if output.len() < MAX_ANSWER {
                output.extend_from_slice(&chunk.into_bytes());
            }
        }
    }
    let code = docker
        .inspect_exec(&exec.id)
        .await
        .map_err(|e| format!("exec: {e}"))?
        .exit_code
        .unwrap_or(-1);
    let text = String::from_utf8_lossy(&output[..output.len().min(MAX_ANSWER)]).into_owned();
    read_answer(code, &text)
}

/// The replica's answer: the purge's JSON when the script exited 0 and Apache said 200.
fn read_answer(exit_code: i64, text: &str) -> Result<String, String> {
    let text = text.trim();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", text));
    let clean = |s: &str| {
        s.chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect::<String>()
    };
    if exit_code != 0 {
        return Err(format!(
            "the purge script failed ({exit_code}): {}",
            clean(text)
        ));
    }
    if status.trim() != "200" {
        return Err(format!(
            "the site answered {}: {}",
            clean(status),
            clean(body)
        ));
    }
    let answer: serde_json::Value = serde_json::from_str(body.trim())
        .map_err(|_| format!("not a purge report: {}", clean(body)))?;
    let flag = |key: &str| {
        answer
            .get(key)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    let transients = answer
        .get("transients")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(-1);
    if !flag("opcache") {
        return Err("the opcache was not reset".to_owned());
    }
    Ok(format!(
        "object cache {}, {} transient row(s) deleted, opcache reset",
        if flag("objectCache") {
            "flushed"
        } else {
            "not flushed"
        },
        transients.max(0)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_answer_is_read_or_refused_with_a_reason() {
        let ok = "{\"objectCache\":true,\"transients\":3,\"opcache\":true,\"host\":\"abc\"}\n200";
        assert_eq!(
            read_answer(0, ok).unwrap(),
            "object cache flushed, 3 transient row(s) deleted, opcache reset"
        );
        assert!(
            read_answer(7, "curl: (7) refused")
                .unwrap_err()
                .contains("(7)")
        );
        assert!(
            read_answer(0, "{\"error\":\"forbidden\"}\n403")
                .unwrap_err()
                .contains("403")
        );
        assert!(
            read_answer(0, "<html>hi</html>\n200")
                .unwrap_err()
                .contains("not a purge report")
        );
        let no_opcache = "{\"objectCache\":true,\"transients\":0,\"opcache\":false}\n200";
        assert!(read_answer(0, no_opcache).is_err());
        // A hostile answer is cut short and stripped of control characters.
        let hostile = format!("{}\u{1b}[31m\n500", "x".repeat(5000));
        let refused = read_answer(0, &hostile).unwrap_err();
        assert!(
            refused.len() < 700 && !refused.contains('\u{1b}'),
            "{refused}"
        );
    }
}

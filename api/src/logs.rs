//! A tenant's log lines from its tasks (every replica, on any node, through the swarm's task
//! logs), stdout and stderr told apart, each line tagged with its timestamp and task.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::{ListTasksOptionsBuilder, LogsOptions};
use futures_util::stream::{BoxStream, SelectAll};
use futures_util::{Stream, StreamExt as _};
use poem_openapi::{Enum, Object};
use tokio::sync::mpsc;

/// Which stream a line was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// One line of a tenant's logs.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct LogLine {
    /// RFC 3339 with nanoseconds, as the engine recorded it.
    pub timestamp: String,
    pub stream: LogStream,
    /// The task (replica) that wrote it: `wp_<name>.<slot>`.
    pub task: String,
    pub line: String,
}

impl LogLine {
    /// `timestamp task stream line`, the `text/plain` form.
    pub fn text(&self) -> String {
        let stream = match self.stream {
            LogStream::Stdout => "stdout",
            LogStream::Stderr => "stderr",
        };
        format!("{} {} {} {}", self.timestamp, self.task, stream, self.line)
    }

    fn sort_key(&self) -> i64 {
        chrono::DateTime::parse_from_rfc3339(&self.timestamp)
            .ok()
            .and_then(|t| t.timestamp_nanos_opt())
            .unwrap_or(0)
    }
}

/// What to read.
#[derive(Debug, Clone, Copy)]
pub struct LogQuery {
    /// Lines per task before following (and in total for a snapshot).
    pub tail: u32,
    /// Unix seconds; 0 for no bound.
    pub since: i32,
}

/// How often a follower looks for new tasks (a replica added or replaced).
const NEW_TASKS_EVERY: Duration = Duration::from_secs(2);
/// How long a snapshot may take.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(10);

/// The service's tasks that should be running, as `(id, name)`.
async fn tasks(
    docker: &Docker,
    service: &str,
) -> Result<Vec<(String, String)>, bollard::errors::Error> {
    let filters = HashMap::from([
        ("service", vec![service]),
        ("desired-state", vec!["running"]),
    ]);
    let options = ListTasksOptionsBuilder::new().filters(&filters).build();
    Ok(docker
        .list_tasks(Some(options))
        .await?
        .into_iter()
        .filter_map(|task| {
            let id = task.id?;
            let name = match task.slot {
                Some(slot) => format!("{service}.{slot}"),
                None => format!("{service}.{}", id.chars().take(12).collect::<String>()),
            };
            Some((id, name))
        })
        .collect())
}

fn task_stream(
    docker: &Docker,
    id: &str,
    name: String,
    follow: bool,
    tail: String,
    since: i32,
) -> BoxStream<'static, LogLine> {
    let options = LogsOptions {
        follow,
        stdout: true,
        stderr: true,
        since,
        until: 0,
        timestamps: true,
        tail,
    };
    docker
        .task_logs(id, Some(options))
        // A task's stream that fails ends; the others go on.
        .take_while(|item| std::future::ready(item.is_ok()))
        .flat_map(move |item| {
            futures_util::stream::iter(match item {
                Ok(output) => parse(&name, output),
                Err(_) => Vec::new(),
            })
        })
        .boxed()
}

/// Splits one frame of the engine's multiplexed stream into lines.
pub fn parse(task: &str, output: LogOutput) -> Vec<LogLine> {
    let (stream, message) = match output {
        LogOutput::StdErr { message } => (LogStream::Stderr, message),
        LogOutput::StdOut { message } | LogOutput::Console { message } => {
            (LogStream::Stdout, message)
        }
        LogOutput::StdIn { .. } => return Vec::new(),
    };
    String::from_utf8_lossy(&message)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|raw| {
            let (timestamp, line) = raw.split_once(' ').unwrap_or((raw, ""));
            LogLine {
                timestamp: timestamp.to_owned(),
                stream,
                task: task.to_owned(),
                line: line.to_owned(),
            }
        })
        .collect()
}

/// The last `tail` lines over all tasks, oldest first.
pub async fn snapshot(
    docker: &Docker,
    service: &str,
    query: LogQuery,
) -> Result<Vec<LogLine>, bollard::errors::Error> {
    let mut all = SelectAll::new();
    for (id, name) in tasks(docker, service).await? {
        all.push(task_stream(
            docker,
            &id,
            name,
            false,
            query.tail.to_string(),
            query.since,
        ));
    }
    let mut lines: Vec<LogLine> = tokio::time::timeout(SNAPSHOT_TIMEOUT, all.collect())
        .await
        .unwrap_or_default();
    lines.sort_by_key(LogLine::sort_key);
    let skip = lines.len().saturating_sub(query.tail as usize);
    Ok(lines.split_off(skip))
}

/// Every task's last `tail` lines, then new lines as they are written, until the returned
/// stream is dropped. The engine streams are owned by a task that stops the moment the
/// receiver goes (a client that disconnects), closing their connections.
pub async fn follow(
    docker: Docker,
    service: String,
    query: LogQuery,
) -> Result<impl Stream<Item = LogLine> + Send + 'static, bollard::errors::Error> {
    let first = tasks(&docker, &service).await?;
    let (sender, receiver) = mpsc::channel::<LogLine>(256);
    tokio::spawn(async move {
        let mut all = SelectAll::new();
        let mut known = HashSet::new();
        for (id, name) in first {
            all.push(task_stream(
                &docker,
                &id,
                name,
                true,
                query.tail.to_string(),
                query.since,
            ));
            known.insert(id);
        }
        let mut ticker = tokio::time::interval(NEW_TASKS_EVERY);
        loop {
            tokio::select! {
                () = sender.closed() => break,
                line = all.next(), if !all.is_empty() => {
                    if let Some(line) = line
                        && sender.send(line).await.is_err()
                    {
                        break;
                    }
                }
                _ = ticker.tick() => {
                    let Ok(current) = tasks(&docker, &service).await else { continue };
                    for (id, name) in current {
                        if known.insert(id.clone()) {
                            // A new replica: everything it wrote so far is new to the follower.
                            all.push(task_stream(&docker, &id, name, true, "all".to_owned(), query.since));
                        }
                    }
                }
            }
        }
    });
    Ok(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|line| (line, receiver)) },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Fuzzing (bounded here; `PROPTEST_CASES=200000` by hand): any frame the engine
        /// sends splits into lines without a panic, none holding a line break.
        #[test]
        fn any_frame_splits_into_single_lines(
            message in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            stderr in proptest::prelude::any::<bool>(),
        ) {
            let output = if stderr {
                LogOutput::StdErr { message: message.into() }
            } else {
                LogOutput::StdOut { message: message.into() }
            };
            for line in parse("wp_acme.1", output) {
                proptest::prop_assert!(!line.line.contains('\n') && !line.timestamp.contains('\n'));
                proptest::prop_assert!(!line.timestamp.contains(' '));
                proptest::prop_assert_eq!(line.task.as_str(), "wp_acme.1");
            }
        }

        /// Timestamped lines as the engine writes them come back as written.
        #[test]
        fn timestamped_lines_come_back_as_written(
            lines in proptest::collection::vec(("[0-9T:.Z-]{1,30}", "[^\r\n]{0,40}"), 0..8),
        ) {
            let frame: String = lines
                .iter()
                .map(|(timestamp, line)| format!("{timestamp} {line}\n"))
                .collect();
            let parsed = parse("wp_acme.1", LogOutput::StdOut { message: frame.into() });
            let read: Vec<(String, String)> =
                parsed.into_iter().map(|line| (line.timestamp, line.line)).collect();
            proptest::prop_assert_eq!(read, lines);
        }
    }

    #[test]
    fn parses_timestamped_frames_into_tagged_lines() {
        let out = LogOutput::StdOut {
            message: "2026-11-26T09:12:18.942868666Z GET / 200\n".into(),
        };
        let lines = parse("wp_acme.1", out);
        assert_eq!(
            lines,
            [LogLine {
                timestamp: "2026-11-26T09:12:18.942868666Z".to_owned(),
                stream: LogStream::Stdout,
                task: "wp_acme.1".to_owned(),
                line: "GET / 200".to_owned(),
            }]
        );
        assert_eq!(
            lines[0].text(),
            "2026-11-26T09:12:18.942868666Z wp_acme.1 stdout GET / 200"
        );
        let err = LogOutput::StdErr {
            message: "2026-11-26T09:12:19Z oops".into(),
        };
        assert_eq!(parse("t", err)[0].stream, LogStream::Stderr);
    }
}

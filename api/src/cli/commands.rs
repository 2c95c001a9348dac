//! What each verb does, over [`Api`].

use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use swarmpress_schema::resource::manifest::{ManifestDocument, parse_manifest};
use swarmpress_schema::resource::tenant::{Tenant, TenantEvent, TenantStatus};
use swarmpress_schema::resource::{
    ActionState, AllocationState, TenantAction, TenantUsage, human_bytes,
};

use super::client::{Api, SseReader};
use super::credentials::{self, Credentials};
use super::error::CliError;
use super::output::{self, Format};
use super::{
    ApplyArgs, Command, DeleteArgs, DescribeArgs, GetArgs, LoginArgs, LogsArgs, ScaleArgs,
    UsageArgs, WaitArgs,
};
use crate::auth::cookies::ACCESS_COOKIE;
use crate::wire::{ApplyAction, ApplyResults, TenantList};

pub async fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Login(args) => login(args).await,
        Command::Logout => logout().await,
        Command::Apply(args) => apply(&api()?, args).await,
        Command::Get(args) => get(&api()?, args).await,
        Command::Describe(args) => describe(&api()?, args).await,
        Command::Delete(args) => delete(&api()?, args).await,
        Command::Logs(args) => logs(&api()?, args).await,
        Command::Wait(args) => wait(&api()?, args).await,
        Command::Start(arg) => action(&api()?, &arg.name, "start", "started").await,
        Command::Stop(arg) => action(&api()?, &arg.name, "stop", "stopped").await,
        Command::Restart(arg) => action(&api()?, &arg.name, "restart", "restarted").await,
        Command::Rebuild(arg) => action(&api()?, &arg.name, "rebuild", "rebuilt").await,
        Command::PurgeCache(arg) => purge_cache(&api()?, &arg.name).await,
        Command::Usage(args) => usage(&api()?, &args).await,
        Command::Scale(args) => scale(&api()?, args).await,
        Command::Rollout(command) => super::rollout::run(&api()?, command).await,
        // Handled before the runtime starts.
        Command::Completion { .. } => Ok(()),
    }
}

fn api() -> Result<Api, CliError> {
    let credentials = credentials::load()?.ok_or(CliError::NotLoggedIn)?;
    Api::new(&credentials.server, Some(credentials.token))
}

fn tenant_path(name: &str) -> Result<String, CliError> {
    swarmpress_schema::TenantName::parse(name)
        .map(|name| format!("/tenants/{}", name.as_str()))
        .map_err(|e| CliError::Usage(format!("{name:?} is not a tenant name: {e}")))
}

fn read_line(prompt: &str) -> Result<String, CliError> {
    eprint!("{prompt}");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::io("<stdin>", e))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn login(args: LoginArgs) -> Result<(), CliError> {
    let interactive = std::io::stdin().is_terminal();
    let email = match args.email {
        Some(email) => email,
        None if interactive && !args.password_stdin => read_line("E-mail: ")?,
        None => return Err(CliError::Usage("--email is required".to_owned())),
    };
    let password = if args.password_stdin || !interactive {
        read_line("")?
    } else {
        rpassword::prompt_password("Password: ").map_err(|e| CliError::io("<tty>", e))?
    };
    let anonymous = Api::new(&args.server, None)?;
    let response = anonymous
        .send(
            anonymous
                .request(Method::POST, "/auth/login")
                .json(&json!({"email": email, "password": password})),
        )
        .await?;
    // The login answers with cookies; the CLI keeps none of them, only uses the access
    // token once to mint a personal access token of its own.
    let access = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix(&format!("{ACCESS_COOKIE}=")))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| CliError::Protocol("the login set no access token".to_owned()))?;
    let session = Api::new(&args.server, Some(access))?;
    // An administrator's CLI administers (rollouts, other users' sites): its token gets the
    // admin scope; everyone else's can do what they can.
    let profile: Value = session
        .json(session.request(Method::GET, "/auth/profile"))
        .await?;
    let scope = if profile["role"] == "admin" {
        "admin"
    } else {
        "write"
    };
    let created: Value = session
        .json(session.request(Method::POST, "/auth/tokens").json(&json!({
            "name": args.token_name,
            "currentPassword": password,
            "scope": scope,
        })))
        .await?;
    let token = created["token"]
        .as_str()
        .ok_or_else(|| CliError::Protocol(format!("no token in {created}")))?
        .to_owned();
    let token_id = created["id"].as_str().and_then(|id| id.parse().ok());
    // The login session itself is not needed any longer.
    let _ = session
        .send(session.request(Method::POST, "/auth/logout"))
        .await;
    let path = credentials::save(&Credentials {
        server: args.server.trim_end_matches('/').to_owned(),
        token,
        token_id,
        email: Some(email.clone()),
    })?;
    println!(
        "logged in to {} as {email}; token stored in {}",
        args.server,
        path.display()
    );
    Ok(())
}

async fn logout() -> Result<(), CliError> {
    let Some(stored) = credentials::load()? else {
        println!("not logged in");
        return Ok(());
    };
    if let Some(id) = stored.token_id {
        let api = Api::new(&stored.server, Some(stored.token.clone()))?;
        match api
            .send(api.request(Method::DELETE, &format!("/auth/tokens/{id}")))
            .await
        {
            Ok(_) | Err(CliError::Api { status: 401, .. }) => {}
            Err(error) => return Err(error),
        }
    }
    credentials::remove()?;
    println!("logged out of {}", stored.server);
    Ok(())
}

/// The manifests named by `-f`: files, the YAML files of directories (sorted), or stdin.
fn manifest_sources(files: &[String]) -> Result<Vec<(String, String)>, CliError> {
    let mut sources = Vec::new();
    for file in files {
        if file == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::io("<stdin>", e))?;
            sources.push(("<stdin>".to_owned(), text));
            continue;
        }
        let path = PathBuf::from(file);
        let paths = if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|e| CliError::io(&path, e))?
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|p| {
                    p.extension()
                        .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                })
                .collect();
            entries.sort();
            entries
        } else {
            vec![path]
        };
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| CliError::io(&path, e))?;
            sources.push((path.display().to_string(), text));
        }
    }
    Ok(sources)
}

async fn apply(api: &Api, args: ApplyArgs) -> Result<(), CliError> {
    let suffix = if args.dry_run { " (dry run)" } else { "" };
    let mut invalid = 0u32;
    for (source, text) in manifest_sources(&args.files)? {
        let results: ApplyResults = api
            .json(
                api.request(Method::POST, &format!("/apply?dryRun={}", args.dry_run))
                    .header("content-type", "application/yaml")
                    .body(text),
            )
            .await?;
        for result in results.results {
            let kind = result.kind.to_lowercase();
            let kind = if kind.is_empty() { "document" } else { &kind };
            let name = if result.name.is_empty() {
                "?"
            } else {
                &result.name
            };
            let action = match result.action {
                ApplyAction::Created => "created",
                ApplyAction::Configured => "configured",
                ApplyAction::Unchanged => "unchanged",
                ApplyAction::Invalid => "invalid",
            };
            println!("{kind}/{name} {action}{suffix}");
            if let Some(password) = result.admin_password {
                println!("  WordPress admin password (shown once): {password}");
            }
            if result.action == ApplyAction::Invalid {
                invalid += 1;
                for error in result.errors {
                    let field = if error.field.is_empty() {
                        "(document)"
                    } else {
                        &error.field
                    };
                    // Under the document's line, one error a line, so neither runs into
                    // the other however stdout and stderr are interleaved.
                    eprintln!("  error: {source}: {field}: {}", error.message);
                }
            }
        }
    }
    if invalid > 0 {
        return Err(CliError::Failed(format!(
            "{} invalid and not applied",
            crate::words::counted(invalid, "document was", "documents were")
        )));
    }
    Ok(())
}

fn check_resource(resource: &str) -> Result<(), CliError> {
    match resource {
        "tenants" | "tenant" | "t" | "sites" | "site" => Ok(()),
        other => Err(CliError::Usage(format!(
            "unknown resource type {other:?}: use tenants"
        ))),
    }
}

fn print_tenants(tenants: &[Tenant], format: Format, header: bool) -> Result<(), CliError> {
    let now = Utc::now();
    let wide = format == Format::Wide;
    let mut rows = Vec::new();
    if header {
        rows.push(output::header(wide));
    }
    rows.extend(tenants.iter().map(|t| output::row(t, wide, now)));
    print!("{}", output::table(&rows));
    Ok(())
}

async fn get(api: &Api, args: GetArgs) -> Result<(), CliError> {
    check_resource(&args.resource)?;
    let (tenants, version, single) = match &args.name {
        Some(name) => {
            let tenant: Tenant = api.get(&tenant_path(name)?).await?;
            let version = tenant.metadata.resource_version.clone();
            (vec![tenant], version, true)
        }
        None => {
            let mut request = api.request(Method::GET, "/tenants");
            if let Some(selector) = &args.selector {
                request = request.query(&[("labelSelector", selector)]);
            }
            let list: TenantList = api.json(request).await?;
            (list.items, list.metadata.resource_version, false)
        }
    };
    match args.output {
        Format::Table | Format::Wide => print_tenants(&tenants, args.output, true)?,
        Format::Yaml if single => print!("{}", output::to_yaml(&tenants[0])?),
        Format::Json if single => println!("{}", output::to_json(&tenants[0])?),
        Format::Yaml | Format::Json => {
            let list = json!({"apiVersion": "swarmpress.io/v1", "kind": "TenantList",
                              "metadata": {"resourceVersion": version}, "items": tenants});
            match args.output {
                Format::Yaml => print!("{}", output::to_yaml(&list)?),
                _ => println!("{}", output::to_json(&list)?),
            }
        }
    }
    if args.watch {
        watch(api, &args, &version).await?;
    }
    Ok(())
}

/// Opens the watch stream from `version` with the selector of `args`.
async fn open_watch(
    api: &Api,
    version: &str,
    selector: Option<&str>,
) -> Result<SseReader, CliError> {
    let mut query = vec![("watch", "true"), ("resourceVersion", version)];
    if let Some(selector) = selector {
        query.push(("labelSelector", selector));
    }
    let response = api
        .send(api.request(Method::GET, "/tenants").query(&query))
        .await?;
    Ok(SseReader::new(response))
}

async fn watch(api: &Api, args: &GetArgs, version: &str) -> Result<(), CliError> {
    let mut events = open_watch(api, version, args.selector.as_deref()).await?;
    while let Some(event) = events.next().await? {
        let Ok(tenant) = serde_json::from_str::<Tenant>(&event.data) else {
            continue;
        };
        if args
            .name
            .as_deref()
            .is_some_and(|name| name != tenant.metadata.name.as_str())
        {
            continue;
        }
        match args.output {
            Format::Table | Format::Wide => {
                if event.event == "DELETED" {
                    println!("{} deleted", tenant.metadata.name.as_str());
                } else {
                    print_tenants(std::slice::from_ref(&tenant), args.output, false)?;
                }
            }
            Format::Yaml => print!("---\n{}", output::to_yaml(&tenant)?),
            Format::Json => println!("{}", serde_json::to_string(&tenant).unwrap_or_default()),
        }
    }
    Ok(())
}

async fn describe(api: &Api, args: DescribeArgs) -> Result<(), CliError> {
    check_resource(&args.resource)?;
    let path = tenant_path(&args.name)?;
    let tenant: Tenant = api.get(&path).await?;
    let events: Vec<TenantEvent> = api.get(&format!("{path}/events")).await?;
    print!("{}", describe_text(&tenant, &events));
    Ok(())
}

fn describe_text(tenant: &Tenant, events: &[TenantEvent]) -> String {
    let now = Utc::now();
    let mut out = String::new();
    for (key, value) in describe_fields(tenant, now) {
        out.push_str(&format!("{key:<20}{value}\n"));
    }
    out.push_str("Conditions:\n");
    out.push_str(&conditions_table(&tenant.status, now));
    out.push_str("Events:\n");
    if events.is_empty() {
        out.push_str("  <none>\n");
    } else {
        out.push_str(&events_table(events, now));
    }
    out
}

/// `key: value` lines of `describe`, in the order shown.
fn describe_fields(tenant: &Tenant, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
    let spec = &tenant.spec;
    let status = &tenant.status;
    let list_or_none = |items: Vec<String>| {
        if items.is_empty() {
            "<none>".to_owned()
        } else {
            items.join(", ")
        }
    };
    let labels = tenant
        .metadata
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let created = tenant.metadata.creation_timestamp;
    let mut fields = vec![
        ("Name:", tenant.metadata.name.as_str().to_owned()),
        ("Display name:", spec.display_name.clone()),
        ("Labels:", list_or_none(labels)),
        (
            "Created:",
            format!(
                "{} ({} ago)",
                created.to_rfc3339(),
                output::age(created, now)
            ),
        ),
    ];
    if let Some(deleting) = tenant.metadata.deletion_timestamp {
        fields.push(("Deletion requested:", deleting.to_rfc3339()));
    }
    let image = status.image.clone().or_else(|| spec.image.clone());
    fields.extend([
        (
            "Generation:",
            format!(
                "{} (observed {})",
                tenant.metadata.generation, status.observed_generation
            ),
        ),
        ("Region:", spec.region.clone()),
        ("State:", format!("{:?}", spec.state)),
        (
            "Replicas:",
            format!(
                "{} desired, {} running (spec {})",
                status.replicas.desired, status.replicas.running, spec.replicas
            ),
        ),
        (
            "Resources:",
            format!(
                "cpu {}, memory {}",
                spec.resources.cpu, spec.resources.memory
            ),
        ),
        (
            "Image:",
            image.unwrap_or_else(|| "(platform default)".to_owned()),
        ),
        ("Env:", list_or_none(spec.env.keys().cloned().collect())),
        ("Phase:", format!("{:?}", status.phase)),
        ("URL:", status.url.clone().unwrap_or_else(|| "-".to_owned())),
    ]);
    if let Some(message) = &status.message {
        fields.push(("Message:", message.clone()));
    }
    fields
}

fn conditions_table(status: &TenantStatus, now: DateTime<Utc>) -> String {
    let mut rows = vec![
        ["  TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for condition in &status.conditions {
        rows.push(vec![
            format!("  {:?}", condition.type_),
            format!("{:?}", condition.status),
            condition.reason.clone(),
            output::age(condition.last_transition_time, now),
            condition.message.clone(),
        ]);
    }
    output::table(&rows)
}

/// The 20 newest events.
fn events_table(events: &[TenantEvent], now: DateTime<Utc>) -> String {
    let mut rows = vec![
        ["  TYPE", "REASON", "AGE", "COUNT", "MESSAGE"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for event in events.iter().take(20) {
        rows.push(vec![
            format!("  {:?}", event.type_),
            event.reason.clone(),
            output::age(event.last_timestamp, now),
            event.count.to_string(),
            event.message.clone(),
        ]);
    }
    output::table(&rows)
}

async fn delete(api: &Api, args: DeleteArgs) -> Result<(), CliError> {
    let mut names = Vec::new();
    match (&args.resource, &args.name, args.files.is_empty()) {
        (Some(resource), Some(name), true) => {
            check_resource(resource)?;
            names.push(name.clone());
        }
        (None, None, false) => {
            for (source, text) in manifest_sources(&args.files)? {
                for document in parse_manifest(&text) {
                    match document {
                        Ok(ManifestDocument::Tenant(tenant)) => {
                            names.push(tenant.metadata.name.as_str().to_owned());
                        }
                        Ok(ManifestDocument::Rollout(_)) => {}
                        Err(error) => {
                            return Err(CliError::Failed(format!("{source}: {error}")));
                        }
                    }
                }
            }
        }
        _ => {
            return Err(CliError::Usage(
                "give `tenant NAME` or `-f FILE`, not both".to_owned(),
            ));
        }
    }
    for name in &names {
        let path = tenant_path(name)?;
        api.send(api.request(Method::DELETE, &path)).await?;
        println!("tenant/{name} deletion requested");
    }
    if args.wait {
        for name in &names {
            wait_until_gone(api, name, args.timeout).await?;
            println!("tenant/{name} deleted");
        }
    }
    Ok(())
}

async fn wait_until_gone(api: &Api, name: &str, timeout: Duration) -> Result<(), CliError> {
    let path = tenant_path(name)?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match api.get::<Tenant>(&path).await {
            Err(CliError::Api { status: 404, .. }) => return Ok(()),
            Err(error) => return Err(error),
            Ok(_) if tokio::time::Instant::now() >= deadline => {
                return Err(CliError::Timeout(format!(
                    "{} waiting for tenant/{name} to be deleted",
                    humanize(timeout)
                )));
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

fn humanize(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

async fn logs(api: &Api, args: LogsArgs) -> Result<(), CliError> {
    let path = format!("{}/logs", tenant_path(&args.name)?);
    let mut query = vec![("tail", args.tail.to_string())];
    if let Some(since) = args.since {
        let seconds = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
        query.push(("since", (Utc::now().timestamp() - seconds).to_string()));
    }
    if !args.follow {
        let response = api
            .send(api.request(Method::GET, &path).query(&query))
            .await?;
        print!("{}", response.text().await?);
        return Ok(());
    }
    query.push(("follow", "true".to_owned()));
    let response = api
        .send(api.request(Method::GET, &path).query(&query))
        .await?;
    let mut events = SseReader::new(response);
    while let Some(event) = events.next().await? {
        println!("{}", log_line(&event.data));
    }
    Ok(())
}

/// `task line`, like `docker service logs`; the data as it came when it is not a line object.
fn log_line(data: &str) -> String {
    match serde_json::from_str::<Value>(data) {
        Ok(value) if value["line"].is_string() => format!(
            "{} {}",
            value["task"].as_str().unwrap_or_default(),
            value["line"].as_str().unwrap_or_default()
        ),
        _ => data.to_owned(),
    }
}

/// What `wait --for` waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WaitFor {
    Condition { type_: String, status: String },
    Delete,
}

fn parse_wait_for(text: &str) -> Result<WaitFor, CliError> {
    if text == "delete" {
        return Ok(WaitFor::Delete);
    }
    let usage = || {
        CliError::Usage(format!(
            "--for={text}: use condition=TYPE[=True|False] (e.g. condition=Available) or delete"
        ))
    };
    let condition = text.strip_prefix("condition=").ok_or_else(usage)?;
    let (type_, status) = condition.split_once('=').unwrap_or((condition, "True"));
    if type_.is_empty() || !matches!(status, "True" | "False" | "Unknown") {
        return Err(usage());
    }
    Ok(WaitFor::Condition {
        type_: type_.to_owned(),
        status: status.to_owned(),
    })
}

fn satisfied(tenant: &Tenant, wait_for: &WaitFor) -> bool {
    let WaitFor::Condition { type_, status } = wait_for else {
        return false;
    };
    tenant.status.conditions.iter().any(|condition| {
        format!("{:?}", condition.type_).eq_ignore_ascii_case(type_)
            && format!("{:?}", condition.status) == *status
            // A condition about an older generation says nothing about this one.
            && tenant.status.observed_generation >= tenant.metadata.generation
    }) && (status != "True" || !tenant.is_deleting())
}

async fn wait(api: &Api, args: WaitArgs) -> Result<(), CliError> {
    let (resource, name) = args
        .target
        .split_once('/')
        .ok_or_else(|| CliError::Usage(format!("{:?}: use tenant/NAME", args.target)))?;
    check_resource(resource)?;
    let wait_for = parse_wait_for(&args.condition)?;
    if wait_for == WaitFor::Delete {
        wait_until_gone(api, name, args.timeout).await?;
        println!("tenant/{name} deleted");
        return Ok(());
    }
    let path = tenant_path(name)?;
    let waited = tokio::time::timeout(args.timeout, async {
        // Read, then follow the watch from what was read: no change can slip between.
        let tenant: Tenant = api.get(&path).await?;
        if satisfied(&tenant, &wait_for) {
            return Ok(());
        }
        let mut events = open_watch(api, &tenant.metadata.resource_version, None).await?;
        while let Some(event) = events.next().await? {
            let Ok(tenant) = serde_json::from_str::<Tenant>(&event.data) else {
                continue;
            };
            if tenant.metadata.name.as_str() != name {
                continue;
            }
            if event.event == "DELETED" {
                return Err(CliError::Failed(format!("tenant/{name} was deleted")));
            }
            if satisfied(&tenant, &wait_for) {
                return Ok(());
            }
        }
        Err(CliError::Protocol("the watch stream ended".to_owned()))
    })
    .await;
    match waited {
        Ok(Ok(())) => {
            println!("tenant/{name} condition met");
            Ok(())
        }
        Ok(Err(error)) => Err(error),
        Err(_) => Err(CliError::Timeout(format!(
            "{} waiting for tenant/{name} ({})",
            humanize(args.timeout),
            args.condition
        ))),
    }
}

async fn action(api: &Api, name: &str, verb: &str, done: &str) -> Result<(), CliError> {
    let path = format!("{}/{verb}", tenant_path(name)?);
    api.send(api.request(Method::POST, &path)).await?;
    println!("tenant/{name} {done}");
    Ok(())
}

/// Prints the tenant's storage and traffic against its plan, measuring first with
/// `--measure`.
async fn usage(api: &Api, args: &UsageArgs) -> Result<(), CliError> {
    let base = tenant_path(&args.name)?;
    if args.measure {
        let action: TenantAction = api
            .json(api.request(Method::POST, &format!("{base}/usage/measure")))
            .await?;
        if action.state == ActionState::Failed {
            return Err(CliError::Failed(format!(
                "tenant/{}: not measured{}",
                args.name,
                action.message.map(|m| format!(": {m}")).unwrap_or_default()
            )));
        }
    }
    let usage: TenantUsage = api
        .json(api.request(Method::GET, &format!("{base}/usage")))
        .await?;
    print!("{}", usage_table(&usage));
    Ok(())
}

fn allocation_word(state: AllocationState) -> &'static str {
    match state {
        AllocationState::Within => "",
        AllocationState::NearLimit => "  (close to the allocation)",
        AllocationState::Exceeded => "  (OVER the allocation)",
    }
}

/// The usage report as the CLI prints it.
pub fn usage_table(usage: &TenantUsage) -> String {
    let storage = &usage.storage;
    let bandwidth = &usage.bandwidth;
    let mut out = format!(
        "tenant/{} on the {} plan\n",
        usage.tenant,
        usage.plan.as_deref().unwrap_or("(no)")
    );
    out.push_str(&format!(
        "storage    {} of {} ({} %){}\n",
        human_bytes(storage.total_bytes),
        human_bytes(storage.allocation_bytes),
        storage.percent,
        allocation_word(storage.state)
    ));
    out.push_str(&format!(
        "           files {}, database {}, bucket {}; measured {}\n",
        human_bytes(storage.volume_bytes),
        human_bytes(storage.database_bytes),
        human_bytes(storage.bucket_bytes),
        storage
            .measured_at
            .map_or_else(|| "never yet".to_owned(), |at| at.to_rfc3339())
    ));
    out.push_str(&format!(
        "traffic    {} of {} in {} ({} %){}\n",
        human_bytes(bandwidth.bytes),
        human_bytes(bandwidth.allocation_bytes),
        bandwidth.month,
        bandwidth.percent,
        allocation_word(bandwidth.state)
    ));
    for month in usage.history.iter().filter(|m| m.month != bandwidth.month) {
        out.push_str(&format!(
            "           {} {}\n",
            month.month,
            human_bytes(month.bytes)
        ));
    }
    out
}

/// Asks for a purge and prints each replica's report; fails unless every replica purged.
async fn purge_cache(api: &Api, name: &str) -> Result<(), CliError> {
    let path = format!("{}/purge-cache", tenant_path(name)?);
    let action: TenantAction = api.json(api.request(Method::POST, &path)).await?;
    for replica in &action.replicas {
        let mark = if replica.ok { "ok" } else { "FAILED" };
        println!(
            "  {} on {}: {mark}: {}",
            short(&replica.task),
            replica.node,
            replica.message
        );
    }
    match action.state {
        ActionState::Succeeded => {
            println!("tenant/{name} cache purged");
            Ok(())
        }
        ActionState::Failed => Err(CliError::Failed(format!(
            "tenant/{name}: the cache was not purged everywhere{}",
            action.message.map(|m| format!(": {m}")).unwrap_or_default()
        ))),
        ActionState::Pending | ActionState::Running => {
            println!(
                "tenant/{name} cache purge still {}: see GET /api/v1/tenants/{name}/actions/{}",
                action.state.as_str(),
                action.id
            );
            Ok(())
        }
    }
}

/// The first 12 characters of a task id, as `docker service ps` shows them.
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

async fn scale(api: &Api, args: ScaleArgs) -> Result<(), CliError> {
    if args.replicas.is_none() && args.cpu.is_none() && args.memory.is_none() {
        return Err(CliError::Usage(
            "give --replicas, --cpu or --memory".to_owned(),
        ));
    }
    let path = tenant_path(&args.name)?;
    let mut body = json!({});
    if let Some(replicas) = args.replicas {
        body["replicas"] = json!(replicas);
    }
    if args.cpu.is_some() || args.memory.is_some() {
        // Resources are replaced whole: keep the half that is not being changed.
        let current: Tenant = api.get(&path).await?;
        body["resources"] = json!({
            "cpu": args.cpu.unwrap_or(current.spec.resources.cpu),
            "memory": args.memory.unwrap_or(current.spec.resources.memory),
        });
    }
    // `send` has already turned anything but 2xx into an error.
    api.send(
        api.request(Method::POST, &format!("{path}/scale"))
            .json(&body),
    )
    .await?;
    println!("tenant/{} scaled", args.name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_conditions() {
        assert_eq!(
            parse_wait_for("condition=Available").unwrap(),
            WaitFor::Condition {
                type_: "Available".to_owned(),
                status: "True".to_owned()
            }
        );
        assert_eq!(
            parse_wait_for("condition=Installed=False").unwrap(),
            WaitFor::Condition {
                type_: "Installed".to_owned(),
                status: "False".to_owned()
            }
        );
        assert_eq!(parse_wait_for("delete").unwrap(), WaitFor::Delete);
        assert!(matches!(
            parse_wait_for("Available"),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            parse_wait_for("condition=Available=Maybe"),
            Err(CliError::Usage(_))
        ));
    }

    #[test]
    fn log_lines_name_their_task() {
        assert_eq!(
            log_line(r#"{"timestamp":"t","stream":"stdout","task":"wp_a.1","line":"GET /"}"#),
            "wp_a.1 GET /"
        );
        assert_eq!(log_line("plain"), "plain");
    }
}

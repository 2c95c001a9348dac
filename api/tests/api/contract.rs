//! The OpenAPI document against the real API: Schemathesis (a property-based tester from
//! PyPI) generates valid and invalid requests for every operation from the document itself
//! and checks each answer: no 5xx, the status is one the operation declares, the content type
//! and body match the declared schema, a method a path does not have gets 405 with `Allow`.
//!
//! It runs against this test's own server on a scratch database, so the tenants it creates
//! never reach the platform's controller. `scripts/test` installs Schemathesis into `.venv`.

use std::path::PathBuf;
use std::process::Stdio;

use crate::helpers::spawn_with;

fn schemathesis() -> Option<PathBuf> {
    let path = std::env::var_os("SWARMPRESS_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/schemathesis")
        });
    if path.exists() {
        return Some(path);
    }
    assert!(
        !swarmpress_testkit::platform_required(),
        "Schemathesis is not installed at {} (scripts/test installs it)",
        path.display()
    );
    eprintln!(
        "SKIPPED: Schemathesis is not installed at {}",
        path.display()
    );
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_matches_the_openapi_document() {
    let Some(tool) = schemathesis() else { return };
    // No controller runs here: a purge would wait its whole 20 s for a report every time.
    let Some(app) = spawn_with(|config| config.action_wait = std::time::Duration::ZERO).await
    else {
        return;
    };
    let admin = app.admin().await;
    let token = admin.personal_access_token("contract").await;
    // A tenant for the operations on `/tenants/{name}` to find.
    crate::tenants::create(&admin, "contract").await;

    let dir = std::env::temp_dir().join(format!("swarmpress-contract-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let document = dir.join("openapi.json");
    std::fs::write(&document, swarmpress_api::openapi_json()).unwrap();
    let mut command = std::process::Command::new(tool);
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/schemathesis.toml");
    command
        .args(["--config-file", config, "run"])
        .arg(&document)
        .args(["--url", &app.url("")])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--generation-deterministic", "--max-examples", "25"])
        .args(["--workers", "2", "--request-timeout", "20"])
        .arg("--no-color")
        .current_dir(&dir)
        .stdin(Stdio::null());
    // The server answers on this runtime's workers; the tool waits on a thread of its own.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "Schemathesis found answers the document does not allow:\n{report}"
    );
}

//! A throwaway database per test on the platform's MariaDB.
//!
//! The root password comes from `$SWARMPRESS_STATE_DIR/secrets.env` (default
//! `/var/lib/swarmpress`), the address from `SWARMPRESS_MARIADB_ADDR` (default
//! `127.0.0.1:3306`). When MariaDB is unreachable the test is skipped with a message, unless
//! `SWARMPRESS_REQUIRE_PLATFORM` is set (to anything but "" or "0"): then it fails, so a CI
//! run cannot pass by skipping. Same rule as the e2e crate.

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, Database};
use swarmpress_schema::store::Store;

pub struct TestDb {
    pub store: Store,
    name: String,
    server_url: String,
}

impl TestDb {
    /// Creates `swarmpress_test_<uuid>` and migrates it; `None` (after saying why) when the
    /// platform is unreachable and not required.
    pub async fn create() -> Option<Self> {
        match Self::try_create().await {
            Ok(db) => Some(db),
            Err(error) if platform_required() => {
                panic!("SWARMPRESS_REQUIRE_PLATFORM is set but MariaDB is unreachable: {error}")
            }
            Err(error) => {
                eprintln!(
                    "SKIPPED: the platform's MariaDB is unreachable ({error}); run scripts/up, \
                     or set SWARMPRESS_REQUIRE_PLATFORM=1 to fail instead"
                );
                None
            }
        }
    }

    async fn try_create() -> Result<Self, String> {
        let server_url = server_url()?;
        let name = format!("swarmpress_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(server_url.as_str())
            .await
            .map_err(|e| e.to_string().replace(&server_url, "<url>"))?;
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            ))
            .await
            .map_err(|e| e.to_string())?;
        admin.close().await.map_err(|e| e.to_string())?;
        // From here on the guard exists, so the database is dropped even if migrating fails.
        let mut db = Self {
            store: Store::from_connection(sea_orm::DatabaseConnection::default()),
            name,
            server_url,
        };
        db.store = Store::connect(&format!("{}{}", db.server_url, db.name))
            .await
            .map_err(|e| e.to_string())?;
        db.store.migrate().await.map_err(|e| e.to_string())?;
        Ok(db)
    }

    /// The scratch database's name.
    #[allow(dead_code)] // not every test file uses it
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `mysql://root:…@host:port/`, for administrative connections of a test's own.
    #[allow(dead_code)]
    pub fn server_url(&self) -> &str {
        &self.server_url
    }
}

impl Drop for TestDb {
    /// Drops the database on a thread of its own with a fresh runtime: the test's runtime
    /// may be unwinding from a failed assertion.
    fn drop(&mut self) {
        let name = self.name.clone();
        let url = self.server_url.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let admin = Database::connect(url.as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await
                    .map_err(|e| e.to_string())?;
                admin.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("could not drop test database {}: {error}", self.name),
            Err(_) => eprintln!("dropping test database {} panicked", self.name),
        }
    }
}

fn platform_required() -> bool {
    std::env::var("SWARMPRESS_REQUIRE_PLATFORM").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `mysql://root:<password>@<addr>/`
fn server_url() -> Result<String, String> {
    let state_dir = std::env::var_os("SWARMPRESS_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/swarmpress"));
    let secrets = state_dir.join("secrets.env");
    let text = std::fs::read_to_string(&secrets)
        .map_err(|e| format!("cannot read {}: {e}", secrets.display()))?;
    let password = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("MARIADB_ROOT_PASSWORD="))
        .map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .next_back()
        .ok_or_else(|| format!("{} has no MARIADB_ROOT_PASSWORD", secrets.display()))?;
    let addr =
        std::env::var("SWARMPRESS_MARIADB_ADDR").unwrap_or_else(|_| "127.0.0.1:3306".to_owned());
    let encoded: String = password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok(format!("mysql://root:{encoded}@{addr}/"))
}

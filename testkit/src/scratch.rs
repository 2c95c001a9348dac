//! A database of a test's own on the platform's MariaDB.

use sea_orm::{ConnectionTrait as _, Database};

use crate::platform::mariadb_root_url;

/// `swarmpress_test_<uuid>`, created empty and dropped when this is dropped — on a thread of
/// its own, since `Drop` cannot await and the test's runtime may be unwinding.
pub struct ScratchDatabase {
    name: String,
    server_url: String,
}

impl ScratchDatabase {
    pub async fn create() -> Result<Self, String> {
        let server_url = mariadb_root_url()?;
        let name = format!("swarmpress_test_{}", uuid::Uuid::new_v4().simple());
        let root = Database::connect(server_url.as_str())
            .await
            .map_err(|e| e.to_string().replace(&server_url, "<url>"))?;
        root.execute_unprepared(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .await
        .map_err(|e| e.to_string())?;
        root.close().await.map_err(|e| e.to_string())?;
        Ok(Self { name, server_url })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `mysql://root:…@host:port/`, for administrative connections of a test's own.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// `mysql://root:…@host:port/<name>`.
    pub fn url(&self) -> String {
        format!("{}{}", self.server_url, self.name)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let url = self.server_url.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let root = Database::connect(url.as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                root.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await
                    .map_err(|e| e.to_string())?;
                root.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {outcome:?}", self.name);
        }
    }
}

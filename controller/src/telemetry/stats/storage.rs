//! Storage per tenant: the `wp-content` volume's size (walked on disk: the engine's API 1.41
//! `system/df` answer is not one bollard's current models read) and the database's size from
//! `information_schema`. Both change slowly, so they are measured every few minutes.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::ListVolumesOptionsBuilder;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};
use swarmpress_schema::TenantName;

use crate::adapters::swarm::TENANT_LABEL;

/// How often storage is measured.
pub const MEASURE_EVERY: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("Docker: {0}")]
    Docker(#[from] bollard::errors::Error),
    #[error("MariaDB: {0}")]
    Database(#[from] sea_orm::DbErr),
}

/// Bytes of data and indexes of every tenant database (or only `only`'s), by tenant.
pub async fn database_sizes(
    db: &DatabaseConnection,
    only: Option<&TenantName>,
) -> Result<HashMap<String, f64>, StorageError> {
    let sql = "SELECT table_schema AS name, \
               CAST(COALESCE(SUM(data_length + index_length), 0) AS SIGNED) AS bytes \
               FROM information_schema.tables WHERE table_schema LIKE 'wp\\_%' \
               AND (? IS NULL OR table_schema = ?) GROUP BY table_schema";
    let only = only.map(TenantName::database_name);
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [only.clone().into(), only.into()],
    );
    let rows = db.query_all_raw(statement).await?;
    let mut sizes = HashMap::new();
    for row in rows {
        let name: String = row.try_get("", "name")?;
        let bytes: i64 = row.try_get("", "bytes")?;
        if let Some(tenant) = TenantName::from_database_name(&name) {
            sizes.insert(tenant.to_string(), bytes as f64);
        }
    }
    Ok(sizes)
}

/// Bytes of every tenant volume (or only `only`'s) whose mount point this process can read
/// (the controller's task mounts the engine's volume directory read-only), by tenant.
pub async fn volume_sizes(
    docker: &Docker,
    only: Option<&TenantName>,
) -> Result<HashMap<String, f64>, StorageError> {
    let label = match only {
        Some(tenant) => format!("{TENANT_LABEL}={tenant}"),
        None => TENANT_LABEL.to_owned(),
    };
    let filters = HashMap::from([("label", vec![label.as_str()])]);
    let options = ListVolumesOptionsBuilder::new().filters(&filters).build();
    let volumes = docker
        .list_volumes(Some(options))
        .await?
        .volumes
        .unwrap_or_default();
    let targets: Vec<(String, String)> = volumes
        .into_iter()
        .filter_map(|v| Some((v.labels.get(TENANT_LABEL)?.clone(), v.mountpoint)))
        .collect();
    // Walking directories blocks; keep it off the runtime's workers.
    let sizes = tokio::task::spawn_blocking(move || {
        targets
            .into_iter()
            .filter_map(|(tenant, mountpoint)| {
                let path = Path::new(&mountpoint);
                path.is_dir().then(|| (tenant, tree_size(path) as f64))
            })
            .collect()
    })
    .await
    .unwrap_or_default();
    Ok(sizes)
}

/// Apparent size of the files under `dir`, not following symbolic links (the image links
/// its bundled themes into `wp-content`; they are not the tenant's data).
fn tree_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(metadata) = entry.path().symlink_metadata() else {
                continue;
            };
            if metadata.is_dir() {
                pending.push(entry.path());
            } else if metadata.is_file() {
                total += metadata.len();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_files_without_following_links() {
        let dir = std::env::temp_dir().join(format!("swarmpress-tree-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/one"), vec![0u8; 100]).unwrap();
        std::fs::write(dir.join("a/b/two"), vec![0u8; 23]).unwrap();
        std::os::unix::fs::symlink("/usr", dir.join("link")).unwrap();
        assert_eq!(tree_size(&dir), 123);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

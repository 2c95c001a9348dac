//! A throwaway, migrated control-plane database per test on the platform's MariaDB (the
//! test kit's scratch database): skipped with a message when MariaDB is unreachable, failed
//! when `SWARMPRESS_REQUIRE_PLATFORM` is set.

use swarmpress_schema::store::Store;
use swarmpress_testkit::{ScratchDatabase, require};

pub struct TestDb {
    pub store: Store,
    // Last: the store's pool closes before the database goes.
    database: ScratchDatabase,
}

impl TestDb {
    /// Creates `swarmpress_test_<uuid>` and migrates it; `None` (after saying why) when the
    /// platform is unreachable and not required.
    pub async fn create() -> Option<Self> {
        require(Self::try_create().await, "the platform's MariaDB")
    }

    async fn try_create() -> Result<Self, String> {
        // From here on the guard exists, so the database is dropped even if migrating fails.
        let database = ScratchDatabase::create().await?;
        let store = Store::connect(&database.url())
            .await
            .map_err(|e| e.to_string())?;
        store.migrate().await.map_err(|e| e.to_string())?;
        Ok(Self { store, database })
    }

    /// The scratch database's name.
    #[allow(dead_code)] // not every test file uses it
    pub fn name(&self) -> &str {
        self.database.name()
    }

    /// `mysql://root:…@host:port/`, for administrative connections of a test's own.
    #[allow(dead_code)]
    pub fn server_url(&self) -> &str {
        self.database.server_url()
    }
}

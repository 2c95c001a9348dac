//! What a site uses of its plan's allocations: storage (volume, database and bucket, as last
//! measured by the controller) and edge bandwidth per calendar month.

use chrono::{DateTime, Datelike as _, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};

use super::account::Plan;

/// At this share of an allocation the owner is warned.
pub const WARN_PERCENT: f64 = 80.0;

/// Where a figure stands against its allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub enum AllocationState {
    /// Below [`WARN_PERCENT`] of the allocation.
    Within,
    /// At or above [`WARN_PERCENT`], not above the allocation.
    NearLimit,
    /// Above the allocation.
    Exceeded,
}

impl AllocationState {
    /// `used` against `allocation` (an allocation of 0 means none is set: always within).
    pub fn of(used: u64, allocation: u64) -> Self {
        if allocation == 0 {
            return Self::Within;
        }
        if used > allocation {
            Self::Exceeded
        } else if percent(used, allocation) >= WARN_PERCENT {
            Self::NearLimit
        } else {
            Self::Within
        }
    }
}

/// `used` as a percentage of `allocation`, to one decimal.
pub fn percent(used: u64, allocation: u64) -> f64 {
    if allocation == 0 {
        return 0.0;
    }
    (used as f64 / allocation as f64 * 1000.0).round() / 10.0
}

/// A site's storage as the controller last measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MeasuredStorage {
    pub volume_bytes: u64,
    pub database_bytes: u64,
    pub bucket_bytes: u64,
    pub measured_at: Option<DateTime<Utc>>,
}

impl MeasuredStorage {
    pub fn total(&self) -> u64 {
        self.volume_bytes
            .saturating_add(self.database_bytes)
            .saturating_add(self.bucket_bytes)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct StorageUsage {
    /// The `wp-content` volume (themes, plugins, uploads).
    pub volume_bytes: u64,
    /// Data and indexes of the site's database.
    pub database_bytes: u64,
    /// Objects in the site's bucket.
    pub bucket_bytes: u64,
    pub total_bytes: u64,
    /// The owner's plan's storage per site (0 when the owner has no plan).
    pub allocation_bytes: u64,
    pub percent: f64,
    pub state: AllocationState,
    /// When the figures were measured; absent before the first measurement.
    pub measured_at: Option<DateTime<Utc>>,
}

/// Edge traffic of one calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct MonthlyBandwidth {
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct BandwidthUsage {
    /// The current month, `YYYY-MM` (UTC).
    pub month: String,
    /// Requests and responses through the edge this month.
    pub bytes: u64,
    /// The owner's plan's monthly bandwidth per site (0 when the owner has no plan).
    pub allocation_bytes: u64,
    pub percent: f64,
    /// Exceeding it is warned about, never cut off.
    pub state: AllocationState,
}

/// A site's usage of its plan's allocations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct TenantUsage {
    pub tenant: String,
    /// The plan the allocations come from.
    pub plan: Option<String>,
    pub storage: StorageUsage,
    pub bandwidth: BandwidthUsage,
    /// Every month with traffic, newest first (at most a year).
    pub history: Vec<MonthlyBandwidth>,
}

/// `bytes` for people, in binary units: `512 B`, `1.5 KiB`, `3.4 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `YYYY-MM` of `at` (UTC): the key of a month's bandwidth.
pub fn month_of(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

impl TenantUsage {
    /// The usage report from what was measured and metered, against `plan`'s allocations.
    /// `months` holds the metered months, newest first.
    pub fn compose(
        tenant: &str,
        plan: Option<&Plan>,
        storage: MeasuredStorage,
        months: Vec<MonthlyBandwidth>,
        now: DateTime<Utc>,
    ) -> Self {
        let storage_allocation = plan.map_or(0, |p| u64::from(p.storage_mib) << 20);
        let bandwidth_allocation = plan.map_or(0, |p| u64::from(p.bandwidth_gib) << 30);
        let total = storage.total();
        let month = month_of(now);
        let this_month = months
            .iter()
            .find(|m| m.month == month)
            .map_or(0, |m| m.bytes);
        Self {
            tenant: tenant.to_owned(),
            plan: plan.map(|p| p.id.clone()),
            storage: StorageUsage {
                volume_bytes: storage.volume_bytes,
                database_bytes: storage.database_bytes,
                bucket_bytes: storage.bucket_bytes,
                total_bytes: total,
                allocation_bytes: storage_allocation,
                percent: percent(total, storage_allocation),
                state: AllocationState::of(total, storage_allocation),
                measured_at: storage.measured_at,
            },
            bandwidth: BandwidthUsage {
                month,
                bytes: this_month,
                allocation_bytes: bandwidth_allocation,
                percent: percent(this_month, bandwidth_allocation),
                state: AllocationState::of(this_month, bandwidth_allocation),
            },
            history: months,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_at_eighty_percent_and_refuses_only_above_the_allocation() {
        assert_eq!(AllocationState::of(79, 100), AllocationState::Within);
        assert_eq!(AllocationState::of(80, 100), AllocationState::NearLimit);
        assert_eq!(AllocationState::of(100, 100), AllocationState::NearLimit);
        assert_eq!(AllocationState::of(101, 100), AllocationState::Exceeded);
        assert_eq!(
            AllocationState::of(5, 0),
            AllocationState::Within,
            "no allocation"
        );
        assert!((percent(1, 3) - 33.3).abs() < f64::EPSILON);
    }

    #[test]
    fn months_are_keyed_in_utc() {
        let at = DateTime::parse_from_rfc3339("2026-01-31T23:30:00-02:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(month_of(at), "2026-02");
    }
}

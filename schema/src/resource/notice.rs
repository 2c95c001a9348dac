//! Announcements and maintenance windows: public to read, written by admins.

use chrono::{DateTime, Datelike, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::validation::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
pub enum AnnouncementType {
    Info,
    Warning,
    Maintenance,
}

impl AnnouncementType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Maintenance => "maintenance",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Info, Self::Warning, Self::Maintenance]
            .into_iter()
            .find(|t| t.as_str() == value)
    }
}

/// What an admin writes to create or replace an announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnnouncementInput {
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub type_: AnnouncementType,
    pub title: String,
    pub message: String,
    /// Shown from this time on.
    pub start: DateTime<Utc>,
    /// Shown until this time.
    pub end: DateTime<Utc>,
}

/// An announcement as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct Announcement {
    pub id: Uuid,
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub type_: AnnouncementType,
    pub title: String,
    pub message: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl Announcement {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && now < self.end
    }
}

impl AnnouncementInput {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        check_text(&mut errors, "title", &self.title, 200);
        check_text(&mut errors, "message", &self.message, 4000);
        check_period(&mut errors, self.start, self.end);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// What an admin writes to create or replace a maintenance window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceWindowInput {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub message: String,
    /// The rollout this window is for, if any.
    #[serde(default)]
    pub rollout_id: Option<Uuid>,
    /// While it is in force the API refuses writes from everyone but administrators (503
    /// `maintenance` with `Retry-After`), not only the portal's pages.
    #[serde(default)]
    #[oai(default)]
    pub blocking: bool,
}

/// A period during which the portal blocks users and shows `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct MaintenanceWindow {
    pub id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub message: String,
    pub rollout_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Writes by anyone but administrators are refused while it is in force.
    pub blocking: bool,
}

impl MaintenanceWindow {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && now < self.end
    }
}

impl MaintenanceWindowInput {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        check_text(&mut errors, "message", &self.message, 4000);
        check_period(&mut errors, self.start, self.end);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max_chars: usize) {
    let chars = value.chars().count();
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.push(FieldError::new(
            field,
            "must not contain control characters other than newlines and tabs",
        ));
    } else if value.trim().is_empty() || chars > max_chars {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max_chars} characters and not blank, got {chars}"),
        ));
    }
}

/// The instants the store keeps (MariaDB's DATETIME: years 1000 to 9999), narrowed to the
/// ones a notice can mean: from the Unix epoch on.
fn storable(instant: DateTime<Utc>) -> bool {
    (1970..=9999).contains(&instant.year())
}

fn check_period(errors: &mut Vec<FieldError>, start: DateTime<Utc>, end: DateTime<Utc>) {
    for (field, instant) in [("start", start), ("end", end)] {
        if !storable(instant) {
            errors.push(FieldError::new(field, "must be in the years 1970 to 9999"));
        }
    }
    if end <= start {
        errors.push(FieldError::new("end", "must be after start"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start: &str, end: &str, message: &str) -> MaintenanceWindowInput {
        MaintenanceWindowInput {
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
            message: message.to_owned(),
            rollout_id: None,
            blocking: false,
        }
    }

    fn fields(result: Result<(), Vec<FieldError>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_period_must_be_storable_and_ordered() {
        let ok = window("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "upgrade");
        assert!(ok.validate().is_ok());
        let ancient = window("0057-05-18T20:07:28Z", "2026-01-02T00:00:00Z", "upgrade");
        assert_eq!(fields(ancient.validate()), ["start"]);
        let backwards = window("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", "upgrade");
        assert_eq!(fields(backwards.validate()), ["end"]);
    }

    #[test]
    fn text_refuses_control_characters_but_keeps_newlines() {
        let ok = window(
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            "line one\nline two",
        );
        assert!(ok.validate().is_ok());
        let bell = window("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "ring \u{7}");
        assert_eq!(fields(bell.validate()), ["message"]);
    }
}

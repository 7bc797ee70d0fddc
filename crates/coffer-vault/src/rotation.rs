//! Rotation status of a credential (DESIGN.md §6).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ops::RotationMeta;
use crate::time::DAY;

/// Default "due soon" window in days.
pub const DEFAULT_DUE_SOON_DAYS: u32 = 14;

/// Rotation status, most urgent first (the derived order sorts by urgency).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Someone who could read it lost access: rotate at the provider now.
    Exposed,
    /// Past its provider expiry.
    Expired,
    /// Past its rotation due date.
    Overdue,
    /// Due within the window.
    DueSoon,
    /// Nothing to do.
    Ok,
}

impl Status {
    /// The name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Exposed => "exposed",
            Status::Expired => "expired",
            Status::Overdue => "overdue",
            Status::DueSoon => "due_soon",
            Status::Ok => "ok",
        }
    }

    /// Parses a status name (for `--fail-on`).
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "exposed" => Status::Exposed,
            "expired" => Status::Expired,
            "overdue" => Status::Overdue,
            "due_soon" | "due-soon" => Status::DueSoon,
            "ok" => Status::Ok,
            _ => {
                return Err(Error::InvalidInput(format!(
                    "unknown status '{s}': use exposed, expired, overdue or due_soon"
                )))
            }
        })
    }
}

/// The effective rotation period: the item's own, else its environment's.
pub fn effective_period(meta: &RotationMeta, env_default: Option<u32>) -> Option<u32> {
    meta.rotate_every_days.or(env_default)
}

/// The next date something must happen (rotation due or expiry), if any.
pub fn due_at(meta: &RotationMeta, env_default: Option<u32>) -> Option<i64> {
    let rot = match (effective_period(meta, env_default), meta.rotated_at) {
        (Some(days), Some(at)) => Some(at + i64::from(days) * DAY),
        _ => None,
    };
    match (rot, meta.expires_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The status at `now`.
pub fn status(
    meta: &RotationMeta,
    env_default: Option<u32>,
    now: i64,
    due_soon_days: u32,
) -> Status {
    if meta.exposed_at.is_some() {
        return Status::Exposed;
    }
    if matches!(meta.expires_at, Some(e) if e <= now) {
        return Status::Expired;
    }
    if let (Some(days), Some(at)) = (effective_period(meta, env_default), meta.rotated_at) {
        if at + i64::from(days) * DAY <= now {
            return Status::Overdue;
        }
    }
    match due_at(meta, env_default) {
        Some(d) if d - now <= i64::from(due_soon_days) * DAY => Status::DueSoon,
        _ => Status::Ok,
    }
}

/// Sorts credentials most urgent first: by status (exposed, expired,
/// overdue, due soon, ok), then due date, environment and name. The one
/// ordering of every rotation view (CLI `rotation`, the app's dashboard).
pub fn sort_by_urgency(items: &mut [crate::ItemSummary]) {
    items.sort_by(|a, b| {
        (
            a.status,
            a.due_at.unwrap_or(i64::MAX),
            &a.project,
            &a.env,
            &a.name,
        )
            .cmp(&(
                b.status,
                b.due_at.unwrap_or(i64::MAX),
                &b.project,
                &b.env,
                &b.name,
            ))
    });
}

impl crate::Vault {
    /// Every credential in `scope` (as [`crate::Vault::list_items`]), most
    /// urgent first: by status, then due date, environment and name. The
    /// rotation views (CLI `rotation`, the app's dashboard) filter this.
    pub fn rotation_list(
        &mut self,
        scope: Option<&str>,
        due_soon_days: u32,
    ) -> Result<Vec<crate::ItemSummary>> {
        let mut items = self.list_items(scope, due_soon_days)?;
        sort_by_urgency(&mut items);
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let now = 1_000 * DAY;
        let m = |every, rot, exp, expo| RotationMeta {
            rotate_every_days: every,
            rotated_at: rot,
            expires_at: exp,
            exposed_at: expo,
        };
        assert_eq!(
            status(&m(None, Some(now), None, None), None, now, 14),
            Status::Ok
        );
        assert_eq!(
            status(
                &m(Some(90), Some(now - 91 * DAY), None, None),
                None,
                now,
                14
            ),
            Status::Overdue
        );
        assert_eq!(
            status(
                &m(None, Some(now - 91 * DAY), None, None),
                Some(90),
                now,
                14
            ),
            Status::Overdue
        );
        assert_eq!(
            status(
                &m(Some(90), Some(now - 80 * DAY), None, None),
                None,
                now,
                14
            ),
            Status::DueSoon
        );
        assert_eq!(
            status(&m(Some(90), Some(now - 80 * DAY), None, None), None, now, 5),
            Status::Ok
        );
        assert_eq!(
            status(&m(None, Some(now), Some(now - 1), None), None, now, 14),
            Status::Expired
        );
        assert_eq!(
            status(&m(None, Some(now), Some(now + DAY), None), None, now, 14),
            Status::DueSoon
        );
        assert_eq!(
            status(&m(None, Some(now), None, Some(now)), None, now, 14),
            Status::Exposed
        );
        assert!(Status::Exposed < Status::Expired && Status::DueSoon < Status::Ok);
    }
}

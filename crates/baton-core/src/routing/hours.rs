//! Business hours: a time zone and weekly opening times.

use crate::error::DomainError;
use crate::time::Timestamp;
use chrono::{Datelike, NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

/// Opening times on one weekday, `HH:MM` to `HH:MM` local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayHours {
    /// `mon` … `sun`.
    pub day: String,
    /// Opening, e.g. `09:00`.
    pub open: String,
    /// Closing, e.g. `17:30` (after `open`).
    pub close: String,
}

/// A workspace's business hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Opening times; a day not listed is closed.
    pub days: Vec<DayHours>,
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().as_str() {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

fn hhmm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

impl BusinessHours {
    /// Check the time zone, days and times.
    pub fn validate(&self) -> Result<(), DomainError> {
        let bad = |m: String| DomainError::invalid("invalid_business_hours", m);
        self.timezone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| bad(format!("unknown time zone {:?}", self.timezone)))?;
        for d in &self.days {
            weekday(&d.day).ok_or_else(|| bad(format!("unknown day {:?}: use mon … sun", d.day)))?;
            let (o, c) = (hhmm(&d.open), hhmm(&d.close));
            match (o, c) {
                (Some(o), Some(c)) if o < c => {}
                _ => {
                    return Err(bad(format!(
                        "{}: open {:?} must be before close {:?} (HH:MM)",
                        d.day, d.open, d.close
                    )));
                }
            }
        }
        Ok(())
    }

    /// Is `at` inside these hours? An invalid configuration counts as open.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let Ok(tz) = self.timezone.parse::<chrono_tz::Tz>() else {
            return true;
        };
        let local = at.with_timezone(&tz);
        let now = NaiveTime::from_hms_opt(local.hour(), local.minute(), local.second()).unwrap_or_default();
        self.days.iter().any(|d| {
            weekday(&d.day) == Some(local.weekday())
                && matches!((hhmm(&d.open), hhmm(&d.close)), (Some(o), Some(c)) if o <= now && now < c)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn weekdays_nine_to_five(tz: &str) -> BusinessHours {
        BusinessHours {
            timezone: tz.into(),
            days: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| DayHours {
                    day: (*d).into(),
                    open: "09:00".into(),
                    close: "17:00".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn open_hours_follow_the_workspace_time_zone() {
        let h = weekdays_nine_to_five("America/New_York");
        // Monday 2026-03-02 14:00 UTC is 09:00 in New York.
        assert!(h.is_open(chrono::Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap()));
        assert!(!h.is_open(chrono::Utc.with_ymd_and_hms(2026, 3, 2, 13, 59, 0).unwrap()));
        // Saturday is closed.
        assert!(!h.is_open(chrono::Utc.with_ymd_and_hms(2026, 3, 7, 15, 0, 0).unwrap()));
    }

    #[test]
    fn bad_hours_are_refused() {
        assert!(weekdays_nine_to_five("Mars/Olympus").validate().is_err());
        let mut h = weekdays_nine_to_five("UTC");
        h.days[0].close = "08:00".into();
        assert!(h.validate().is_err());
        assert!(weekdays_nine_to_five("Europe/Berlin").validate().is_ok());
    }
}

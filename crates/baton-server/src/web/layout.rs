//! What every page's frame shows: who is signed in, their availability, the
//! navigation they may use, and the CSRF token for page scripts.

use super::auth::WebUser;
use baton_core::{Action, Timestamp};
use chrono::Utc;

/// The frame around every signed-in page.
pub struct Layout {
    /// The page title (before " · Baton").
    pub title: String,
    /// Which top-level section is current: `inbox` or `admin`.
    pub section: &'static str,
    /// CSRF token for the `<meta>` tag.
    pub csrf: String,
    /// The signed-in user's id.
    pub me_id: String,
    /// Their name.
    pub me_name: String,
    /// Their role word.
    pub me_role: &'static str,
    /// Their availability word.
    pub availability: &'static str,
    /// May they see the admin pages?
    pub is_admin: bool,
}

impl Layout {
    /// The frame for `me`.
    pub fn new(me: &WebUser, title: impl Into<String>, section: &'static str) -> Self {
        let u = &me.caller.user;
        Self {
            title: title.into(),
            section,
            csrf: me.csrf.clone(),
            me_id: u.id.to_string(),
            me_name: u.name.clone(),
            me_role: u.role.as_str(),
            availability: u.availability.as_str(),
            is_admin: me.can(Action::Manage),
        }
    }
}

/// A short, calm time: `14:05` today, `Mar 3` this year, `2024-03-03` before.
pub fn short_time(t: Timestamp) -> String {
    let now = Utc::now();
    if t.date_naive() == now.date_naive() {
        t.format("%H:%M").to_string()
    } else if t.format("%Y").to_string() == now.format("%Y").to_string() {
        t.format("%b %-d").to_string()
    } else {
        t.format("%Y-%m-%d").to_string()
    }
}

/// A full time for tooltips and `datetime` attributes.
pub fn iso_time(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A readable full time: `2025-03-03 14:05 UTC`.
pub fn long_time(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

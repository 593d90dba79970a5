//! The app's screens, one module each.

pub mod admin;
pub mod approvals;
pub mod callback;
pub mod home;
pub mod outbox;
pub mod profile;
pub mod week;

use crate::domain::WorkDate;

/// Today on this device (the browser's time zone); `None` while server rendering.
pub(crate) fn today() -> Option<WorkDate> {
    #[cfg(feature = "hydrate")]
    {
        let now = web_sys::js_sys::Date::new_0();
        WorkDate::parse(&format!(
            "{:04}-{:02}-{:02}",
            now.get_full_year(),
            now.get_month() + 1,
            now.get_date()
        ))
        .ok()
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

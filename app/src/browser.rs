//! What the app asks of the browser it runs in, in one place: whether there is a
//! network, and today's date on this device. Server rendering gets neutral answers.

#[cfg(feature = "hydrate")]
use leptos::prelude::window;

use crate::domain::WorkDate;

/// Whether the browser believes it has a network.
pub fn is_online() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().navigator().on_line()
    }
    #[cfg(not(feature = "hydrate"))]
    true
}

/// Today on this device (the browser's time zone); `None` while server rendering.
pub fn today() -> Option<WorkDate> {
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

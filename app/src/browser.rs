//! What the app asks of the browser it runs in, in one place: the network, the clock and
//! calendar, this device's storage, ids, the clipboard and downloads. Server rendering
//! gets neutral answers. (Sign-in's own browser work is in `oidc/browser/`.)

#[cfg(feature = "hydrate")]
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

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

/// "Mon, 16 Nov" in the user's locale.
pub fn day_label(day: WorkDate) -> String {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::js_sys::{Date, Object, Reflect};
        let date = day.date();
        let js = Date::new_with_year_month_day(
            date.year() as u32,
            i32::from(u8::from(date.month())) - 1,
            i32::from(date.day()),
        );
        let options = Object::new();
        for (key, value) in [("weekday", "short"), ("day", "numeric"), ("month", "short")] {
            let _ = Reflect::set(&options, &key.into(), &value.into());
        }
        let locale = window()
            .navigator()
            .language()
            .unwrap_or_else(|| "en".into());
        js.to_locale_date_string(&locale, &options).into()
    }
    #[cfg(not(feature = "hydrate"))]
    day.to_string()
}

/// `text` in upper case by the browser's own Unicode rules (the server's are Rust's: the
/// same for any text a person types). Not `str::to_uppercase` in the browser: its Unicode
/// tables would be ~25 KB of every phone's first download.
pub fn uppercase(text: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::js_sys::JsString::from(text).to_upper_case().into()
    }
    #[cfg(not(feature = "hydrate"))]
    text.to_uppercase()
}

/// `text` in lower case; see [`uppercase`].
pub fn lowercase(text: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::js_sys::JsString::from(text).to_lower_case().into()
    }
    #[cfg(not(feature = "hydrate"))]
    text.to_lowercase()
}

/// Now, in Unix milliseconds, by this device's clock (0 while server rendering).
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        web_sys::js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    0
}

/// A value kept on this device (localStorage) under `key`, or the default if none is.
/// Never a token: tokens stay in memory.
pub fn kept<T: DeserializeOwned + Default>(key: &str) -> T {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{LocalStorage, Storage as _};
        LocalStorage::get(key).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        T::default()
    }
}

/// Whether this device keeps something under `key`, without reading it.
pub fn is_kept(key: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        window()
            .local_storage()
            .ok()
            .flatten()
            .and_then(|storage| storage.get_item(key).ok().flatten())
            .is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        false
    }
}

/// Keeps `value` on this device under `key`; why not, if the browser refuses (full,
/// private mode).
pub fn keep<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{LocalStorage, Storage as _};
        LocalStorage::set(key, value).map_err(|err| err.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (key, value);
        Ok(())
    }
}

/// Removes what this device keeps under `key`.
pub fn forget(key: &str) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{LocalStorage, Storage as _};
        LocalStorage::delete(key);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = key;
}

/// A new random UUID from the browser's CSPRNG (`None` while server rendering).
pub fn random_uuid() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        window().crypto().ok().map(|crypto| crypto.random_uuid())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Puts `text` on the clipboard (best effort: the user can still select it).
pub fn copy_text(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// Hands the downloaded file to the browser under `name`.
#[cfg(feature = "hydrate")]
pub fn offer_download(object_url: &str, name: &str) {
    use wasm_bindgen::JsCast;
    if let Ok(link) = document().create_element("a") {
        let link: web_sys::HtmlAnchorElement = link.unchecked_into();
        link.set_href(object_url);
        link.set_download(name);
        link.click();
        // Revoked later: revoking at once can cancel the download that just started.
        let object_url = object_url.to_owned();
        set_timeout(
            move || {
                let _ = web_sys::Url::revoke_object_url(&object_url);
            },
            std::time::Duration::from_secs(60),
        );
    }
}

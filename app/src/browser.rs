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

/// "Mon, 16 Nov" in the phone's language.
pub fn day_label(day: WorkDate) -> String {
    #[cfg(feature = "hydrate")]
    {
        intl::date_format(&[("weekday", "short"), ("day", "numeric"), ("month", "short")])
            .and_then(|format| intl::call(&format, "format", &[&intl::js_date(day)]))
            .unwrap_or_else(|| day.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    day.to_string()
}

/// A moment (Unix ms) on this phone's calendar: the day and the second of that day.
pub fn local_day_and_second(unix_ms: i64) -> Option<(WorkDate, u32)> {
    #[cfg(feature = "hydrate")]
    {
        let at = web_sys::js_sys::Date::new(&(unix_ms as f64).into());
        let day = WorkDate::parse(&format!(
            "{:04}-{:02}-{:02}",
            at.get_full_year(),
            at.get_month() + 1,
            at.get_date()
        ))
        .ok()?;
        Some((
            day,
            at.get_hours() * 3600 + at.get_minutes() * 60 + at.get_seconds(),
        ))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = unix_ms;
        None
    }
}

/// A moment (Unix ms) as a time of day in the phone's language, e.g. "09:12".
pub fn time_label(unix_ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date: wasm_bindgen::JsValue =
            web_sys::js_sys::Date::new(&(unix_ms as f64).into()).into();
        intl::date_format(&[("hour", "numeric"), ("minute", "2-digit")])
            .and_then(|format| intl::call(&format, "format", &[&date]))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = unix_ms;
        String::new()
    }
}

/// Sets the document's title (the installed app's window or task name).
pub fn set_title(title: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(document) = window().document() {
        document.set_title(title);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = title;
}

/// A day's weekday in one or two letters ("M", "T"…) in the phone's language.
pub fn weekday_letter(day: WorkDate) -> String {
    #[cfg(feature = "hydrate")]
    {
        intl::date_format(&[("weekday", "narrow")])
            .and_then(|format| intl::call(&format, "format", &[&intl::js_date(day)]))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    day.weekday().to_string().chars().take(1).collect()
}

/// The month `day` is in, e.g. "December 2026", in the phone's language.
pub fn month_label(day: WorkDate) -> String {
    #[cfg(feature = "hydrate")]
    {
        intl::date_format(&[("month", "long"), ("year", "numeric")])
            .and_then(|format| intl::call(&format, "format", &[&intl::js_date(day)]))
            .unwrap_or_else(|| day.to_string()[..7].to_owned())
    }
    #[cfg(not(feature = "hydrate"))]
    day.to_string()[..7].to_owned()
}

/// A moment (Unix ms) as a day and time in the phone's language, e.g. "7 Dec, 14:05".
pub fn moment_label(unix_ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date: wasm_bindgen::JsValue =
            web_sys::js_sys::Date::new(&(unix_ms as f64).into()).into();
        intl::date_format(&[
            ("day", "numeric"),
            ("month", "short"),
            ("hour", "numeric"),
            ("minute", "2-digit"),
        ])
        .and_then(|format| intl::call(&format, "format", &[&date]))
        .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = unix_ms;
        String::new()
    }
}

/// A week's days in the phone's language, e.g. "30 Nov – 6 Dec" (or "Nov 30 – Dec 6"),
/// without years: short enough for one line.
pub fn week_label(week: crate::domain::IsoWeek) -> String {
    #[cfg(feature = "hydrate")]
    {
        let (first, last) = (week.monday(), week.sunday());
        let (monday, sunday) = (intl::js_date(first), intl::js_date(last));
        let format = intl::date_format(&[("day", "numeric"), ("month", "short")]);
        let range = format.and_then(|format| {
            // `formatRange` adds both years to a range across New Year.
            if first.date().year() == last.date().year() {
                intl::call(&format, "formatRange", &[&monday, &sunday])
            } else {
                let from = intl::call(&format, "format", &[&monday])?;
                let to = intl::call(&format, "format", &[&sunday])?;
                Some(format!("{from} – {to}"))
            }
        });
        range.unwrap_or_else(|| week.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    week.to_string()
}

/// A duration in the phone's language ("7h 30m" in English): the browser's
/// `Intl.DurationFormat` where it has one, else "7:30".
pub fn duration_label(minutes: u32) -> String {
    #[cfg(feature = "hydrate")]
    {
        intl::duration(minutes).unwrap_or_else(|| crate::domain::clock(minutes))
    }
    #[cfg(not(feature = "hydrate"))]
    crate::domain::clock(minutes)
}

/// A short buzz where the phone can (`navigator.vibrate`); nothing elsewhere.
pub fn buzz() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().navigator().vibrate_with_duration(30);
    }
}

/// The browser's `Intl`, reached by name: js-sys has no `formatRange` or `DurationFormat`.
#[cfg(feature = "hydrate")]
mod intl {
    use leptos::prelude::window;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::js_sys::{Array, Date, Function, Object, Reflect};

    use crate::domain::WorkDate;

    fn locale() -> JsValue {
        window()
            .navigator()
            .language()
            .unwrap_or_else(|| "en".into())
            .into()
    }

    fn options(pairs: &[(&str, &str)]) -> Object {
        let options = Object::new();
        for (key, value) in pairs {
            let _ = Reflect::set(&options, &(*key).into(), &(*value).into());
        }
        options
    }

    /// `new Intl.<name>(locale, options)`, if this browser has it.
    fn construct(name: &str, options: &Object) -> Option<JsValue> {
        let intl = Reflect::get(&web_sys::js_sys::global(), &"Intl".into()).ok()?;
        let class: Function = Reflect::get(&intl, &name.into()).ok()?.dyn_into().ok()?;
        Reflect::construct(&class, &Array::of2(&locale(), options)).ok()
    }

    pub fn date_format(pairs: &[(&str, &str)]) -> Option<JsValue> {
        construct("DateTimeFormat", &options(pairs))
    }

    /// `target.method(...args)` as text.
    pub fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Option<String> {
        let method: Function = Reflect::get(target, &method.into()).ok()?.dyn_into().ok()?;
        let args: Array = args.iter().copied().collect();
        method.apply(target, &args).ok()?.as_string()
    }

    /// Noon of `day` on this device: a calendar day, whatever the time zone.
    pub fn js_date(day: WorkDate) -> JsValue {
        let date = day.date();
        Date::new_with_year_month_day_hr(
            date.year() as u32,
            i32::from(u8::from(date.month())) - 1,
            i32::from(date.day()),
            12,
        )
        .into()
    }

    pub fn duration(minutes: u32) -> Option<String> {
        let (hours, minutes) = (minutes / 60, minutes % 60);
        // Zero shows as "0m", not as nothing.
        let minutes_display = if hours == 0 { "always" } else { "auto" };
        let format = construct(
            "DurationFormat",
            &options(&[("style", "narrow"), ("minutesDisplay", minutes_display)]),
        )?;
        let parts = Object::new();
        let _ = Reflect::set(&parts, &"hours".into(), &hours.into());
        let _ = Reflect::set(&parts, &"minutes".into(), &minutes.into());
        call(&format, "format", &[&parts])
    }
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

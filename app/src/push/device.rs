//! The browser's half of reminders: the notification permission, this device's push
//! subscription (`PushManager`, through `Reflect`: the bundle carries no bindings for the
//! rest of the Push and Notifications APIs), its time zone, and the app badge.

use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::{self, Array, Function, Object, Promise, Reflect, Uint8Array};

use super::{NewPushSubscription, PushKeys};

/// How long subscribing may take: a browser whose push service cannot be reached may
/// never answer.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(20);

fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(target, &key.into())
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

fn global(key: &str) -> Option<JsValue> {
    get(&js_sys::global(), key)
}

/// `target.method(...args)`, awaited when it answers a promise.
async fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, String> {
    let function: Function = get(target, method)
        .and_then(|value| value.dyn_into().ok())
        .ok_or_else(|| format!("this browser has no {method}"))?;
    let args: Array = args.iter().copied().collect();
    let answer = function.apply(target, &args).map_err(|err| message(&err))?;
    match answer.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await.map_err(|err| message(&err)),
        Err(value) => Ok(value),
    }
}

/// What a browser error says.
fn message(error: &JsValue) -> String {
    get(error, "message")
        .and_then(|message| message.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// Whether this browser can show reminders (service worker, Push API, notifications).
pub fn supported() -> bool {
    global("PushManager").is_some()
        && global("Notification").is_some()
        && get(
            &web_sys::window()
                .map(|w| w.navigator().into())
                .unwrap_or(JsValue::NULL),
            "serviceWorker",
        )
        .is_some()
}

/// The service worker registration's `pushManager`, once the worker is ready.
async fn push_manager() -> Result<JsValue, String> {
    let window = web_sys::window().ok_or("no window")?;
    let ready = window
        .navigator()
        .service_worker()
        .ready()
        .map_err(|err| message(&err))?;
    // A worker that never gets ready (it failed to install) must not hold up the caller,
    // e.g. a sign-out.
    let ready = Promise::race(&Array::of2(
        &ready,
        &timeout(Duration::from_secs(5), "the service worker is not ready"),
    ));
    let registration = JsFuture::from(ready).await.map_err(|err| message(&err))?;
    get(&registration, "pushManager").ok_or_else(|| "this browser has no push".to_owned())
}

/// A promise that rejects after `after`.
fn timeout(after: Duration, text: &'static str) -> Promise {
    Promise::new(&mut |_, reject| {
        let fire = Closure::once_into_js(move || {
            let _ = reject.call1(&JsValue::NULL, &js_sys::Error::new(text));
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                fire.unchecked_ref(),
                i32::try_from(after.as_millis()).unwrap_or(i32::MAX),
            );
        }
    })
}

/// Asks for the notification permission (the browser's own prompt) and subscribes this
/// device with the server's key: what the server needs to send it reminders.
pub async fn subscribe(public_key: &str) -> Result<NewPushSubscription, String> {
    let notification = global("Notification").ok_or("this browser has no notifications")?;
    let permission = call(&notification, "requestPermission", &[]).await?;
    if permission.as_string().as_deref() != Some("granted") {
        return Err(
            "Notifications are blocked for this app: allow them in the browser's site settings, then try again."
                .into(),
        );
    }
    let key = URL_SAFE_NO_PAD
        .decode(public_key)
        .map_err(|_| "the server's key is not base64url".to_owned())?;
    let options = Object::new();
    let _ = Reflect::set(&options, &"userVisibleOnly".into(), &JsValue::TRUE);
    let _ = Reflect::set(
        &options,
        &"applicationServerKey".into(),
        &Uint8Array::from(key.as_slice()).into(),
    );
    let manager = push_manager().await?;
    let function: Function = get(&manager, "subscribe")
        .and_then(|value| value.dyn_into().ok())
        .ok_or("this browser has no push")?;
    let started: Promise = function
        .call1(&manager, &options)
        .map_err(|err| message(&err))?
        .dyn_into()
        .map_err(|_| "the browser did not start subscribing".to_owned())?;
    let raced = Promise::race(&Array::of2(
        &started,
        &timeout(
            SUBSCRIBE_TIMEOUT,
            "the browser's push service did not answer",
        ),
    ));
    let subscription = JsFuture::from(raced)
        .await
        .map_err(|err| format!("This browser could not subscribe: {}", message(&err)))?;
    described(&subscription).await
}

/// This device's subscription, if it has one, as the server takes it.
pub async fn current() -> Option<NewPushSubscription> {
    let manager = push_manager().await.ok()?;
    let subscription = call(&manager, "getSubscription", &[]).await.ok()?;
    get(&subscription, "endpoint")?;
    described(&subscription).await.ok()
}

/// A `PushSubscription` as the server takes it: its JSON and the device's time zone.
async fn described(subscription: &JsValue) -> Result<NewPushSubscription, String> {
    let json = call(subscription, "toJSON", &[]).await?;
    let text = |value: Option<JsValue>, what: &str| {
        value
            .and_then(|value| value.as_string())
            .ok_or_else(|| format!("the subscription has no {what}"))
    };
    let keys = get(&json, "keys");
    Ok(NewPushSubscription {
        endpoint: text(get(&json, "endpoint"), "endpoint")?,
        keys: PushKeys {
            p256dh: text(keys.as_ref().and_then(|keys| get(keys, "p256dh")), "p256dh")?,
            auth: text(keys.as_ref().and_then(|keys| get(keys, "auth")), "auth")?,
        },
        time_zone: time_zone(),
    })
}

/// Ends this device's subscription; answers its endpoint (to tell the server), if it had one.
pub async fn unsubscribe() -> Result<Option<String>, String> {
    let manager = push_manager().await?;
    let subscription = call(&manager, "getSubscription", &[]).await?;
    let Some(endpoint) = get(&subscription, "endpoint").and_then(|value| value.as_string()) else {
        return Ok(None);
    };
    call(&subscription, "unsubscribe", &[]).await?;
    Ok(Some(endpoint))
}

/// The device's IANA time zone (`Europe/Berlin`); `UTC` if the browser does not say.
fn time_zone() -> String {
    global("Intl")
        .and_then(|intl| get(&intl, "DateTimeFormat"))
        .and_then(|class| class.dyn_into::<Function>().ok())
        .and_then(|class| Reflect::construct(&class, &Array::new()).ok())
        .and_then(|format| {
            let resolved: Function = get(&format, "resolvedOptions")?.dyn_into().ok()?;
            resolved.call0(&format).ok()
        })
        .and_then(|options| get(&options, "timeZone"))
        .and_then(|zone| zone.as_string())
        .unwrap_or_else(|| "UTC".to_owned())
}

/// The app badge (installed app's icon) shows `count`, or nothing for 0, where the system
/// has badges (`navigator.setAppBadge`); elsewhere nothing happens.
pub fn show_badge(count: usize) {
    let Some(navigator) = web_sys::window().map(|window| JsValue::from(window.navigator())) else {
        return;
    };
    let (method, args) = if count == 0 {
        ("clearAppBadge", Array::new())
    } else {
        ("setAppBadge", Array::of1(&JsValue::from(count as f64)))
    };
    if let Some(function) =
        get(&navigator, method).and_then(|value| value.dyn_into::<Function>().ok())
    {
        // A promise that only fails where badges are not allowed: nothing to tell.
        if let Ok(promise) = function
            .apply(&navigator, &args)
            .and_then(|answer| answer.dyn_into::<Promise>())
        {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(promise).await;
            });
        }
    }
}

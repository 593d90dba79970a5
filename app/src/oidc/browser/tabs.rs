//! Coordination between this origin's tabs: a Web Lock so that one token renewal at a time
//! is in flight, and a `BroadcastChannel` over which tabs share the token set in memory
//! (a new tab asks instead of redirecting; a renewal or sign-out reaches every tab).

use std::{cell::RefCell, future::Future};

use serde::{Deserialize, Serialize};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{js_sys, BroadcastChannel, MessageEvent};

use super::flow::TokenSet;

const CHANNEL: &str = "timesheets-session";
const RENEWAL_LOCK: &str = "timesheets-token-renewal";

#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum TabMessage {
    /// "Does a tab have tokens?" (a new tab, or a tab about to renew).
    Ask,
    /// The current token set, answering `Ask` or after a sign-in or renewal.
    Tokens {
        set: TokenSet,
    },
    SignedOut,
}

thread_local! {
    static CHANNEL_HANDLE: RefCell<Option<BroadcastChannel>> = const { RefCell::new(None) };
}

/// Opens the channel; `on_message` gets every other tab's message as it came (decoded
/// with [`decode`] by the code that needs it, so the page's first download has no JSON).
pub fn listen(on_message: impl Fn(String) + 'static) {
    let Ok(channel) = BroadcastChannel::new(CHANNEL) else {
        return; // No BroadcastChannel: each tab keeps its own session.
    };
    let handler = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(text) = event.data().as_string() {
            on_message(text);
        }
    });
    channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget(); // Lives as long as the page.
    CHANNEL_HANDLE.set(Some(channel));
}

/// A message another tab posted; `None` if it is not one (another version of the app).
pub fn decode(text: &str) -> Option<TabMessage> {
    serde_json::from_str(text).ok()
}

pub fn post(message: &TabMessage) {
    let Ok(text) = serde_json::to_string(message) else {
        return;
    };
    CHANNEL_HANDLE.with_borrow(|channel| {
        if let Some(channel) = channel {
            let _ = channel.post_message(&JsValue::from_str(&text));
        }
    });
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["navigator", "locks"], js_name = request, catch)]
    fn request_lock(name: &str, callback: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

fn has_web_locks() -> bool {
    web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window.navigator(), &"locks".into()).ok())
        .is_some_and(|locks| locks.is_object())
}

/// Runs `work` while holding this origin's renewal lock, so across all tabs one renewal
/// at a time is in flight. Without Web Locks (old browsers, insecure origins) it runs at
/// once. `None` if the browser dropped the lock request.
pub async fn with_renewal_lock<T: 'static>(work: impl Future<Output = T> + 'static) -> Option<T> {
    if !has_web_locks() {
        return Some(work.await);
    }
    let (sender, receiver) = futures::channel::oneshot::channel();
    let callback = Closure::once_into_js(move |_lock: JsValue| -> js_sys::Promise {
        future_to_promise(async move {
            let _ = sender.send(work.await);
            Ok(JsValue::UNDEFINED)
        })
    });
    let granted = request_lock(RENEWAL_LOCK, &callback).ok()?;
    let _ = JsFuture::from(granted).await;
    receiver.await.ok()
}

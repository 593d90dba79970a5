//! DPoP (RFC 9449) in the browser: a P-256 key made with WebCrypto at sign-in, its
//! private half **non-extractable**, and a signed proof for every token request and API
//! call. A token copied out of the page is useless without the key, and the key cannot
//! be copied out at all: scripts can only ask the browser to sign with it.
//!
//! The key object (never key material) is kept in IndexedDB under its thumbprint, so that
//! the callback page after the provider's redirect, and this origin's other tabs, sign with
//! the key their tokens are bound to; a tab signing in anew does not take another tab's.

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array},
    CryptoKey, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode, SubtleCrypto,
};

const DATABASE: &str = "timesheets-dpop";
/// Records `{privateKey, publicKey, created}` by thumbprint.
const STORE: &str = "keys";
/// Keys older than this are deleted when a new one is made: no sign-in lasts longer
/// (`PROVIDER_REFRESH_ABSOLUTE_SECS` is 30 days by default).
const MAX_KEY_AGE_MS: f64 = 31.0 * 24.0 * 60.0 * 60.0 * 1000.0;

/// A key that signs proofs, and the public JWK and thumbprint tokens are bound to.
#[derive(Clone)]
struct ProofKey {
    private: CryptoKey,
    /// `{"crv":"P-256","kty":"EC","x":…,"y":…}`: the members in RFC 7638's order, so the
    /// same text is the proof header's `jwk` and the thumbprint's input.
    jwk: String,
    jkt: String,
}

thread_local! {
    static KEY: RefCell<Option<ProofKey>> = const { RefCell::new(None) };
    static DB: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
    /// The server's clock minus this device's, in ms: proofs carry the server's time.
    static CLOCK_OFFSET_MS: Cell<f64> = const { Cell::new(0.0) };
    /// The last `DPoP-Nonce` each endpoint sent (RFC 9449 §8).
    static NONCES: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// Off by more than this, the device's clock is corrected (proofs are accepted within a
/// minute or two).
const CLOCK_SLACK_MS: f64 = 10_000.0;

/// Sets the proofs' clock from the server's `Date` (this origin's `/healthz`) after a
/// proof was refused; `true` when it was off, so that a retry may now succeed.
pub async fn sync_clock() -> bool {
    let sent = web_sys::js_sys::Date::now();
    let Ok(response) = gloo_net::http::Request::get("/healthz").send().await else {
        return false;
    };
    let Some(date) = response.headers().get("date") else {
        return false;
    };
    let server = web_sys::js_sys::Date::parse(&date);
    if server.is_nan() {
        return false;
    }
    // `Date` has whole seconds: the server's time was half a second later on average.
    let local = (sent + web_sys::js_sys::Date::now()) / 2.0;
    let offset = server + 500.0 - local;
    let previous = CLOCK_OFFSET_MS.replace(offset);
    (offset - previous).abs() > CLOCK_SLACK_MS
}

fn now_secs() -> i64 {
    ((web_sys::js_sys::Date::now() + CLOCK_OFFSET_MS.get()) / 1000.0).floor() as i64
}

/// The nonce `url` asked for last, if any.
pub fn nonce_for(url: &str) -> Option<String> {
    NONCES.with_borrow(|nonces| nonces.get(url).cloned())
}

pub fn keep_nonce(url: &str, nonce: &str) {
    NONCES.with_borrow_mut(|nonces| nonces.insert(url.to_owned(), nonce.to_owned()));
}

fn subtle() -> Option<SubtleCrypto> {
    Some(web_sys::window()?.crypto().ok()?.subtle())
}

fn object(pairs: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    object
}

fn bytes(buffer: &JsValue) -> Vec<u8> {
    Uint8Array::new(buffer).to_vec()
}

async fn sha256(data: &[u8]) -> Option<Vec<u8>> {
    let digest = subtle()?
        .digest_with_str_and_u8_array("SHA-256", data)
        .ok()?;
    Some(bytes(&JsFuture::from(digest).await.ok()?))
}

/// The key a sign-in binds its tokens to, by thumbprint (for the authorization request's
/// `dpop_jkt`): a new one when the person signs in, else (a silent restore after a reload,
/// a step-up) the newest this browser keeps, so that reloads do not pile up keys.
pub async fn key_for_sign_in(new: bool) -> Option<String> {
    if !new {
        let newest = stored_keys()
            .await
            .into_iter()
            .max_by(|(_, a), (_, b)| a.total_cmp(b));
        if let Some((jkt, _)) = newest {
            if key(&jkt).await.is_some() {
                return Some(jkt);
            }
        }
    }
    new_key().await
}

/// Makes a new key and keeps it (in memory and IndexedDB); its thumbprint.
async fn new_key() -> Option<String> {
    let subtle = subtle()?;
    let usages = Array::of2(&"sign".into(), &"verify".into());
    let generated = subtle
        .generate_key_with_object(
            &object(&[("name", "ECDSA"), ("namedCurve", "P-256")]),
            false,
            &usages,
        )
        .ok()?;
    let pair = JsFuture::from(generated).await.ok()?;
    let key = key_of(&pair).await?;
    let _ = Reflect::set(
        &pair,
        &"created".into(),
        &web_sys::js_sys::Date::now().into(),
    );
    forget_old_keys().await;
    store(&key.jkt, Some(&pair)).await?;
    let jkt = key.jkt.clone();
    KEY.set(Some(key));
    Some(jkt)
}

/// The key of a stored `CryptoKeyPair`: its private key and its public JWK.
async fn key_of(pair: &JsValue) -> Option<ProofKey> {
    let private: CryptoKey = Reflect::get(pair, &"privateKey".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let public: CryptoKey = Reflect::get(pair, &"publicKey".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let exported = JsFuture::from(subtle()?.export_key("jwk", &public).ok()?)
        .await
        .ok()?;
    let member = |name: &str| Reflect::get(&exported, &name.into()).ok()?.as_string();
    let (x, y) = (member("x")?, member("y")?);
    let jwk = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let jkt = URL_SAFE_NO_PAD.encode(sha256(jwk.as_bytes()).await?);
    Some(ProofKey { private, jwk, jkt })
}

/// The key whose thumbprint is `jkt`: the one in memory, or the one another tab (or this
/// one before the provider's redirect) stored.
async fn key(jkt: &str) -> Option<ProofKey> {
    if let Some(key) = KEY.with_borrow(|key| key.clone().filter(|key| key.jkt == jkt)) {
        return Some(key);
    }
    let stored = load(jkt).await?;
    let key = key_of(&stored).await?;
    if key.jkt != jkt {
        return None;
    }
    KEY.set(Some(key.clone()));
    Some(key)
}

/// Whether this browser still has the key `jkt` (another tab may have forgotten it).
pub async fn has_key(jkt: &str) -> bool {
    key(jkt).await.is_some()
}

/// Forgets the key `jkt` (its tokens were dropped): they are worthless from now on.
pub async fn forget(jkt: String) {
    if KEY.with_borrow(|key| key.as_ref().is_some_and(|key| key.jkt == jkt)) {
        KEY.set(None);
    }
    let _ = store(&jkt, None).await;
}

/// A proof for `method` `url` made with the key `jkt` (RFC 9449 §4.2), with `ath` when
/// an access token goes with it and the server's `nonce` when it asked for one; `None`
/// when that key is gone.
pub async fn proof(
    jkt: &str,
    method: &str,
    url: &str,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> Option<String> {
    let key = key(jkt).await?;
    let header = format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{}}}"#, key.jwk);
    let mut jti = [0u8; 16];
    web_sys::window()?
        .crypto()
        .ok()?
        .get_random_values_with_u8_array(&mut jti)
        .ok()?;
    // htu without query and fragment (RFC 9449 §4.2).
    let htu = url.split(['?', '#']).next().unwrap_or(url);
    let mut claims = serde_json::json!({
        "jti": URL_SAFE_NO_PAD.encode(jti),
        "htm": method,
        "htu": htu,
        "iat": now_secs(),
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = nonce.into();
    }
    if let Some(token) = access_token {
        claims["ath"] = URL_SAFE_NO_PAD
            .encode(sha256(token.as_bytes()).await?)
            .into();
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signed = subtle()?
        .sign_with_object_and_u8_array(
            &object(&[("name", "ECDSA"), ("hash", "SHA-256")]),
            &key.private,
            signing_input.as_bytes(),
        )
        .ok()?;
    // WebCrypto's ECDSA signature is r‖s, 64 bytes: exactly JWS's ES256 form.
    let signature = bytes(&JsFuture::from(signed).await.ok()?);
    Some(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// Resolves with the request's result once it succeeds.
async fn done(request: &IdbRequest) -> Option<JsValue> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        let request_for_result = request.clone();
        let on_success = Closure::once_into_js(move || {
            let result = request_for_result.result().unwrap_or(JsValue::UNDEFINED);
            let _ = resolve.call1(&JsValue::NULL, &result);
        });
        let on_error = Closure::once_into_js(move || {
            let _ = reject.call0(&JsValue::NULL);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await.ok()
}

async fn database() -> Option<IdbDatabase> {
    if let Some(db) = DB.with_borrow(Clone::clone) {
        return Some(db);
    }
    let open: IdbOpenDbRequest = web_sys::window()?
        .indexed_db()
        .ok()??
        .open_with_u32(DATABASE, 1)
        .ok()?;
    let opening = open.clone();
    let on_upgrade = Closure::<dyn Fn()>::new(move || {
        if let Some(db) = opening
            .result()
            .ok()
            .and_then(|db| db.dyn_into::<IdbDatabase>().ok())
        {
            let _ = db.create_object_store(STORE);
        }
    });
    open.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let db: IdbDatabase = done(&open).await?.dyn_into().ok()?;
    open.set_onupgradeneeded(None);
    DB.set(Some(db.clone()));
    Some(db)
}

async fn keys(mode: IdbTransactionMode) -> Option<web_sys::IdbObjectStore> {
    database()
        .await?
        .transaction_with_str_and_mode(STORE, mode)
        .ok()?
        .object_store(STORE)
        .ok()
}

/// Stores the key pair `jkt` (or, with `None`, deletes it).
async fn store(jkt: &str, pair: Option<&JsValue>) -> Option<()> {
    let keys = keys(IdbTransactionMode::Readwrite).await?;
    let request = match pair {
        Some(pair) => keys.put_with_key(pair, &jkt.into()).ok()?,
        None => keys.delete(&jkt.into()).ok()?,
    };
    done(&request).await.map(|_| ())
}

async fn load(jkt: &str) -> Option<JsValue> {
    let request = keys(IdbTransactionMode::Readonly)
        .await?
        .get(&jkt.into())
        .ok()?;
    done(&request).await.filter(|pair| pair.is_object())
}

/// The stored keys' thumbprints and when each was made (Unix ms; 0 when unknown).
async fn stored_keys() -> Vec<(String, f64)> {
    let Some(names) = keys(IdbTransactionMode::Readonly)
        .await
        .and_then(|store| store.get_all_keys().ok())
    else {
        return Vec::new();
    };
    let Some(names) = done(&names)
        .await
        .and_then(|names| names.dyn_into::<Array>().ok())
    else {
        return Vec::new();
    };
    let mut stored = Vec::new();
    for name in names.iter().filter_map(|name| name.as_string()) {
        let created = load(&name)
            .await
            .and_then(|pair| Reflect::get(&pair, &"created".into()).ok())
            .and_then(|created| created.as_f64())
            .unwrap_or(0.0);
        stored.push((name, created));
    }
    stored
}

/// Deletes the keys made more than [`MAX_KEY_AGE_MS`] ago.
async fn forget_old_keys() {
    let oldest = web_sys::js_sys::Date::now() - MAX_KEY_AGE_MS;
    for (name, created) in stored_keys().await {
        if created < oldest {
            let _ = store(&name, None).await;
        }
    }
}

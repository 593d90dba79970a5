//! The browser's half of adding a passkey: `navigator.credentials.create` with the
//! provider's options, whose binary fields arrive as base64url, and the authenticator's
//! answer back in WebAuthn's JSON form. Through `Reflect`, so the bundle carries no
//! bindings for the rest of the Credential Management API.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys::{self, ArrayBuffer, Function, Reflect, Uint8Array};

/// Whether this browser can make passkeys at all.
pub fn supported() -> bool {
    web_sys::window()
        .and_then(|window| Reflect::get(&window, &"PublicKeyCredential".into()).ok())
        .is_some_and(|value| !value.is_undefined())
}

fn get(target: &JsValue, key: &str) -> Result<JsValue, String> {
    Reflect::get(target, &key.into()).map_err(|_| format!("the browser's answer has no {key}"))
}

fn set(target: &JsValue, key: &str, value: &JsValue) -> Result<(), String> {
    Reflect::set(target, &key.into(), value)
        .map(|_| ())
        .map_err(|_| "cannot prepare the passkey request".to_owned())
}

/// A base64url field of the options as the bytes WebAuthn wants.
fn bytes(value: &Value) -> Result<JsValue, String> {
    let text = value.as_str().ok_or("the passkey options are incomplete")?;
    let decoded = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| "the passkey options are not base64url".to_owned())?;
    Ok(Uint8Array::from(decoded.as_slice()).into())
}

/// An `ArrayBuffer` of the answer as base64url.
fn text(value: &JsValue) -> Result<String, String> {
    let buffer = value
        .dyn_ref::<ArrayBuffer>()
        .ok_or("the browser's answer is not binary")?;
    Ok(URL_SAFE_NO_PAD.encode(Uint8Array::new(buffer).to_vec()))
}

/// What the person reads when the browser's dialog ends without a passkey.
fn explain(error: &JsValue) -> String {
    let name = Reflect::get(error, &"name".into())
        .ok()
        .and_then(|name| name.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" => "No passkey was made: the request was cancelled or timed out.".into(),
        "InvalidStateError" => "This device already has a passkey for you.".into(),
        "SecurityError" => {
            "This address cannot have passkeys (open the app by its host name).".into()
        }
        _ => Reflect::get(error, &"message".into())
            .ok()
            .and_then(|message| message.as_string())
            .unwrap_or_else(|| "The passkey could not be made.".into()),
    }
}

/// Asks the authenticator for a new passkey; its answer as WebAuthn JSON.
pub async fn create(options: &Value) -> Result<Value, String> {
    let public_key = &options["publicKey"];
    let request = js_sys::JSON::parse(&public_key.to_string())
        .map_err(|_| "the passkey options are not JSON".to_owned())?;
    set(&request, "challenge", &bytes(&public_key["challenge"])?)?;
    let user = get(&request, "user")?;
    set(&user, "id", &bytes(&public_key["user"]["id"])?)?;
    if let Some(excluded) = public_key["excludeCredentials"].as_array() {
        let list = js_sys::Array::new();
        for (descriptor, credential) in excluded
            .iter()
            .zip(js_sys::Array::from(&get(&request, "excludeCredentials")?).iter())
        {
            set(&credential, "id", &bytes(&descriptor["id"])?)?;
            list.push(&credential);
        }
        set(&request, "excludeCredentials", &list)?;
    }
    let arguments = js_sys::Object::new();
    set(&arguments, "publicKey", &request)?;

    let navigator = web_sys::window().ok_or("no window")?.navigator();
    let credentials = get(&navigator, "credentials")?;
    let make: Function = get(&credentials, "create")?
        .dyn_into()
        .map_err(|_| "this browser cannot make passkeys".to_owned())?;
    let promise: js_sys::Promise = make
        .call1(&credentials, &arguments)
        .map_err(|error| explain(&error))?
        .dyn_into()
        .map_err(|_| "this browser cannot make passkeys".to_owned())?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|error| explain(&error))?;

    let response = get(&credential, "response")?;
    let transports = Reflect::get(&response, &"getTransports".into())
        .ok()
        .and_then(|method| method.dyn_into::<Function>().ok())
        .and_then(|method| method.call0(&response).ok())
        .map(|list| {
            js_sys::Array::from(&list)
                .iter()
                .filter_map(|transport| transport.as_string())
                .collect::<Vec<_>>()
        });
    Ok(json!({
        "id": get(&credential, "id")?.as_string().unwrap_or_default(),
        "rawId": text(&get(&credential, "rawId")?)?,
        "type": get(&credential, "type")?.as_string().unwrap_or_default(),
        "response": {
            "attestationObject": text(&get(&response, "attestationObject")?)?,
            "clientDataJSON": text(&get(&response, "clientDataJSON")?)?,
            "transports": transports,
        },
    }))
}

//! JWS signature verification with the browser's WebCrypto: audited native crypto, and
//! nothing added to the WASM bundle.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::{Array, Object, Reflect, JSON};

use crate::oidc::id_token::{CompactJws, IdTokenError, SigningAlgorithm};

fn object(pairs: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    object
}

/// `Ok` when `key` (a JWK of the provider's key set) signed `jws`.
pub async fn verify(jws: &CompactJws, key: &serde_json::Value) -> Result<(), IdTokenError> {
    let (import, check, members): (Object, Object, &[&str]) = match jws.algorithm {
        SigningAlgorithm::Es256 => (
            object(&[("name", "ECDSA"), ("namedCurve", "P-256")]),
            object(&[("name", "ECDSA"), ("hash", "SHA-256")]),
            &["kty", "crv", "x", "y"],
        ),
        SigningAlgorithm::Rs256 => (
            object(&[("name", "RSASSA-PKCS1-v1_5"), ("hash", "SHA-256")]),
            object(&[("name", "RSASSA-PKCS1-v1_5")]),
            &["kty", "n", "e"],
        ),
    };
    // Only the public key's own members: `alg`, `use` or `key_ops` values some providers
    // publish make importKey refuse otherwise good keys.
    let public: serde_json::Map<String, serde_json::Value> = members
        .iter()
        .filter_map(|name| Some((name.to_string(), key.get(*name)?.clone())))
        .collect();
    let public = serde_json::to_string(&public).map_err(|_| IdTokenError::UnknownKey)?;
    let jwk: Object = JSON::parse(&public)
        .map_err(|_| IdTokenError::UnknownKey)?
        .unchecked_into();
    let subtle = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .ok_or(IdTokenError::Signature)?
        .subtle();
    let usages = Array::of1(&JsValue::from_str("verify"));
    let imported = subtle
        .import_key_with_object("jwk", &jwk, &import, false, &usages)
        .map_err(|_| IdTokenError::UnknownKey)?;
    let key: web_sys::CryptoKey = JsFuture::from(imported)
        .await
        .map_err(|_| IdTokenError::UnknownKey)?
        .unchecked_into();
    let verified = subtle
        .verify_with_object_and_u8_array_and_u8_array(
            &check,
            &key,
            &jws.signature,
            jws.signing_input.as_bytes(),
        )
        .map_err(|_| IdTokenError::Signature)?;
    match JsFuture::from(verified).await {
        Ok(valid) if valid.as_bool() == Some(true) => Ok(()),
        _ => Err(IdTokenError::Signature),
    }
}

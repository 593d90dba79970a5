//! The browser half of sign-in (compiled to WASM only).

pub mod dpop;
pub mod flow;
mod http;
mod keys;
pub mod tabs;
mod webcrypto;

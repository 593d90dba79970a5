//! The app's screens, one module each.

pub mod admin;
pub mod approvals;
pub mod callback;
pub mod home;
pub mod outbox;
pub mod profile;
pub mod team;
pub mod week;

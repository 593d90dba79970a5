//! The app's screens, one module each.

pub mod approvals;
pub mod callback;
pub mod home;
pub mod profile;
pub mod week;

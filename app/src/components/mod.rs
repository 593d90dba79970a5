//! Parts that several screens show; pages compose them, and they never import a page.

pub mod confirm;
pub mod entry_form;
pub mod queued;
pub mod skeleton;
pub mod timer;
pub mod toast;

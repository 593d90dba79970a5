//! The timesheet domain: typed values that can only hold valid data. Input is parsed into
//! these at the edge (REST body, server-function arguments, CSV row, form field), in the
//! browser and on the server alike, so both run the very same rules.

mod calendar;
mod entry;
mod project;

pub use calendar::{IsoWeek, WorkDate};
pub use entry::{
    clock, day_total_with, EntryId, EntryStatus, Minutes, Note, Transition, MAX_MINUTES_PER_DAY,
};
pub use project::{Colour, Customer, ProjectCode, ProjectName};

/// Why a value was refused, naming the input field so a form can show it in place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> ValidationError {
        ValidationError {
            field,
            message: message.into(),
        }
    }
}

//! The batch client in the same binary: `timesheets import` uploads a CSV file with client
//! credentials, `timesheets export` downloads one. Same CSV columns both ways
//! (`crate::timesheet_csv`), so an export imports again.

pub mod api;
pub mod import;
pub mod rows;

pub use self::{
    api::{ApiClient, Credentials},
    import::{import, ImportOptions, ImportSummary},
};

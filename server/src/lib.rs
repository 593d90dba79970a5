//! The Timesheets server: HTTP (axum + leptos_axum), database, and the CLI around them.

pub mod assets;
pub mod auth;
pub mod batch;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod push;
pub mod routes;
pub mod services;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod timesheet_csv;

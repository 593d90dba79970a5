//! The Timesheets server: HTTP (axum + leptos_axum), database, and the CLI around them.

pub mod assets;
pub mod cli;
pub mod config;
pub mod db;
pub mod routes;
pub mod services;
pub mod startup;
pub mod telemetry;

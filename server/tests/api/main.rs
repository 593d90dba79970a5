//! Black-box tests of the real server over HTTP, on SQLite by default and on PostgreSQL
//! when `TEST_DATABASE_URL` names a server (see `helpers.rs`).

mod auth;
mod bad_input;
mod cli;
mod export;
mod health;
mod helpers;
mod import;
mod issuer;
mod migrations;
mod openapi;
mod pages;
mod people;
mod projects;
mod provider;
mod provider_admin;
mod server_fns;
mod timesheets;

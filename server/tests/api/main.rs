//! Black-box tests of the real server over HTTP, on SQLite by default and on PostgreSQL
//! when `TEST_DATABASE_URL` names a server (see `helpers.rs`).

mod approvals;
mod auth;
mod bad_input;
mod cli;
mod entries;
mod export;
mod fixtures;
mod health;
mod helpers;
mod import;
mod instances;
mod issuer;
mod migrations;
mod openapi;
mod pages;
mod passkeys;
mod people;
mod projects;
mod provider;
mod provider_admin;
mod push;
mod scopes;
mod sender_constrained;
mod server_fns;
mod team;
mod timer;
mod upload;

//! The binary as an operator runs it: clear one-line errors, graceful stop.

use std::{
    net::TcpListener,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

fn timesheets(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timesheets"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("OIDC_ISSUER")
        .env("LEPTOS_SITE_ROOT", "/nonexistent")
        .output()
        .expect("the binary runs")
}

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

/// An operator sees exactly one line, starting with `error:`, and no panic.
fn assert_one_error_line(output: &Output, contains: &str) {
    let lines = stderr_lines(output);
    assert!(!output.status.success(), "must fail: {lines:?}");
    assert_eq!(lines.len(), 1, "one line expected, got {lines:?}");
    assert!(lines[0].starts_with("error:"), "{lines:?}");
    assert!(lines[0].contains(contains), "{contains:?} not in {lines:?}");
    assert!(!lines[0].contains("panicked"), "{lines:?}");
}

#[test]
fn an_unknown_flag_is_one_line_and_exit_code_2() {
    let output = timesheets(&["--no-such-flag"]);
    assert_one_error_line(&output, "--no-such-flag");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_bad_listen_address_is_one_line() {
    let output = timesheets(&["serve", "--addr", "127.0.0.1:99999"]);
    assert_one_error_line(&output, "127.0.0.1:99999");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_unsupported_database_url_is_one_line() {
    let output = timesheets(&["serve", "--database-url", "mysql://db/timesheets"]);
    assert_one_error_line(&output, "postgres://");
}

#[test]
fn an_unreachable_database_is_one_line_and_hides_the_password() {
    let output = timesheets(&[
        "serve",
        "--log-format",
        "json",
        "--database-url",
        "postgres://app:hunter2@127.0.0.1:1/timesheets",
    ]);
    assert_one_error_line(&output, "cannot connect to the database");
    assert!(!stderr_lines(&output)[0].contains("hunter2"));
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_port_in_use_is_one_line() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let output = timesheets(&["serve", "--addr", &addr, "--database-url", &url]);
    assert_one_error_line(&output, "cannot listen on");
}

#[test]
fn an_unreachable_issuer_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let output = timesheets(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        &url,
        "--oidc-issuer",
        "http://127.0.0.1:9",
    ]);
    assert_one_error_line(
        &output,
        "http://127.0.0.1:9/.well-known/openid-configuration",
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn an_issuer_over_plain_http_is_refused() {
    let output = timesheets(&["serve", "--oidc-issuer", "http://sso.example.com"]);
    assert_one_error_line(&output, "https");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn migrate_applies_the_schema_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/t.db", dir.path().display());
    let output = timesheets(&["migrate", "--database-url", &url]);
    assert!(output.status.success(), "{:?}", stderr_lines(&output));
    assert!(dir.path().join("nested/t.db").exists());
}

/// `timesheets serve` on a free port and a new SQLite file, with `args` added; returns
/// once it accepts connections.
fn start(dir: &tempfile::TempDir, args: &[&str]) -> std::process::Child {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_timesheets"))
        .args(["serve", "--addr", &addr, "--database-url", &url])
        .args(args)
        .env_remove("OIDC_ISSUER")
        .env_remove("DEMO")
        .env("LEPTOS_SITE_ROOT", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// SIGTERM, then the server's exit status and what it printed.
fn stop(mut child: std::process::Child) -> Output {
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let stopped = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            stopped.elapsed() < Duration::from_secs(10),
            "the server did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn the_server_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let output = stop(start(&dir, &[]));
    assert!(output.status.success(), "exit status {}", output.status);
}

#[test]
fn a_new_instance_says_how_to_make_the_first_admin_and_project() {
    let dir = tempfile::tempdir().unwrap();
    let output = stop(start(&dir, &[]));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("nobody can log time yet"), "{printed}");
    assert!(
        printed.contains("timesheets users invite --role admin"),
        "{printed}"
    );
    assert!(printed.contains("timesheets projects add"), "{printed}");
    assert!(printed.contains("First day in production"), "{printed}");
}

#[test]
fn demo_is_a_plain_flag_and_a_demo_instance_needs_no_first_steps() {
    let dir = tempfile::tempdir().unwrap();
    let output = stop(start(&dir, &["--demo"]));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("adam@exampleco.test"), "{printed}");
    assert!(!printed.contains("nobody can log time yet"), "{printed}");
}

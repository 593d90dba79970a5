use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_home_page_is_server_rendered_for_phones() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    // The hydration script runs by this response's nonce, nothing inline otherwise.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in script-src");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        html.contains(&format!(r#"<script type="module" nonce="{nonce}">"#)),
        "{html}"
    );
    for needle in [
        r#"<html lang="en""#,
        r#"name="viewport" content="width=device-width, initial-scale=1"#,
        r#"<link rel="manifest" href="/manifest.webmanifest">"#,
        r##"name="theme-color" content="#1f5fbf""##,
        // Tokens live in the browser's memory: the server renders the page for nobody.
        "Opening your session",
        r#"<meta name="timesheets-oidc" content="{&quot;issuer&quot;:"#,
        "<title>Timesheets</title>",
    ] {
        assert!(html.contains(needle), "missing {needle} in {html}");
    }
}

#[tokio::test]
async fn an_unknown_page_is_a_404_with_a_way_back() {
    let app = TestApp::spawn().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
    assert!(html.contains(r#"href="/""#), "{html}");
}

#[tokio::test]
async fn the_service_worker_precaches_this_build_and_is_always_revalidated() {
    let app = TestApp::spawn().await;
    let response = app.get("/sw.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let script = response.text().await.unwrap();
    let build_line = script
        .lines()
        .find(|line| line.starts_with("const BUILD ="))
        .expect("the build line");
    let build: Value = serde_json::from_str(
        build_line
            .trim_start_matches("const BUILD =")
            .trim()
            .trim_end_matches(';'),
    )
    .expect("the build line is JSON");
    let precache: Vec<&str> = build["precache"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for expected in [
        "/",
        "/manifest.webmanifest",
        "/icons/icon-192.png",
        "/icons/icon-512.png",
    ] {
        assert!(
            precache.contains(&expected),
            "{expected} not in {precache:?}"
        );
    }
    assert!(
        precache
            .iter()
            .any(|url| url.starts_with("/pkg/timesheets") && url.ends_with(".wasm")),
        "{precache:?}"
    );
    assert!(
        !precache.iter().any(|url| url.starts_with("/api/")),
        "{precache:?}"
    );
    // Every precached file must exist, or the worker's install fails (the bundle is
    // built by cargo-leptos, which these tests do not run).
    for url in precache.iter().filter(|url| !url.starts_with("/pkg/")) {
        assert_eq!(app.get(url).await.status(), StatusCode::OK, "{url}");
    }
}

#[tokio::test]
async fn the_manifest_makes_the_app_installable() {
    let app = TestApp::spawn().await;
    let response = app.get("/manifest.webmanifest").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/manifest+json"
    );
    let manifest: Value = response.json().await.unwrap();
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["start_url"], "/");
    assert_eq!(manifest["theme_color"], "#1f5fbf");
    assert!(!manifest["short_name"].as_str().unwrap().is_empty());
    let icons = manifest["icons"].as_array().unwrap();
    let mut sizes_seen = vec![];
    for icon in icons {
        let src = icon["src"].as_str().unwrap();
        let response = app.get(src).await;
        assert_eq!(response.status(), StatusCode::OK, "{src}");
        assert_eq!(response.headers()["content-type"], "image/png", "{src}");
        let png = response.bytes().await.unwrap();
        let (width, height) = png_size(&png);
        assert_eq!(
            icon["sizes"],
            format!("{width}x{height}"),
            "{src} has the size it claims"
        );
        sizes_seen.push((width, icon["purpose"].as_str().unwrap().to_string()));
    }
    assert!(sizes_seen.contains(&(192, "any".into())), "{sizes_seen:?}");
    assert!(sizes_seen.contains(&(512, "any".into())), "{sizes_seen:?}");
    assert!(
        sizes_seen.contains(&(512, "maskable".into())),
        "{sizes_seen:?}"
    );
}

#[tokio::test]
async fn responses_are_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "br");
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    (width, height)
}

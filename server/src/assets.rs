//! The built front end: which `/pkg` files this build has, and the service worker that
//! precaches them.

use std::{collections::HashMap, path::Path, sync::Arc};

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use leptos::config::LeptosOptions;

/// Files the service worker precaches besides the bundle: the app's pages (rendered
/// without a user: the app fills them in), the offline page, and what the manifest and the
/// pages link to.
const SHELL: &[&str] = &[
    "/",
    "/profile",
    "/approvals",
    "/offline.html",
    "/manifest.webmanifest",
    "/icons/icon-192.png",
    "/icons/icon-512.png",
    "/icons/icon-maskable-512.png",
    "/icons/icon-mark.svg",
    "/icons/favicon-32.png",
];

/// The line of `public/sw.js` that the server fills in with this build's files.
const SERVICE_WORKER_BUILD_LINE: &str = "const BUILD =";

#[derive(Debug)]
pub struct Assets {
    /// The JS glue, WASM and CSS of this build, as URLs.
    pub bundle: Vec<String>,
    /// The rest of `/pkg`: the lazily loaded chunks of a split build and their loader.
    pub chunks: Vec<String>,
    /// Changes whenever the bundle or a chunk does; names the service worker's cache.
    pub version: String,
    /// Whether each `/pkg` file name stands for one content only (and may be cached forever).
    pub immutable: bool,
    service_worker: Option<String>,
}

impl Assets {
    pub fn load(options: &LeptosOptions) -> Self {
        let hashes = if options.hash_files {
            read_hash_file(&options.hash_file)
        } else {
            HashMap::new()
        };
        if options.hash_files && hashes.is_empty() {
            tracing::warn!("LEPTOS_HASH_FILES is on but no hash file was found next to the binary; was it built with cargo-leptos?");
        }
        let (name, pkg) = (&options.output_name, &options.site_pkg_dir);
        let bundle: Vec<String> = ["js", "wasm", "css"]
            .iter()
            .map(|ext| match hashes.get(*ext) {
                Some(hash) => format!("/{pkg}/{name}.{hash}.{ext}"),
                None => format!("/{pkg}/{name}.{ext}"),
            })
            .collect();
        let hashed = ["js", "wasm", "css"]
            .iter()
            .all(|ext| hashes.contains_key(*ext));
        // `cargo leptos build --split` writes the chunk loader's name into the main JS and
        // the WASM files *after* naming them by their content: the same name can then stand
        // for another content in the next build, so they are revalidated instead.
        let split = hashes.contains_key("split");
        let version = if hashed {
            ["js", "wasm", "css", "split"]
                .iter()
                .filter_map(|ext| hashes.get(*ext))
                .map(|hash| &hash[..hash.len().min(8)])
                .collect::<Vec<_>>()
                .join("-")
        } else {
            // Unhashed (development) builds: a new cache for every server start.
            format!("dev-{}", std::process::id())
        };
        let pkg_dir = Path::new(options.site_root.as_ref()).join(pkg.as_ref());
        let chunks = chunk_urls(&pkg_dir, pkg, &bundle);
        let mut assets = Assets {
            bundle,
            chunks,
            version,
            immutable: hashed && !split,
            service_worker: None,
        };
        let template = Path::new(options.site_root.as_ref()).join("sw.js");
        assets.service_worker = match std::fs::read_to_string(&template) {
            Ok(script) => Some(assets.fill_service_worker(&script)),
            Err(err) => {
                tracing::warn!(path = %template.display(), %err, "no service worker: the app will not be installable");
                None
            }
        };
        assets
    }

    /// Replaces the `const BUILD = …;` line of the template with this build's version and
    /// precache list.
    fn fill_service_worker(&self, template: &str) -> String {
        let precache: Vec<&str> = SHELL
            .iter()
            .copied()
            .chain(self.bundle.iter().map(String::as_str))
            .chain(self.chunks.iter().map(String::as_str))
            .collect();
        let build = serde_json::json!({ "version": self.version, "precache": precache });
        template
            .lines()
            .map(|line| {
                if line.trim_start().starts_with(SERVICE_WORKER_BUILD_LINE) {
                    format!("{SERVICE_WORKER_BUILD_LINE} {build};")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The URLs of the code in `pkg_dir` besides `bundle`: what the browser may load. Not the
/// precompressed copies (served in place of a file), the split manifest (the server's) or
/// wasm-bindgen's `.d.ts` files.
fn chunk_urls(pkg_dir: &Path, pkg: &str, bundle: &[String]) -> Vec<String> {
    list_files(pkg_dir)
        .into_iter()
        .filter(|file| file.ends_with(".js") || file.ends_with(".wasm"))
        .map(|file| format!("/{pkg}/{file}"))
        .filter(|url| !bundle.contains(url))
        .collect()
}

/// The paths of the files in `dir` and its folders (wasm-bindgen's `snippets/`), relative
/// to `dir`, sorted.
fn list_files(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                files.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

/// cargo-leptos writes `js: <hash>`, `wasm: <hash>`, `css: <hash>` lines next to the binary,
/// and `split: <hash>` (the chunk loader's) for a split build.
fn read_hash_file(file_name: &str) -> HashMap<String, String> {
    let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    else {
        return HashMap::new();
    };
    let Ok(text) = std::fs::read_to_string(dir.join(file_name)) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(ext, hash)| (ext.trim().to_string(), hash.trim().to_string()))
        .filter(|(_, hash)| !hash.is_empty())
        .collect()
}

/// `GET /sw.js`: served by the server, not from disk, so it names this build's files.
pub async fn service_worker(State(assets): State<Arc<Assets>>) -> Response {
    match &assets.service_worker {
        Some(script) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                // Browsers must check for a new worker on every visit.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            script.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chunks_are_the_code_files_of_pkg_besides_the_bundle() {
        let pkg = tempfile::tempdir().expect("a temporary folder");
        let snippets = pkg.path().join("snippets/dep-1a2b");
        std::fs::create_dir_all(&snippets).expect("a folder");
        for file in [
            "timesheets.abc.js",
            "timesheets.abc.js.br",
            "timesheets.def.wasm",
            "timesheets.d.xyz.ts",
            "__wasm_split.ghi.js",
            "__wasm_split_manifest.jkl.json",
            "chunk_1.mno.wasm",
            "chunk_1.mno.wasm.gz",
            "snippets/dep-1a2b/inline0.js",
        ] {
            std::fs::write(pkg.path().join(file), "x").expect("a file");
        }
        let bundle = [
            "/pkg/timesheets.abc.js".into(),
            "/pkg/timesheets.def.wasm".into(),
        ];
        assert_eq!(
            chunk_urls(pkg.path(), "pkg", &bundle),
            [
                "/pkg/__wasm_split.ghi.js",
                "/pkg/chunk_1.mno.wasm",
                "/pkg/snippets/dep-1a2b/inline0.js"
            ]
        );
    }

    #[test]
    fn the_service_worker_names_this_builds_files_and_version() {
        let assets = Assets {
            bundle: vec![
                "/pkg/timesheets.abc.js".into(),
                "/pkg/timesheets.def.wasm".into(),
            ],
            chunks: vec!["/pkg/__wasm_split.ghi.js".into()],
            version: "abc-def".into(),
            immutable: true,
            service_worker: None,
        };
        let filled = assets.fill_service_worker(
            "// header\nconst BUILD = { version: \"dev\", precache: [] };\nself.x = 1;",
        );
        assert!(filled.starts_with("// header\nconst BUILD = {"), "{filled}");
        assert!(filled.contains(r#""version":"abc-def""#), "{filled}");
        assert!(filled.contains("/pkg/timesheets.def.wasm"), "{filled}");
        assert!(filled.contains("/pkg/__wasm_split.ghi.js"), "{filled}");
        assert!(filled.contains(r#""/manifest.webmanifest""#), "{filled}");
        // Pages open offline; other addresses get the offline page.
        for page in ["/", "/profile", "/approvals", "/offline.html"] {
            assert!(filled.contains(&format!("\"{page}\"")), "{page}: {filled}");
        }
        assert!(filled.ends_with("self.x = 1;"), "{filled}");
    }
}

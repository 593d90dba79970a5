#!/usr/bin/env bash
# Installs what building (`setup.sh build`), testing (`setup.sh test`) or measuring
# (`setup.sh bench`, `setup.sh scale`) Timesheets needs,
# skipping whatever is already there, so it is quick on a prepared machine and correct on
# a new one. Only package registries are used (crates.io, npm, Debian): no binary
# downloads from elsewhere, which these machines cannot reach.
set -euo pipefail

what=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${TIMESHEETS_TOOLS:-$HOME/.cache/timesheets/tools}
export PATH="$tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Versions proven on these machines (docs/TOOLCHAIN.md).
cargo_leptos_version=0.3.10
# crates.io's checksum of that version's crate (its index entry's `cksum`).
cargo_leptos_sha256=fb2e3a063d96743a5a051b956fef947b47af568d42f3603183e13c4fe1855737
wasm_split_version=0.2.4
rust_toolchain=$(awk -F'"' '/^channel/ { print $2 }' "$root/rust-toolchain.toml")
binaryen_version=132
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_updated=
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "error: '$*' is missing; install it with apt-get (root needed) and run again" >&2
    exit 1
  fi
  if [ -z "$apt_updated" ]; then
    apt-get update -qq -o DPkg::Lock::Timeout=600
    apt_updated=1
  fi
  # Waits for the lock: the test tools install beside the build tools (below).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$@" >/dev/null
}

need_rust_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# Build tools are built for a quick install, not for their own speed: their release
# profiles ask for full optimisation and fat LTO with one codegen unit (cargo-leptos), many
# minutes of work for tools whose run time here is seconds; opt-level 1 keeps them quick
# enough (docs/TOOLCHAIN.md). OpenSSL comes from Debian instead of being compiled from
# source (cargo-generate's `vendored-openssl`, which cargo-leptos pulls in).
tool_build_env() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 OPENSSL_NO_VENDOR=1 "$@"
}

need_system_openssl() {
  if ! dpkg -s libssl-dev pkg-config >/dev/null 2>&1; then
    apt_install libssl-dev pkg-config
  fi
}

need_cargo_leptos() {
  # The stamp holds the checksum of the cargo-leptos built here with wasm_split_cli_support
  # $wasm_split_version, whose splitter moves constant data into the lazy chunks
  # (docs/decisions/0018); any other cargo-leptos on PATH (an older install, a later
  # `cargo install cargo-leptos`) is replaced once.
  local stamp="$tools/cargo-leptos-$cargo_leptos_version-wasm-split-$wasm_split_version"
  local installed
  installed=$(command -v cargo-leptos || true)
  if [ -n "$installed" ] && [ -e "$stamp" ] && sha256sum "$installed" | cmp -s - "$stamp"; then
    return
  fi
  say "installing cargo-leptos $cargo_leptos_version with wasm_split_cli_support $wasm_split_version (about 10 minutes on 2 cores, once)"
  need_system_openssl
  command -v curl >/dev/null || apt_install curl
  local src
  src=$(mktemp -d)
  trap "rm -rf '$src'" EXIT
  # The published crate from crates.io's download host (where cargo fetches it too),
  # checked against the registry's checksum; its own lock file (0.3.10's builds on stable
  # 1.95, newer ones need 1.96+) with the splitter moved on.
  curl -fsSL -o "$src/cargo-leptos.crate" \
    "https://static.crates.io/crates/cargo-leptos/cargo-leptos-$cargo_leptos_version.crate"
  echo "$cargo_leptos_sha256  $src/cargo-leptos.crate" | sha256sum -c --quiet
  tar xzf "$src/cargo-leptos.crate" -C "$src"
  (
    cd "$src/cargo-leptos-$cargo_leptos_version"
    # Outside the project: its rust-toolchain.toml no longer applies, so name it.
    export RUSTUP_TOOLCHAIN="$rust_toolchain"
    # 0.2.4 asks for rayon 1.12 (lightningcss is content with it too).
    cargo update --quiet -p rayon --precise 1.12.0
    cargo update --quiet -p wasm_split_cli_support --precise "$wasm_split_version"
    tool_build_env cargo install --locked --force --path . --target-dir "$src/target"
  )
  rm -rf "$src"
  trap - EXIT
  mkdir -p "$tools"
  sha256sum "$(command -v cargo-leptos)" >"$stamp"
}

need_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
    # Must equal the wasm-bindgen crate in Cargo.lock. (--locked fails: a locked
    # dependency of the CLI is missing from the registry mirror.)
    say "installing wasm-bindgen-cli $wasm_bindgen_version"
    tool_build_env cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
  fi
}

need_node() {
  if ! command -v npm >/dev/null; then
    say "installing Node.js and npm"
    apt_install nodejs npm
  fi
}

need_wasm_opt() {
  # npm's binaryen, not Debian's: Debian's v108 silently breaks hydration.
  if ! "$tools/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version $binaryen_version"; then
    need_node
    say "installing wasm-opt (npm binaryen@$binaryen_version) into $tools"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --silent "binaryen@$binaryen_version"
  fi
}

need_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's Chromium"
    apt_install chromium
  fi
}

need_e2e_packages() {
  need_node
  local stamp="$root/end2end/node_modules/.installed-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$root/end2end/package-lock.json" "$stamp"; then
    say "installing the end-to-end test packages (npm ci)"
    (cd "$root/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
    cp "$root/end2end/package-lock.json" "$stamp"
  fi
}

need_nginx() {
  # The load balancer of the scale-out checks (bench/scale.py).
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx-light
}

need_idpyoidc() {
  # The sign-in suite's second external provider (end2end/idpyoidc_op.py): PyPI's
  # idpyoidc and Flask, pinned, in a venv of their own.
  local venv="$tools/idpy-venv" requirements="$root/end2end/idpyoidc-requirements.txt"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/.installed"; then
    say "installing the idpyoidc provider for the sign-in tests (pip)"
    python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/.installed"
  fi
}

need_tools_for_reports() {
  command -v brotli >/dev/null || apt_install brotli
}

need_test_tools() {
  need_chromium
  need_e2e_packages
  need_nginx
  need_idpyoidc
  need_tools_for_reports
  command -v psql >/dev/null || apt_install postgresql-client
}

# The test tools are downloads, the build tools compiles: on a new machine they install
# side by side.
if [ "$what" = test ]; then
  need_test_tools &
  test_tools=$!
fi
need_rust_target
need_cargo_leptos
need_wasm_bindgen
need_wasm_opt
need_seed_api_packages() {
  need_node
  local stamp="$root/bench/seed-api/node_modules/.installed-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$root/bench/seed-api/package-lock.json" "$stamp"; then
    say "installing the seed API's packages for the comparison (npm ci)"
    (cd "$root/bench/seed-api" && npm ci --no-audit --no-fund --silent)
    cp "$root/bench/seed-api/package-lock.json" "$stamp"
  fi
}

if [ "$what" = bench ]; then
  command -v wrk >/dev/null || apt_install wrk
  need_seed_api_packages
  need_nginx
  command -v psql >/dev/null || apt_install postgresql-client
  if [ ! -x "$tools/venv/bin/st" ]; then
    python3 -m venv "$tools/venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$tools/venv"; }
    say "installing schemathesis (PyPI) into $tools/venv"
    "$tools/venv/bin/pip" install --quiet schemathesis
  fi
fi
if [ "$what" = scale ]; then
  need_nginx
  command -v psql >/dev/null || apt_install postgresql-client
fi
if [ "$what" = test ]; then
  wait "$test_tools" || { echo "error: installing the test tools failed" >&2; exit 1; }
fi

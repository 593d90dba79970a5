// `sqlx::migrate!` embeds the migrations when this crate compiles: rebuild it when one is
// added or changed, not only when its Rust files change (sqlx's documented build script).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}

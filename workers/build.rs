//! Rebuild when migrations change (the crate and its tests embed them with `sqlx::migrate!`).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}

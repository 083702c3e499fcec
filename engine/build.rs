//! Rebuild when migrations change (tests embed them with `sqlx::migrate!`).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}

//! `bench`: the engine against apalis-postgres (being written).
fn main() {}

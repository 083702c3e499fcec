//! One module per subcommand, each with a `run` function.

pub mod dev;
pub mod migrate;
pub mod worker;

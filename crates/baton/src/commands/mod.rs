//! One module per subcommand.

pub mod demo;
pub mod export;
pub mod migrate;
pub mod serve;
pub mod token;
pub mod user;

//! durable-core: the rules of AWS Lambda durable executions, implemented once.
//!
//! The rule modules are plain Rust with native tests; `component` is the thin
//! `wit-bindgen` adapter that exports them. Nothing here does I/O: time and randomness
//! are parameters.

pub mod classify;
#[cfg(target_arch = "wasm32")]
mod component;
pub mod error;
pub mod invocation;
pub mod json;
pub mod packed;
pub mod profile;
pub mod retry;
pub mod step;
pub mod wire;

pub use error::{CoreError, ErrorKind};
pub use profile::Profile;

/// Bumped whenever the answer to some input changes or a new input, rule or profile appears
/// (documented in the WIT `info` interface).
pub const RULES_VERSION: u32 = 2;

/// The WIT package version this crate implements.
pub const WIT_VERSION: &str = "0.2.0";

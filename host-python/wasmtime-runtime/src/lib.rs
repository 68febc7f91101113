//! wasmtime's C API, re-exported as a shared library built with the features in Cargo.toml only.
pub use wasmtime_c_api::*;

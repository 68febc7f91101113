//! The one error type of the core: every rejection names the field and the value.

use thiserror::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidValue,
    OutOfRange,
    Malformed,
    Missing,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{field}: {message} (got {value})")]
pub struct CoreError {
    pub kind: ErrorKind,
    pub field: String,
    pub value: String,
    pub message: String,
}

impl CoreError {
    pub fn new(kind: ErrorKind, field: &str, value: impl ToString, message: &str) -> Self {
        CoreError {
            kind,
            field: field.to_string(),
            value: value.to_string(),
            message: message.to_string(),
        }
    }

    pub fn invalid(field: &str, value: impl ToString, message: &str) -> Self {
        Self::new(ErrorKind::InvalidValue, field, value, message)
    }

    pub fn out_of_range(field: &str, value: impl ToString, message: &str) -> Self {
        Self::new(ErrorKind::OutOfRange, field, value, message)
    }
}

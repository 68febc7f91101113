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
    pub fn new(kind: ErrorKind, field: &str, value: impl ValueText, message: &str) -> Self {
        CoreError {
            kind,
            field: field.to_string(),
            value: value.text(),
            message: message.to_string(),
        }
    }

    pub fn invalid(field: &str, value: impl ValueText, message: &str) -> Self {
        Self::new(ErrorKind::InvalidValue, field, value, message)
    }

    pub fn out_of_range(field: &str, value: impl ValueText, message: &str) -> Self {
        Self::new(ErrorKind::OutOfRange, field, value, message)
    }
}

/// How a rejected value is shown. Numbers avoid `f64`'s Display on purpose: its shortest-repr
/// machinery is about 18 KB of the component, for text only a person reads.
pub trait ValueText {
    fn text(&self) -> String;
}

impl ValueText for f64 {
    fn text(&self) -> String {
        number_text(*self)
    }
}

impl ValueText for &str {
    fn text(&self) -> String {
        (*self).to_string()
    }
}

impl ValueText for &String {
    fn text(&self) -> String {
        (*self).clone()
    }
}

impl ValueText for String {
    fn text(&self) -> String {
        self.clone()
    }
}

macro_rules! integer_text {
    ($($t:ty),*) => {$(
        impl ValueText for $t {
            fn text(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
integer_text!(u32, u64, usize, i32, i64);

/// A number as text without float formatting: integers exactly, fractions to six places,
/// very large or small magnitudes in scientific notation.
pub fn number_text(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let a = n.abs();
    if a.fract() == 0.0 && a < 1e18 {
        return format!("{sign}{}", a as u64);
    }
    if (1e-4..1e15).contains(&a) {
        let whole = a.trunc() as u64;
        let micros = ((a - a.trunc()) * 1e6).round() as u64;
        let (whole, micros) = if micros >= 1_000_000 {
            (whole + 1, 0)
        } else {
            (whole, micros)
        };
        let digits = format!("{micros:06}");
        let fraction = digits.trim_end_matches('0');
        return if fraction.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{fraction}")
        };
    }
    let exponent = libm::floor(libm::log10(a)) as i32;
    let mantissa = a / libm::pow(10.0, f64::from(exponent));
    format!("{sign}{}e{exponent}", number_text(mantissa))
}

#[cfg(test)]
mod tests {
    use super::number_text;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number_text(70000.0), "70000");
        assert_eq!(number_text(-0.5), "-0.5");
        assert_eq!(number_text(2.25), "2.25");
        assert_eq!(number_text(f64::NAN), "NaN");
        assert_eq!(number_text(1e300), "1e300");
        assert_eq!(number_text(1.5e-7), "1.5e-7");
    }
}

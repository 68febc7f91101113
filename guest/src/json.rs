//! A small JSON reader and writer for the step interface's JSON-in/JSON-out calls.
//!
//! Hand-written to keep the component small. The reader never panics: malformed text, deep
//! nesting and lone surrogates are errors naming where they are. The writer produces compact
//! JSON in the key order it is given, escaping like Python's `json.dumps` (ASCII only) or
//! JavaScript's `JSON.stringify` (raw UTF-8).

use crate::error::{CoreError, ErrorKind};
use std::borrow::Cow;

#[derive(Clone, Debug, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(f64),
    /// Borrowed from the parsed text unless it had escapes (most strings have none).
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Keys in document order; a repeated key keeps its last value (as both SDKs' parsers do).
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

const MAX_DEPTH: usize = 64;

impl<'a> Json<'a> {
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(fields) => fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value, treating an explicit `null` like an absent key.
    pub fn field(&self, key: &str) -> Option<&Json<'a>> {
        self.get(key).filter(|v| !matches!(v, Json::Null))
    }

    /// How a rejection shows the value: a string quoted, anything else by its type.
    pub fn describe(&self) -> String {
        match self {
            Json::String(s) => format!("{s:?}"),
            other => other.type_name().to_string(),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// An object of `(key, value)` pairs, keys borrowed (the writers' keys are literals).
pub fn object<'a>(fields: Vec<(&'a str, Json<'a>)>) -> Json<'a> {
    Json::Object(
        fields
            .into_iter()
            .map(|(k, v)| (Cow::Borrowed(k), v))
            .collect(),
    )
}

/// A string value, borrowed.
pub fn string(s: &str) -> Json<'_> {
    Json::String(Cow::Borrowed(s))
}

/// `field` names the input in the error for text that is not JSON.
pub fn parse<'a>(field: &str, text: &'a str) -> Result<Json<'a>, CoreError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    let read = reader.value(0).and_then(|value| {
        reader.skip_space();
        if reader.pos == reader.bytes.len() {
            Ok(value)
        } else {
            Err(reader.error("unexpected text after the JSON value"))
        }
    });
    read.map_err(|fault| {
        CoreError::new(
            ErrorKind::Malformed,
            field,
            format!("at byte {}", fault.at),
            &format!("malformed JSON: {}", fault.what),
        )
    })
}

/// Where and why the text is not JSON, made a CoreError once at the top: a small error type
/// keeps every step of the reader cheap.
struct Fault {
    at: usize,
    what: &'static str,
}

type Read<T> = Result<T, Fault>;

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &'static str) -> Fault {
        Fault { at: self.pos, what }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, literal: &str) -> Read<()> {
        if self.bytes.get(self.pos..self.pos + literal.len()) == Some(literal.as_bytes()) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(self.error(match literal {
                "null" => "expected null",
                "true" => "expected true",
                "false" => "expected false",
                _ => "unexpected text",
            }))
        }
    }

    fn value(&mut self, depth: usize) -> Read<Json<'a>> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested more than 64 levels deep"));
        }
        self.skip_space();
        match self.peek() {
            Some(b'n') => self.expect("null").map(|()| Json::Null),
            Some(b't') => self.expect("true").map(|()| Json::Bool(true)),
            Some(b'f') => self.expect("false").map(|()| Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn array(&mut self, depth: usize) -> Read<Json<'a>> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected , or ]")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Read<Json<'a>> {
        self.pos += 1;
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(Vec::new()));
        }
        // Requests have up to about eight keys: one allocation, no regrowth.
        let mut fields = Vec::with_capacity(8);
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key"));
            }
            let key = self.string()?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(self.error("expected :"));
            }
            self.pos += 1;
            fields.push((key, self.value(depth + 1)?));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(fields));
                }
                _ => return Err(self.error("expected , or }")),
            }
        }
    }

    fn number(&mut self) -> Read<Json<'a>> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = |r: &mut Self| {
            let from = r.pos;
            while matches!(r.peek(), Some(b'0'..=b'9')) {
                r.pos += 1;
            }
            r.pos - from
        };
        let int_start = self.pos;
        let int_digits = digits(self);
        if int_digits == 0 || (int_digits > 1 && self.bytes.get(int_start) == Some(&b'0')) {
            return Err(self.error("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        // Up to 15 digits and no fraction or exponent: exact as an integer (ids, counters, times).
        let text = self.text.get(start..self.pos).unwrap_or_default();
        if self.pos - int_start == int_digits && int_digits <= 15 {
            let magnitude = text
                .bytes()
                .skip(self.pos - start - int_digits)
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            let n = magnitude as f64;
            return Ok(Json::Number(if start == int_start { n } else { -n }));
        }
        Some(text)
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|n| n.is_finite())
            .map(Json::Number)
            .ok_or_else(|| self.error("number out of range"))
    }

    /// Moves past the plain bytes of a string (up to a quote, backslash, control byte or the end).
    fn skip_plain(&mut self) {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos += first_special(rest, false).unwrap_or(rest.len());
    }

    fn string(&mut self) -> Read<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        self.skip_plain();
        // Most strings have no escape: borrowed from the text, no allocation.
        if self.peek() == Some(b'"') {
            let plain = self.text.get(start..self.pos).unwrap_or_default();
            self.pos += 1;
            return Ok(Cow::Borrowed(plain));
        }
        self.pos = start;
        let mut out = String::new();
        loop {
            let start = self.pos;
            self.skip_plain();
            // The input is a &str and we stopped at an ASCII byte, so this is a char boundary.
            out.push_str(self.text.get(start..self.pos).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.escape()?;
                    out.push(escaped);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn escape(&mut self) -> Read<char> {
        let c = self
            .peek()
            .ok_or_else(|| self.error("unterminated escape"))?;
        self.pos += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&high) {
                    self.expect("\\u")
                        .map_err(|_| self.error("lone surrogate"))?;
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(self.error("lone surrogate"));
                    }
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    high
                };
                char::from_u32(code).ok_or_else(|| self.error("lone surrogate"))?
            }
            _ => return Err(self.error("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Read<u32> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("short \\u escape"))?;
        let value =
            u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(value)
    }
}

/// The lower-case hex digit of a nibble (0..=15).
pub fn hex_digit(nibble: u8) -> char {
    char::from(if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + (nibble & 0xf) - 10
    })
}

// The scanners below run per byte of a payload: their helpers are `inline(always)`, since the
// component is built for size (opt-level "s") and would otherwise call them per word and byte.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each zero byte of `word`. Exact for the lowest zero byte (a borrow only starts
/// at a zero); bytes above it may be flagged too, so only the lowest set bit is used.
#[inline(always)]
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// The high bit of the bytes of `word` a JSON string literal escapes: `"`, `\`, a control below
/// 0x20, and in the ASCII-only dialect DEL and every byte of a non-ASCII character. As for
/// `zero_bytes`, the lowest set bit is the first such byte; none set means none.
#[inline(always)]
fn special_bytes(word: u64, ascii_only: bool) -> u64 {
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    let quote = zero_bytes(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_bytes(word ^ (ONES * u64::from(b'\\')));
    let wide = if ascii_only {
        (word & HIGHS) | zero_bytes(word ^ (ONES * 0x7f))
    } else {
        0
    };
    control | quote | backslash | wide
}

/// The byte test `special_bytes` makes eight at a time.
#[inline(always)]
pub fn is_special(b: u8, ascii_only: bool) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || (ascii_only && b >= 0x7f)
}

/// The offset of the first special byte of `bytes`, if any, eight bytes per step: the lowest
/// flagged byte of a word is the answer, so a short string costs one or two words.
pub fn first_special(bytes: &[u8], ascii_only: bool) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let found = special_bytes(word, ascii_only);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    // The last few bytes one by one (cheaper than assembling a word).
    let rest = words.remainder();
    rest.iter()
        .position(|&b| is_special(b, ascii_only))
        .map(|i| at + i)
}

/// Calls `each` with every special byte of `bytes`, in order; words with none are skipped whole.
pub fn each_special(bytes: &[u8], ascii_only: bool, mut each: impl FnMut(u8)) {
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        if special_bytes(word, ascii_only) != 0 {
            chunk
                .iter()
                .filter(|&&b| is_special(b, ascii_only))
                .for_each(|&b| each(b));
        }
    }
    let rest = words.remainder();
    rest.iter()
        .filter(|&&b| is_special(b, ascii_only))
        .for_each(|&b| each(b));
}

/// Compact JSON, keys in insertion order.
pub struct Writer {
    out: String,
    /// Python's `json.dumps` default: escape everything outside ASCII.
    ascii_only: bool,
}

impl Writer {
    pub fn new(ascii_only: bool) -> Self {
        Writer {
            out: String::with_capacity(256),
            ascii_only,
        }
    }

    pub fn finish(self) -> String {
        self.out
    }

    pub fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    pub fn boolean(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    /// A string the core spells itself (an enum's wire name): nothing in it needs escaping.
    pub fn name(&mut self, name: &'static str) {
        debug_assert!(first_special(name.as_bytes(), true).is_none());
        self.out.push('"');
        self.out.push_str(name);
        self.out.push('"');
    }

    pub fn string(&mut self, s: &str) {
        self.out.reserve(s.len() + 2);
        self.out.push('"');
        // Runs that need no escape are copied whole; bytes are checked first, chars only
        // where a byte needs one (a multi-byte char starts with a byte >= 0x80).
        let Some(first) = first_special(s.as_bytes(), self.ascii_only) else {
            self.out.push_str(s);
            self.out.push('"');
            return;
        };
        let mut plain = 0;
        for (at, c) in s.get(first..).unwrap_or_default().char_indices() {
            let at = at + first;
            let escape: Option<&str> = match c {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '\n' => Some("\\n"),
                '\r' => Some("\\r"),
                '\t' => Some("\\t"),
                '\u{8}' => Some("\\b"),
                '\u{c}' => Some("\\f"),
                // json.dumps(ensure_ascii=True) escapes DEL as well as everything above it.
                c if (c as u32) < 0x20 || (self.ascii_only && (c as u32) >= 0x7f) => Some(""),
                _ => None,
            };
            let Some(escape) = escape else { continue };
            self.out.push_str(s.get(plain..at).unwrap_or_default());
            plain = at + c.len_utf8();
            if escape.is_empty() {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    self.unicode_escape(*unit);
                }
            } else {
                self.out.push_str(escape);
            }
        }
        self.out.push_str(s.get(plain..).unwrap_or_default());
        self.out.push('"');
    }

    fn unicode_escape(&mut self, unit: u16) {
        self.out.push_str("\\u");
        for shift in [12u16, 8, 4, 0] {
            self.out.push(hex_digit(((unit >> shift) & 0xf) as u8));
        }
    }

    pub fn value(&mut self, value: &Json) {
        match value {
            Json::Null => self.raw("null"),
            Json::Bool(b) => self.boolean(*b),
            Json::Number(n) => self.number(*n),
            Json::String(s) => self.string(s),
            Json::Array(items) => {
                self.raw("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.value(item);
                }
                self.raw("]");
            }
            Json::Object(fields) => {
                self.raw("{");
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.string(k);
                    self.raw(":");
                    self.value(v);
                }
                self.raw("}");
            }
        }
    }

    /// Decimal digits without the formatting machinery.
    pub fn integer(&mut self, n: i64) {
        if n < 0 {
            self.out.push('-');
        }
        self.unsigned(n.unsigned_abs());
    }

    pub fn unsigned(&mut self, mut value: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (value % 10) as u8;
            }
            value /= 10;
            if value == 0 || at == 0 {
                break;
            }
        }
        // ASCII digits: a char boundary on both sides.
        self.out
            .push_str(std::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or("0"));
    }

    /// Integers print without a fraction, as both languages print them.
    pub fn number(&mut self, n: f64) {
        if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
            self.integer(n as i64);
        } else {
            // Only host-supplied fractional times reach here; see error::number_text.
            self.out.push_str(&crate::error::number_text(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both word scanners against the byte test.
    fn scanners_agree(bytes: &[u8], ascii_only: bool, case: &str) {
        let naive = bytes.iter().position(|&x| is_special(x, ascii_only));
        assert_eq!(first_special(bytes, ascii_only), naive, "{case}");
        let mut all = Vec::new();
        each_special(bytes, ascii_only, |x| all.push(x));
        let want: Vec<u8> = bytes
            .iter()
            .copied()
            .filter(|&x| is_special(x, ascii_only))
            .collect();
        assert_eq!(all, want, "{case}");
    }

    #[test]
    fn the_word_scanner_finds_what_the_byte_test_finds() {
        // Every byte value at every offset of buffers longer and shorter than a word, over a
        // background of every plain byte in turn, in both dialects.
        for ascii_only in [false, true] {
            for background in [b'a', b' ', 0x7e, 0x21] {
                for len in [0usize, 1, 7, 8, 9, 16, 23] {
                    for at in 0..len {
                        for b in 0..=255u8 {
                            let mut bytes = vec![background; len];
                            if let Some(slot) = bytes.get_mut(at) {
                                *slot = b;
                            }
                            scanners_agree(&bytes, ascii_only, &format!("{b:#x} at {at}/{len}"));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_word_scanner_finds_the_first_of_two_specials() {
        // A flagged byte can flag the bytes above it (a borrow), so pairs are checked too.
        let second = [
            0u8, 1, 0x1f, 0x20, 0x21, b'"', b'\\', 0x7e, 0x7f, 0x80, 0xff,
        ];
        for ascii_only in [false, true] {
            for len in [2usize, 8, 9, 17] {
                for at in 0..len - 1 {
                    for a in 0..=255u8 {
                        for &b in &second {
                            let mut bytes = vec![b'a'; len];
                            if let Some(pair) = bytes.get_mut(at..at + 2) {
                                pair.copy_from_slice(&[a, b]);
                            }
                            let case = format!("{a:#x},{b:#x} at {at}/{len}");
                            scanners_agree(&bytes, ascii_only, &case);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn integers_read_without_the_float_parser_match_it() {
        let texts = [
            "0",
            "-0",
            "7",
            "-7",
            "1700000000000",
            "999999999999999",
            "-999999999999999",
            "9999999999999999",
            "12345678901234567890",
            "4294967296",
        ];
        for text in texts {
            let got = match parse("n", text) {
                Ok(Json::Number(n)) => Some(n.to_bits()),
                _ => None,
            };
            let want = text.parse::<f64>().ok().map(f64::to_bits);
            assert_eq!(got, want, "{text}");
        }
        for bad in ["-", "00", "-01", "1.", "1e", "--1"] {
            assert!(parse("n", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips_nested_values_and_escapes_per_dialect() {
        let text = r#"{"a":[1,2.5,-3e2,true,null],"b":"x\"\u00e9\ud83d\ude00\n"}"#;
        let value = parse("input", text);
        assert!(value.is_ok());
        let value = value.unwrap_or(Json::Null);
        let mut js = Writer::new(false);
        js.value(&value);
        assert_eq!(
            js.finish(),
            "{\"a\":[1,2.5,-300,true,null],\"b\":\"x\\\"é😀\\n\"}"
        );
        let mut py = Writer::new(true);
        py.value(&value);
        assert_eq!(
            py.finish(),
            "{\"a\":[1,2.5,-300,true,null],\"b\":\"x\\\"\\u00e9\\ud83d\\ude00\\n\"}"
        );
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "\"\\ud800\"",
            "\"\\x\"",
            "nul",
            "1 2",
            "\"\u{1}\"",
            "1e999",
        ] {
            let err = parse("operation", bad);
            assert!(err.is_err(), "{bad:?} parsed");
            assert_eq!(err.err().map(|e| e.field), Some("operation".to_string()));
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse("operation", &deep).is_err());
    }
}

//! Message filters: substrings and regular expressions written for Python `re` or JS `RegExp`,
//! run by one engine (regex-lite) in the core.
//!
//! The two source dialects and the engine disagree on many constructs, so a pattern is
//! translated construct by construct, and anything whose meaning would change is rejected at
//! configuration time with the pattern and the reason. Supported:
//! - literal characters; `\` + ASCII punctuation; `\t \n \r \f \v \0 \xHH \uXXXX` (Python also `\UXXXXXXXX`);
//! - `.` (per dialect: Python excludes `\n`, JS excludes `\n \r U+2028 U+2029`; flag `s` includes all);
//! - classes `[...]` / `[^...]` with literals, ranges and `\d \w \s` (`\b` = backspace);
//! - `\d \D \w \W \b \B`: JS always (ASCII there too); Python only with flag `a` (otherwise Unicode);
//! - `\s \S` expanded to the dialect's exact whitespace set;
//! - groups `(...)`, `(?:...)`, alternation, quantifiers `* + ? {n} {n,} {n,m}` and their lazy forms;
//! - anchors `^` and `$` (Python `$` also matches before a final `\n`, so it must end the pattern
//!   or a top-level alternative unless flag `m` is set; JS flag `m` is not supported);
//! - flag `i`: ASCII letters; Python without `a` (and JS with `u`) also fold K/k with U+212A and
//!   S/s with U+017F (Python: I/i with U+0130, U+0131); letters in classes and non-ASCII literals are
//!   rejected under `i`.
//!
//! - time: a Pike VM steps every live state once per message character, so a pattern's program
//!   size (`Translator::program_size`) bounds its cost per character; the patterns of one
//!   strategy may total at most `MAX_PROGRAM_SIZE`, and a larger one is rejected naming it and the
//!   bound (`[a-z]{1000}x` would take minutes on a 1 MB message; the worst accepted pattern takes
//!   about 13x a three-character literal, measured in `bench/python_bench.py`).
//!
//! Rejected: backreferences, lookaround, named groups, inline flags, possessive quantifiers,
//! `{,n}`, `\p`, `\A \Z \z`, JS flags `g y v`, Python flags `x l`.
//! Known limit: JS patterns without `u` see an astral character as two code units; the core sees one.

use crate::error::CoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternSyntax {
    Substring,
    PythonRegex,
    JsRegex,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternSpec {
    pub syntax: PatternSyntax,
    pub source: String,
    pub flags: String,
}

#[derive(Clone, Debug)]
pub enum MessagePattern {
    Substring(String),
    /// The compiled program and its size (see `MAX_PROGRAM_SIZE`).
    Regex(regex_lite::Regex, u64),
}

impl MessagePattern {
    pub fn compile(spec: &PatternSpec) -> Result<MessagePattern, CoreError> {
        if spec.syntax == PatternSyntax::Substring {
            if !spec.flags.is_empty() {
                return Err(reject(spec, "a substring pattern takes no flags"));
            }
            return Ok(MessagePattern::Substring(spec.source.clone()));
        }
        let mut translator = Translator::new(spec)?;
        let translated = translator.translate()?;
        let size = translator.program_size();
        if size > MAX_PROGRAM_SIZE {
            return Err(reject(
                spec,
                &format!(
                    "its program size is {size}, over the limit of {MAX_PROGRAM_SIZE} that keeps \
                     a search linear in the message with a small constant (every character, class \
                     range, anchor and group counts; `{{n,m}}` repeats its operand m times)"
                ),
            ));
        }
        regex_lite::RegexBuilder::new(&translated)
            .size_limit(1 << 20)
            .build()
            .map(|regex| MessagePattern::Regex(regex, size))
            .map_err(|e| reject(spec, &format!("not supported: {e}")))
    }

    /// Substring test, or an unanchored search (Python `re.search`, JS `RegExp.test`).
    pub fn matches(&self, text: &str) -> bool {
        match self {
            MessagePattern::Substring(s) => text.contains(s.as_str()),
            MessagePattern::Regex(r, _) => r.is_match(text),
        }
    }

    /// The regular expression's program size (0 for a substring, which is searched directly).
    pub fn program_size(&self) -> u64 {
        match self {
            MessagePattern::Substring(_) => 0,
            MessagePattern::Regex(_, size) => *size,
        }
    }
}

fn reject(spec: &PatternSpec, reason: &str) -> CoreError {
    CoreError::invalid(
        "retryable-errors",
        format!("{:?}", spec.source),
        &format!("pattern {:?}: {reason}", spec.source),
    )
}

const PY_SPACE: &[(u32, u32)] = &[
    (0x9, 0xd),
    (0x1c, 0x20),
    (0x85, 0x85),
    (0xa0, 0xa0),
    (0x1680, 0x1680),
    (0x2000, 0x200a),
    (0x2028, 0x2029),
    (0x202f, 0x202f),
    (0x205f, 0x205f),
    (0x3000, 0x3000),
];
const PY_ASCII_SPACE: &[(u32, u32)] = &[(0x9, 0xd), (0x20, 0x20)];
const JS_SPACE: &[(u32, u32)] = &[
    (0x9, 0xd),
    (0x20, 0x20),
    (0xa0, 0xa0),
    (0x1680, 0x1680),
    (0x2000, 0x200a),
    (0x2028, 0x2029),
    (0x202f, 0x202f),
    (0x205f, 0x205f),
    (0x3000, 0x3000),
    (0xfeff, 0xfeff),
];

struct Translator<'a> {
    spec: &'a PatternSpec,
    chars: Vec<char>,
    pos: usize,
    out: String,
    python: bool,
    ignore_case: bool,
    multiline: bool,
    dot_all: bool,
    /// Python `a` flag: \d \w \s \b are ASCII, and case folding is ASCII-only.
    ascii: bool,
    /// JS `u` flag.
    unicode: bool,
    depth: usize,
    /// Program-size accounting, one frame per open group.
    frames: Vec<Frame>,
    /// Ranges in the class being translated.
    class_items: u64,
    /// Plain characters not yet counted (see `flush_run`).
    run: Vec<char>,
}

#[derive(Clone, Copy, Default)]
struct Frame {
    /// Sum of the finished alternatives (plus one split edge each).
    alternatives: u64,
    /// The current alternative so far.
    seq: u64,
    /// The last atom, which a quantifier repeats.
    last: u64,
}

/// The largest program size accepted (see `Translator::program_size`). Measured in
/// `bench/python_bench.py`: the worst accepted pattern on a 1 MB message stays within a small
/// multiple of a three-character literal on the same message.
pub const MAX_PROGRAM_SIZE: u64 = 24;

impl<'a> Translator<'a> {
    fn new(spec: &'a PatternSpec) -> Result<Self, CoreError> {
        let python = spec.syntax == PatternSyntax::PythonRegex;
        let mut t = Translator {
            spec,
            chars: spec.source.chars().collect(),
            pos: 0,
            out: String::new(),
            python,
            ignore_case: false,
            multiline: false,
            dot_all: false,
            ascii: false,
            unicode: false,
            depth: 0,
            frames: vec![Frame::default()],
            class_items: 0,
            run: Vec::new(),
        };
        for flag in spec.flags.chars() {
            match (flag, python) {
                ('i', _) => t.ignore_case = true,
                ('m', true) => t.multiline = true,
                ('m', false) => {
                    return Err(reject(
                        spec,
                        "JS flag m is not supported (its anchors also match at \\r and U+2028)",
                    ))
                }
                ('s', _) => t.dot_all = true,
                ('a', true) => t.ascii = true,
                ('u', true) | ('d', false) => {} // Python's default / match indices only
                ('u', false) => t.unicode = true,
                ('g' | 'y', false) => {
                    return Err(reject(
                        spec,
                        "flags g and y make RegExp.test stateful; remove them",
                    ))
                }
                _ => return Err(reject(spec, &format!("flag {flag:?} is not supported"))),
            }
        }
        Ok(t)
    }

    /// The size of the program the matcher runs: its cost per message character is at most
    /// proportional to it (a Pike VM steps every live state once per character).
    fn program_size(&mut self) -> u64 {
        self.flush_run();
        while self.frames.len() > 1 {
            self.close_frame();
        }
        self.frames
            .first()
            .map_or(0, |f| f.alternatives.saturating_add(f.seq))
    }

    /// One atom of `cost` states (a character is 1, a class 1 + its ranges).
    fn atom(&mut self, cost: u64) {
        self.flush_run();
        if let Some(f) = self.frames.last_mut() {
            f.seq = f.seq.saturating_add(cost);
            f.last = cost;
        }
    }

    /// The last atom repeated: `{n,m}` compiles to m copies, `{n,}` to n + 1 (plus a split).
    /// Optional copies add a split each.
    fn repeat(&mut self, min: u64, max: Option<u64>) {
        // A quantifier applies to the last character of a literal run only.
        if self.run.pop().is_some() {
            self.atom(1);
        }
        if let Some(f) = self.frames.last_mut() {
            let copies = max.map_or(min.saturating_add(1), |m| m.max(1));
            let optional = max.map_or(1, |m| m.saturating_sub(min));
            let repeated = f
                .last
                .saturating_mul(copies)
                .saturating_add(optional)
                .saturating_add(1);
            f.seq = f.seq.saturating_sub(f.last).saturating_add(repeated);
            f.last = repeated;
        }
    }

    /// A run of plain characters costs the most states that can be live in it at once: the
    /// longest chain of its prefixes that are suffixes of one another ("aaaa" 4, "abcd" 1).
    fn flush_run(&mut self) {
        if self.run.is_empty() {
            return;
        }
        let run = core::mem::take(&mut self.run);
        let mut border = vec![0usize; run.len() + 1];
        let mut chain = vec![0u64; run.len() + 1];
        let mut k = 0;
        for i in 1..run.len() {
            while k > 0 && run.get(i) != run.get(k) {
                k = border.get(k).copied().unwrap_or(0);
            }
            if run.get(i) == run.get(k) {
                k += 1;
            }
            if let Some(b) = border.get_mut(i + 1) {
                *b = k;
            }
        }
        for j in 1..=run.len() {
            let previous = border
                .get(j)
                .and_then(|&b| chain.get(b))
                .copied()
                .unwrap_or(0);
            if let Some(c) = chain.get_mut(j) {
                *c = previous + 1;
            }
        }
        let cost = chain.iter().copied().max().unwrap_or(0);
        self.atom(cost);
    }

    fn close_frame(&mut self) {
        self.flush_run();
        if self.frames.len() > 1 {
            if let Some(f) = self.frames.pop() {
                self.atom(f.alternatives.saturating_add(f.seq).saturating_add(1));
            }
        } else {
            self.atom(0);
        }
    }

    fn alternative(&mut self) {
        self.flush_run();
        if let Some(f) = self.frames.last_mut() {
            f.alternatives = f.alternatives.saturating_add(f.seq).saturating_add(1);
            f.seq = 0;
            f.last = 0;
        }
    }

    /// Case folding beyond ASCII applies (Python without `a`, JS with `u`).
    fn unicode_folding(&self) -> bool {
        self.ignore_case
            && if self.python {
                !self.ascii
            } else {
                self.unicode
            }
    }

    fn fail<T>(&self, reason: &str) -> Result<T, CoreError> {
        Err(reject(self.spec, reason))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += 1;
        c
    }

    fn translate(&mut self) -> Result<String, CoreError> {
        while let Some(c) = self.next() {
            match c {
                '\\' => self.escape()?,
                '.' => self.dot(),
                '^' => self.caret()?,
                '$' => self.dollar()?,
                '(' => self.group()?,
                ')' => {
                    self.depth = self.depth.saturating_sub(1);
                    self.out.push(')');
                    self.close_frame();
                }
                '|' => {
                    self.out.push('|');
                    self.alternative();
                }
                '*' | '+' | '?' => {
                    self.out.push(c);
                    match c {
                        '*' => self.repeat(0, None),
                        '+' => self.repeat(1, None),
                        _ => self.repeat(0, Some(1)),
                    }
                    self.quantifier_suffix()?;
                }
                '{' => self.brace()?,
                '[' => self.class()?,
                _ => self.literal(c)?,
            }
        }
        let prefix = if self.ignore_case { "(?i)" } else { "" };
        Ok(format!("{prefix}{}", self.out))
    }

    fn literal(&mut self, c: char) -> Result<(), CoreError> {
        if self.ignore_case && !c.is_ascii() {
            return self.fail("case-insensitive matching of non-ASCII characters is not supported");
        }
        if self.unicode_folding() {
            let extra = match c.to_ascii_lowercase() {
                'k' => "\\x{212A}",
                's' => "\\x{17F}",
                'i' if self.python => "\\x{130}\\x{131}",
                _ => "",
            };
            if !extra.is_empty() {
                self.atom(class_cost(2 + extra.matches('x').count() as u64));
                self.out.push_str(&format!(
                    "[{}{}{extra}]",
                    c.to_ascii_lowercase(),
                    c.to_ascii_uppercase()
                ));
                return Ok(());
            }
        }
        // Under flag i the engine turns an ASCII letter into a two-range class.
        if self.ignore_case && c.is_ascii_alphabetic() {
            self.atom(class_cost(2));
        } else {
            self.run.push(c);
        }
        if c.is_ascii_alphanumeric() {
            self.out.push(c);
        } else {
            self.out.push_str(&hex(c));
        }
        Ok(())
    }

    fn dot(&mut self) {
        // Each dot is a class of 1 to 4 ranges.
        self.atom(class_cost(4));
        self.out.push_str(match (self.dot_all, self.python) {
            (true, _) => "(?s:.)",
            (false, true) => "[^\\n]",
            (false, false) => "[^\\n\\r\\x{2028}\\x{2029}]",
        });
    }

    fn caret(&mut self) -> Result<(), CoreError> {
        self.atom(1);
        self.out
            .push_str(if self.multiline { "(?m:^)" } else { "\\A" });
        Ok(())
    }

    fn dollar(&mut self) -> Result<(), CoreError> {
        self.atom(2);
        if !self.python {
            self.out.push_str("\\z");
        } else if self.multiline {
            self.out.push_str("(?m:$)");
        } else {
            // Python's `$` also matches before a final newline; consuming that newline is only
            // equivalent where nothing follows in the same match.
            let ends = self.peek().is_none() || (self.depth == 0 && self.peek() == Some('|'));
            if !ends {
                return self.fail(
                    "Python `$` must end the pattern or a top-level alternative (or use flag m)",
                );
            }
            self.out.push_str("(?:\\n?\\z)");
        }
        Ok(())
    }

    fn group(&mut self) -> Result<(), CoreError> {
        if self.peek() == Some('?') {
            if self.chars.get(self.pos + 1) != Some(&':') {
                return self.fail("only plain and (?:...) groups are supported (no lookaround, named groups or inline flags)");
            }
            self.pos += 2;
        }
        // Only whether a pattern matches is asked, so every group is non-capturing (capture
        // slots would be copied along with every live state).
        self.out.push_str("(?:");
        self.depth += 1;
        self.frames.push(Frame::default());
        Ok(())
    }

    fn quantifier_suffix(&mut self) -> Result<(), CoreError> {
        match self.peek() {
            Some('?') => {
                self.pos += 1;
                self.out.push('?');
            }
            Some('+') => return self.fail("possessive quantifiers are not supported"),
            _ => {}
        }
        Ok(())
    }

    /// `{n}`, `{n,}`, `{n,m}` are quantifiers in both dialects; any other `{` is a literal.
    fn brace(&mut self) -> Result<(), CoreError> {
        let rest: String = self
            .chars
            .iter()
            .skip(self.pos)
            .take_while(|&&c| c != '}')
            .collect();
        let closed = self.chars.get(self.pos + rest.chars().count()) == Some(&'}');
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        let quantifier = closed
            && match rest.split_once(',') {
                None => digits(&rest),
                Some((lo, hi)) => {
                    if lo.is_empty() && (hi.is_empty() || digits(hi)) {
                        return self.fail("`{,n}` means {0,n} in Python but is literal text in JS");
                    }
                    digits(lo) && (hi.is_empty() || digits(hi))
                }
            };
        if quantifier {
            let bound = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
            match rest.split_once(',') {
                None => self.repeat(bound(&rest), Some(bound(&rest))),
                Some((lo, "")) => self.repeat(bound(lo), None),
                Some((lo, hi)) => self.repeat(bound(lo), Some(bound(hi))),
            }
            self.out.push('{');
            self.out.push_str(&rest);
            self.out.push('}');
            self.pos += rest.chars().count() + 1;
            self.quantifier_suffix()
        } else {
            self.atom(1);
            self.out.push_str(&hex('{'));
            Ok(())
        }
    }

    fn escape(&mut self) -> Result<(), CoreError> {
        let Some(c) = self.next() else {
            return self.fail("a pattern cannot end with a backslash");
        };
        match c {
            'd' | 'D' | 'w' | 'W' | 'b' | 'B' => {
                if self.python && !self.ascii {
                    return self.fail(&format!("Python `\\{c}` is Unicode-aware; add flag a (re.ASCII) or spell the class out"));
                }
                if matches!(c, 'w' | 'W' | 'b' | 'B') && self.unicode_folding() {
                    return self.fail(&format!(
                        "`\\{c}` with flags i and u also matches U+017F and U+212A"
                    ));
                }
                self.atom(match c {
                    'd' | 'D' | 'w' | 'W' => class_cost(5),
                    _ => 1, // \\b \\B: one look-around test
                });
                self.out.push('\\');
                self.out.push(c);
            }
            's' | 'S' => {
                self.atom(class_cost(1 + self.space().len() as u64));
                let set = ranges(self.space());
                self.out.push_str(&if c == 's' {
                    format!("[{set}]")
                } else {
                    format!("[^{set}]")
                });
            }
            _ => {
                let literal = self.escaped_char(c)?;
                self.literal(literal)?;
            }
        }
        Ok(())
    }

    fn space(&self) -> &'static [(u32, u32)] {
        match (self.python, self.ascii) {
            (true, false) => PY_SPACE,
            (true, true) => PY_ASCII_SPACE,
            (false, _) => JS_SPACE,
        }
    }

    /// An escape that stands for one character.
    fn escaped_char(&mut self, c: char) -> Result<char, CoreError> {
        let simple = match c {
            't' => Some('\t'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            'f' => Some('\x0c'),
            'v' => Some('\x0b'),
            '0' if !self.peek().is_some_and(|d| d.is_ascii_digit()) => Some('\0'),
            c if c.is_ascii_punctuation() => Some(c),
            _ => None,
        };
        if let Some(ch) = simple {
            return Ok(ch);
        }
        let width = match c {
            'x' => 2,
            'u' => 4,
            'U' if self.python => 8,
            _ => return self.fail(&format!("`\\{c}` is not supported")),
        };
        let digits: String = self.chars.iter().skip(self.pos).take(width).collect();
        let value = (digits.chars().count() == width)
            .then(|| u32::from_str_radix(&digits, 16).ok())
            .flatten()
            .and_then(char::from_u32);
        match value {
            Some(ch) => {
                self.pos += width;
                Ok(ch)
            }
            None => self.fail(&format!(
                "`\\{c}{digits}` is not a character escape the core supports"
            )),
        }
    }

    fn class(&mut self) -> Result<(), CoreError> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        if self.peek() == Some(']') {
            return self.fail("`[]`/`[^]` mean different things in Python and JS");
        }
        let mut body = String::new();
        self.class_items = 0;
        loop {
            let Some(c) = self.next() else {
                return self.fail("unterminated character class");
            };
            if c == ']' {
                break;
            }
            let low = match c {
                '\\' => match self.class_escape(&mut body)? {
                    Some(ch) => ch,
                    None => continue,
                },
                _ => c,
            };
            let is_range =
                self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']');
            let high = if is_range {
                self.pos += 1;
                match self.next() {
                    Some('\\') => match self.class_escape(&mut String::new())? {
                        Some(ch) => ch,
                        None => return self.fail("a class shorthand cannot end a range"),
                    },
                    Some(ch) => ch,
                    None => return self.fail("unterminated character class"),
                }
            } else {
                low
            };
            if self.ignore_case && (!low.is_ascii() || !high.is_ascii()) {
                return self
                    .fail("case-insensitive classes with non-ASCII characters are not supported");
            }
            if self.unicode_folding() && (low..=high).any(|ch| ch.is_ascii_alphabetic()) {
                return self.fail(
                    "letters in a class under case-insensitive Unicode matching are not supported",
                );
            }
            if high < low {
                return self.fail("a class range runs backwards");
            }
            self.class_items += 1;
            body.push_str(&hex(low));
            if is_range {
                body.push('-');
                body.push_str(&hex(high));
            }
        }
        // Under flag i the engine adds the other case of every letter range.
        let fold = if self.ignore_case { 2 } else { 1 };
        self.atom(class_cost(u64::from(negated) + self.class_items * fold));
        self.out.push('[');
        if negated {
            self.out.push('^');
        }
        self.out.push_str(&body);
        self.out.push(']');
        Ok(())
    }

    /// An escape inside a class: a character, or a shorthand appended to `body` (returns None).
    fn class_escape(&mut self, body: &mut String) -> Result<Option<char>, CoreError> {
        let Some(c) = self.next() else {
            return self.fail("unterminated character class");
        };
        match c {
            'b' => Ok(Some('\x08')),
            'd' | 'w' => {
                if self.python && !self.ascii {
                    return self.fail(&format!(
                        "Python `\\{c}` is Unicode-aware; add flag a (re.ASCII)"
                    ));
                }
                if self.unicode_folding() && c == 'w' {
                    return self.fail("`\\w` with flags i and u also matches U+017F and U+212A");
                }
                self.class_items += if c == 'd' { 1 } else { 4 };
                body.push_str(if c == 'd' { "0-9" } else { "0-9A-Za-z_" });
                Ok(None)
            }
            's' => {
                self.class_items += self.space().len() as u64;
                body.push_str(&ranges(self.space()));
                Ok(None)
            }
            'D' | 'W' | 'S' => self.fail("negated shorthands inside a class are not supported"),
            _ => self.escaped_char(c).map(Some),
        }
    }
}

/// A class is one state whose ranges are scanned in order (about an eighth of a state each).
fn class_cost(ranges: u64) -> u64 {
    1 + ranges / 8
}

fn hex(c: char) -> String {
    format!("\\x{{{:X}}}", u32::from(c))
}

fn ranges(set: &[(u32, u32)]) -> String {
    set.iter()
        .map(|&(lo, hi)| {
            if lo == hi {
                format!("\\x{{{lo:X}}}")
            } else {
                format!("\\x{{{lo:X}}}-\\x{{{hi:X}}}")
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::panic)] // a failed expectation in a test
mod tests {
    use super::*;

    fn compile(
        syntax: PatternSyntax,
        source: &str,
        flags: &str,
    ) -> Result<MessagePattern, CoreError> {
        MessagePattern::compile(&PatternSpec {
            syntax,
            source: source.to_string(),
            flags: flags.to_string(),
        })
    }

    fn py(source: &str, flags: &str, text: &str) -> bool {
        match compile(PatternSyntax::PythonRegex, source, flags) {
            Ok(p) => p.matches(text),
            Err(e) => panic!("{e}"),
        }
    }

    fn js(source: &str, flags: &str, text: &str) -> bool {
        match compile(PatternSyntax::JsRegex, source, flags) {
            Ok(p) => p.matches(text),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn search_semantics_and_anchors() {
        assert!(py("time.?out", "", "a timeout here"));
        assert!(py("^'timeout'$", "", "'timeout'\n")); // Python $ before a final newline
        assert!(!js("^timeout$", "", "timeout\n"));
        assert!(js("^a|b$", "", "xxb"));
    }

    #[test]
    fn dot_differs_between_dialects_on_carriage_return() {
        assert!(py("a.b", "", "a\rb"));
        assert!(!js("a.b", "", "a\rb"));
        assert!(js("a.b", "s", "a\nb"));
    }

    #[test]
    fn case_insensitive_folding_follows_the_dialect() {
        assert!(py("kelvin", "i", "\u{212A}ELVIN"));
        assert!(!js("kelvin", "i", "\u{212A}ELVIN"));
        assert!(js("kelvin", "iu", "\u{212A}ELVIN"));
        assert!(py("kelvin", "ia", "KELVIN") && !py("kelvin", "ia", "\u{212A}ELVIN"));
    }

    #[test]
    fn whitespace_sets_are_the_dialects_own() {
        assert!(py("a\\sb", "", "a\u{1c}b"));
        assert!(!js("a\\sb", "", "a\u{1c}b"));
        assert!(js("a\\sb", "", "a\u{feff}b"));
    }

    #[test]
    fn classes_quantifiers_and_literal_braces() {
        assert!(js("[a-c\\d]{2,3}x", "", "zb9x"));
        assert!(js("a{x", "", "a{x"));
        assert!(py("[.*]+?", "", "*"));
        assert!(!py("[^a-z]", "", "abc"));
    }

    fn size(syntax: PatternSyntax, source: &str, flags: &str) -> u64 {
        match compile(syntax, source, flags) {
            Ok(p) => p.program_size(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn program_size_counts_live_states() {
        use PatternSyntax::{JsRegex, PythonRegex};
        // A run costs the states that can be live at once: "aaa" 3, "abc" 1, "abab" 2.
        assert_eq!(size(PythonRegex, "aaa", ""), 3);
        assert_eq!(size(PythonRegex, "abc", ""), 1);
        assert_eq!(size(PythonRegex, "abab", ""), 2);
        assert_eq!(size(JsRegex, "Connection reset by peer|timed out", ""), 4);
        // {n,m}: m copies plus a split per optional copy plus one.
        assert_eq!(size(PythonRegex, "a{3}", ""), 4);
        assert_eq!(size(PythonRegex, "a{1,3}", ""), 6);
        assert_eq!(size(JsRegex, "(?:ab)*", ""), 4);
        assert_eq!(size(PythonRegex, "[a-z]{22}x", ""), 24);
        assert_eq!(size(PythonRegex, "status 5\\d\\d", "a"), 4);
    }

    #[test]
    fn patterns_over_the_time_bound_are_rejected_naming_the_pattern_and_the_bound() {
        for (syntax, source) in [
            (PatternSyntax::PythonRegex, "[a-z]{1000}x"),
            (PatternSyntax::JsRegex, "(?:a|b){10}"),
            (PatternSyntax::PythonRegex, "a{4294967295}"),
            (PatternSyntax::JsRegex, "(?:a*){99}x"),
        ] {
            match compile(syntax, source, "") {
                Ok(p) => panic!("{source:?} was accepted with size {}", p.program_size()),
                Err(e) => {
                    assert_eq!(e.field, "retryable-errors");
                    assert!(e.message.contains(&format!("{source:?}")), "{e}");
                    assert!(e.message.contains("limit of 24"), "{e}");
                }
            }
        }
    }

    #[test]
    fn unsupported_constructs_are_rejected_naming_the_pattern() {
        for (syntax, source, flags) in [
            (PatternSyntax::PythonRegex, "(a)\\1", ""),
            (PatternSyntax::JsRegex, "(?=a)", ""),
            (PatternSyntax::PythonRegex, "\\d+", ""),
            (PatternSyntax::PythonRegex, "a$b", ""),
            (PatternSyntax::JsRegex, "a", "g"),
            (PatternSyntax::JsRegex, "a{,2}", ""),
            (PatternSyntax::JsRegex, "[]a]", ""),
            (PatternSyntax::PythonRegex, "a++", ""),
            (PatternSyntax::PythonRegex, "é", "i"),
            (PatternSyntax::Substring, "a", "i"),
        ] {
            match compile(syntax, source, flags) {
                Ok(_) => panic!("{source:?} /{flags} was accepted"),
                Err(e) => {
                    assert_eq!(e.field, "retryable-errors");
                    assert!(e.message.contains(&format!("{source:?}")), "{e}");
                }
            }
        }
    }
}

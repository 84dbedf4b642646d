//! Go (RE2) regular expressions on top of the `regex` crate.
//!
//! Traefik compiles rule regexps with Go's `regexp` package. The `regex` crate has the same
//! RE2 semantics (leftmost-first, no backreferences, unanchored `is_match`) but differs in a few
//! places that change what a rule matches, so patterns are rewritten before compiling:
//! - `\d \w \s \b` and their negations are ASCII-only in Go, Unicode-aware in `regex`;
//! - `\Q...\E` quoting and octal escapes (`\012`) exist only in Go;
//! - inside a class, `regex` treats `[`, `&&`, `--` and `~~` as nesting and set operators, Go
//!   as literal characters;
//! - an `{` that does not start a valid repetition is a literal in Go and an error in `regex`;
//! - Go refuses unknown escapes (`\e`, `\<`), flags other than `imsU`, and repeat counts
//!   above 1000, which `regex` would accept.
//!
//! Matching is done on bytes (`regex::bytes`) because request paths, queries and header values
//! may hold bytes that are not UTF-8 once percent-decoded; Go would see such a byte as U+FFFD,
//! `regex` as a byte that `.` does not match (the only known remaining difference).

use std::fmt::Write as _;

const GO_MAX_REPEAT: u32 = 1000;
const ASCII_DIGIT: &str = "0-9";
const ASCII_WORD: &str = "0-9A-Za-z_";
const ASCII_SPACE: &str = r"\t\n\x0C\r ";

/// Compiles a Go regular expression with Go's semantics.
pub(crate) fn compile(pattern: &str) -> Result<regex::bytes::Regex, String> {
    let translated = translate(pattern)?;
    regex::bytes::RegexBuilder::new(&translated).size_limit(1 << 22).build().map_err(|e| match e {
        regex::Error::Syntax(msg) => format!("invalid regular expression {pattern:?}: {}", last_line(&msg)),
        regex::Error::CompiledTooBig(_) => format!("regular expression {pattern:?} is too large"),
        other => format!("invalid regular expression {pattern:?}: {other}"),
    })
}

fn last_line(msg: &str) -> &str {
    msg.lines().rev().find(|l| !l.trim().is_empty()).map_or(msg, |l| l.trim().trim_start_matches("error: "))
}

fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let (piece, used) = escape(&chars[i..], false)?;
                out.push_str(&piece);
                i += used;
            }
            '[' => {
                let used = class(&chars[i..], &mut out)?;
                i += used;
            }
            '(' if chars.get(i + 1) == Some(&'?') => {
                let used = group_flags(&chars[i..])?;
                out.extend(&chars[i..i + used]);
                i += used;
            }
            '{' => match repeat(&chars[i..])? {
                Some(used) => {
                    out.extend(&chars[i..i + used]);
                    i += used;
                }
                None => {
                    out.push_str(r"\{");
                    i += 1;
                }
            },
            '}' => {
                out.push_str(r"\}");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// `{n}`, `{n,}` or `{n,m}`: returns its length, `None` when Go would read a literal `{`.
fn repeat(chars: &[char]) -> Result<Option<usize>, String> {
    let Some(close) = chars.iter().position(|&c| c == '}') else { return Ok(None) };
    let body: String = chars[1..close].iter().collect();
    let (min, max) = match body.split_once(',') {
        Some((min, max)) => (min, Some(max)),
        None => (body.as_str(), None),
    };
    let is_num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !is_num(min) || max.is_some_and(|m| !m.is_empty() && !is_num(m)) {
        return Ok(None);
    }
    for n in std::iter::once(min).chain(max.filter(|m| !m.is_empty())) {
        if n.parse::<u32>().map_or(true, |v| v > GO_MAX_REPEAT) {
            return Err(format!("invalid repeat count {{{body}}}: Go allows at most {GO_MAX_REPEAT}"));
        }
    }
    Ok(Some(close + 1))
}

/// Checks a `(?` group opening; returns its length up to and including `)` or `:` or `>`.
fn group_flags(chars: &[char]) -> Result<usize, String> {
    match chars.get(2) {
        Some('P') | Some('<') => {
            let Some(end) = chars.iter().position(|&c| c == '>') else {
                return Err("invalid named capture".to_owned());
            };
            Ok(end + 1)
        }
        _ => {
            let mut i = 2;
            while let Some(&c) = chars.get(i) {
                match c {
                    'i' | 'm' | 's' | 'U' | '-' => i += 1,
                    ')' | ':' => return Ok(i + 1),
                    other => return Err(format!("invalid or unsupported Perl syntax: flag `{other}`")),
                }
            }
            Err("missing closing )".to_owned())
        }
    }
}

/// Translates one escape starting at `chars[0] == '\\'`; returns the replacement and the
/// number of characters consumed.
fn escape(chars: &[char], in_class: bool) -> Result<(String, usize), String> {
    let Some(&e) = chars.get(1) else { return Err("trailing backslash at end of expression".to_owned()) };
    let class = |body: &str, negated: bool| {
        if in_class && !negated {
            body.to_owned()
        } else if negated {
            format!("[^{body}]")
        } else {
            format!("[{body}]")
        }
    };
    let piece = match e {
        'd' => class(ASCII_DIGIT, false),
        'D' => class(ASCII_DIGIT, true),
        'w' => class(ASCII_WORD, false),
        'W' => class(ASCII_WORD, true),
        's' => class(ASCII_SPACE, false),
        'S' => class(ASCII_SPACE, true),
        'b' | 'B' if !in_class => format!("(?-u:\\{e})"),
        'A' | 'z' if !in_class => format!("\\{e}"),
        'a' | 'f' | 't' | 'n' | 'r' | 'v' => format!("\\{e}"),
        'Q' if !in_class => {
            let rest: String = chars[2..].iter().collect();
            let (quoted, used) = match rest.find("\\E") {
                Some(end) => (&rest[..end], 2 + rest[..end].chars().count() + 2),
                None => (rest.as_str(), chars.len()),
            };
            return Ok((regex::escape(quoted), used));
        }
        '0'..='7' => {
            let digits: String = chars[1..].iter().take(3).take_while(|c| ('0'..='7').contains(*c)).collect();
            if e != '0' && digits.len() < 2 {
                return Err(format!("invalid escape sequence: \\{e} (backreferences are not supported)"));
            }
            let value = u32::from_str_radix(&digits, 8).map_err(|_| "invalid octal escape".to_owned())?;
            let mut s = String::new();
            let _ = write!(s, "\\x{{{value:X}}}");
            return Ok((s, 1 + digits.len()));
        }
        'x' => {
            if chars.get(2) == Some(&'{') {
                let end = chars.iter().position(|&c| c == '}').ok_or("invalid escape sequence: \\x{")?;
                return Ok((chars[..=end].iter().collect(), end + 1));
            }
            let hex: String = chars.iter().skip(2).take(2).collect();
            if hex.len() != 2 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err("invalid escape sequence: \\x".to_owned());
            }
            return Ok((format!("\\x{hex}"), 4));
        }
        'p' | 'P' => {
            if chars.get(2) == Some(&'{') {
                let end = chars.iter().position(|&c| c == '}').ok_or("invalid character class range")?;
                return Ok((chars[..=end].iter().collect(), end + 1));
            }
            let Some(&name) = chars.get(2) else { return Err("invalid character class range".to_owned()) };
            return Ok((format!("\\{e}{name}"), 3));
        }
        // Go reads any escaped ASCII non-word character as itself; `regex` gives some of them a
        // meaning (`\<` is a word boundary), so they are written as hex escapes.
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => hex_literal(c),
        other => return Err(format!("invalid escape sequence: \\{other}")),
    };
    Ok((piece, 2))
}

/// Translates a bracket class starting at `chars[0] == '['`, appending it to `out`.
fn class(chars: &[char], out: &mut String) -> Result<usize, String> {
    let mut i = 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else { return Err("missing closing ]".to_owned()) };
        if c == ']' && !first {
            out.push(']');
            return Ok(i + 1);
        }
        first = false;
        if c == '[' && chars.get(i + 1) == Some(&':') {
            let rest: String = chars[i..].iter().collect();
            if let Some(end) = rest.find(":]") {
                let named = &rest[..end + 2];
                out.push_str(named);
                i += named.chars().count();
                continue;
            }
        }
        let (lo, used) = class_char(&chars[i..])?;
        out.push_str(&lo);
        i += used;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            let (hi, used) = class_char(&chars[i + 1..])?;
            out.push('-');
            out.push_str(&hi);
            i += 1 + used;
        }
    }
}

fn hex_literal(c: char) -> String {
    format!("\\x{{{:X}}}", u32::from(c))
}

fn class_char(chars: &[char]) -> Result<(String, usize), String> {
    match chars.first() {
        Some('\\') => escape(chars, true),
        Some(&c) if c.is_ascii_punctuation() => Ok((hex_literal(c), 1)),
        Some(&c) => Ok((c.to_string(), 1)),
        None => Err("missing closing ]".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::compile;

    fn m(p: &str, s: &str) -> bool {
        compile(p).map(|re| re.is_match(s.as_bytes())).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn perl_classes_are_ascii_only_as_in_go() {
        assert!(m(r"^\d+$", "123"));
        assert!(!m(r"^\d$", "٣"));
        assert!(!m(r"^\w$", "é"));
        assert!(m(r"^\W$", "é"));
        assert!(m(r"^[\d\-]+$", "1-2"));
        assert!(m(r"^[^\d]$", "a"));
        assert!(m(r"\bfoo\b", "a foo b"));
        assert!(!m(r"^\s$", "\u{a0}"));
    }

    #[test]
    fn go_only_syntax() {
        assert!(m(r"^\Qa.b\E$", "a.b"));
        assert!(!m(r"^\Qa.b\E$", "axb"));
        assert!(m(r"^\101$", "A"));
        assert!(m(r"^{sub:[a-z]+}$", "{sub:abc}"));
        assert!(m(r"^[[]$", "["));
        assert!(m(r"^[a&&b]+$", "&&"));
        assert!(m(r"^[]a]$", "]"));
        assert!(m(r"^[a-]$", "-"));
        assert!(m(r"^[[:alpha:]]+$", "abc"));
        assert!(m(r"(?i)^ABC$", "abc"));
        assert!(m(r"^a{2,3}$", "aaa"));
    }

    #[test]
    fn go_refusals() {
        assert!(m(r"^\<\.$", "<."));
        for p in [r"\e", r"\1", r"(?x)a", "a{1001}", r"\z[", "(", "[a"] {
            assert!(compile(p).is_err(), "{p} should be refused");
        }
    }
}

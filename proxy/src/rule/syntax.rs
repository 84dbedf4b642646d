//! Tokenizer and parser for Traefik's rule language.
//!
//! Traefik hands the rule to Go's `go/parser.ParseExpr` (through `vulcand/predicate`), so a rule
//! is a Go expression: matcher names are identifiers, values are Go string literals (backticks
//! or double quotes with Go escapes), `!` binds tighter than `&&`, which binds tighter than `||`,
//! and Go's automatic semicolon insertion applies: a newline right after `)`, a value or a
//! matcher name ends the expression, so a rule may only continue on the next line after an
//! operator, `(` or `,`. We reproduce that grammar by hand so that a rule Traefik accepts is
//! accepted here and one it refuses is refused, with the byte position of the problem.

use super::RuleError;

/// Deepest nesting of parentheses and `!` accepted; Go's parser has a similar limit, and it
/// keeps a hostile rule from exhausting the stack.
const MAX_DEPTH: usize = 200;

/// A parsed rule before its matchers are checked and compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Call(Call),
    Not(Box<Expr>),
    /// Conjunction of two or more terms (chains are flattened so long rules stay shallow).
    And(Vec<Expr>),
    /// Disjunction of two or more terms.
    Or(Vec<Expr>),
}

/// One matcher call, e.g. ``Host(`example.com`)``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    /// The canonical matcher name (`PathPrefix` even when written `pathprefix`).
    pub name: &'static str,
    pub args: Vec<String>,
    /// Byte offset of the matcher name in the rule.
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Str(String),
    LParen,
    RParen,
    Comma,
    AndAnd,
    OrOr,
    Bang,
    /// A newline that Go turns into a semicolon: it ends the expression.
    Newline,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("`{name}`"),
            Tok::Str(_) => "a value".to_owned(),
            Tok::LParen => "`(`".to_owned(),
            Tok::RParen => "`)`".to_owned(),
            Tok::Comma => "`,`".to_owned(),
            Tok::AndAnd => "`&&`".to_owned(),
            Tok::OrOr => "`||`".to_owned(),
            Tok::Bang => "`!`".to_owned(),
            Tok::Newline => "a line break (a rule may only continue on the next line after an operator)".to_owned(),
            Tok::Eof => "the end of the rule".to_owned(),
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// Go's scanner inserts a semicolon at a newline that follows one of these tokens.
    insert_semi: bool,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        // Go skips a byte order mark at the very start of its input.
        let pos = if src.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        Lexer { src, pos, insert_semi: false }
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn err(position: usize, message: impl Into<String>) -> RuleError {
        RuleError { position, message: message.into() }
    }

    /// Skips blanks and comments; returns `Some(position)` if a semicolon-inserting newline
    /// was crossed.
    fn skip_space(&mut self) -> Result<Option<usize>, RuleError> {
        loop {
            let rest = &self.src[self.pos..];
            let Some(c) = rest.chars().next() else { return Ok(None) };
            match c {
                ' ' | '\t' | '\r' => self.pos += 1,
                '\n' => {
                    if self.insert_semi {
                        return Ok(Some(self.pos));
                    }
                    self.pos += 1;
                }
                '/' if rest.starts_with("//") => {
                    if self.insert_semi {
                        return Ok(Some(self.pos));
                    }
                    let end = rest.find('\n').map_or(self.src.len(), |i| self.pos + i);
                    self.pos = end;
                }
                '/' if rest.starts_with("/*") => {
                    let Some(len) = rest[2..].find("*/") else {
                        return Err(Self::err(self.pos, "comment not terminated"));
                    };
                    let body = &rest[2..2 + len];
                    if self.insert_semi && body.contains('\n') {
                        return Ok(Some(self.pos));
                    }
                    self.pos += len + 4;
                }
                _ => return Ok(None),
            }
        }
    }

    fn next(&mut self) -> Result<(Tok, usize), RuleError> {
        if let Some(at) = self.skip_space()? {
            self.insert_semi = false;
            return Ok((Tok::Newline, at));
        }
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            if self.insert_semi {
                self.insert_semi = false;
                return Ok((Tok::Newline, start));
            }
            return Ok((Tok::Eof, start));
        };
        let rest = &self.src[start..];
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '!' if rest.starts_with("!=") => return Err(Self::err(start, "`!=` is not supported in rules")),
            '!' => (Tok::Bang, 1),
            '&' if rest.starts_with("&&") => (Tok::AndAnd, 2),
            '|' if rest.starts_with("||") => (Tok::OrOr, 2),
            '`' => {
                let Some(end) = rest[1..].find('`') else {
                    return Err(Self::err(start, "value not terminated: missing closing backtick"));
                };
                // Go drops carriage returns from raw string literals.
                let value = rest[1..1 + end].replace('\r', "");
                (Tok::Str(value), end + 2)
            }
            '"' => {
                let (value, len) = unquote_interpreted(rest, start)?;
                (Tok::Str(value), len)
            }
            '\'' => {
                return Err(Self::err(
                    start,
                    "single quotes are not accepted: write values in backticks or double quotes",
                ))
            }
            c if c == '_' || c.is_alphabetic() => {
                let len = rest.find(|ch: char| !(ch == '_' || ch.is_alphanumeric())).unwrap_or(rest.len());
                (Tok::Ident(rest[..len].to_owned()), len)
            }
            c if c.is_ascii_digit() => {
                return Err(Self::err(start, "expected a value in backticks or double quotes, found a number"))
            }
            '\0' => return Err(Self::err(start, "illegal character NUL")),
            '\u{feff}' => return Err(Self::err(start, "illegal byte order mark")),
            other => return Err(Self::err(start, format!("unexpected character {other:?}"))),
        };
        self.pos += len;
        self.insert_semi = matches!(tok, Tok::Ident(_) | Tok::Str(_) | Tok::RParen);
        if let Tok::Str(value) = &tok {
            if value.contains('\0') {
                return Err(Self::err(start, "illegal character NUL"));
            }
        }
        Ok((tok, start))
    }
}

/// Decodes a Go interpreted string literal at the start of `s`; returns the value and the
/// length of the literal in bytes.
fn unquote_interpreted(s: &str, offset: usize) -> Result<(String, usize), RuleError> {
    let mut out: Vec<u8> = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 1;
    let err = |at: usize, m: &str| RuleError { position: offset + at, message: m.to_owned() };
    loop {
        let Some(&b) = bytes.get(i) else { return Err(err(0, "value not terminated: missing closing double quote")) };
        match b {
            b'"' => break,
            b'\n' => return Err(err(0, "value not terminated: missing closing double quote before the line break")),
            b'\\' => {
                let Some(&e) = bytes.get(i + 1) else { return Err(err(i, "escape sequence not terminated")) };
                i += 2;
                match e {
                    b'a' => out.push(0x07),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'v' => out.push(0x0b),
                    b'\\' => out.push(b'\\'),
                    b'"' => out.push(b'"'),
                    b'0'..=b'7' => {
                        let digits = bytes.get(i - 1..i + 2).filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
                        let Some(digits) = digits else {
                            return Err(err(i - 2, "invalid octal escape: expected 3 digits"));
                        };
                        let value = digits.iter().fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                        let Ok(byte) = u8::try_from(value) else {
                            return Err(err(i - 2, "octal escape value above 255"));
                        };
                        out.push(byte);
                        i += 2;
                    }
                    b'x' | b'u' | b'U' => {
                        let n = match e {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let hex = bytes.get(i..i + n).and_then(|h| std::str::from_utf8(h).ok());
                        let value = hex
                            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                            .and_then(|h| u32::from_str_radix(h, 16).ok());
                        let Some(value) = value else {
                            return Err(err(
                                i - 2,
                                &format!("invalid \\{} escape: expected {n} hexadecimal digits", e as char),
                            ));
                        };
                        i += n;
                        if e == b'x' {
                            out.push(value as u8);
                        } else {
                            let Some(c) = char::from_u32(value) else {
                                return Err(err(i - n - 2, "escape sequence is an invalid Unicode code point"));
                            };
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                    _ => return Err(err(i - 2, "unknown escape sequence")),
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(value) => Ok((value, i + 1)),
        Err(_) => Err(err(0, "value is not valid UTF-8 after unescaping")),
    }
}

/// Resolves a written matcher name to its canonical form. Traefik registers each matcher under
/// its name, lower case, upper case and title case (`pathprefix`, `PATHPREFIX`, `Pathprefix`).
fn canonical_name(written: &str, known: &[&'static str]) -> Option<&'static str> {
    known.iter().copied().find(|name| {
        let lower = name.to_ascii_lowercase();
        let mut title = lower.clone();
        if let Some(first) = title.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        written == *name || written == lower || written == name.to_ascii_uppercase() || written == title
    })
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    tok: Tok,
    at: usize,
    known: &'a [&'static str],
    depth: usize,
}

/// Parses `rule` with the given matcher names into an expression tree.
pub(crate) fn parse(rule: &str, known: &[&'static str]) -> Result<Expr, RuleError> {
    let mut lexer = Lexer::new(rule);
    let (tok, at) = lexer.next()?;
    if matches!(tok, Tok::Eof | Tok::Newline) {
        return Err(RuleError { position: at, message: "empty rule".to_owned() });
    }
    let mut parser = Parser { lexer, tok, at, known, depth: 0 };
    let expr = parser.or_expr()?;
    if parser.tok == Tok::Newline {
        let at = parser.at;
        parser.advance()?;
        if parser.tok != Tok::Eof {
            let message = "unexpected line break: a rule may only continue on the next line after an operator, \
                           `(` or `,` (Go inserts a semicolon there, as in Traefik)";
            return Err(RuleError { position: at, message: message.to_owned() });
        }
    }
    if parser.tok != Tok::Eof {
        return Err(parser.unexpected("`&&`, `||` or the end of the rule"));
    }
    Ok(expr)
}

impl Parser<'_> {
    fn advance(&mut self) -> Result<(), RuleError> {
        let (tok, at) = self.lexer.next()?;
        self.tok = tok;
        self.at = at;
        Ok(())
    }

    fn unexpected(&self, expected: &str) -> RuleError {
        RuleError { position: self.at, message: format!("expected {expected}, found {}", self.tok.describe()) }
    }

    fn or_expr(&mut self) -> Result<Expr, RuleError> {
        let mut terms = vec![self.and_expr()?];
        while self.tok == Tok::OrOr {
            self.advance()?;
            terms.push(self.and_expr()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::Or(terms) })
    }

    fn and_expr(&mut self) -> Result<Expr, RuleError> {
        let mut terms = vec![self.unary()?];
        while self.tok == Tok::AndAnd {
            self.advance()?;
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Expr::And(terms) })
    }

    fn enter(&mut self) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(RuleError {
                position: self.at,
                message: format!("rule nested deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, RuleError> {
        self.enter()?;
        let expr = match self.tok {
            Tok::Bang => {
                self.advance()?;
                Expr::Not(Box::new(self.unary()?))
            }
            Tok::LParen => {
                self.advance()?;
                let inner = self.or_expr()?;
                if self.tok != Tok::RParen {
                    return Err(self.unexpected("`)`"));
                }
                self.advance()?;
                inner
            }
            Tok::Ident(_) => self.call()?,
            _ => return Err(self.unexpected("a matcher such as Host(`example.com`), `!` or `(`")),
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn call(&mut self) -> Result<Expr, RuleError> {
        let Tok::Ident(written) = &self.tok else { return Err(self.unexpected("a matcher name")) };
        let position = self.at;
        let Some(name) = canonical_name(written, self.known) else {
            let message = format!("unknown matcher `{written}`, expected one of {}", self.known.join(", "));
            return Err(RuleError { position, message });
        };
        self.advance()?;
        if self.tok != Tok::LParen {
            return Err(self.unexpected(&format!("`(` after `{name}`")));
        }
        self.advance()?;
        let mut args = Vec::new();
        loop {
            match &self.tok {
                Tok::RParen => break,
                Tok::Str(value) => {
                    args.push(value.clone());
                    self.advance()?;
                    match self.tok {
                        Tok::Comma => self.advance()?,
                        Tok::RParen => break,
                        _ => return Err(self.unexpected("`,` or `)`")),
                    }
                }
                _ => return Err(self.unexpected("a value in backticks or double quotes")),
            }
        }
        self.advance()?;
        Ok(Expr::Call(Call { name, args, position }))
    }
}

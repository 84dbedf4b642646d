//! Bounds on a configuration text, checked by one linear scan before any parser sees it.
//!
//! YAML, TOML and JSON parsers recurse on nesting, and some of them take time quadratic in
//! the depth: a 200 KB YAML text nested 100,000 levels deep kept a controller busy for
//! minutes. A Traefik configuration needs about ten levels (`http.routers.r.tls.domains[0]
//! .sans[0]`), so a document deeper than [`MAX_DEPTH`] is refused, naming the line where it
//! went too deep. The scan is conservative in what it calls a level only where that cannot
//! refuse a real configuration: brackets inside quoted strings, comments and block scalars
//! are not levels.

use super::load::ParseError;
use super::Format;

/// The deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// The largest configuration text accepted (a configuration of tens of thousands of routers
/// and certificates is a few tens of MB).
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// Refuses a text that is too large or nests deeper than [`MAX_DEPTH`].
pub(crate) fn check(text: &str, format: Format) -> Result<(), ParseError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(refusal(
            format!("the document is {} bytes; the largest accepted is {} bytes", text.len(), MAX_DOCUMENT_BYTES),
            None,
        ));
    }
    let deepest = match format {
        Format::Json => brackets(text, false),
        Format::Toml => toml(text),
        Format::Yaml => yaml(text),
    };
    match deepest {
        Some(line) => Err(refusal(
            format!("the document nests deeper than {MAX_DEPTH} levels; a Traefik configuration needs far fewer"),
            Some(line),
        )),
        None => Ok(()),
    }
}

fn refusal(message: String, line: Option<usize>) -> ParseError {
    ParseError { path: String::new(), message, line, hint: None }
}

/// JSON (and any text whose only nesting is brackets): the 1-based line where the depth
/// first exceeds the limit. `hash_comments` skips `#` comments (TOML).
fn brackets(text: &str, hash_comments: bool) -> Option<usize> {
    let mut depth = 0usize;
    let mut line = 1;
    let mut string = Quoted::default();
    let mut in_comment = false;
    for &b in text.as_bytes() {
        if b == b'\n' {
            line += 1;
            in_comment = false;
            continue;
        }
        if in_comment {
            continue;
        }
        if string.consumes(b) {
            continue;
        }
        match b {
            b'"' => string.open(b),
            b'\'' if hash_comments => string.open(b),
            b'#' if hash_comments => in_comment = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(line);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Inside a quoted string or not: `'...'` ends at the next `'`, `"..."` at the next `"` not
/// escaped by a backslash (the same in JSON, TOML and YAML).
#[derive(Default)]
struct Quoted {
    quote: Option<u8>,
    escaped: bool,
}

impl Quoted {
    fn open(&mut self, quote: u8) {
        self.quote = Some(quote);
    }

    /// Whether `b` belongs to a quoted string (its closing quote included).
    fn consumes(&mut self, b: u8) -> bool {
        let Some(quote) = self.quote else { return false };
        if self.escaped {
            self.escaped = false;
        } else if b == b'\\' && quote == b'"' {
            self.escaped = true;
        } else if b == quote {
            self.quote = None;
        }
        true
    }
}

/// TOML: brackets, plus dotted keys and table headers (`[a.b.c]`, `a.b.c = 1`), whose dots
/// are levels too.
fn toml(text: &str) -> Option<usize> {
    if let Some(line) = brackets(text, true) {
        return Some(line);
    }
    let mut header = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        let depth = if let Some(rest) = line.strip_prefix('[') {
            let inner = rest.trim_start_matches('[');
            let end = inner.find(']').unwrap_or(inner.len());
            header = dotted_levels(&inner[..end]);
            header
        } else {
            // Every key of the line, inline tables' included (`a = { b.c.d = 1 }`).
            header + deepest_key(line)
        };
        if depth > MAX_DEPTH {
            return Some(i + 1);
        }
    }
    None
}

/// The most levels among the keys of a TOML line: the text before each `=` back to the line
/// start, a `{` or a `,`, outside strings.
fn deepest_key(line: &str) -> usize {
    let mut deepest = 0;
    let mut key_start = 0;
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => break,
            (None, '{' | ',' | '[') => key_start = i + 1,
            (None, '=') => {
                deepest = deepest.max(dotted_levels(&line[key_start..i]));
                key_start = i + 1;
            }
            _ => {}
        }
    }
    deepest
}

/// Levels of a (possibly dotted, possibly quoted) TOML key: one more than its dots outside
/// quotes.
fn dotted_levels(key: &str) -> usize {
    let mut levels = 1;
    let mut quote: Option<char> = None;
    for c in key.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => levels += 1,
            (None, '#') => break,
            _ => {}
        }
    }
    levels
}

/// YAML: indentation levels, compact sequence entries (`- - - x`), and flow collections,
/// outside quoted scalars, comments and block scalars.
fn yaml(text: &str) -> Option<usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // A block scalar (`|` or `>`) owns the lines indented more than its parent.
    let mut block_scalar_parent: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let content = raw.trim_start_matches(' ');
        let indent = raw.len() - content.len();
        if let Some(parent) = block_scalar_parent {
            if content.is_empty() || indent > parent {
                continue;
            }
            block_scalar_parent = None;
        }
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let mut rest = content;
        let mut level_indent = indent;
        if flow == 0 {
            while indents.last().is_some_and(|&top| top > indent) {
                indents.pop();
            }
            if indents.last() != Some(&indent) {
                indents.push(indent);
            }
            // Compact nested entries: each `- ` or `? ` opens a level on the same line.
            while let Some(after) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("? ")) {
                level_indent += 2;
                indents.push(level_indent);
                rest = after.trim_start_matches(' ');
            }
        }
        let (opened, ends_block_scalar) = yaml_flow(rest, &mut flow);
        if indents.len() + opened.max(flow) > MAX_DEPTH {
            return Some(i + 1);
        }
        if ends_block_scalar && flow == 0 {
            block_scalar_parent = Some(indent);
        }
    }
    None
}

/// Scans one YAML line for flow brackets (updating `flow`); returns the deepest flow level
/// reached on it and whether the line introduces a block scalar (`key: |`, `- >-`).
fn yaml_flow(line: &str, flow: &mut usize) -> (usize, bool) {
    let bytes = line.as_bytes();
    let mut deepest = *flow;
    let mut quote = Quoted::default();
    // In block context a bracket opens a flow collection only where a value starts.
    let mut value_start = true;
    let mut skip_token = false;
    for (i, &b) in bytes.iter().enumerate() {
        if quote.consumes(b) {
            continue;
        }
        match b {
            b'#' if i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => break,
            // A quote opens a quoted scalar only where a value starts (`don't` is plain).
            b'"' | b'\'' if value_start => {
                quote.open(b);
                value_start = false;
            }
            // An anchor or a tag (`&a [`, `!!seq [`) comes before the value it names.
            b'&' | b'!' if value_start => skip_token = true,
            b'[' | b'{' if value_start || *flow > 0 => {
                *flow += 1;
                deepest = deepest.max(*flow);
                value_start = true;
                if deepest > MAX_DEPTH {
                    return (deepest, false);
                }
            }
            b']' | b'}' if *flow > 0 => *flow -= 1,
            b',' if *flow > 0 => value_start = true,
            b':' if bytes.get(i + 1).is_none_or(|n| *n == b' ') => value_start = true,
            b' ' | b'\t' => skip_token = false,
            _ if skip_token => {}
            _ => value_start = false,
        }
    }
    (deepest, *flow == 0 && introduces_block_scalar(line))
}

/// `key: |`, `- >-`, `|2`: the line's last token is a block scalar indicator.
fn introduces_block_scalar(line: &str) -> bool {
    let code = line.split(" #").next().unwrap_or(line).trim_end();
    let (mut before, last) = match code.rsplit_once([' ', '\t']) {
        Some((b, l)) => (b.trim_end(), l),
        None => ("", code),
    };
    // `key: &anchor |`, `key: !!str |`
    while let Some((rest, token)) = before.rsplit_once([' ', '\t']) {
        if !(token.starts_with('&') || token.starts_with('!')) {
            break;
        }
        before = rest.trim_end();
    }
    let indicator = last.strip_prefix('|').or_else(|| last.strip_prefix('>'));
    let indicator_ok =
        indicator.is_some_and(|rest| rest.len() <= 2 && rest.chars().all(|c| matches!(c, '-' | '+' | '1'..='9')));
    indicator_ok && (before.is_empty() || before.ends_with(':') || before.ends_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str, format: Format) -> bool {
        check(text, format).is_ok()
    }

    #[test]
    fn real_configurations_pass() {
        let yaml = "http:\n  routers:\n    r:\n      rule: \"Host(`a`) && PathRegexp(`^/[a-z]+[`)\"\n      service: s\n      tls:\n        domains:\n          - main: a\n            sans: [b, c]\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\ntls:\n  certificates:\n    - certFile: |\n        -----BEGIN CERTIFICATE-----\n        [[[[[[[[[[\n        -----END CERTIFICATE-----\n      keyFile: k\n";
        assert!(depth_ok(yaml, Format::Yaml));
        let toml = "[http.routers.r]\nrule = \"Host(`a`)\"\nservice = \"s\"\n[[http.services.s.loadBalancer.servers]]\nurl = \"http://a\"\n# [[[[[[[\n";
        assert!(depth_ok(toml, Format::Toml));
        let json = r#"{"http": {"routers": {"r": {"rule": "Host(`[[[[[[[[[`)"}}}}"#;
        assert!(depth_ok(json, Format::Json));
    }

    #[test]
    fn deep_documents_are_refused_with_the_line() {
        let flow = format!("http: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = check(&flow, Format::Yaml).unwrap_err();
        assert!(e.message.contains("deeper than 64 levels"), "{e}");
        assert_eq!(e.line, Some(1));

        let compact = format!("a:\n{}x\n", "- ".repeat(100_000));
        assert_eq!(check(&compact, Format::Yaml).unwrap_err().line, Some(2));

        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        assert!(check(&block, Format::Yaml).is_err());

        let json = "[".repeat(65);
        assert!(check(&json, Format::Json).is_err());
        assert!(check(&"[".repeat(64), Format::Json).is_ok());

        let toml_keys = format!("{} = 1\n", vec!["a"; 100].join("."));
        assert_eq!(check(&toml_keys, Format::Toml).unwrap_err().line, Some(1));
        let toml_inline = format!("a = {}{}\n", "[".repeat(1000), "]".repeat(1000));
        assert!(check(&toml_inline, Format::Toml).is_err());
    }

    #[test]
    fn anchors_tags_and_inline_tables_do_not_hide_depth() {
        for yaml in [
            format!("a: &x {}\n", "[".repeat(1000)),
            format!("a: !!seq {}\n", "[".repeat(1000)),
            format!("a: [x', {}\n", "[".repeat(1000)),
        ] {
            assert!(check(&yaml, Format::Yaml).is_err(), "{}", &yaml[..20]);
        }
        let toml = format!("x = {{ {} = 1 }}\n", vec!["a"; 100].join("."));
        assert!(check(&toml, Format::Toml).is_err());
    }

    #[test]
    fn apostrophes_anchors_and_tags_in_real_yaml_pass() {
        let yaml = "http:\n  middlewares:\n    m:\n      headers:\n        customResponseHeaders: {X-Msg: don't, X-B: it's}\n  routers:\n    r:\n      rule: Host(`a`)\n      service: s\n      tls:\n        domains:\n          - main: a\ntls:\n  certificates:\n    - certFile: &cert |\n        -----BEGIN CERTIFICATE-----\n        [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n      keyFile: !!str |\n        [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n";
        check(yaml, Format::Yaml).unwrap();
    }

    #[test]
    fn oversized_documents_are_refused() {
        let big = " ".repeat(MAX_DOCUMENT_BYTES + 1);
        let e = check(&big, Format::Yaml).unwrap_err();
        assert!(e.message.contains("the largest accepted"), "{e}");
    }
}

//! What a node or cluster name may be.
//!
//! Names travel everywhere: certificate URIs (`traefikee://<cluster>/<role>/<node>`),
//! directory names (profiles, `install --local` state), tables on operators' terminals and
//! logs. So they are plain data in a small safe alphabet: 1 to 63 ASCII letters, digits,
//! `-`, `_` and `.`, starting with a letter or a digit, never `..`. That refuses path
//! traversal (`../../x`, `a/b`), terminal control (`\u{1b}[31m`), look-alike letters from
//! other scripts, and names too long for a DNS label or a file name.

use std::fmt;

/// The longest name, in characters (a DNS label's limit).
pub const MAX_NAME_LEN: usize = 63;

/// The rule in one sentence, for messages and help.
pub const NAME_RULE: &str =
    "1 to 63 ASCII letters, digits, '-', '_' and '.', starting with a letter or a digit, without \"..\"";

/// Which kind of name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Node,
    Cluster,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Node => "node name",
            NameKind::Cluster => "cluster name",
        })
    }
}

/// The part of the rule a name breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    Empty,
    TooLong { chars: usize },
    Character(char),
    Start(char),
    DotDot,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Broken::Empty => f.write_str("it is empty"),
            Broken::TooLong { chars } => write!(f, "it is {chars} characters long, more than {MAX_NAME_LEN}"),
            Broken::Character(c) => write!(f, "{c:?} is not allowed"),
            Broken::Start(c) => write!(f, "it starts with {c:?}"),
            Broken::DotDot => f.write_str("it contains \"..\""),
        }
    }
}

/// A refused name: what it was (escaped when printed), and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {broken}; a {kind} is {NAME_RULE}")]
pub struct NameError {
    pub kind: NameKind,
    pub value: String,
    pub broken: Broken,
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn check(kind: NameKind, name: &str) -> Result<(), NameError> {
    let refuse = |broken| Err(NameError { kind, value: name.to_owned(), broken });
    let Some(first) = name.chars().next() else { return refuse(Broken::Empty) };
    if let Some(c) = name.chars().find(|&c| !allowed(c)) {
        return refuse(Broken::Character(c));
    }
    if !first.is_ascii_alphanumeric() {
        return refuse(Broken::Start(first));
    }
    if name.contains("..") {
        return refuse(Broken::DotDot);
    }
    // Every character is ASCII by now: bytes are characters.
    if name.len() > MAX_NAME_LEN {
        return refuse(Broken::TooLong { chars: name.len() });
    }
    Ok(())
}

/// A node's name: `--name` of the nodes, and what a joining node asks to be called.
pub fn check_node_name(name: &str) -> Result<(), NameError> {
    check(NameKind::Node, name)
}

/// A cluster's name: `--clustername` everywhere, and the name a cluster reports.
pub fn check_cluster_name(name: &str) -> Result<(), NameError> {
    check(NameKind::Cluster, name)
}

/// [`check_node_name`] as a clap value parser.
pub fn parse_node_name(name: &str) -> Result<String, NameError> {
    check_node_name(name).map(|()| name.to_owned())
}

/// [`check_cluster_name`] as a clap value parser.
pub fn parse_cluster_name(name: &str) -> Result<String, NameError> {
    check_cluster_name(name).map(|()| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass() {
        for name in ["traefikee", "local", "control-node-1", "edge_2", "cn1", "a", "9", "web.example.com", "A-b_C.d"] {
            assert_eq!(check_node_name(name), Ok(()), "{name}");
            assert_eq!(check_cluster_name(name), Ok(()), "{name}");
        }
        assert_eq!(check_cluster_name(&"x".repeat(MAX_NAME_LEN)), Ok(()));
    }

    fn broken(name: &str) -> Broken {
        check_cluster_name(name).expect_err(name).broken
    }

    #[test]
    fn hostile_names_are_refused_with_the_rule_they_break() {
        assert_eq!(broken("../../x"), Broken::Character('/'));
        assert_eq!(broken("..x"), Broken::Start('.'));
        assert_eq!(broken("a/b"), Broken::Character('/'));
        assert_eq!(broken("a/../../b"), Broken::Character('/'));
        assert_eq!(broken("\u{1b}[31mred"), Broken::Character('\u{1b}'));
        assert_eq!(broken("red\u{7}"), Broken::Character('\u{7}'));
        assert_eq!(broken("two\nlines"), Broken::Character('\n'));
        assert_eq!(broken(""), Broken::Empty);
        assert_eq!(broken(&"a".repeat(200)), Broken::TooLong { chars: 200 });
        assert_eq!(broken(&"a".repeat(MAX_NAME_LEN + 1)), Broken::TooLong { chars: 64 });
        assert_eq!(broken(".."), Broken::Start('.'));
        assert_eq!(broken("."), Broken::Start('.'));
        assert_eq!(broken("a..b"), Broken::DotDot);
        assert_eq!(broken("-rf"), Broken::Start('-'));
        assert_eq!(broken("a b"), Broken::Character(' '));
        assert_eq!(broken("a\\b"), Broken::Character('\\'));
        assert_eq!(broken("nul\0"), Broken::Character('\0'));
        // Look-alikes: Cyrillic о, fullwidth Ｌ, a right-to-left override.
        assert_eq!(broken("c\u{43e}ntrol"), Broken::Character('\u{43e}'));
        assert_eq!(broken("\u{ff2c}ocal"), Broken::Character('\u{ff2c}'));
        assert_eq!(broken("abc\u{202e}txt"), Broken::Character('\u{202e}'));
        assert_eq!(broken(&"é".repeat(100)), Broken::Character('é'));
    }

    #[test]
    fn the_message_escapes_the_value_and_states_the_rule() {
        let err = check_node_name("\u{1b}[31mred").unwrap_err();
        let text = err.to_string();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(
            text.starts_with(r#"invalid node name "\u{1b}[31mred": '\u{1b}' is not allowed; a node name is 1 to 63"#),
            "{text}"
        );
        let text = check_cluster_name("../../x").unwrap_err().to_string();
        assert!(text.starts_with(r#"invalid cluster name "../../x": '/' is not allowed"#), "{text}");
        assert!(text.ends_with(r#"starting with a letter or a digit, without "..""#), "{text}");
        assert_eq!(parse_cluster_name("ok").unwrap(), "ok");
    }
}

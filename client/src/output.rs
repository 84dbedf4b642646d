//! How both command-line tools print: the guide's plain tables, or JSON / YAML.
//!
//! Whatever a cluster (or an archive) says is data, never terminal control: tables and the
//! plain text printers pass it through [`escape`], so a node name holding `\u{1b}[2J` shows
//! as that text instead of clearing the screen. JSON and YAML escape on their own.

use std::borrow::Cow;

use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;
use traefikee_apiserver::types::{ClusterInfo, NodeInfo, NodeList, ProviderList};

/// `-o table|json|yaml`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
}

/// Writes `text` on stdout: everything both tools print there goes through here (the crates
/// deny `println!`). When the reader has gone (`traefikeectl list-nodes | head -1`) the
/// process ends quietly, as a pipeline expects, instead of panicking.
#[allow(clippy::print_stdout)]
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(i32::from(crate::EXIT_IO));
    }
}

/// [`print`] with a line ending.
pub fn line(text: impl std::fmt::Display) {
    print(&format!("{text}\n"));
}

/// `println!` through [`line`].
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::line("")
    };
    ($($arg:tt)*) => {
        $crate::output::line(format!($($arg)*))
    };
}

/// `print!` through [`print`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::print(&format!($($arg)*))
    };
}

/// Renders `value` as JSON or YAML, or as the table `table` builds.
pub fn render<T: Serialize>(format: Format, value: &T, table: impl FnOnce(&T) -> String) -> String {
    match format {
        Format::Table => table(value),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            s.push('\n');
            s
        }
        Format::Yaml => serde_yaml::to_string(value).unwrap_or_else(|e| format!("error: {e}\n")),
    }
}

/// Characters that act on a terminal instead of showing: C0 and C1 controls, DEL, and the
/// Unicode marks that reorder text (bidirectional overrides and isolates).
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_where(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| acts_on_terminal(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if acts_on_terminal(c) && !keep(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` with every control character written as an escape (`\u{1b}`, `\n`): one field of a
/// table or of a line, as the cluster sent it but harmless.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_where(s, |_| false)
}

/// As [`escape`], keeping line breaks and tabs: a message of several lines.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c == '\n' || c == '\t')
}

/// A table in the guide's style: headers underlined with dashes, columns two spaces apart,
/// no borders, no trailing spaces.
pub fn plain_table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_content_arrangement(ContentArrangement::Disabled);
    table.add_row(headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    table.add_row(headers.iter().map(|h| "-".repeat(h.len())).collect::<Vec<_>>());
    for row in rows {
        table.add_row(row.iter().map(|cell| escape(cell).into_owned()).collect::<Vec<_>>());
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let mut out = String::new();
    for line in table.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `status`: one fact a line.
pub fn cluster_info(info: &ClusterInfo) -> String {
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    let r = &info.raft;
    let lines = [
        ("Cluster", format!("{} ({})", info.name, info.id)),
        ("Version", info.version.clone()),
        ("Leader", info.leader.clone().unwrap_or_else(|| "none (election under way or no quorum)".into())),
        ("CA", info.ca_fingerprint.clone()),
        ("Controllers", info.controllers.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")),
        ("Answered by", info.answered_by.clone()),
        (
            "Raft",
            format!(
                "term {}, last log {}, applied {}, snapshot {}, purged {}",
                r.term,
                opt(r.last_log_index),
                opt(r.last_applied_index),
                opt(r.snapshot_index),
                opt(r.purged_index)
            ),
        ),
    ];
    lines.iter().map(|(k, v)| format!("{:<12} {}\n", format!("{k}:"), escape(v))).collect()
}

/// A controller's warning that what it answered may be stale, on stderr (so `-o json`
/// output stays parseable).
pub fn warn_stale(warning: Option<&str>) {
    if let Some(w) = warning {
        eprintln!("warning: {}", escape(w));
    }
}

fn role_label(node: &NodeInfo) -> String {
    let mut label = node.role.label().to_string();
    if node.leader {
        label.push_str(" (Current Leader)");
    }
    label
}

pub fn upper<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// `list-nodes` and `list-nodes --details`.
/// The version a data node runs, and the newer one it refused, if any.
fn config_cell(n: &NodeInfo) -> String {
    let runs = n.config_version.map(|v| format!("v{v}")).unwrap_or_else(|| "-".into());
    match &n.config_refused {
        Some(r) if n.config_version.is_none_or(|v| v < r.version) => format!("{runs} (v{} refused)", r.version),
        _ => runs,
    }
}

/// `get providers`: one row per provider, then each failing one's error in full.
pub fn providers_table(list: &ProviderList) -> String {
    if list.providers.is_empty() {
        return "No provider is enabled: add providers.etcd, providers.consul or providers.redis to the configuration, or deploy with --consul.endpoint=HOST:PORT\n".to_string();
    }
    let rows = list
        .providers
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                upper(&p.status),
                p.endpoints.join(","),
                p.root_key.clone(),
                p.version.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                p.last_change.clone().unwrap_or_else(|| "-".into()),
                if p.summary.is_empty() { "-".into() } else { p.summary.clone() },
            ]
        })
        .collect();
    let mut out = plain_table(&["Provider", "Status", "Endpoints", "Root", "Version", "Last change", "Gave"], rows);
    for p in &list.providers {
        if let Some(e) = &p.error {
            let since = p.failing_since.as_deref().map(|s| format!(" since {}", escape(s))).unwrap_or_default();
            let kept =
                if p.version.is_some() { "what it gave before keeps running" } else { "it has given nothing yet" };
            out.push_str(&format!("{} fails{since}: {}\n  ({kept})\n", escape(&p.name), escape(e)));
        }
    }
    out
}

pub fn nodes_table(list: &NodeList, details: bool) -> String {
    if details {
        let rows = list
            .nodes
            .iter()
            .map(|n| {
                vec![
                    n.id.clone(),
                    n.name.clone(),
                    upper(&n.membership),
                    upper(&n.status),
                    upper(&n.availability),
                    role_label(n),
                    config_cell(n),
                ]
            })
            .collect();
        let mut out = plain_table(&["ID", "Name", "Membership", "Status", "Availability", "Role", "Config"], rows);
        for n in &list.nodes {
            if let Some(r) = &n.config_refused {
                out.push_str(&format!(
                    "{} refused configuration v{}: {}\n",
                    escape(&n.name),
                    r.version,
                    escape(&r.error)
                ));
            }
        }
        out
    } else {
        let rows = list.nodes.iter().map(|n| vec![n.name.clone(), role_label(n)]).collect();
        plain_table(&["Name", "Role"], rows)
    }
}

#[cfg(test)]
mod tests {
    use traefikee_apiserver::types::{Availability, Membership, NodeRole, Status};

    use super::*;

    fn node(name: &str, role: NodeRole, leader: bool, status: Status) -> NodeInfo {
        NodeInfo {
            id: format!("{:016x}", name.len()),
            name: name.into(),
            role,
            leader,
            membership: Membership::Accepted,
            status,
            availability: Availability::Active,
            address: String::new(),
            api_address: None,
            joined_at: String::new(),
            last_seen_ms: None,
            config_version: None,
            config_refused: None,
        }
    }

    #[test]
    fn tables_look_like_the_guide() {
        let list = NodeList {
            nodes: vec![
                node("control-node-1", NodeRole::ControlNode, true, Status::Ready),
                node("control-node-2", NodeRole::ControlNode, false, Status::Down),
                node("data-node-1", NodeRole::DataNode, false, Status::Ready),
            ],
            warning: None,
        };
        assert_eq!(
            nodes_table(&list, false),
            "Name            Role\n\
             ----            ----\n\
             control-node-1  CONTROL NODE (Current Leader)\n\
             control-node-2  CONTROL NODE\n\
             data-node-1     DATA NODE\n"
        );
        let details = nodes_table(&list, true);
        assert!(
            details.starts_with("ID                Name            Membership  Status  Availability  Role  "),
            "{details}"
        );
        assert!(
            details.contains("control-node-2  ACCEPTED    DOWN    ACTIVE        CONTROL NODE                   -\n"),
            "{details}"
        );
    }

    /// Issue 12, item 7: a name from the cluster cannot drive the operator's terminal.
    #[test]
    fn tables_escape_control_characters_from_the_cluster() {
        let mut evil = node("\u{1b}[2J\u{1b}[31mred", NodeRole::DataNode, false, Status::Ready);
        evil.id = "id\u{7}".into();
        let list = NodeList {
            nodes: vec![evil, node("ok\u{202e}txt", NodeRole::DataNode, false, Status::Ready)],
            warning: None,
        };
        for details in [false, true] {
            let table = nodes_table(&list, details);
            assert!(!table.chars().any(|c| c.is_control() && c != '\n'), "{table:?}");
            assert!(table.contains(r"\u{1b}[2J\u{1b}[31mred"), "{table}");
            assert!(table.contains(r"ok\u{202e}txt"), "{table}");
            assert_eq!(table.lines().count(), 4, "{table}");
        }
        assert!(nodes_table(&list, true).contains(r"id\u{7}"));
        let audit = plain_table(&["Detail"], vec![vec!["line one\nline two\r\u{9b}31m".into()]]);
        assert_eq!(audit, "Detail\n------\nline one\\nline two\\r\\u{9b}31m\n");

        let json = render(Format::Json, &list, |_| unreachable!());
        assert!(json.contains(r#""name": "\u001b[2J\u001b[31mred""#), "{json}");
    }

    #[test]
    fn escape_leaves_plain_text_alone_and_text_keeps_its_lines() {
        assert!(matches!(escape("control-node-1"), Cow::Borrowed(_)));
        assert_eq!(escape("a\tb\u{7f}"), r"a\tb\u{7f}");
        assert_eq!(escape_text("one\ntwo\tthree\u{1b}]0;title\u{7}"), "one\ntwo\tthree\\u{1b}]0;title\\u{7}");
    }

    #[test]
    fn json_and_yaml_carry_every_field() {
        let list = NodeList { nodes: vec![node("n", NodeRole::DataNode, false, Status::Ready)], warning: None };
        let json = render(Format::Json, &list, |_| unreachable!());
        assert!(json.contains("\"role\": \"DATA_NODE\""));
        let yaml = render(Format::Yaml, &list, |_| unreachable!());
        assert!(yaml.contains("status: READY"));
    }
}

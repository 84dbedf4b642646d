//! Shell completions and man pages are generated from a binary's clap types and committed
//! under `completions/` and `man/`; [`check_fresh`] fails a test when one binary's are stale,
//! and rewrites them when `UPDATE_GENERATED` is set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap_complete::Shell;

fn completion_file(bin: &str, shell: Shell) -> String {
    match shell {
        Shell::Bash => format!("{bin}.bash"),
        Shell::Zsh => format!("_{bin}"),
        Shell::Fish => format!("{bin}.fish"),
        Shell::PowerShell => format!("_{bin}.ps1"),
        Shell::Elvish => format!("{bin}.elv"),
        _ => format!("{bin}.{shell}"),
    }
}

fn man_pages(cmd: &clap::Command, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    let name = if prefix.is_empty() { cmd.get_name().to_string() } else { format!("{prefix}-{}", cmd.get_name()) };
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone().name(name.clone())).render(&mut page).expect("render man page");
    out.insert(format!("{name}.1"), page);
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        man_pages(sub, &name, out);
    }
}

/// Whether a generated file belongs to binary `bin` (both binaries share the directories).
fn owned_by(file: &str, bin: &str) -> bool {
    let file = file.strip_prefix('_').unwrap_or(file);
    file.strip_prefix(bin).is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('-'))
}

fn check(dir: &Path, bin: &str, files: &BTreeMap<String, Vec<u8>>, stale: &mut Vec<String>) {
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let present: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| owned_by(n, bin)))
        .collect();
    if update {
        std::fs::create_dir_all(dir).unwrap();
        for path in &present {
            std::fs::remove_file(path).unwrap();
        }
    }
    for (name, bytes) in files {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, bytes).unwrap();
        } else if std::fs::read(&path).ok().as_ref() != Some(bytes) {
            stale.push(path.display().to_string());
        }
    }
    if !update {
        for path in present {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !files.contains_key(&name) {
                stale.push(format!("{} (no longer generated)", path.display()));
            }
        }
    }
}

/// Checks (or with `UPDATE_GENERATED`, rewrites) the completions and man pages of `cmd` under
/// `root`; `regenerate` is the command that rewrites them, for the failure message.
pub fn check_fresh(mut cmd: clap::Command, root: &Path, regenerate: &str) {
    cmd.build();
    let bin = cmd.get_name().to_string();
    let mut completions = BTreeMap::new();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell, Shell::Elvish] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), &bin, &mut buf);
        completions.insert(completion_file(&bin, shell), buf);
    }
    let mut man = BTreeMap::new();
    man_pages(&cmd, "", &mut man);
    let mut stale = Vec::new();
    check(&root.join("completions"), &bin, &completions, &mut stale);
    check(&root.join("man"), &bin, &man, &mut stale);
    assert!(
        stale.is_empty(),
        "generated files of {bin} are stale:\n  {}\nregenerate them with:\n  {regenerate}",
        stale.join("\n  ")
    );
}

#[cfg(test)]
mod tests {
    use super::owned_by;

    #[test]
    fn each_binary_owns_only_its_files() {
        assert!(owned_by("traefikee.bash", "traefikee") && owned_by("_traefikee.ps1", "traefikee"));
        assert!(owned_by("traefikee-deploy.1", "traefikee") && owned_by("_traefikee", "traefikee"));
        assert!(!owned_by("_traefikeectl", "traefikee"));
        assert!(!owned_by("traefikeectl.bash", "traefikee") && !owned_by("traefikeectl-get-config.1", "traefikee"));
        assert!(owned_by("traefikeectl-get-config.1", "traefikeectl"));
    }
}

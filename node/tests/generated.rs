//! Shell completions and man pages of both binaries are generated from their clap types and
//! committed under `completions/` and `man/`; this test fails when they are stale.
//! Regenerate with: UPDATE_GENERATED=1 cargo test -p traefikee-node --test generated

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

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

fn generate() -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, Vec<u8>>) {
    let mut completions = BTreeMap::new();
    let mut man = BTreeMap::new();
    let commands = [traefikee_node::cli::Cli::command(), traefikee_cli::args::Cli::command()];
    for cmd in commands {
        let mut cmd = cmd;
        cmd.build();
        let bin = cmd.get_name().to_string();
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell, Shell::Elvish] {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), &bin, &mut buf);
            completions.insert(completion_file(&bin, shell), buf);
        }
        man_pages(&cmd, "", &mut man);
    }
    (completions, man)
}

fn check(dir: &Path, files: &BTreeMap<String, Vec<u8>>, stale: &mut Vec<String>) {
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    if update {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
    }
    for (name, bytes) in files {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, bytes).unwrap();
        } else if std::fs::read(&path).ok().as_ref() != Some(bytes) {
            stale.push(path.display().to_string());
        }
    }
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !files.contains_key(&name) {
            stale.push(format!("{} (no longer generated)", entry.path().display()));
        }
    }
}

#[test]
fn completions_and_man_pages_are_fresh() {
    let (completions, man) = generate();
    let mut stale = Vec::new();
    check(&root().join("completions"), &completions, &mut stale);
    check(&root().join("man"), &man, &mut stale);
    assert!(
        stale.is_empty(),
        "generated files are stale:\n  {}\nregenerate them with:\n  UPDATE_GENERATED=1 cargo test -p traefikee-node --test generated",
        stale.join("\n  ")
    );
}

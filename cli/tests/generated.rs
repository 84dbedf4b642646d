//! The committed completions and man pages of `traefikeectl` are those its clap types generate.
//! Regenerate with: UPDATE_GENERATED=1 cargo test -p traefikee-cli --test generated

use std::path::Path;

use clap::CommandFactory;

#[test]
fn completions_and_man_pages_are_fresh() {
    traefikee_testkit::generated::check_fresh(
        traefikee_cli::args::Cli::command(),
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap(),
        "UPDATE_GENERATED=1 cargo test -p traefikee-cli --test generated",
    );
}

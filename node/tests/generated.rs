//! The committed completions and man pages of `traefikee` are those its clap types generate.
//! Regenerate with: UPDATE_GENERATED=1 cargo test -p traefikee-node --test generated

use std::path::Path;

use clap::CommandFactory;

#[test]
fn completions_and_man_pages_are_fresh() {
    traefikee_testkit::generated::check_fresh(
        traefikee_node::cli::Cli::command(),
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap(),
        "UPDATE_GENERATED=1 cargo test -p traefikee-node --test generated",
    );
}

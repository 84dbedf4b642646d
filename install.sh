#!/usr/bin/env bash
# Installs traefikee and traefikeectl from this checkout, then starts a local cluster:
#
#   ./install.sh [flags of `traefikeectl install --local`, e.g. --clustername=dev --datanodes=3]
#
# The binaries go to $CARGO_INSTALL_ROOT/bin, or $CARGO_HOME/bin (~/.cargo/bin by default).
# NO_CLUSTER=1 ./install.sh only installs them.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is not installed" >&2
  echo "hint: install Rust with https://rustup.rs, then run ./install.sh again" >&2
  exit 1
fi

# One build directory for both binaries: their dependencies are compiled once.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo install --locked --path node
cargo install --locked --path cli

bin="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "note: $bin is not on your PATH; add it to run traefikeectl by name" >&2 ;;
esac
if [ -n "${NO_CLUSTER:-}" ]; then
  exit 0
fi
exec "$bin/traefikeectl" install --local "$@"

#!/usr/bin/env bash
# Cold release build of the `traefikee` daemon alone, at several revisions, one after the
# other: wall time, crates compiled, binary size. Issue 14 measured the daemon before and
# after it stopped depending on traefikeectl (no kube, k8s-openapi or indicatif).
#
#   bench/build.sh d797cc4 HEAD
#
# Each revision is checked out in a temporary worktree and built in an empty target
# directory; nothing else should run meanwhile (the machine has two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- HEAD
work=$(mktemp -d)
trap 'for w in "$work"/src-*; do git worktree remove --force "$w" 2>/dev/null || true; done; rm -rf "$work"' EXIT
printf '%-12s %10s %8s %12s\n' revision wall_s crates binary_bytes
for rev in "$@"; do
  src="$work/src-$(git rev-parse --short "$rev")"
  git worktree add -q --detach "$src" "$rev"
  start=$(date +%s.%N)
  (cd "$src" && CARGO_TARGET_DIR="$work/target-$rev" cargo build --release -q -p traefikee-node --bin traefikee)
  end=$(date +%s.%N)
  crates=$(find "$work/target-$rev/release/deps" -name '*.rlib' -o -name '*.so' | wc -l)
  size=$(stat -c %s "$work/target-$rev/release/traefikee")
  printf "%-12s %10.1f %8d %12d\n" "$(git rev-parse --short "$rev")" "$(awk "BEGIN { print $end - $start }")" "$crates" "$size"
  rm -rf "$work/target-$rev"
done

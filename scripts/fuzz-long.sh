#!/usr/bin/env bash
# A long fuzzing run (issue 13). CI runs every target for a couple of seconds; this runs each
# for SECS seconds (default 600):
#   1. the stable harness (`traefikee-fuzzkit`) with a random seed, leaving its final pools in
#      fuzz/corpus/<target>/ (ignored by git);
#   2. when cargo-fuzz is installed and a nightly toolchain (or RUSTC_BOOTSTRAP=1) can build
#      it, the libFuzzer targets of fuzz/ on that corpus and the regression cases, copying
#      any crash into fuzz/regressions/<target>/ so that every CI run replays it.
# A failure of the stable harness saves its input in fuzz/regressions/<target>/ itself.
# Commit the new files there once the bug is fixed.
#
# Usage: scripts/fuzz-long.sh [SECS [TARGET...]]
#   targets: rule_parser config_loader client_hello backup_reader api_bodies raft_wire raft_node
#            cluster_wire state_apply (default: all)
#   CARGO="flock -o /tmp/lock cargo" to wrap cargo; FUZZ_JOBS=N targets at once (default 2).
#   TRAEFIKEE_FUZZ_SEED=<hex> repeats a run of the stable harness (its seed is printed).
set -uo pipefail
cd "$(dirname "$0")/.."

secs=${1:-600}
shift || true
all=(rule_parser config_loader client_hello backup_reader api_bodies raft_wire raft_node cluster_wire state_apply)
targets=("${@:-${all[@]}}")
read -r -a cargo <<<"${CARGO:-cargo}"
jobs=${FUZZ_JOBS:-2}
corpus=$PWD/fuzz/corpus
failed=()

package_of() {
  case $1 in
    rule_parser | config_loader | client_hello) echo "traefikee-proxy no_panic" ;;
    backup_reader) echo "traefikee-backup fuzz" ;;
    api_bodies | raft_wire | raft_node | cluster_wire | state_apply) echo "traefikee-node fuzz" ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
}

echo "== stable harness: ${targets[*]}, ${secs} s each, ${jobs} at a time"
for package in traefikee-proxy traefikee-backup traefikee-node; do
  filters=()
  test_name=
  for t in "${targets[@]}"; do
    read -r p test <<<"$(package_of "$t")"
    if [[ $p == "$package" ]]; then
      filters+=("fuzz_$t")
      test_name=$test
    fi
  done
  [[ ${#filters[@]} -eq 0 ]] && continue
  TRAEFIKEE_FUZZ_SECS=$secs TRAEFIKEE_FUZZ_SEED=${TRAEFIKEE_FUZZ_SEED:-random} TRAEFIKEE_FUZZ_CORPUS=$corpus \
    "${cargo[@]}" test -p "$package" --test "$test_name" -- "${filters[@]}" --nocapture --test-threads "$jobs" \
    || failed+=("$package")
done

fuzz_cargo=()
if "${cargo[@]}" fuzz --version >/dev/null 2>&1; then
  if rustup run nightly rustc --version >/dev/null 2>&1; then
    fuzz_cargo=("${cargo[@]}" +nightly fuzz)
  else
    fuzz_cargo=(env RUSTC_BOOTSTRAP=1 "${cargo[@]}" fuzz)
  fi
else
  echo "== libFuzzer: skipped (cargo-fuzz is not installed: cargo install cargo-fuzz)"
fi

if [[ ${#fuzz_cargo[@]} -gt 0 ]]; then
  for t in "${targets[@]}"; do
    echo "== libFuzzer: $t, ${secs} s"
    mkdir -p "fuzz/corpus/$t" "fuzz/regressions/$t"
    before=$(ls "fuzz/artifacts/$t" 2>/dev/null | sort)
    (cd fuzz && "${fuzz_cargo[@]}" run "$t" "corpus/$t" "regressions/$t" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1) || failed+=("$t")
    for artifact in $(comm -13 <(echo "$before") <(ls "fuzz/artifacts/$t" 2>/dev/null | sort)); do
      cp "fuzz/artifacts/$t/$artifact" "fuzz/regressions/$t/$artifact"
      echo "   kept fuzz/regressions/$t/$artifact"
    done
  done
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "== failures: ${failed[*]}; new cases:"
  git status --porcelain -- fuzz/regressions
  exit 1
fi
echo "== no failures"

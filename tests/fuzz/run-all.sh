#!/usr/bin/env bash
# Runs every libFuzzer target (or those named as arguments) one after the other, each against a
# scratch copy of its seed corpus, and fails if any of them finds a crash, a leak, a timeout or a
# broken property. Build them first:
#   cmake --preset fuzz && cmake --build --preset fuzz --target fuzzers -j 2
#
# Environment:
#   FUZZ_SECONDS_EACH  time per target (default 20; installers/run-tests uses this)
#   FUZZ_RUNS          a number of executions per target instead (the long run: 10000000);
#                      with FUZZ_SECONDS_EACH set too, whichever comes first ends the target
#   FUZZ_BUILD_DIR     the fuzz preset's build directory (default build/fuzz)
#
# Nothing is written into tests/fuzz/corpus: new inputs go to <build>/fuzz-work/<target>/corpus
# (kept between runs, so later runs start from what earlier ones found), crash reproducers to
# <build>/fuzz-work/<target>/, the full libFuzzer output to <build>/fuzz-work/<target>/log. One
# process at a time (no -jobs/-workers): the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${FUZZ_BUILD_DIR:-build/fuzz}
all=(request_parser response_parser chunked proxy_protocol xff squid_reply exaproxy_url_reply
     icap_reply conf local_path acl_domains icap_wire)
# Built only where llhttp's C sources are installed (Debian: node-llhttp); skipped otherwise.
[ ! -x "$build/tests/fuzz/llhttp_diff_fuzz" ] || all+=(llhttp_diff)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

# The seeds and dictionary of a target (the differential one shares the request parser's).
seeds_of() { if [ "$1" = llhttp_diff ]; then echo request_parser; else echo "$1"; fi; }

limits=()
if [ -n "${FUZZ_RUNS:-}" ]; then
  limits+=(-runs="$FUZZ_RUNS")
  [ -z "${FUZZ_SECONDS_EACH:-}" ] || limits+=(-max_total_time="$FUZZ_SECONDS_EACH")
else
  limits+=(-max_total_time="${FUZZ_SECONDS_EACH:-20}")
fi

printf '%-20s %10s %8s %6s %7s %7s %6s  %s\n' target execs exec/s wall_s cov ft corpus result
failed=()
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/${t}_fuzz"
  work="$build/fuzz-work/$t"
  if [ ! -x "$bin" ]; then
    echo "$t: $bin is not built" >&2
    failed+=("$t")
    continue
  fi
  mkdir -p "$work/corpus"
  seeds=$(seeds_of "$t")
  cp -f tests/fuzz/corpus/"$seeds"/* "$work/corpus/"
  dict=()
  [ ! -f "tests/fuzz/dict/$seeds.dict" ] || dict=(-dict="tests/fuzz/dict/$seeds.dict")
  start=$(date +%s)
  rc=0
  "$bin" "${limits[@]}" "${dict[@]}" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 || rc=$?
  wall=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
  last=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$work/corpus" -type f | wc -l)
  result=ok
  if [ $rc -ne 0 ]; then
    result="FAILED (exit $rc, see $work/log)"
    failed+=("$t")
  fi
  printf '%-20s %10s %8s %6s %7s %7s %6s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$wall" \
    "${cov:-?}" "${ft:-?}" "$corpus" "$result"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|property violated|SUMMARY|^artifact_prefix|Test unit written' "$work/log" | head -n 8
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi

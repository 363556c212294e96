#!/usr/bin/env bash
# The consistency and auth suite's summary: one row per area from tests/target/suite-summary.txt (lines
# "[suite] area=A cases=N passed=N failed=N k=v ..." appended by the tests; the last line of an area wins), plus
# the mutation runner's verdicts when tests/target/mutations-report.json exists. Prints a table and writes it to
# tests/target/suite-summary.md.
#
#   build-config/suite-summary.sh ROOT [--require]   --require: every area of the suite must have reported
#
# Exits 1 when an area reports a failure, or (with --require) when an expected area is missing.
set -euo pipefail
root="${1:-.}"
require=0
[ "${2:-}" = "--require" ] && require=1
lines="$root/tests/target/suite-summary.txt"
mutations="$root/tests/target/mutations-report.json"
out="$root/tests/target/suite-summary.md"
expected="auth-matrix listeners bad-certificates outbound-identity wire rotation revocation consistency limits phase-rolling"

mkdir -p "$root/tests/target"
table="$(mktemp)"
trap 'rm -f "$table"' EXIT
{
  echo "| area | cases | passed | failed | figures |"
  echo "|---|---:|---:|---:|---|"
} >"$table"
status=0
seen=" "
if [ -f "$lines" ]; then
  # Last line per area, in the order areas first appeared.
  while IFS= read -r area; do
    line=$(grep -E "^\[suite\] area=${area} " "$lines" | tail -1)
    # The head fields by position: an area's figures may carry keys of the same name (revocation's failed=N calls).
    fields='^\[suite\] area=[^ ]+ cases=([0-9]+) passed=([0-9]+) failed=([0-9]+)'
    cases=$(sed -E "s/${fields}.*/\\1/" <<<"$line")
    passed=$(sed -E "s/${fields}.*/\\2/" <<<"$line")
    failed=$(sed -E "s/${fields}.*/\\3/" <<<"$line")
    figures=$(sed -E 's/^\[suite\] area=[^ ]+ cases=[0-9]+ passed=[0-9]+ failed=[0-9]+ ?//' <<<"$line")
    echo "| $area | $cases | $passed | $failed | ${figures:-} |" >>"$table"
    [ "$failed" -eq 0 ] || status=1
    seen="$seen$area "
  done < <(sed -nE 's/^\[suite\] area=([^ ]+) .*/\1/p' "$lines" | awk '!seen[$0]++')
fi
if [ -f "$mutations" ]; then
  rows=$(grep -o '{"name":"[^"]*","verdict":"[A-Z]*"' "$mutations" | grep -v '"name":"baseline"' || true)
  total=$(grep -c . <<<"$rows" || true)
  killed=$(grep -c '"verdict":"KILLED"' <<<"$rows" || true)
  names=$(sed -E 's/.*"name":"([^"]*)".*/\1/' <<<"$rows" | paste -sd, -)
  echo "| mutations | $total | $killed | $((total - killed)) | killed=$killed/$total ($names) |" >>"$table"
  [ "$killed" -eq "$total" ] || status=1
  seen="${seen}mutations "
fi
missing=""
for area in $expected; do
  case "$seen" in *" $area "*) ;; *) missing="$missing $area" ;; esac
done
cp "$table" "$out"
echo
echo "consistency and auth suite (tests/target/suite-summary.md):"
cat "$table"
if [ -n "$missing" ]; then
  echo "areas that did not report:$missing"
  [ $require -eq 0 ] || status=1
fi
exit $status

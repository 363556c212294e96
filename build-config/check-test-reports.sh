#!/usr/bin/env bash
# Fails when any test was skipped or aborted by an assumption (nothing is skipped silently), or when no
# test ran at all; prints the totals of unit (surefire) and integration (failsafe) tests.
set -euo pipefail
root="${1:-.}"
shopt -s nullglob
reports=("$root"/*/target/surefire-reports/TEST-*.xml "$root"/*/target/failsafe-reports/TEST-*.xml)
if [ ${#reports[@]} -eq 0 ]; then
  echo "test reports: none found (did the build stop before the tests?)" >&2
  exit 1
fi
total() { # kind attribute
  local sum=0 value
  for file in "$root"/*/target/"$1"-reports/TEST-*.xml; do
    value=$(grep -o -m1 "<testsuite[^>]* $2=\"[0-9]*\"" "$file" | grep -o "$2=\"[0-9]*\"" | tr -dc '0-9')
    sum=$((sum + ${value:-0}))
  done
  echo $sum
}
status=0
for kind in surefire failsafe; do
  tests=$(total $kind tests); skipped=$(total $kind skipped)
  failures=$(total $kind failures); errors=$(total $kind errors)
  echo "test reports ($kind): $tests tests, $failures failures, $errors errors, $skipped skipped"
  if [ "$skipped" -gt 0 ]; then
    status=1
    grep -l "<skipped" "$root"/*/target/$kind-reports/TEST-*.xml | sed 's/^/  skipped in: /' >&2
  fi
done
if [ "$(total surefire tests)" -eq 0 ] || [ "$(total failsafe tests)" -eq 0 ]; then
  echo "test reports: expected both unit and integration tests to run" >&2
  status=1
fi
[ $status -eq 0 ] || echo "test reports: skipped or missing tests fail the run (nothing is skipped silently)" >&2
exit $status

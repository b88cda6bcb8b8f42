#!/usr/bin/env bash
# The steps of action.yml: install crewchief (once per job), gate the pull request once, and hand
# the report to every place GitHub shows it: annotations (stdout), the job summary, SARIF, one PR
# comment. tests/test_github_action.py runs this locally with a pull-request event payload;
# CREWCHIEF_BIN (a crewchief program already installed) skips the install there.
set -euo pipefail

event_field() {  # a field of the event payload by dotted path, empty when absent
  python3 - "$1" <<'PY'
import json, os, sys
path = os.environ.get("GITHUB_EVENT_PATH")
data = json.load(open(path, encoding="utf-8")) if path and os.path.isfile(path) else {}
for key in sys.argv[1].split("."):
    data = data.get(key) if isinstance(data, dict) else None
print("" if data is None else data)
PY
}

fail_on="${INPUT_FAIL_ON:-block}"
case "$fail_on" in
  block|review|never) ;;
  *) echo "::error::crewchief: fail-on must be block, review or never, not '$fail_on'"; exit 2 ;;
esac

crewchief="${CREWCHIEF_BIN:-}"
if [ -z "$crewchief" ]; then
  venv="${RUNNER_TEMP:-/tmp}/crewchief-venv"
  if [ ! -x "$venv/bin/crewchief" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$CREWCHIEF_SOURCE"
  fi
  crewchief="$venv/bin/crewchief"
fi

base="${INPUT_BASE:-}"
[ -n "$base" ] || base="$(event_field pull_request.base.sha)"
if [ -z "$base" ]; then
  echo "::error::crewchief: no base to compare with: run on pull_request events or set the 'base' input"
  exit 2
fi
head="$(event_field pull_request.head.sha)"
[ -n "$head" ] || head=HEAD
for ref in "$base" "$head"; do  # actions/checkout fetches one commit unless told otherwise
  git cat-file -e "$ref^{commit}" 2>/dev/null || git fetch --quiet --no-tags origin "$ref" || true
done

report="${RUNNER_TEMP:-/tmp}/crewchief-report.json"
args=(gate --base "$base" --head "$head" --format github --also "json=$report")
[ -z "${INPUT_CHECKS:-}" ] || args+=(--only "$INPUT_CHECKS")
[ "${INPUT_STATIC:-false}" != true ] || args+=(--static)
[ -z "${INPUT_SARIF:-}" ] || args+=(--also "sarif=$INPUT_SARIF")
[ -z "${GITHUB_STEP_SUMMARY:-}" ] || args+=(--also "markdown=$GITHUB_STEP_SUMMARY")
number="$(event_field pull_request.number)"
if [ "${INPUT_COMMENT:-true}" = true ] && [ -n "$number" ]; then
  args+=(--comment --pr "$number")
fi

set +e
"$crewchief" "${args[@]}"
rc=$?
set -e
if [ "$rc" -gt 1 ]; then  # an input or internal error fails the step whatever fail-on says
  exit "$rc"
fi
verdict="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["verdict"])' "$report")"
echo "verdict=$verdict" >> "${GITHUB_OUTPUT:-/dev/null}"
case "$fail_on" in
  never) exit 0 ;;
  review) [ "$verdict" = pass ] && exit 0 || exit 1 ;;
  block) [ "$verdict" != block ] && exit 0 || exit 1 ;;
esac

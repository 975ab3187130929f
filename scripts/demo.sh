#!/usr/bin/env bash
# The demo, from a fresh clone: install, build the offline testbed (cached after the first time), deploy the
# sample stack, run the pod-kill scenario against it, and point at the report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-system-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
npm run testbed:up
export PATH="$(bash testbed/testbed.sh bin):$PATH"
set +e
node bin/chaos.js run scenarios/pod-kill.yaml --time-scale "${CHAOS_DEMO_TIME_SCALE:-0.5}" --report-dir reports/demo-pod-kill
rc=$?
set -e
echo
echo "report: reports/demo-pod-kill/report.html (summary.md, junit.xml, result.json beside it); chaos exited $rc"
exit "$rc"

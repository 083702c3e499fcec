#!/usr/bin/env bash
# Parses /metrics scrapes with the Prometheus project's Python client (PyPI, pinned): the
# Prometheus text parser and the strict OpenMetrics parser, and checks every label value is
# bounded (no id, URL path or long number). Prints one JSON document of the parsed samples.
# Usage: tests/prometheus-parse.sh SCRAPE_FILE...
# Installs prometheus_client into the git-ignored .cache/prometheus-client venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/prometheus-client
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import prometheus_client' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check prometheus_client==0.26.0
fi
exec "$venv/bin/python" tests/prometheus_parse.py "$@"

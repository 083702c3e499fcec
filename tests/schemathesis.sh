#!/usr/bin/env bash
# Runs schemathesis (PyPI, pinned) against a running staff API with the contract.
# Usage: tests/schemathesis.sh BASE_URL [TOKEN]   (no token: as an unauthorized caller)
# Installs schemathesis into the git-ignored .cache/schemathesis venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
url=$1
token=${2:-}
venv=.cache/schemathesis
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5
fi
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method
if [ -n "$token" ]; then
  checks="$checks,ignored_auth"
fi
args=(run api/openapi.yaml --url "$url" --checks "$checks" --max-examples "${CK8S_SCHEMATHESIS_EXAMPLES:-25}"
      --seed 1 --request-timeout 20 --phases examples,coverage,fuzzing --workers 1 --no-color
      --generation-codec utf-8 --suppress-health-check all)
if [ -n "$token" ]; then
  args+=(-H "Authorization: Bearer $token")
fi
exec "$venv/bin/schemathesis" "${args[@]}"

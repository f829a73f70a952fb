#!/usr/bin/env bash
# Installs the peers that only Debian ships for the end-to-end tests: Chromium for the browser tests (never a
# browser download of a test tool's own) and python3-grpcio as a second native gRPC client. Quick when both are
# there; a machine without apt or root gets a note and those tests skip.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
/usr/bin/python3 -c 'import grpc' >/dev/null 2>&1 || missing+=(python3-grpcio)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-e2e: ${missing[*]} missing and not installable here (needs root and apt); those tests will skip" >&2
  exit 0
fi
echo "setup-e2e: installing ${missing[*]} from Debian for the end-to-end tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

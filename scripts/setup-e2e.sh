#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (never a browser download of a test tool's own).
# Quiet and quick when it is already there; a machine without apt or root gets a note and the browser tests skip.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-e2e: chromium is missing and cannot be installed here (needs root and apt); browser tests will skip" >&2
  exit 0
fi
echo "setup-e2e: installing Debian's chromium for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version >&2

#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the browser tests (Playwright drives it; no
# `playwright install` download is needed). Installs it with apt-get when missing and allowed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing: install it (sudo apt-get install chromium)" >&2
  exit 1
fi
echo "installing chromium with apt-get" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null

#!/usr/bin/env bash
# Installs the browser the web UI's Playwright tests drive: Debian's chromium at /usr/bin/chromium.
# Playwright's own browser download is never used (`playwright install` is not needed and is blocked
# on machines without general internet access); the tests launch this binary by path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/ensure-debian-packages.sh" chromium:chromium
if [ ! -x /usr/bin/chromium ]; then
    echo "error: chromium is not at /usr/bin/chromium after installing it" >&2
    exit 2
fi

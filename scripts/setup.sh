#!/usr/bin/env bash
# Everything a fresh Debian machine needs before `aloft demo` or `npm test`: Debian packages and
# services (scripts/services.sh), npm dependencies from the lock (npm ci, which also builds
# dist/), and the local base images. Safe to run again: each step skips what is already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v node >/dev/null || { echo "setup: node is missing: install Node.js 20 or newer" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "setup: node $(node --version) is too old: Aloft needs Node.js 20 or newer" >&2; exit 1; }

bash scripts/services.sh

# npm ci only when the lock changed since the last install: it takes a minute (native addons).
stamp=node_modules/.aloft-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -d dist ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

bash scripts/build-images.sh

#!/usr/bin/env bash
# The whole test suite: lint, the pure-core check, typecheck, then unit and integration tests
# against the real Docker Engine and Mosquitto (started by scripts/services.sh if not running).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }
step "services"; bash scripts/services.sh
step "build";    npm run --silent build
step "images";   bash scripts/build-images.sh
step "lint";     npx biome check .
                 node scripts/check-purity.mjs
step "typecheck"; npx tsc -p tsconfig.json --noEmit
                 npx tsc -p tsconfig.pure.json --noEmit
step "tests";    npx vitest run "$@"

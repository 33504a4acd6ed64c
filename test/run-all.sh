#!/usr/bin/env bash
# `npm test`: every suite — lint and boundary, the unit suites in Node and in real Chromium,
# protocol integration, browser end-to-end. Fails (never skips) when no browser is installed.
set -uo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "npm test needs Chromium at $CHROMIUM for the browser suites, and none was found." >&2
  echo "Install it from Debian's packages:  sudo apt-get install -y chromium" >&2
  echo "(or point CHROMIUM_PATH at a Chromium binary). Never 'playwright install' here." >&2
  exit 1
fi

mkdir -p test-results
status=0
failed_steps=0
step() {
  local name="$1"
  shift
  echo
  echo "=== $name"
  if ! "$@"; then
    echo "=== $name FAILED" >&2
    status=1
    failed_steps=$((failed_steps + 1))
  fi
}

step "lint (types, biome, buf lint, boundary)" npm run --silent lint
step "API contract (buf breaking against main, generated code up to date)" bash test/proto-check.sh
step "unit + integration (Node) and unit (Chromium)" npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
if [ -f test/e2e/playwright.config.ts ]; then
  step "browser end-to-end (Playwright, Chromium)" npx playwright test -c test/e2e/playwright.config.ts
fi

FAILED_STEPS=$failed_steps node test/summarize.mjs || status=1
exit $status

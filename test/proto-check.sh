#!/usr/bin/env bash
# The API contract, checked by `npm test`: no breaking change against main (`buf breaking`, the FILE
# rules of buf.yaml), and shared/gen is exactly what `npm run generate` makes from proto/ (generated
# code is never edited by hand, and never left stale after a .proto change).
# BUF_BREAKING_AGAINST overrides what is compared with (any buf input, e.g. '.git#branch=origin/main').
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

against="${BUF_BREAKING_AGAINST:-}"
if [ -z "$against" ]; then
  if git rev-parse --verify --quiet refs/heads/main >/dev/null; then
    against=".git#branch=main"
  elif git rev-parse --verify --quiet refs/remotes/origin/main >/dev/null; then
    against=".git#branch=origin/main"
  else
    echo "proto check: no main branch to compare with; set BUF_BREAKING_AGAINST to a buf input" >&2
    exit 1
  fi
fi
echo "buf breaking against $against"
buf breaking --against "$against"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
buf generate -o "$tmp"
if ! diff -r "$tmp/shared/gen" shared/gen; then
  echo "shared/gen differs from what 'npm run generate' makes from proto/: run it and commit the result" >&2
  exit 1
fi
echo "shared/gen is up to date"

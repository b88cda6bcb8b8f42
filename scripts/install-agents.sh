#!/usr/bin/env bash
# Installs the real agent programs the agent integration tests drive, from the npm registry, into
# .cache/agents (binaries in .cache/agents/node_modules/.bin). Idempotent: does nothing when the
# pinned versions are already there. Usage: scripts/install-agents.sh [PREFIX]
set -euo pipefail
CLAUDE_CODE_VERSION=2.1.330
CODEX_VERSION=0.169.0
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${1:-$root/.cache/agents}"

installed() {  # installed PACKAGE VERSION
    local manifest="$prefix/node_modules/$1/package.json"
    [ -f "$manifest" ] && grep -q "\"version\": *\"$2\"" "$manifest"
}

if installed @anthropic-ai/claude-code "$CLAUDE_CODE_VERSION" && installed @openai/codex "$CODEX_VERSION" \
    && [ -x "$prefix/node_modules/.bin/claude" ] && [ -x "$prefix/node_modules/.bin/codex" ] \
    && "$prefix/node_modules/.bin/claude" --version >/dev/null 2>&1; then
    exit 0
fi
"$root/scripts/ensure-debian-packages.sh" npm:npm
mkdir -p "$prefix"
echo "installing @anthropic-ai/claude-code@$CLAUDE_CODE_VERSION and @openai/codex@$CODEX_VERSION into $prefix" >&2
# Both packages ship their native program as an optional per-platform dependency; claude-code's
# postinstall links it over its bin stub, so scripts must run and optional dependencies install.
npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error \
    --include=optional --foreground-scripts \
    "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "@openai/codex@$CODEX_VERSION" >&2
"$prefix/node_modules/.bin/claude" --version >/dev/null
"$prefix/node_modules/.bin/codex" --version >/dev/null

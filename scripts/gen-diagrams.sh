#!/bin/sh
# Redraw the sequence diagrams in docs/commands.md from real traces of each command (as root).
# test/integration/diagrams.test.ts fails when the committed diagrams no longer match the code.
set -e
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
exec node lib/tools/gen-diagrams.js "$@"

#!/usr/bin/env bash
# scripts/build-single.sh [OUT] [more `bun build` flags]: nk-runtime as one executable (default
# dist/nk-runtime), made by Bun (a dev dependency) from the compiled JavaScript in lib/ (make build).
#   --compile    Bun's runtime and every module in one file; koffi's native module too (libc.ts)
#   --bytecode   parsed ahead of time: without it, Bun parses the whole bundle on every start (~9 ms)
#   --sourcemap  stack traces, and so -E's "where in the code", name the files in src/
#   --compile-exec-argv
#                an executable built without one refuses to start from a working directory that
#                was deleted ("The current working directory was deleted"), and containerd's
#                shim runs its cleanup `delete --force` in the bundle dir it has just removed. With
#                one, Bun 1.4 starts there as Node does. The flag given changes nothing for us.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/nk-runtime}
shift || true
[ -f lib/main.js ] || { echo "build-single: build first: npx tsc -p ." >&2; exit 1; }
# nk-userns (make build compiles it) beside the executable, which looks for it there.
[ -x lib/native/nk-userns ] || { echo "build-single: lib/native/nk-userns is missing: make build" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
install -m 0755 lib/native/nk-userns "$(dirname "$out")/nk-userns"
node_modules/.bin/bun build --compile --bytecode --sourcemap --compile-exec-argv=--no-deprecation "$@" lib/main.js --outfile "$out"

#!/usr/bin/env bash
# scripts/build-single.sh [OUT] [more `bun build` flags]: nk-runtime as one executable (default
# dist/nk-runtime), made by Bun (a dev dependency) from the TypeScript in src/. Bun transpiles it
# itself; `make build` (tsc) has type-checked the same files and compiled nk-userns. From src/,
# Bun joins the modules into one scope (its ESM bundling) instead of wrapping each of tsc's
# CommonJS files, and each start loads less: a lifecycle measured 15% faster (docs/performance.md).
#   --compile    Bun's runtime and every module in one file (libc is bound with Bun's own bun:ffi,
#                src/linux/libc-bun.ts: nothing native to embed)
#   --bytecode   parsed ahead of time: without it, Bun parses the whole bundle on every start (~9 ms)
#   --sourcemap  stack traces, and so -E's "where in the code", name the files in src/
#   --minify-whitespace --minify-syntax
#                less text to load at every start: 1-1.7 ms less per process (hyperfine of
#                `state` of a missing container), a lifecycle 77.6 -> 71.2 ms interleaved. Names
#                are kept (no --minify-identifiers): -E's code sites are the same, checked
#                step by step on a create's trace.
#   --compile-exec-argv
#                an executable built without one refuses to start from a working directory that
#                was deleted ("The current working directory was deleted"), and containerd's
#                shim runs its cleanup `delete --force` in the bundle dir it has just removed. With
#                one, Bun 1.4 starts there as Node does. The flag given changes nothing for us.
#   --no-compile-autoload-dotenv --no-compile-autoload-bunfig
#                by default a compiled Bun program reads .env and bunfig.toml from its working
#                directory at every start: a `.env` there would set our environment (DEBUG,
#                NK_TIMING...), a bunfig.toml's `preload` would run its code in the runtime. We
#                are started in directories that are not ours (containerd's shim: the bundle dir).
#   --compile-jit-policy=100
#                JavaScriptCore compiles code that runs often on threads of its own; a command
#                lives for milliseconds and runs most of its code once, so on two CPUs that
#                compiling mostly takes CPU from the command, the init and each other. 100 times
#                the usual counts before a function is compiled: a lifecycle 62.5 -> 55.0 and
#                64.0 -> 55.8 ms, `run` 43.8 -> 34.1 ms (two interleaved runs, docs/performance.md;
#                10, 100 and 1000 measured alike).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/nk-runtime}
shift || true
[ -f lib/main.js ] || { echo "build-single: build first: npx tsc -p ." >&2; exit 1; }
# nk-userns (make build compiles it) beside the executable, which looks for it there.
[ -x lib/native/nk-userns ] || { echo "build-single: lib/native/nk-userns is missing: make build" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
install -m 0755 lib/native/nk-userns "$(dirname "$out")/nk-userns"
node_modules/.bin/bun build --compile --bytecode --sourcemap --minify-whitespace --minify-syntax \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig --compile-jit-policy=100 \
  --compile-exec-argv=--no-deprecation "$@" src/main.ts --outfile "$out"

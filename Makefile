# nk-runtime. As root on Debian/Ubuntu:
#   make demo   set everything up, then run a container from the sample bundle with -E
#   make test   set everything up, then run every test (unit, and integration as root)

.PHONY: all setup build bundle single test demo install uninstall clean fuzz soak golden

all: build bundle

# System packages (Node.js and npm when missing); see scripts/setup.sh.
setup:
	@./scripts/setup.sh

# npm packages, pinned by package-lock.json. Re-run when the lock file changes.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# TypeScript (src/) compiled to JavaScript (lib/), and nk-userns, the one C program (user
# namespaces need a single-threaded process: docs/kernel-mechanisms.md).
build: setup node_modules/.package-lock.json
	npx tsc -p tsconfig.json
	mkdir -p lib/native
	cc -O2 -Wall -o lib/native/nk-userns src/native/nk-userns.c

# The single executable, dist/nk-runtime: Bun (a dev dependency) compiles src/ (type-checked by
# `build`) with its own runtime into one file that works from any directory (scripts/build-single.sh).
# nk-userns goes next to it (dist/nk-userns): the executable looks for it in its own directory.
single: build
	./scripts/build-single.sh

# The sample bundle's rootfs, from Debian's busybox-static.
# (bin/nk-hello is the last file the script writes: its presence means the rootfs is complete.)
bundle: bundle/rootfs/bin/nk-hello
bundle/rootfs/bin/nk-hello: scripts/make-bundle.sh
	./scripts/make-bundle.sh

# Every test under Node, then the integration tests again against the single executable.
# TAP_FLAGS: e.g. `make test TAP_FLAGS=--reporter=tap`.
test: build single bundle
	npx tap $(TAP_FLAGS)
	NK_RUNTIME_BIN=dist/nk-runtime npx tap $(TAP_FLAGS) test/integration/*.test.ts

# The golden files of -E (test/integration/golden/*.txt), rewritten from this build's narration:
# after a deliberate change of the narration, run this and commit the files with the change.
golden: build bundle
	NK_GOLDEN_UPDATE=1 npx tap test/integration/golden.test.ts

# Longer runs of the fuzzing and the soak than CI's (docs/reliability.md).
fuzz: build bundle
	NK_FUZZ_RUNS=20000 npx tap test/unit/fuzz.test.ts
	NK_FUZZ_CLI_RUNS=200 npx tap test/integration/fuzz.test.ts

soak: build single bundle
	NK_TEST_SOAK=1000 npx tap test/integration/reliability.test.ts
	NK_TEST_SOAK=1000 NK_RUNTIME_BIN=dist/nk-runtime npx tap test/integration/reliability.test.ts

demo: build bundle
	@./bin/nk-runtime delete --force demo >/dev/null 2>&1 || true
	./bin/nk-runtime -E run --bundle bundle demo

# Puts nk-runtime on the PATH: the single executable, a copy that needs nothing of this checkout
# (containerd's --runc-binary can name it). The Node entry stays bin/nk-runtime.
install: single
	install -m 0755 dist/nk-runtime /usr/local/bin/nk-runtime
	install -m 0755 dist/nk-userns /usr/local/bin/nk-userns

uninstall:
	rm -f /usr/local/bin/nk-runtime /usr/local/bin/nk-userns

clean:
	rm -rf lib dist bundle/rootfs

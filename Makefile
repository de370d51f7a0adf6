# nk-runtime. As root on Debian/Ubuntu:
#   make demo   set everything up, then run a container from the sample bundle with -E
#   make test   set everything up, then run every test (unit, and integration as root)

.PHONY: all setup build bundle test demo install uninstall clean

all: build bundle

# System packages (Node.js and npm when missing); see scripts/setup.sh.
setup:
	@./scripts/setup.sh

# npm packages, pinned by package-lock.json. Re-run when the lock file changes.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# TypeScript (src/) compiled to JavaScript (lib/).
build: setup node_modules/.package-lock.json
	npx tsc -p tsconfig.json

# The sample bundle's rootfs, from Debian's busybox-static.
# (bin/nk-hello is the last file the script writes: its presence means the rootfs is complete.)
bundle: bundle/rootfs/bin/nk-hello
bundle/rootfs/bin/nk-hello: scripts/make-bundle.sh
	./scripts/make-bundle.sh

# TAP_FLAGS: e.g. `make test TAP_FLAGS=--reporter=tap`, or a file: `make test TAP_FLAGS=test/unit`.
test: build bundle
	npx tap $(TAP_FLAGS)

demo: build bundle
	@./bin/nk-runtime delete --force demo >/dev/null 2>&1 || true
	./bin/nk-runtime -E run --bundle bundle demo

# Puts this checkout's nk-runtime on the PATH.
install: build
	ln -sf $(CURDIR)/bin/nk-runtime /usr/local/bin/nk-runtime

uninstall:
	rm -f /usr/local/bin/nk-runtime

clean:
	rm -rf lib bundle/rootfs

#!/bin/sh
# Install the system packages nk-runtime needs, when they are missing: Node.js (20 or later)
# and npm, and a C compiler (gcc, for src/native/nk-userns.c), from Debian's packages. busybox-static (for the sample rootfs) is installed by
# scripts/make-bundle.sh. Nothing is downloaded from anywhere but the distribution.
set -eu

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 20 ] || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: Node.js 20+ and npm are needed; run as root to install them, or install them yourself" >&2
    exit 1
  fi
  echo "setup: installing Node.js and npm from the distribution's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  if [ "$(node_major)" -lt 20 ]; then
    echo "setup: this distribution's Node.js is $(node --version); nk-runtime needs 20 or later" >&2
    echo "       (Debian 13 and Ubuntu 24.04 ship it; on Debian 12, use the nodejs package of bookworm-backports or NodeSource)" >&2
    exit 1
  fi
fi

if ! command -v cc >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: a C compiler (cc) is needed for src/native/nk-userns.c; run as root to install gcc, or install it yourself" >&2
    exit 1
  fi
  echo "setup: installing gcc from the distribution's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null
fi

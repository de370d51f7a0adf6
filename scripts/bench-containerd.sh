#!/usr/bin/env bash
# scripts/bench-containerd.sh [N]: `ctr run --rm IMAGE /bin/true` through containerd, with
# nk-runtime (both builds) and runc as the runc binary, interleaved, N times each (default 10).
# A private containerd (socket, root and state in a temp dir, CRI off) and an image of the sample
# rootfs (scripts/oci-image.sh); everything is removed at the end. Needs root and containerd.
# Prints per-runtime medians; nothing is asserted.
set -euo pipefail
export LC_ALL=C
N=${1:-10}
here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench-containerd: must run as root" >&2; exit 1; }
command -v containerd >/dev/null || { echo "bench-containerd: containerd is not installed" >&2; exit 1; }
work=$(mktemp -d /tmp/nk-bench-containerd.XXXXXX)
ns="nk-bench-$$"
daemon=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$daemon" ]; then
    for c in $(ctr -a "$work/sock" -n "$ns" containers ls -q 2>/dev/null); do
      ctr -a "$work/sock" -n "$ns" tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
      ctr -a "$work/sock" -n "$ns" tasks rm -f "$c" >/dev/null 2>&1 || true
      ctr -a "$work/sock" -n "$ns" containers rm "$c" >/dev/null 2>&1 || true
    done
    ctr -a "$work/sock" -n "$ns" images rm docker.io/library/nk-bench:latest >/dev/null 2>&1 || true
    kill "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  grep -o " $work/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  # The runtimes make the namespace's parent cgroup (/sys/fs/cgroup/*/$ns); runc leaves it.
  find /sys/fs/cgroup -maxdepth 4 -type d -name "$ns" 2>/dev/null | sort -r | xargs -r rmdir 2>/dev/null || true
  rmdir "/run/containerd/runc/$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat > "$work/config.toml" <<TOML
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/sock"
[ttrpc]
  address = "$work/sock.ttrpc"
[debug]
  address = "$work/debug.sock"
TOML
containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do ctr -a "$work/sock" version >/dev/null 2>&1 && break; sleep 0.1; done
"$here/scripts/oci-image.sh" "$here/bundle/rootfs" "$work/image.tar" docker.io/library/nk-bench:latest
ctr -a "$work/sock" -n "$ns" images import "$work/image.tar" >/dev/null

declare -A BIN=([nk-single]="$here/dist/nk-runtime" [nk-node]="$here/bin/nk-runtime" [runc]="$(command -v runc || true)")
RUNTIMES=()
for rt in nk-single nk-node runc; do [ -x "${BIN[$rt]}" ] && RUNTIMES+=("$rt"); done
echo "bench-containerd: N=$N, ctr run --rm (io.containerd.runc.v2) of /bin/true, runtimes: ${RUNTIMES[*]}"
k=${#RUNTIMES[@]}
for ((i = 0; i < N; i++)); do
  for ((j = 0; j < k; j++)); do
    rt=${RUNTIMES[$(((i + j) % k))]}
    t0=${EPOCHREALTIME/./}
    ctr -a "$work/sock" -n "$ns" run --rm --runtime io.containerd.runc.v2 --runc-binary "${BIN[$rt]}" \
      docker.io/library/nk-bench:latest "b-$rt-$i" /bin/true >/dev/null 2>>"$work/err-$rt" || echo "failed: $rt" >>"$work/failures"
    t1=${EPOCHREALTIME/./}
    echo "$((t1 - t0))" >>"$work/t-$rt"
  done
done
base=$(sort -n "$work/t-runc" 2>/dev/null | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
for rt in "${RUNTIMES[@]}"; do
  sort -n "$work/t-$rt" | awk -v rt="$rt" -v base="$base" '{a[NR]=$1} END {
    m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2
    printf "  %-10s median %7.1f ms  min %7.1f  max %7.1f  n %d%s\n", rt, m/1000, a[1]/1000, a[NR]/1000, NR, base ? sprintf("  (%.2fx runc)", m/base) : ""
  }'
done
failures=0
[ -f "$work/failures" ] && failures=$(wc -l <"$work/failures")
echo "failures: $failures"

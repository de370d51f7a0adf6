#!/usr/bin/env bash
# scripts/bench.sh [N]: how long one container takes, nk-runtime beside runc and crun.
#
# Both builds of nk-runtime run in the same run: "nk-node" (bin/nk-runtime, Node) and "nk-single"
# (dist/nk-runtime, the single executable of `make single`; left out, with a note, if not built).
# NK_NODE=... / NK_SINGLE=... name other files to measure.
#
# For N iterations (default 20), each runtime does, on the SAME rootfs (bundle/rootfs):
#   (a) create + start + wait until stopped + delete of /bin/true
#   (b) run of /bin/true (attached: it returns when the container has exited and been deleted)
# Iterations are interleaved (iteration i runs every runtime once, in a rotating order), so a
# burst of noise from something else on the machine hits all runtimes alike.
#
# Fairness:
#   - "wait until stopped" is the same for every runtime: each writes its init's host pid with
#     its own --pid-file, and this script polls /proc/<pid>/stat (builtin `read`, 1 ms sleeps)
#     until the process is gone or a zombie, the same test `state` makes. Polling `nk-runtime
#     state` instead would add a Node start-up (about 100 ms) per poll to nk-runtime only.
#   - Times come from bash's $EPOCHREALTIME (microseconds, no fork), taken just before and after.
#   - runc gets the bundle's config unchanged. crun 1.8.1 gets ociVersion "1.0.2" (it rejects
#     "1.2.0": "unknown version specified"). On a hybrid cgroup host crun refuses to run
#     ("cgroups in hybrid mode not supported"), so here it runs inside a private mount namespace
#     (unshare -m) where /sys/fs/cgroup/unified is unmounted -- only there -- entered with
#     nsenter for each crun call. The nsenter cost is measured and printed.
#
# No timing is asserted anywhere: this prints numbers, nothing passes or fails on them.
# Needs root, a built nk-runtime (npx tsc -p .) and the sample rootfs (scripts/make-bundle.sh).
set -euo pipefail
export LC_ALL=C   # $EPOCHREALTIME uses the locale's decimal point

N=${1:-20}
case $N in '' | *[!0-9]* | 0) echo "usage: $0 [N>0]" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")/.." && pwd)
NK_NODE=$(realpath "${NK_NODE:-$here/bin/nk-runtime}")
NK_SINGLE=$(realpath -m "${NK_SINGLE:-$here/dist/nk-runtime}")
ROOTFS="$here/bundle/rootfs"
[ "$(id -u)" = 0 ] || { echo "bench: must run as root" >&2; exit 1; }
[ -f "$here/lib/cli/main.js" ] || [ -n "${NK_NODE##$here/bin/*}" ] || { echo "bench: build first: (cd $here && make build)" >&2; exit 1; }
[ -e "$ROOTFS/bin/true" ] || { echo "bench: no $ROOTFS/bin/true: run scripts/make-bundle.sh" >&2; exit 1; }

tag="bench-$$"
work=$(mktemp -d "/tmp/nk-$tag.XXXXXX")
holder=""   # pid of the process that keeps crun's private mount namespace alive

# ---------------------------------------------------------------------------------------------
# Cleanup: runs however the script ends. Every container of ours is force-deleted by the runtime
# that made it, the crun namespace holder is stopped, the temp dir removed.
cleanup() {
  local rc=$? rt id
  trap - EXIT INT TERM
  for rt in "${RUNTIMES[@]:-}"; do
    [ -n "$rt" ] || continue
    [ -d "$work/root-$rt" ] || continue
    for id in $(ls "$work/root-$rt" 2>/dev/null); do
      [ -d "$work/root-$rt/$id" ] || continue
      rt_cmd "$rt" delete --force "$id" </dev/null >/dev/null 2>&1 || true
    done
  done
  if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$rc"
}
RUNTIMES=()
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Bundles: bundle/config.json with args ["/bin/true"] and root.path absolute, one per runtime.
make_bundle() { # make_bundle DIR OCIVERSION(or "")
  mkdir -p "$1"
  node -e '
    const fs = require("fs");
    const [src, rootfs, out, version] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(src, "utf8"));
    c.process.args = ["/bin/true"];
    c.process.terminal = false;
    c.root.path = rootfs;
    if (version) c.ociVersion = version;
    fs.writeFileSync(out, JSON.stringify(c, null, 2) + "\n");
  ' "$here/bundle/config.json" "$ROOTFS" "$1/config.json" "$2"
}

# rt_cmd RUNTIME ARGS...: one command of a runtime, with its own --root.
rt_cmd() {
  local rt=$1; shift
  case $rt in
    nk-node) "$NK_NODE" --root "$work/root-nk-node" "$@" ;;
    nk-single) "$NK_SINGLE" --root "$work/root-nk-single" "$@" ;;
    runc) runc --root "$work/root-runc" "$@" ;;
    crun)
      if [ -n "$holder" ]; then nsenter -t "$holder" -m crun --root "$work/root-crun" "$@"
      else crun --root "$work/root-crun" "$@"; fi ;;
  esac
}

bundle_of() { echo "$work/bundle-$1"; }

# ---------------------------------------------------------------------------------------------
# Which runtimes can run here.
RUNTIMES=(nk-node)
make_bundle "$work/bundle-nk-node" ""
mkdir -p "$work/root-nk-node"
notes=()
if [ -x "$NK_SINGLE" ]; then
  RUNTIMES+=(nk-single)
  make_bundle "$work/bundle-nk-single" ""
  mkdir -p "$work/root-nk-single"
else
  notes+=("nk-single: $NK_SINGLE not built (make single)")
fi

probe() { # probe RUNTIME: one `run` of /bin/true; its stderr in $work/probe.err
  rt_cmd "$1" run --bundle "$(bundle_of "$1")" "$tag-probe" </dev/null >/dev/null 2>"$work/probe.err"
}

if command -v runc >/dev/null; then
  make_bundle "$work/bundle-runc" ""
  mkdir -p "$work/root-runc"
  if probe runc; then RUNTIMES+=(runc)
  else notes+=("runc: unavailable: $(tail -n1 "$work/probe.err")"); fi
else
  notes+=("runc: not installed")
fi

if command -v crun >/dev/null; then
  make_bundle "$work/bundle-crun" "1.0.2"
  mkdir -p "$work/root-crun"
  if probe crun; then
    RUNTIMES+=(crun)
  elif grep -q "hybrid mode" "$work/probe.err" && grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
    # A private mount namespace (unshare -m makes its mounts private) without the cgroup2 mount;
    # the host keeps it. The holder sleeps until cleanup kills it; nsenter -m joins it.
    unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec sleep infinity' &
    holder=$!
    for _ in $(seq 100); do
      # Ready once the unified mount is gone from the holder's view.
      grep -q ' /sys/fs/cgroup/unified ' "/proc/$holder/mountinfo" 2>/dev/null || break
      sleep 0.01
    done
    if kill -0 "$holder" 2>/dev/null && probe crun; then
      RUNTIMES+=(crun)
      notes+=("crun: refuses this hybrid cgroup host; runs in a private mount namespace without /sys/fs/cgroup/unified (nsenter per call)")
    else
      notes+=("crun: unavailable: $(tail -n1 "$work/probe.err")")
      [ -n "$holder" ] && { kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; holder=""; }
    fi
  else
    notes+=("crun: unavailable: $(tail -n1 "$work/probe.err")")
  fi
else
  notes+=("crun: not installed")
fi

# ---------------------------------------------------------------------------------------------
# Measuring.
failures=0

# wait_gone PID: until /proc/PID is gone or the process is a zombie (field 3 of stat: Z or X).
wait_gone() {
  local stat
  while { read -r stat < "/proc/$1/stat"; } 2>/dev/null; do
    stat=${stat##*) }
    case ${stat%% *} in Z | X) return 0 ;; esac
    sleep 0.001
  done
}

# One lifecycle; appends "total create start wait delete" (microseconds) to $work/life-RT.
lifecycle() {
  local rt=$1 i=$2 id="$tag-$1-$2-l" pid t0 t1 t2 t3 t4
  local b; b=$(bundle_of "$rt")
  local err="$work/err-$rt"
  t0=${EPOCHREALTIME/./}
  if ! rt_cmd "$rt" create --bundle "$b" --pid-file "$work/pid" "$id" </dev/null >/dev/null 2>>"$err"; then
    failures=$((failures + 1)); rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || true; return
  fi
  t1=${EPOCHREALTIME/./}
  if ! rt_cmd "$rt" start "$id" </dev/null >/dev/null 2>>"$err"; then
    failures=$((failures + 1)); rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || true; return
  fi
  t2=${EPOCHREALTIME/./}
  pid=""
  read -r pid < "$work/pid" || true   # pid files have no trailing newline: read says EOF, but reads it
  echo "$pid" >> "$work/pids"
  wait_gone "$pid"
  t3=${EPOCHREALTIME/./}
  if ! rt_cmd "$rt" delete "$id" </dev/null >/dev/null 2>>"$err"; then
    failures=$((failures + 1)); rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || true; return
  fi
  t4=${EPOCHREALTIME/./}
  rm -f "$work/pid"
  echo "$((t4 - t0)) $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t4 - t3))" >> "$work/life-$rt"
}

# One `run`; appends its microseconds to $work/run-RT.
run_once() {
  local rt=$1 i=$2 id="$tag-$1-$2-r" t0 t1
  local b; b=$(bundle_of "$rt")
  t0=${EPOCHREALTIME/./}
  if ! rt_cmd "$rt" run --bundle "$b" "$id" </dev/null >/dev/null 2>>"$work/err-$rt"; then
    failures=$((failures + 1)); rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1 || true; return
  fi
  t1=${EPOCHREALTIME/./}
  echo "$((t1 - t0))" >> "$work/run-$rt"
}

# The cost of entering crun's namespace: nsenter -m /bin/true minus /bin/true, median of 20.
nsenter_cost=""
if [ -n "$holder" ]; then
  for _ in $(seq 20); do
    t0=${EPOCHREALTIME/./}; /bin/true; t1=${EPOCHREALTIME/./}
    nsenter -t "$holder" -m /bin/true; t2=${EPOCHREALTIME/./}
    echo "$(( (t2 - t1) - (t1 - t0) ))" >> "$work/nsenter"
  done
  nsenter_cost=$(sort -n "$work/nsenter" | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}')
fi

echo "bench: N=$N, runtimes: ${RUNTIMES[*]}   ($(nproc) CPUs, $(uname -r), node $(node --version))"
echo "  nk-node is $NK_NODE; nk-single is $NK_SINGLE"
for note in "${notes[@]}"; do echo "  note: $note"; done
echo "  wait-until-stopped: each runtime's --pid-file, then polling /proc/<pid>/stat (1 ms sleeps)"
[ -n "$nsenter_cost" ] && echo "  nsenter -m costs about $nsenter_cost ms per crun call (included in crun's times: 3 calls per lifecycle, 1 per run)"

k=${#RUNTIMES[@]}
for ((i = 0; i < N; i++)); do
  printf '\r  iteration %d/%d' "$((i + 1))" "$N" >&2
  for ((j = 0; j < k; j++)); do
    rt=${RUNTIMES[$(((i + j) % k))]}
    lifecycle "$rt" "$i"
  done
  for ((j = 0; j < k; j++)); do
    rt=${RUNTIMES[$(((i + j + 1) % k))]}
    run_once "$rt" "$i"
  done
done
printf '\r%40s\r' '' >&2

# ---------------------------------------------------------------------------------------------
# Report. stats FILE COLUMN: "median mean min max n" in ms.
stats() {
  awk -v c="$2" '{print $c}' "$1" | sort -n | awk '
    { a[NR] = $1; s += $1 }
    END {
      if (NR == 0) { print "- - - - 0"; exit }
      m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      printf "%.1f %.1f %.1f %.1f %d\n", m / 1000, s / NR / 1000, a[1] / 1000, a[NR] / 1000, NR
    }'
}

table() { # table TITLE FILE-PREFIX COLUMN
  local title=$1 prefix=$2 col=$3 rt base="" med mean min max n ratio
  [ -s "$work/$prefix-runc" ] && base=$(stats "$work/$prefix-runc" "$col" | cut -d' ' -f1)
  echo
  echo "$title"
  printf '  %-12s %10s %10s %10s %10s %4s %14s\n' runtime "median ms" "mean ms" "min ms" "max ms" n "median/runc"
  for rt in "${RUNTIMES[@]}"; do
    [ -s "$work/$prefix-$rt" ] || { printf '  %-12s %s\n' "$rt" "no successful samples"; continue; }
    read -r med mean min max n < <(stats "$work/$prefix-$rt" "$col")
    ratio="-"
    [ -n "$base" ] && ratio=$(awk -v a="$med" -v b="$base" 'BEGIN { printf "%.1fx", a / b }')
    printf '  %-12s %10s %10s %10s %10s %4s %14s\n' "$rt" "$med" "$mean" "$min" "$max" "$n" "$ratio"
  done
}

table "(a) create + start + wait until stopped + delete of /bin/true, per container" life 1
table "(b) run of /bin/true, per container" run 1

echo
echo "(a) by phase, median ms"
printf '  %-12s %10s %10s %10s %10s\n' runtime create start wait delete
for rt in "${RUNTIMES[@]}"; do
  [ -s "$work/life-$rt" ] || continue
  printf '  %-12s' "$rt"
  for col in 2 3 4 5; do printf ' %10s' "$(stats "$work/life-$rt" "$col" | cut -d' ' -f1)"; done
  echo
done

echo
echo "failures: $failures"
for rt in "${RUNTIMES[@]}"; do
  [ -s "$work/err-$rt" ] && { echo "  $rt said:"; sort "$work/err-$rt" | uniq -c | head -5 | sed 's/^/    /'; }
done

# ---------------------------------------------------------------------------------------------
# Leak check: our state dirs, cgroups and mounts must all be gone.
leaks=()
for rt in "${RUNTIMES[@]}"; do
  left=$(ls "$work/root-$rt" 2>/dev/null | grep -v '^$' || true)
  [ -z "$left" ] || leaks+=("$rt state dirs: $left")
done
cg=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "*$tag*" 2>/dev/null || true)
[ -z "$cg" ] || leaks+=("cgroups: $cg")
grep -q " $ROOTFS" /proc/self/mountinfo && leaks+=("mounts of $ROOTFS in this mount namespace")
procs=""
if [ -f "$work/pids" ]; then
  while read -r pid; do
    # Alive and not a zombie: a container init that outlived its delete.
    { read -r stat < "/proc/$pid/stat"; } 2>/dev/null || continue
    stat=${stat##*) }
    case ${stat%% *} in Z | X) ;; *) procs="$procs $pid" ;; esac
  done < "$work/pids"
fi
[ -z "$procs" ] || leaks+=("container inits still alive:$procs")
echo "noise: this machine may be running other work (tests) at the same time; figures are indicative"
if [ ${#leaks[@]} -eq 0 ]; then echo "leaks: none (state dirs, cgroups named *$tag*, mounts of the rootfs, container inits)"
else printf 'leaks: %s\n' "${leaks[@]}"; fi

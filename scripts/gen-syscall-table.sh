#!/bin/bash
# Write src/linux/seccomp/syscall-table.ts: the system call numbers of x86_64 and aarch64, by name,
# from the kernel's own headers (Debian's linux-libc-dev) and a C compiler: seccomp filters match
# numbers, and the config names calls. Run again when the headers gain calls; the file is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/linux/seccomp/syscall-table.ts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# aarch64 uses the generic table, with the choices arch/arm64/include/uapi/asm/unistd.h makes.
AARCH64_PRELUDE='#define __ARCH_WANT_RENAMEAT
#define __ARCH_WANT_NEW_STAT
#define __ARCH_WANT_SET_GET_RLIMIT
#define __ARCH_WANT_TIME32_SYSCALLS
#define __ARCH_WANT_SYS_CLONE3
#define __ARCH_WANT_MEMFD_SECRET
#define __BITS_PER_LONG 64
#include <asm-generic/unistd.h>'

# table NAME HEADER-TEXT: print `  name: number,` for every __NR_name the header defines.
table() {
  local header="$work/$1.h"
  printf '%s\n' "$2" > "$header"
  local names
  names=$(gcc -E -dM "$header" | sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' | grep -v '^syscalls$\|^arch_specific_syscall$' | sort -u)
  {
    echo '#include <stdio.h>'
    echo "#include \"$header\""
    echo 'int main(void) {'
    for n in $names; do echo "  printf(\"  $n: %d,\\n\", (int)(__NR_$n));"; done
    echo '  return 0; }'
  } > "$work/$1.c"
  gcc -o "$work/$1" "$work/$1.c"
  "$work/$1" | sort -t: -k2 -n
}

# Calls newer than the headers: since Linux 5.1 (number 424 on) every architecture uses the same
# numbers, so these are right for both (include/uapi/asm-generic/unistd.h of Linux 6.10).
NEWER='cachestat:451 fchmodat2:452 map_shadow_stack:453 futex_wake:454 futex_wait:455 futex_requeue:456
statmount:457 listmount:458 lsm_get_self_attr:459 lsm_set_self_attr:460 lsm_list_modules:461 mseal:462'
newer() {
  for pair in $NEWER; do
    grep -q "^  ${pair%%:*}:" "$1" || echo "  ${pair%%:*}: ${pair##*:},"
  done
}

table x86_64 '#include <asm/unistd_64.h>' > "$work/x86_64.txt"
table aarch64 "$AARCH64_PRELUDE" > "$work/aarch64.txt"
{
  echo "/**"
  echo " * System call numbers by name, for x86_64 and aarch64: what a seccomp filter compares (the"
  echo " * config names calls, the kernel passes numbers). Made by scripts/gen-syscall-table.sh from the"
  echo " * kernel headers of linux-libc-dev $(dpkg-query -W -f '${Version}' linux-libc-dev 2>/dev/null || echo '?'); do not edit."
  echo " */"
  echo "/* eslint-disable */"
  echo "export const X86_64: Record<string, number> = {"
  cat "$work/x86_64.txt"; newer "$work/x86_64.txt"
  echo "};"
  echo ""
  echo "export const AARCH64: Record<string, number> = {"
  cat "$work/aarch64.txt"; newer "$work/aarch64.txt"
  echo "};"
} > "$out"
echo "gen-syscall-table: $out: $(grep -c ': [0-9]' "$out") entries"

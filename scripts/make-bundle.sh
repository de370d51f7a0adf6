#!/bin/sh
# Build the sample bundle's root filesystem, bundle/rootfs, from Debian's busybox-static:
# one statically linked binary that is sh, ls, ps, mount, ... (one symlink per command).
# Nothing is downloaded except the Debian package, when it is missing.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
rootfs=${1:-$here/bundle/rootfs}

busybox=/bin/busybox
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  echo "make-bundle: installing busybox-static (a statically linked busybox)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi

mkdir -p "$rootfs"
cd "$rootfs"
mkdir -p bin sbin usr/bin usr/sbin dev proc sys tmp etc root run var/tmp home
# Mount points of the recipes in examples/: made here, so that running them never has to make
# directories in this shared rootfs.
mkdir -p scratch home/agent
chmod 1777 tmp var/tmp
cp "$busybox" bin/busybox
# One symlink per applet: bin/sh -> busybox, bin/ls -> busybox, ...
for applet in $(bin/busybox --list); do
  [ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
done
cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
learner:x:1000:1000:a user without privileges:/home:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
tty:x:5:
learner:x:1000:
nogroup:x:65534:
GROUP
echo "nk-runtime sample rootfs (busybox $(bin/busybox | head -1 | cut -d' ' -f2))" > etc/motd
# The sample container's program (bundle/config.json runs it): a few looks at its own world.
cat > bin/nk-hello <<'HELLO'
#!/bin/sh
echo "Hello from $(hostname). I am PID $$, running as $(id -un)."
echo "The processes I can see:"
ps -o pid,user,args
echo "My network interfaces: $(ls /sys/class/net)"
echo "My root directory: $(ls / | tr '\n' ' ')"
HELLO
chmod 755 bin/nk-hello
echo "make-bundle: rootfs ready in $rootfs ($(ls bin | wc -l) commands)"

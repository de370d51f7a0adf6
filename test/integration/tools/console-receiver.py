#!/usr/bin/env python3
"""The other end of --console-socket, for the terminal tests: what containerd's shim and podman's
conmon do. Listens on a unix socket, receives the pty master fd that nk-runtime sends
(SCM_RIGHTS), optionally types some bytes into the terminal after a delay, and prints everything
the program wrote until the terminal closes.

    console-receiver.py SOCKET [DELAY_SECONDS BYTES]     (BYTES with Python escapes, e.g. '\\x03')
"""
import os
import socket
import sys
import time

path = sys.argv[1]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
print("listening", flush=True, file=sys.stderr)
server.settimeout(30)
conn, _ = server.accept()
_, fds, _, _ = socket.recv_fds(conn, 1, 1)
master = fds[0]
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[2]))
    os.write(master, sys.argv[3].encode().decode("unicode_escape").encode("latin-1"))
output = b""
while True:
    try:
        data = os.read(master, 4096)
    except OSError:  # EIO: every slave fd is closed, the program is gone
        break
    if not data:
        break
    output += data
sys.stdout.write(output.decode(errors="replace"))

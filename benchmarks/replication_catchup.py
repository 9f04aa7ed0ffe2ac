#!/usr/bin/env python3
# replication_catchup.py PORT LAST_SEQ: subscribes to a running `walkv serve --port PORT` with
# `replicate` from seq 1, parses every frame and stops at the first heartbeat whose digest_seq is
# LAST_SEQ; prints RECORDS frames, record bytes, time and throughput (docs/performance.md,
# "Replication stream catch-up"). Measures; asserts nothing.
import json, socket, struct, sys, time
port, target = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
t0 = time.monotonic()
s.sendall(b'{"id":1,"method":"replicate","kwargs":{"from_seq":"1"}}\n')
buf = b""
while b"\n" not in buf:
    buf += s.recv(1 << 20)
line, buf = buf.split(b"\n", 1)
frames = 0; rec_bytes = 0
while True:
    while len(buf) < 5:
        buf += s.recv(1 << 20)
    kind, length = buf[0], struct.unpack("<I", buf[1:5])[0]
    while len(buf) < 5 + length:
        buf += s.recv(1 << 20)
    body = buf[5:5 + length]; buf = buf[5 + length:]
    if kind == 1:
        frames += 1; rec_bytes += length
    elif kind == 2:
        last, dseq, d, ms = struct.unpack("<QQQQ", body)
        if dseq >= target:
            break
dt = time.monotonic() - t0
print(f"frames={frames} bytes={rec_bytes} time={dt:.3f}s {rec_bytes/dt/2**20:.1f} MiB/s {target/dt:,.0f} records/s")

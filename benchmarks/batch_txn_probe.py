#!/usr/bin/env python3
# batch_txn_probe.py PORT: against a running `walkv serve --port PORT` (fsync always), compares
# N single `set` requests with N/10 `batch` requests of 10 sets (fsyncs from `info persistence`),
# then times 4 clients each doing 250 txn-based increments (get, then txn compare-value-then-set,
# retried when the compare fails) and prints the final count. Measures; asserts nothing.
# One connection, requests sent one at a time (no pipelining).
import json, socket, time, threading, sys
PORT = int(sys.argv[1])
class C:
    def __init__(s):
        s.sock = socket.create_connection(("127.0.0.1", PORT)); s.f = s.sock.makefile("rb"); s.id = 0
    def call(s, method, args=None, kwargs=None):
        s.id += 1
        req = {"id": s.id, "method": method, "args": args or []}
        if kwargs: req["kwargs"] = kwargs
        s.sock.sendall((json.dumps(req) + "\n").encode())
        r = json.loads(s.f.readline())
        if "error" in r: raise RuntimeError(r)
        return r["result"]
c = C()
def fsyncs(): return c.call("info", ["persistence"])["persistence"]["fsync_count"]
N = 2000
f0 = fsyncs(); t0 = time.perf_counter()
for i in range(N): c.call("set", ["s%d" % i, "v"])
t1 = time.perf_counter(); f1 = fsyncs()
print(f"{N} single sets: {t1-t0:.3f} s, {f1-f0} fsyncs, {N/(t1-t0):.0f} keys/s")
f0 = fsyncs(); t0 = time.perf_counter()
for b in range(N // 10): c.call("batch", [[["set", "b%d_%d" % (b, j), "v"] for j in range(10)]])
t1 = time.perf_counter(); f1 = fsyncs()
print(f"{N//10} batches of 10 sets: {t1-t0:.3f} s, {f1-f0} fsyncs, {N/(t1-t0):.0f} keys/s")
K, M = 4, 250
retries = [0] * K
def worker(k):
    cl = C()
    done = 0
    while done < M:
        cur = cl.call("get", ["ctr"])
        n = 0 if cur is None else int(cur)
        r = cl.call("txn", [[["value", "ctr", cur]], [["set", "ctr", str(n + 1)]]])
        if r["succeeded"]: done += 1
        else: retries[k] += 1
t0 = time.perf_counter()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(K)]
[t.start() for t in ts]; [t.join() for t in ts]
t1 = time.perf_counter()
print(f"{K} clients x {M} txn increments: ctr={c.call('get', ['ctr'])} in {t1-t0:.3f} s, {sum(retries)} failed compares retried")

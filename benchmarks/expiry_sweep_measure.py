import socket, json, time, sys
N=int(sys.argv[1]); port=int(sys.argv[2])
s=socket.create_connection(('127.0.0.1',port)); f=s.makefile('rwb')
def call(m,a):
    f.write((json.dumps({"id":0,"method":m,"args":a})+"\n").encode()); f.flush(); return json.loads(f.readline())
t0=time.time()
for i in range(N):
    f.write((json.dumps({"id":i,"method":"set","args":["k%d"%i,"v","PX","100"]})+"\n").encode())
f.flush()
for i in range(N): f.readline()
t1=time.time()
print("wrote %d keys with PX 100 in %.2f s" % (N, t1-t1+ (t1-t0)))
print("dbsize right after:", call("dbsize",[])["result"], " keys *:", len(call("keys",[])["result"]))
while True:
    n=call("dbsize",[])["result"]
    if n==0: break
    time.sleep(0.05)
t2=time.time()
print("all reclaimed by the sweep %.2f s after the last write (%.0f keys/s)" % (t2-t1, N/(t2-t1)))

"""The article's TCP remote-shell server (九), as a test peer.

recv(1024) is the command; it runs in a shell; stderr then stdout are sent back in two
sends. Listens on the port given as the first argument and prints 'listening on HOST:PORT'.
"""
import socket
import subprocess
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(5)
print('listening on %s:%s' % s.getsockname(), flush=True)

while True:
    conn, addr = s.accept()
    while True:
        cmd = conn.recv(1024)
        if len(cmd) == 0:
            break
        res = subprocess.Popen(cmd.decode('utf-8'), shell=True,
                               stdout=subprocess.PIPE,
                               stdin=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        stderr = res.stderr.read()
        stdout = res.stdout.read()
        conn.send(stderr)
        conn.send(stdout)
    conn.close()

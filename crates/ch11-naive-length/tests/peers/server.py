"""The article's naive-length server (十一), as a test peer.

Runs the command, sends the length of stderr (if any) or stdout as text, waits for
b'recv_ready', then sendall()s the data. Prints 'listening on HOST:PORT' first.
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
        msg = conn.recv(1024)
        if not msg:
            break
        res = subprocess.Popen(msg.decode('utf-8'), shell=True,
                               stdin=subprocess.PIPE,
                               stderr=subprocess.PIPE,
                               stdout=subprocess.PIPE)
        err = res.stderr.read()
        if err:
            ret = err
        else:
            ret = res.stdout.read()
        data_length = len(ret)
        conn.send(str(data_length).encode('utf-8'))
        data = conn.recv(1024).decode('utf-8')
        if data == 'recv_ready':
            conn.sendall(ret)
    conn.close()

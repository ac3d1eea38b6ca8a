"""The article's improved TCP server (七), as a test peer: link loop + comm loop.

Same bytes on the wire as the article's: it echoes each recv(1024) in upper case.
It listens on the port given as its first argument (0 picks a free one) and prints
'listening on HOST:PORT' first, like the Rust servers, so the tests can find it.
"""
import socket
import sys

BUFSIZE = 1024
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(5)
print('listening on %s:%s' % s.getsockname(), flush=True)

while True:
    conn, addr = s.accept()
    print('call from %s' % addr[0], flush=True)
    while True:
        msg = conn.recv(BUFSIZE)
        if len(msg) == 0:
            break
        print(msg, flush=True)
        conn.send(msg.upper())
    conn.close()

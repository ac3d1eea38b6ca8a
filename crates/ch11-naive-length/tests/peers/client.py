"""The article's naive-length client (十一), as a test peer, bug included.

Sends the command, reads the length with recv(1024), answers recv_ready, then loops on
recv(1024) until it has 'length' bytes. The article counts with recv_size += len(data),
where data is everything received so far, not the last chunk: for a reply longer than one
recv, it stops too early. That bug is kept here on purpose; the tests show its effect.
"""
import socket
import sys

host, port = sys.argv[1].rsplit(':', 1)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, int(port)))

for line in sys.stdin:
    msg = line.strip()
    if len(msg) == 0:
        continue
    if msg == 'quit':
        break
    s.send(msg.encode('utf-8'))
    length = int(s.recv(1024).decode('utf-8'))
    s.send('recv_ready'.encode('utf-8'))
    recv_size = 0
    data = b''
    while recv_size < length:
        data += s.recv(1024)
        recv_size += len(data)  # the article's bug: should be the length of the last chunk
    print('[%d bytes]' % len(data), flush=True)
    print(data.decode('utf-8'), end='', flush=True)

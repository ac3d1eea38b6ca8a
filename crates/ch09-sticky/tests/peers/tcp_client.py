"""The article's TCP remote-shell client (九), as a test peer.

Reads commands from stdin instead of input('>>: '); otherwise the same: send the command,
take one recv(1024) as the reply, print it decoded.
"""
import socket
import sys

BUFSIZE = 1024
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
    act_res = s.recv(BUFSIZE)
    print(act_res.decode('utf-8'), end='', flush=True)
s.close()

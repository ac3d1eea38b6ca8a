"""The article's improved TCP client (七), as a test peer.

Reads lines from stdin instead of input('>>: ') so tests can drive it; otherwise the same:
strip, skip empty lines, send, recv(1024), print the decoded answer.
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
    s.send(msg.encode('utf-8'))
    feedback = s.recv(BUFSIZE)
    print(feedback.decode('utf-8'), flush=True)

s.close()

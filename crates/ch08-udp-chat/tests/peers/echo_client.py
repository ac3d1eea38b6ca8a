"""The article's first UDP client (六 简单演示udp), as a test peer.

Reads lines from stdin instead of input('>>: ') so tests can drive it; otherwise the same:
no strip and no check, so an empty line is sent as an empty datagram; sendto, recvfrom(1024),
print the answer's bytes. The server's address is the first argument, HOST:PORT.
"""
import socket
import sys

host, port = sys.argv[1].rsplit(':', 1)
phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

for line in sys.stdin:
    msg = line.rstrip('\n')  # what input() returns
    phone.sendto(msg.encode('utf-8'), (host, int(port)))
    msg, addr = phone.recvfrom(1024)
    print(msg, flush=True)

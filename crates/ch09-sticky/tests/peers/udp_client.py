"""The article's UDP remote-shell client (九), as a test peer.

Sends each stdin line as one datagram and prints one recvfrom(1024) as the reply, with a
'[N bytes]' line before it so the test can see empty replies.
"""
import socket
import sys

host, port = sys.argv[1].rsplit(':', 1)
udp_client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_client.settimeout(10)

for line in sys.stdin:
    msg = line.strip()
    udp_client.sendto(msg.encode('utf-8'), (host, int(port)))
    data, addr = udp_client.recvfrom(1024)
    print('[%d bytes]' % len(data), flush=True)
    print(data.decode('utf-8'), end='', flush=True)

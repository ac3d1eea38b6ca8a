"""The article's simple UDP server (八 udp套接字简单示例), as a test peer.

Same bytes on the wire as the article's: each recvfrom(1024) goes back upper-cased to its
sender. It binds the port given as its first argument (0 picks a free one) and prints
'listening on HOST:PORT' first, like the Rust servers, so the tests can find it.
"""
import socket
import sys

BUFSIZE = 1024
udp_server_client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_server_client.bind(('127.0.0.1', int(sys.argv[1])))
print('listening on %s:%s' % udp_server_client.getsockname(), flush=True)

while True:
    msg, addr = udp_server_client.recvfrom(BUFSIZE)
    print(msg, addr, flush=True)
    udp_server_client.sendto(msg.upper(), addr)

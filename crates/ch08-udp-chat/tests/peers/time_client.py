"""The article's time client (八 ntp客户端), as a test peer.

Reads formats from stdin instead of input('请输入时间格式(例%Y %m %d)>>: ') so tests can drive
it; otherwise the same: strip, sendto (an empty format too), recv(1024), print the decoded
answer. The server's address is the first argument, HOST:PORT.
"""
import socket
import sys

host, port = sys.argv[1].rsplit(':', 1)
udp_client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

for line in sys.stdin:
    msg = line.strip()
    udp_client.sendto(msg.encode('utf-8'), (host, int(port)))
    data = udp_client.recv(1024)
    print(data.decode('utf-8'), flush=True)

udp_client.close()

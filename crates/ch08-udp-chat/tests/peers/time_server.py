"""The article's time server (八 时间服务器, its "ntp服务端"), as a test peer.

Same bytes on the wire: the datagram is a strftime format, an empty one means '%Y-%m-%d %X',
the answer is time.strftime of it. It binds the port given as its first argument and prints
'listening on HOST:PORT' first. (The article names this UDP socket tcp_server.)
"""
import socket
import sys
from time import strftime

udp_server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_server.bind(('127.0.0.1', int(sys.argv[1])))
print('listening on %s:%s' % udp_server.getsockname(), flush=True)

while True:
    msg, addr = udp_server.recvfrom(1024)
    print('===>', msg, flush=True)
    if not msg:
        time_fmt = '%Y-%m-%d %X'
    else:
        time_fmt = msg.decode('utf-8')
    back_msg = strftime(time_fmt)
    udp_server.sendto(back_msg.encode('utf-8'), addr)

"""The article's QQ chat server (八 qq聊天), as a test peer.

Reads each reply from stdin instead of input('回复消息: ') so tests can drive it (and so no
prompt lands in its output); otherwise the same: recvfrom(1024), print who sent what with the
article's colour codes, strip the reply, sendto the sender. It binds the port given as its
first argument and prints 'listening on HOST:PORT' first.
"""
import socket
import sys

udp_server_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # 买手机
udp_server_sock.bind(('127.0.0.1', int(sys.argv[1])))
print('listening on %s:%s' % udp_server_sock.getsockname(), flush=True)

while True:
    qq_msg, addr = udp_server_sock.recvfrom(1024)
    print('来自[%s:%s]的一条消息:\033[1;44m%s\033[0m' % (addr[0], addr[1], qq_msg.decode('utf-8')), flush=True)
    back_msg = sys.stdin.readline().strip()
    udp_server_sock.sendto(back_msg.encode('utf-8'), addr)

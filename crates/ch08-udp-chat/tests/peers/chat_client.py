"""The article's QQ chat client (八 udp客户端1), as a test peer.

Reads lines from stdin instead of the two input() prompts so tests can drive it; otherwise
the same, including the article's order of checks: the name is checked only when a message
is sent. All four contacts are at the address given as the first argument, HOST:PORT.
"""
import socket
import sys

BUFSIZE = 1024
host, port = sys.argv[1].rsplit(':', 1)
udp_client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

qq_name_dic = {
    '狗哥alex': (host, int(port)),
    '瞎驴': (host, int(port)),
    '一棵树': (host, int(port)),
    '武大郎': (host, int(port)),
}

lines = (line.strip() for line in sys.stdin)
for qq_name in lines:
    for msg in lines:
        if msg == 'quit':
            break
        if not msg or not qq_name or qq_name not in qq_name_dic:
            continue
        udp_client_socket.sendto(msg.encode('utf-8'), qq_name_dic[qq_name])

        back_msg, addr = udp_client_socket.recvfrom(BUFSIZE)
        print('来自[%s:%s]的一条消息:\033[1;44m%s\033[0m' % (addr[0], addr[1], back_msg.decode('utf-8')), flush=True)

udp_client_socket.close()

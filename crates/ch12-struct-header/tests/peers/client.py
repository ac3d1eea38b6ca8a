"""The article's final remote-shell client (十二, 客户端: 定制稍微复杂一点的报头), as a test peer.

Sends the command, reads 4 bytes and struct.unpack('i') them, reads that many bytes of JSON
header, then data_size bytes of data. Two fixes to the article, both in its errata: every
fixed-size read loops until it has all its bytes, and the data loop counts each chunk
(the article adds len(recv_data), the whole buffer so far).
"""
import json
import socket
import struct
import sys


def recv_exactly(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError('cut off after %d of %d bytes' % (len(data), n))
        data += chunk
    return data


host, port = sys.argv[1].rsplit(':', 1)
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, int(port)))

for line in sys.stdin:
    cmd = line.strip()
    if not cmd:
        continue
    client.send(bytes(cmd, encoding='utf-8'))

    head = recv_exactly(client, 4)
    head_json_len = struct.unpack('i', head)[0]
    head_json = json.loads(recv_exactly(client, head_json_len).decode('utf-8'))
    data_len = head_json['data_size']

    recv_data = recv_exactly(client, data_len)
    print('[%d bytes]' % len(recv_data), flush=True)
    print(recv_data.decode('utf-8'), end='', flush=True)

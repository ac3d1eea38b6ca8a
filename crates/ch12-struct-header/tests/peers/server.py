"""The article's final remote-shell server (十二, 服务端: 定制稍微复杂一点的报头), as a test peer.

Runs the command; sends struct.pack('i', len(header)), the JSON header {"data_size": N}, and
the data (stderr if any, else stdout), in three sends, as the article does. Prints
'listening on HOST:PORT' first.
"""
import json
import socket
import struct
import subprocess
import sys

phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
phone.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
phone.bind(('127.0.0.1', int(sys.argv[1])))
phone.listen(5)
print('listening on %s:%s' % phone.getsockname(), flush=True)

while True:
    conn, addr = phone.accept()
    while True:
        cmd = conn.recv(1024)
        if not cmd:
            break
        res = subprocess.Popen(cmd.decode('utf-8'), shell=True,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        err = res.stderr.read()
        if err:
            back_msg = err
        else:
            back_msg = res.stdout.read()

        headers = {'data_size': len(back_msg)}
        head_json = json.dumps(headers)
        head_json_bytes = bytes(head_json, encoding='utf-8')

        conn.send(struct.pack('i', len(head_json_bytes)))
        conn.send(head_json_bytes)
        conn.sendall(back_msg)
    conn.close()

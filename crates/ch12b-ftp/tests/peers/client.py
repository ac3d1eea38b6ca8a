"""The article's FTP client (十二, FTP作业: MYTCPClient), as a test peer.

Commands come from stdin, one a line (the article reads them with input('>>: ')); only put
exists. It sends struct.pack('i', len(header)), the JSON header {"cmd", "filename",
"filesize"} and then the file line by line with send(), printing a count after each line,
and it never reads a reply: exactly the article's bytes. Run as: client.py HOST:PORT
"""
import json
import os
import socket
import struct
import sys


class MYTCPClient:
    address_family = socket.AF_INET
    socket_type = socket.SOCK_STREAM
    coding = 'utf-8'

    def __init__(self, server_address):
        self.server_address = server_address
        self.socket = socket.socket(self.address_family, self.socket_type)
        self.socket.connect(self.server_address)

    def run(self):
        for inp in sys.stdin:
            inp = inp.strip()
            if not inp:
                continue
            l = inp.split()
            cmd = l[0]
            if hasattr(self, cmd):
                func = getattr(self, cmd)
                func(l)

    def put(self, args):
        cmd = args[0]
        filename = args[1]
        if not os.path.isfile(filename):
            print('file:%s is not exists' % filename)
            return
        else:
            filesize = os.path.getsize(filename)

        head_dic = {'cmd': cmd, 'filename': os.path.basename(filename), 'filesize': filesize}
        print(head_dic)
        head_json = json.dumps(head_dic)
        head_json_bytes = bytes(head_json, encoding=self.coding)

        head_struct = struct.pack('i', len(head_json_bytes))
        self.socket.send(head_struct)
        self.socket.send(head_json_bytes)
        send_size = 0
        with open(filename, 'rb') as f:
            for line in f:
                self.socket.send(line)
                send_size += len(line)
                print(send_size)
            else:
                print('upload successful')


host, port = sys.argv[1].rsplit(':', 1)
client = MYTCPClient((host, int(port)))
client.run()

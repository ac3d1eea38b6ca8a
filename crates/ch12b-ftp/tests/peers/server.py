"""The article's FTP server (十二, FTP作业: MYTCPServer), as a test peer and a benchmark baseline.

recv(4), struct.unpack('i'), the JSON header, then the method named by cmd; put reads the
file with recv(8192), writes each piece and prints a line for it, as the article does. It
sends no reply. It keeps the article's os.path.join(server_dir, filename), so '../x' escapes
server_dir (see the errata). Three changes, each marked: it prints 'listening on HOST:PORT'
first, the header is read in full (recv(head_len) may return less), and a client that
vanishes mid-file ends the put (the article's loop would spin on b'' for ever).
Run as: server.py PORT SERVER_DIR
"""
import json
import os
import socket
import struct
import sys


class MYTCPServer:
    address_family = socket.AF_INET
    socket_type = socket.SOCK_STREAM
    allow_reuse_address = False
    max_packet_size = 8192
    coding = 'utf-8'
    request_queue_size = 5
    server_dir = sys.argv[2]

    def __init__(self, server_address):
        self.server_address = server_address
        self.socket = socket.socket(self.address_family, self.socket_type)
        self.server_bind()
        self.server_activate()

    def server_bind(self):
        if self.allow_reuse_address:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()

    def server_activate(self):
        self.socket.listen(self.request_queue_size)
        print('listening on %s:%s' % self.server_address, flush=True)  # changed

    def get_request(self):
        return self.socket.accept()

    def recv_exactly(self, n):  # changed: the article's recv(head_len) may return less
        data = b''
        while len(data) < n:
            chunk = self.conn.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def run(self):
        while True:
            self.conn, self.client_addr = self.get_request()
            print('from client ', self.client_addr)
            while True:
                try:
                    head_struct = self.conn.recv(4)
                    if not head_struct: break

                    head_len = struct.unpack('i', head_struct)[0]
                    head_json = self.recv_exactly(head_len).decode(self.coding)
                    head_dic = json.loads(head_json)

                    print(head_dic)
                    cmd = head_dic['cmd']
                    if hasattr(self, cmd):
                        func = getattr(self, cmd)
                        func(head_dic)
                except Exception:
                    break

    def put(self, args):
        file_path = os.path.normpath(os.path.join(
            self.server_dir,
            args['filename']
        ))

        filesize = args['filesize']
        recv_size = 0
        print('----->', file_path)
        with open(file_path, 'wb') as f:
            while recv_size < filesize:
                recv_data = self.conn.recv(self.max_packet_size)
                if not recv_data: raise EOFError  # changed
                f.write(recv_data)
                recv_size += len(recv_data)
                print('recvsize:%s filesize:%s' % (recv_size, filesize))
        print('stored', file_path)  # added: what the tests wait for


tcpserver1 = MYTCPServer(('127.0.0.1', int(sys.argv[1])))
tcpserver1.run()

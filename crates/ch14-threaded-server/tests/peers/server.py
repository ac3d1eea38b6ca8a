"""The article's threaded FTP server (十四: FtpServer on socketserver.ThreadingTCPServer), as a
test peer.

A thread per client, from Python's socketserver. handle() loops: recv(4), struct.unpack('i'),
the JSON header, then the method named by cmd; put reads recv(1024) at a time and prints a line
for each. It sends no reply. Changes, each marked: port and folder come from the command line,
'listening on HOST:PORT' is printed first, the header is read in full (recv(n) may return
less), and a client that vanishes mid-file ends the put (the article's loop would spin).
Kept on purpose: handle() has no `if not data: break`, so when a client hangs up, recv(4)
returns b'' and struct.unpack raises; socketserver prints the traceback (handle_error) and
closes that connection. Run as: server.py PORT SERVER_DIR
"""
import json
import os
import socketserver
import struct
import sys


def recv_exactly(conn, n):  # changed: the article's recv(data_len) may return less
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class FtpServer(socketserver.BaseRequestHandler):
    coding = 'utf-8'
    server_dir = sys.argv[2]  # changed: the article's is 'file_upload'
    max_packet_size = 1024
    BASE_DIR = os.path.dirname(os.path.abspath(__file__))

    def handle(self):
        print(self.request)
        while True:
            data = self.request.recv(4)
            data_len = struct.unpack('i', data)[0]
            head_json = recv_exactly(self.request, data_len).decode(self.coding)
            head_dic = json.loads(head_json)
            # print(head_dic)
            cmd = head_dic['cmd']
            if hasattr(self, cmd):
                func = getattr(self, cmd)
                func(head_dic)

    def put(self, args):
        file_path = os.path.normpath(os.path.join(
            self.BASE_DIR,
            self.server_dir,
            args['filename']
        ))

        filesize = args['filesize']
        recv_size = 0
        print('----->', file_path)
        with open(file_path, 'wb') as f:
            while recv_size < filesize:
                recv_data = self.request.recv(self.max_packet_size)
                if not recv_data: raise EOFError  # changed
                f.write(recv_data)
                recv_size += len(recv_data)
                print('recvsize:%s filesize:%s' % (recv_size, filesize))
        print('stored', file_path)  # added: what the tests wait for


ftpserver = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), FtpServer)
print('listening on %s:%s' % ftpserver.server_address, flush=True)  # added
ftpserver.serve_forever()

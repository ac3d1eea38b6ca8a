"""The article's server (十三), as a test peer: check the caller with HMAC, then echo.

As in the article, except:
- hmac.new(key, msg, 'sha256'): the article's hmac.new(key, msg) names no digest, which
  Python 3.8+ refuses (TypeError) and older Pythons took to mean MD5;
- the key is the second argument instead of b'linhaifeng bang bang bang', and it listens on
  the port given as the first argument (0 picks a free one), printing 'listening on
  HOST:PORT' first like the Rust servers, so the tests can find it;
- it closes the connection after serving it.
conn.recv(len(digest)) is the article's: it may return fewer bytes (see the lesson's errata),
which on loopback, with a 32-byte answer sent in one piece, does not happen.
"""
import hmac
import os
import sys
from socket import *

secret_key = sys.argv[2].encode('utf-8')


def conn_auth(conn):
    print('开始验证新链接的合法性', flush=True)
    msg = os.urandom(32)
    conn.sendall(msg)
    h = hmac.new(secret_key, msg, 'sha256')
    digest = h.digest()
    respone = conn.recv(len(digest))
    return hmac.compare_digest(respone, digest)


def data_handler(conn, bufsize=1024):
    if not conn_auth(conn):
        print('该链接不合法,关闭', flush=True)
        conn.close()
        return
    print('链接合法,开始通信', flush=True)
    while True:
        data = conn.recv(bufsize)
        if not data:
            break
        print(data, flush=True)
        conn.sendall(data.upper())
    conn.close()


def server_handler(ip_port, bufsize, backlog=5):
    tcp_socket_server = socket(AF_INET, SOCK_STREAM)
    tcp_socket_server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    tcp_socket_server.bind(ip_port)
    tcp_socket_server.listen(backlog)
    print('listening on %s:%s' % tcp_socket_server.getsockname(), flush=True)
    while True:
        conn, addr = tcp_socket_server.accept()
        print('新连接[%s:%s]' % (addr[0], addr[1]), flush=True)
        data_handler(conn, bufsize)


if __name__ == '__main__':
    ip_port = ('127.0.0.1', int(sys.argv[1]))
    bufsize = 1024
    server_handler(ip_port, bufsize)

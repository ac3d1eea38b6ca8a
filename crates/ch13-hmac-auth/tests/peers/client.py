"""The article's legal client (十三, 客户端(合法)), as a test peer.

As in the article, except: hmac.new(key, msg, 'sha256') (the article names no digest, which
Python 3.8+ refuses); the server's HOST:PORT and the key are its two arguments (the article's
illegal client with the wrong key is this one with another key); and it reads lines from stdin
instead of input('>>: '). conn.recv(32) is the article's: it may return fewer bytes.
"""
import hmac
import sys
from socket import *

host, port = sys.argv[1].rsplit(':', 1)
secret_key = sys.argv[2].encode('utf-8')


def conn_auth(conn):
    msg = conn.recv(32)
    h = hmac.new(secret_key, msg, 'sha256')
    digest = h.digest()
    conn.sendall(digest)


def client_handler(ip_port, bufsize=1024):
    tcp_socket_client = socket(AF_INET, SOCK_STREAM)
    tcp_socket_client.connect(ip_port)

    conn_auth(tcp_socket_client)

    for line in sys.stdin:
        data = line.strip()
        if not data:
            continue
        if data == 'quit':
            break

        tcp_socket_client.sendall(data.encode('utf-8'))
        respone = tcp_socket_client.recv(bufsize)
        print(respone.decode('utf-8'), flush=True)
    tcp_socket_client.close()


if __name__ == '__main__':
    ip_port = (host, int(port))
    bufsize = 1024
    client_handler(ip_port, bufsize)

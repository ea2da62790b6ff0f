#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Many short flows for the multi-queue live test (test_dpdk_queues.sh), standard library only.

  mq_traffic.py serve ADDR TCP_PORT UDP_PORT
      echo server: every TCP connection gets its bytes back, then the server closes after the
      client; every UDP datagram is answered with itself. Runs until killed.
  mq_traffic.py client ADDR TCP_PORT UDP_PORT N
      N TCP connections (connect, send 200 bytes, read them back, close) and N UDP exchanges
      from N distinct source ports, all one after the other. Prints "done T U" (flows that
      completed) and exits 0 when every exchange completed.
"""
import socket
import sys
import threading

PAYLOAD = bytes(range(200))


def serve(addr, tport, uport):
    ts = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ts.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ts.bind((addr, tport))
    ts.listen(128)
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.bind((addr, uport))

    def udp_loop():
        while True:
            data, peer = us.recvfrom(2048)
            us.sendto(data, peer)

    def handle(conn):
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                conn.sendall(data)

    threading.Thread(target=udp_loop, daemon=True).start()
    print("ready", flush=True)
    while True:
        conn, _ = ts.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def client(addr, tport, uport, n):
    tcp_ok = udp_ok = 0
    for _ in range(n):
        with socket.create_connection((addr, tport), timeout=5) as c:
            c.sendall(PAYLOAD)
            got = b""
            while len(got) < len(PAYLOAD):
                chunk = c.recv(4096)
                if not chunk:
                    break
                got += chunk
            c.shutdown(socket.SHUT_WR)
            while c.recv(4096):
                pass
            tcp_ok += got == PAYLOAD
    for _ in range(n):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.settimeout(2)
            u.sendto(PAYLOAD[:64], (addr, uport))
            try:
                data, _ = u.recvfrom(2048)
                udp_ok += data == PAYLOAD[:64]
            except socket.timeout:
                pass
    print("done", tcp_ok, udp_ok, flush=True)
    return 0 if tcp_ok == n and udp_ok == n else 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))

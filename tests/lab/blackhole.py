#!/usr/bin/env python3
"""An unresponsive DNS server: accepts UDP and TCP on ADDR:53, reads, never
answers. Stands in for a dead authoritative server so that resolvers meet a
real timeout (a closed port would answer with ICMP and fail fast)."""
import selectors
import socket
import sys

addr = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 53
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((addr, port))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((addr, port))
tcp.listen(64)
sel = selectors.DefaultSelector()
sel.register(udp, selectors.EVENT_READ)
sel.register(tcp, selectors.EVENT_READ)
conns = []
while True:
    for key, _ in sel.select():
        if key.fileobj is udp:
            udp.recvfrom(65535)
        elif key.fileobj is tcp:
            c, _ = tcp.accept()
            conns.append(c)          # held open, never answered
            if len(conns) > 256:     # bounded: drop the oldest
                conns.pop(0).close()

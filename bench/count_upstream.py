#!/usr/bin/env python3
"""Counts the DNS queries a resolver sends to the lab's authoritative
servers, by watching the loopback interface (AF_PACKET, root, inside the
lab's network namespace): UDP datagrams and TCP connections (SYNs) to port
53 of any 127.x address except the resolver's own 127.0.0.1.

    count_upstream.py OUTFILE      runs until SIGTERM, then writes the counts as JSON
"""
import json
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def main():
    out = sys.argv[1]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind(("lo", 0))
    counts = {"udp": 0, "tcp_connections": 0}
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    s.settimeout(0.2)
    with open(out + ".ready", "w"):
        pass
    while running:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] != PACKET_OUTGOING or len(frame) < 14 + 20:
            continue  # loopback shows each packet twice; count it once
        ip = frame[14:]
        if ip[0] >> 4 != 4:
            continue
        ihl = (ip[0] & 0x0F) * 4
        proto = ip[9]
        dst = ip[16:20]
        if dst[0] != 127 or dst == bytes([127, 0, 0, 1]):
            continue
        l4 = ip[ihl:]
        if len(l4) < 14:
            continue
        dport = struct.unpack(">H", l4[2:4])[0]
        if dport != 53:
            continue
        if proto == 17:
            counts["udp"] += 1
        elif proto == 6 and (l4[13] & 0x12) == 0x02:  # SYN without ACK
            counts["tcp_connections"] += 1
    with open(out, "w") as f:
        json.dump(counts, f)


if __name__ == "__main__":
    main()

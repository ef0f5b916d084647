#!/usr/bin/env python3
"""Unloaded latency: sends the queries of a dnsperf-style file ("NAME TYPE"
per line) one at a time over UDP and times each answer.

    latency.py SERVER QUERYFILE [ROUNDS]   prints "answers N p50 US p99 US"

One query in flight, so the number is the server's own turnaround (plus the
same constant Python overhead for every server measured).
"""
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33, "CAA": 257}


def wire(qid, name, qtype):
    out = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1)
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00" + struct.pack(">HH", TYPES[qtype], 1) + b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0)


def main():
    server, qfile = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    queries = [l.split() for l in open(qfile) if l.strip()]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((server, 53))
    s.settimeout(2.0)
    times = []
    qid = 0
    for _ in range(rounds):
        for name, qtype in queries:
            qid = (qid + 1) & 0xFFFF
            msg = wire(qid, name, qtype)
            t0 = time.perf_counter_ns()
            s.send(msg)
            while True:
                try:
                    reply = s.recv(65535)
                except socket.timeout:
                    reply = None
                    break
                if reply[:2] == msg[:2]:
                    break
            if reply is not None:
                times.append((time.perf_counter_ns() - t0) / 1000.0)
    times.sort()
    n = len(times)
    print("answers %d p50 %.0f p99 %.0f" % (n, times[n // 2], times[min(n - 1, (n * 99) // 100)]))


if __name__ == "__main__":
    main()

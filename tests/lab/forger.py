#!/usr/bin/env python3
"""An authoritative server with an off-path forger in front of it, for the
0x20 test (issue 20 §2): over UDP every query gets a forged reply with the
right ID and port but the question's letter case inverted (what a forger who
cannot see the query's 0x20 bits gets wrong), claiming the name is FORGED;
over TCP, which an off-path forger cannot reach, the real answer REAL.

    forger.py ADDR REAL FORGED [PORT]

Answers every A question with one A record (TTL 300), with AA set; anything
else NODATA. Only loopback addresses: the lab never points outside."""
import ipaddress
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labserver  # noqa: E402

addr, real, forged = sys.argv[1], sys.argv[2], sys.argv[3]
port = int(sys.argv[4]) if len(sys.argv) > 4 else 53
for a in (addr, real, forged):
    assert ipaddress.ip_address(a) in ipaddress.ip_network("127.0.0.0/8"), a


def question_end(q):
    pos = 12
    while q[pos] != 0:
        pos += 1 + q[pos]
    return pos + 5  # the root label, QTYPE, QCLASS


def answer(q, address, invert_case):
    end = question_end(q)
    qname = bytearray(q[12:end - 4])
    if invert_case:
        qname = bytearray(c ^ 0x20 if chr(c).isalpha() else c for c in qname)
    qtype = struct.unpack("!H", q[end - 4:end - 2])[0]
    flags = 0x8400 | (struct.unpack("!H", q[2:4])[0] & 0x0100)  # QR, AA, RD copied
    records = b""
    if qtype == 1:
        records = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton(address)
    header = q[0:2] + struct.pack("!HHHHH", flags, 1, 1 if records else 0, 0, 0)
    return header + bytes(qname) + q[end - 4:end] + records


def reply(q, over_tcp):
    # Over UDP the forger's reply wins the race; over TCP only the server speaks.
    return answer(q, real, False) if over_tcp else answer(q, forged, True)


labserver.serve(addr, port, reply)

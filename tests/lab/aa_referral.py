#!/usr/bin/env python3
"""A misbehaving front end: forwards every query to an authoritative server
(NSD) and sets AA on the referrals it gets back, as some load balancers and
servers do (issue 21 §2). A correct resolver still takes them for referrals:
no answer for the name, the child's NS set in the authority section, no SOA.

    aa_referral.py ADDR UPSTREAM [PORT]

NSD sets AA on everything it answers for its own zones (NODATA and NXDOMAIN
included) and clears it only on referrals, so a NOERROR reply with an empty
answer section and AA clear is a referral. Only loopback addresses."""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labserver  # noqa: E402

addr, upstream = sys.argv[1], sys.argv[2]
port = int(sys.argv[3]) if len(sys.argv) > 3 else 53
labserver.check_loopback(upstream)


def answer(q, over_tcp):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(q, (upstream, 53))
        r = bytearray(s.recv(65535))
    flags, _, ancount, nscount = struct.unpack("!HHHH", r[2:10])
    if flags & 0x000F == 0 and not flags & 0x0400 and ancount == 0 and nscount > 0:
        struct.pack_into("!H", r, 2, flags | 0x0400)
    if not over_tcp and len(r) > 1232:
        return None
    return bytes(r)


labserver.serve(addr, port, answer)

"""A small UDP+TCP DNS server loop for the lab's scripted servers
(forger.py, aa_referral.py): `serve(addr, port, answer)` binds ADDR:PORT and
calls answer(query_bytes, over_tcp) for each query; the reply it returns is
sent (None: nothing is sent). Malformed queries and dropped connections are
skipped, never fatal. Only loopback addresses: the lab never points outside."""
import ipaddress
import selectors
import socket
import struct


def check_loopback(addr):
    assert ipaddress.ip_address(addr) in ipaddress.ip_network("127.0.0.0/8"), addr


def serve(addr, port, answer):
    check_loopback(addr)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, port))
    tcp.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ)
    sel.register(tcp, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            try:
                if key.fileobj is udp:
                    q, peer = udp.recvfrom(65535)
                    r = answer(q, False)
                    if r is not None:
                        udp.sendto(r, peer)
                else:
                    c, _ = tcp.accept()
                    c.settimeout(2)
                    with c:
                        n = struct.unpack("!H", c.recv(2, socket.MSG_WAITALL))[0]
                        q = c.recv(n, socket.MSG_WAITALL)
                        r = answer(q, True)
                        if r is not None:
                            c.sendall(struct.pack("!H", len(r)) + r)
            except (OSError, IndexError, struct.error):
                pass  # a malformed query or a dropped connection: next one

#!/usr/bin/env python3
"""Writes part of the shared test corpus: malformed/, fuzz/message/ and
fuzz/name/. Run from this folder (tests/corpus); the output is committed, and
running it again rewrites those three folders' files byte for byte.

malformed/*.hex  hostile or broken messages, each with '# expect: <Error>'
                 (names of vigil::dns::Error without the k), read by the
                 protocol and query-handler unit tests (tests/support/corpus.h)
                 and sent raw to vigild by tests/vigild_test.py.
fuzz/message/    valid messages in binary: the protocol unit tests' valid
                 messages, and seeds for message_fuzzer, query_handler_fuzzer,
                 query_log_format_fuzzer and dnstap_fuzzer.
fuzz/name/       presentation-format names, seeds for name_fuzzer.

fuzz/config/, fuzz/policy_feed/ and fuzz/dga_model/ are not written here:
those seed files are committed as they are.
"""
import os
import struct


def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(id_=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", id_, flags, qd, an, ns, ar)


def question(n="example.com.", t=1, c=1):
    return name(n) + struct.pack("!HH", t, c)


def rr(owner, t, ttl, rdata, c=1):
    return owner + struct.pack("!HHIH", t, c, ttl, len(rdata)) + rdata


def opt(payload=1232, options=b"", owner=b"\0", ttl=0):
    return owner + struct.pack("!HHIH", 41, payload, ttl, len(options)) + options


def write_hex(path, expect, description, data):
    with open(path, "w") as f:
        f.write(f"# expect: {expect}\n# {description}\n")
        for i in range(0, len(data), 16):
            f.write(data[i:i + 16].hex(" ") + "\n")


def pointer_chain(hops):
    """An opaque record whose RDATA holds a root label and a chain of pointers,
    each to the one before; a second record's owner points at the last."""
    r0 = 12 + len(Q) + 1 + 10  # RDATA offset of the first record (root owner)
    chain = b"\0" + b"".join(struct.pack("!H", 0xC000 | (r0 if i == 0 else r0 + 1 + 2 * (i - 1)))
                              for i in range(hops))
    last = r0 + 1 + 2 * (hops - 1)
    return (header(an=2) + Q + rr(b"\0", 65280, 0, chain)
            + rr(struct.pack("!H", 0xC000 | last), 1, 0, b"\x7f\0\0\1"))


Q = question()
malformed = {
    "zero_length": ("Truncated", "an empty datagram", b""),
    "short_header": ("Truncated", "11 octets: less than a header", header()[:11]),
    "qdcount_too_large": ("Truncated", "QDCOUNT 5 but one question", header(qd=5) + Q),
    "ancount_too_large": ("Truncated", "ANCOUNT 1 but no answer", header(an=1) + Q),
    "counts_65535": ("Truncated", "every count 65535 in a tiny message",
                     header(qd=65535, an=65535, ns=65535, ar=65535) + Q),
    "question_cut": ("Truncated", "question name without type and class", header() + name("example.com.")),
    "label_64": ("BadLabelType", "a 64-octet label (length 0x40 is a reserved label type)",
                 header() + bytes([64]) + b"a" * 64 + b"\0" + struct.pack("!HH", 1, 1)),
    "label_type_10": ("BadLabelType", "label type 0x80", header() + b"\x80\0" + struct.pack("!HH", 1, 1)),
    "name_256": ("NameTooLong", "five 63-octet labels in place (321 octets)",
                 header() + (bytes([63]) + b"x" * 63) * 5 + b"\0" + struct.pack("!HH", 1, 1)),
    "pointer_to_itself": ("BadPointer", "question name is a pointer to its own offset",
                          header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1)),
    "forward_pointer": ("BadPointer", "pointer to a later offset",
                        header() + b"\xc0\x12" + struct.pack("!HH", 1, 1) + name("a.")),
    "pointer_out_of_bounds": ("BadPointer", "pointer past the end of the message",
                              header() + b"\xff\xff" + struct.pack("!HH", 1, 1)),
    "compression_loop": ("BadPointer", "two names pointing into each other",
                         header(an=1) + b"\x01a\xc0\x1b" + struct.pack("!HH", 1, 1)
                         + b"\x01b\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + b"\x7f\0\0\1"),
    "pointer_chain_200": ("TooManyPointers", "owner name reached through a chain of 200 pointers",
                          pointer_chain(200)),
    "trailing_garbage": ("TrailingData", "a valid query followed by 3 octets", header() + Q + b"abc"),
    "rdlength_past_end": ("Truncated", "RDLENGTH larger than the rest of the message",
                          header(an=1) + Q + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 40) + b"\x7f\0\0\1"),
    "a_rdata_5_octets": ("BadRdata", "an A record with 5 octets of RDATA",
                         header(an=1) + Q + rr(b"\xc0\x0c", 1, 60, b"\x7f\0\0\1\0")),
    "ns_rdata_cut": ("BadRdata", "an NS record whose name runs past RDLENGTH",
                     header(an=1) + Q + rr(b"\xc0\x0c", 2, 60, b"\x03abc\x03ab") + b"c\0"),
    "opt_in_answer": ("OptNotInAdditional", "an OPT record in the answer section",
                      header(an=1) + Q + opt()),
    "opt_in_authority": ("OptNotInAdditional", "an OPT record in the authority section",
                         header(ns=1) + Q + opt()),
    "opt_twice": ("MultipleOpt", "two OPT records", header(ar=2) + Q + opt() + opt()),
    "opt_owner_not_root": ("BadOptOwner", "OPT owned by example.com.",
                           header(ar=1) + Q + opt(owner=b"\xc0\x0c")),
    "opt_option_overruns": ("BadOptRdata", "an EDNS option longer than the OPT RDATA",
                            header(ar=1) + Q + opt(options=struct.pack("!HH", 10, 8) + b"\1\2\3\4")),
    "opt_option_header_cut": ("BadOptRdata", "3 octets of option header",
                              header(ar=1) + Q + opt(options=b"\0\x0a\0")),
}

valid = {
    "query_a": header() + Q,
    "query_edns_cookie": header(ar=1) + question("www.example.org.", 28)
    + opt(options=struct.pack("!HH", 10, 8) + b"\1\2\3\4\5\6\7\x08"),
    "response_cname_chain": header(flags=0x8180, an=3) + question("www.example.com.")
    + rr(b"\xc0\x0c", 5, 300, name("cdn.example.net."))
    + rr(name("cdn.example.net."), 5, 60, name("edge.example.net."))
    + rr(name("edge.example.net."), 1, 20, b"\x7f\0\0\x35"),
    "response_nxdomain_soa_ede": header(flags=0x8183, ns=1, ar=1) + question("nope.example.")
    + rr(name("example."), 6, 300, name("ns.example.") + name("host.example.") + struct.pack("!IIIII", 1, 2, 3, 4, 300))
    + opt(options=struct.pack("!HHH", 15, 6, 22) + b"test"),
    "referral_with_glue": header(flags=0x8000, ns=2, ar=2) + question("www.example.com.")
    + rr(name("example.com."), 2, 172800, name("ns1.example.com."))
    + rr(name("example.com."), 2, 172800, name("ns2.example.com."))
    + rr(name("ns1.example.com."), 1, 172800, b"\x7f\0\0\x0b")
    + rr(name("ns2.example.com."), 28, 172800, b"\0" * 15 + b"\1"),
    "response_mx_txt_srv": header(flags=0x8180, an=3) + question("example.", 255)
    + rr(b"\xc0\x0c", 15, 60, b"\0\x0a" + b"\x04mail\xc0\x0c")
    + rr(b"\xc0\x0c", 16, 60, b"\x05hello\x05world")
    + rr(b"\xc0\x0c", 33, 60, b"\0\1\0\2\0\x35" + name("srv.example.")),
}

names = ["example.com.", ".", "a\\.b.c\\032d.", "\\000.\\255.", "*.wild.example", "xn--bcher-kva.example.",
         "a" * 63 + ".b"]

os.makedirs("malformed", exist_ok=True)
os.makedirs("fuzz/message", exist_ok=True)
os.makedirs("fuzz/name", exist_ok=True)
for key, (expect, description, data) in malformed.items():
    write_hex(f"malformed/{key}.hex", expect, description, data)
for key, data in valid.items():
    with open(f"fuzz/message/{key}.bin", "wb") as f:
        f.write(data)
for i, text in enumerate(names):
    with open(f"fuzz/name/seed{i}.txt", "w") as f:
        f.write(text)

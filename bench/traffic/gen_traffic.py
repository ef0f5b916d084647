#!/usr/bin/env python3
"""Realistic resolver traffic for bench/server_dnsperf.sh (issue 24).

The old cache-hit mix asks 1000 names under one registered domain, so the
intent detectors (per client, per registered domain) stay in a few hot table
slots and look almost free. This writes traffic shaped like a network's:

  * N registered domains (default 5000), each with a few host names
    (www, the apex, api, cdn, ...), under a handful of TLDs and multi-label
    public suffixes (co.uk, com.au, co.jp, com.br) so the public-suffix
    lookup does real work;
  * Zipf-like popularity (weight 1/rank**s, s = 1 by default) over the
    domains, then a host of the chosen domain;
  * A queries with a share of AAAA (answered NODATA: the seed holds no IPv6
    address, see below);
  * a share (default 5%) of names that do not exist in existing domains
    (NXDOMAIN, e.g. wpad.shop-12.com);
  * a few bots (clients whose traffic also has DGA-looking names: random
    consonant strings under com/net/org/..., all NXDOMAIN);
  * one tunnel client: TXT queries for long base32 labels under one domain,
    every name new.

One query file per client (queries-1 ... queries-C, dnsperf's "NAME TYPE"
format): bench/server_dnsperf.sh runs one dnsperf per file, each from its
own 127.0.1.K source address. Bots are clients 1..B, the tunnel is client
C (when C > B). Also writes seed.dump, in the format `vigilctl cache-load`
reads (cache/cache_file.cc): every name a query file asks is in it, existing
names as positive RRsets, missing ones as cached negatives (NXDOMAIN or
NODATA with their zone's SOA), so every query is answered from the cache
and a run measures the server path and the monitoring, not resolution.
Every address in the seed is loopback (127.x.y.z). Negative entries last
an hour (max_negative_ttl): load the seed again before a later run.

The output depends only on the arguments (and --expires, default now + 1 day,
which only goes into seed.dump). Python standard library only.

  gen_traffic.py --out DIR [--seed S] [--domains N] [--queries Q] [--clients C]
"""

import argparse
import bisect
import itertools
import os
import random
import struct
import sys
import time

# Public suffixes and their share of registered domains; the multi-label
# ones make the registered-domain lookup go past the TLD.
SUFFIXES = [
    ("com", 40), ("net", 10), ("org", 9), ("io", 4), ("de", 6), ("fr", 3),
    ("nl", 2), ("ru", 3), ("co.uk", 8), ("com.au", 4), ("co.jp", 4),
    ("com.br", 4), ("co.nz", 1), ("org.uk", 2),
]
WORDS = [
    "shop", "news", "mail", "cloud", "bank", "game", "video", "blog", "photo",
    "travel", "music", "sport", "health", "store", "media", "tech", "data",
    "social", "market", "cdn", "learn", "food", "home", "auto", "radio",
]
# Hosts a domain may have, with their share of its queries. Every domain has
# the first two (www and the apex, "").
HOSTS = [("www", 40), ("", 15), ("api", 10), ("cdn", 10), ("static", 6),
         ("mail", 5), ("m", 5), ("img", 4), ("app", 3), ("login", 2)]
# First labels of names that do not exist in an existing domain (none is in
# HOSTS, so none is an existing name nor an ancestor of one).
MISSING = ["wpad", "autodiscover", "old", "test", "dev", "staging", "intranet",
           "vpn", "isatap", "_ldap._tcp", "www2", "beta"]
DGA_TLDS = ["com", "net", "org", "info", "biz", "ru", "top"]
CONSONANTS = "bcdfghjklmnpqrstvwxz"
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
TUNNEL_DOMAIN = "t.relay-sync.net"  # registered domain relay-sync.net

RANK = 5  # cache::Rank::kAuthAnswer: answerable
CLASS_IN = 1
TYPE = {"A": 1, "AAAA": 28, "TXT": 16}


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def soa_rdata(zone):
    # serial, refresh, retry, expire, minimum (= the negative TTL, 1 h)
    mname = "ns1." + zone if zone != "." else "a.root-servers.net."
    rname = "hostmaster." + zone if zone != "." else "nstld.verisign-grs.com."
    return (wire_name(mname) + wire_name(rname) +
            struct.pack("!IIIII", 2024010101, 7200, 3600, 1209600, 3600)).hex()


def fqdn(name):
    return name + "."


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="directory for queries-K and seed.dump")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--domains", type=int, default=5000, help="registered domains (default 5000)")
    p.add_argument("--queries", type=int, default=200000, help="queries over all clients' files")
    p.add_argument("--clients", type=int, default=8, help="query files, one per client (default 8)")
    p.add_argument("--bots", type=int, default=2, help="of the clients, how many also ask DGA names")
    p.add_argument("--zipf", type=float, default=1.0, help="popularity exponent s (default 1)")
    p.add_argument("--nxdomain", type=float, default=0.05, help="share of missing names (default 0.05)")
    p.add_argument("--aaaa", type=float, default=0.15, help="share of AAAA queries (NODATA; default 0.15)")
    p.add_argument("--dga", type=float, default=0.01, help="share of DGA names, all from the bots")
    p.add_argument("--tunnel", type=float, default=0.01, help="share of tunnel TXT queries, from one client")
    p.add_argument("--expires", type=int, default=None, help="absolute expiry of seed entries (default now + 86400)")
    a = p.parse_args()
    if a.domains < 1 or a.queries < a.clients or a.clients < 1 or not 0 <= a.bots <= a.clients:
        p.error("need domains >= 1, clients >= 1, queries >= clients, 0 <= bots <= clients")
    expires = a.expires if a.expires is not None else int(time.time()) + 86400
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)

    # The domains, their hosts and addresses.
    suffix_cum = list(itertools.accumulate(w for _, w in SUFFIXES))
    domains, seen = [], set()
    while len(domains) < a.domains:
        suffix = SUFFIXES[bisect.bisect_right(suffix_cum, rng.random() * suffix_cum[-1])][0]
        d = "%s-%d.%s" % (rng.choice(WORDS), rng.randrange(1, 10 * a.domains), suffix)
        if d not in seen:
            seen.add(d)
            domains.append(d)
    hosts = []  # per domain: (names, cumulative weights)
    for d in domains:
        chosen = HOSTS[:2] + rng.sample(HOSTS[2:], rng.randrange(0, 4))
        names = [(h + "." + d) if h else d for h, _ in chosen]
        hosts.append((names, list(itertools.accumulate(w for _, w in chosen))))
    zipf_cum = list(itertools.accumulate(1.0 / (r ** a.zipf) for r in range(1, a.domains + 1)))

    def pick_domain():
        return bisect.bisect_right(zipf_cum, rng.random() * zipf_cum[-1])

    negatives = {}  # (name, type) -> (kind, zone)

    def normal_query():
        i = pick_domain()
        d = domains[i]
        if rng.random() < a.nxdomain:
            name = rng.choice(MISSING) + "." + d
            negatives[(name, "A")] = ("nxdomain", d)
            return name, "A"
        names, cum = hosts[i]
        name = names[bisect.bisect_right(cum, rng.random() * cum[-1])]
        if rng.random() < a.aaaa:
            negatives[(name, "AAAA")] = ("nodata", d)
            return name, "AAAA"
        return name, "A"

    def dga_query():
        label = "".join(rng.choice(CONSONANTS) for _ in range(rng.randrange(10, 19)))
        tld = rng.choice(DGA_TLDS)
        name = label + "." + tld
        negatives[(name, "A")] = ("nxdomain", tld)
        return name, "A"

    tunnel_names = []
    seq = itertools.count()

    def tunnel_query():
        # dnscat2/iodine-like: a sequence number and data, base32, in two
        # labels of up to 63 octets.
        n = next(seq)
        data = "".join(rng.choice(BASE32) for _ in range(rng.randrange(80, 110)))
        name = "%05x%s.%s.%s" % (n, data[:58], data[58:], TUNNEL_DOMAIN)
        tunnel_names.append(name)
        return name, "TXT"

    per_client = a.queries // a.clients
    tunnel_client = a.clients if a.clients > a.bots else None
    # The DGA and tunnel shares are of all queries; concentrated on their clients.
    dga_in_bot = min(1.0, a.dga * a.clients / a.bots) if a.bots else 0.0
    tunnel_in_client = min(1.0, a.tunnel * a.clients) if tunnel_client else 0.0
    counts = {"normal": 0, "dga": 0, "tunnel": 0}
    for k in range(1, a.clients + 1):
        with open(os.path.join(a.out, "queries-%d" % k), "w") as f:
            for _ in range(per_client):
                r = rng.random()
                if k <= a.bots and r < dga_in_bot:
                    q, kind = dga_query(), "dga"
                elif k == tunnel_client and r < tunnel_in_client:
                    q, kind = tunnel_query(), "tunnel"
                else:
                    q, kind = normal_query(), "normal"
                counts[kind] += 1
                f.write("%s %s\n" % q)

    # The cache seed. Addresses: 127.x.y.z only.
    positives = 0
    with open(os.path.join(a.out, "seed.dump"), "w") as f:
        f.write("; vigil cache dump v1, bench/traffic/gen_traffic.py --seed %d --domains %d\n"
                % (a.seed, a.domains))
        addr = 0
        for names, _ in hosts:
            for name in names:
                rdatas = []
                for _ in range(rng.choice((1, 1, 1, 2))):
                    addr += 1
                    rdatas.append("7f%06x" % (addr % 0xFFFFFF or 1))
                f.write("P %d %d %d %d %s %s\n" % (RANK, expires, CLASS_IN, TYPE["A"], fqdn(name), " ".join(rdatas)))
                positives += 1
        for name in tunnel_names:
            text = "".join(rng.choice(BASE32) for _ in range(rng.randrange(40, 120)))
            f.write("P %d %d %d %d %s %02x%s\n" % (RANK, expires, CLASS_IN, TYPE["TXT"], fqdn(name),
                                                 len(text), text.encode().hex()))
            positives += 1
        soas = {}
        for (name, qtype), (kind, zone) in sorted(negatives.items()):
            z = fqdn(zone)
            if z not in soas:
                soas[z] = soa_rdata(z)
            f.write("N %s %d %d %d %d %s %s 3600 %s\n" % (kind, RANK, expires, CLASS_IN, TYPE[qtype], fqdn(name),
                                                         z, soas[z]))
    total = sum(counts.values())
    nx = sum(1 for k in negatives.values() if k[0] == "nxdomain")
    print("gen_traffic: %d queries in %d files (%d normal, %d DGA from %d bots, %d tunnel TXT); "
          "%d registered domains; seed: %d positive RRsets, %d negatives (%d NXDOMAIN names)"
          % (total, a.clients, counts["normal"], counts["dga"], a.bots, counts["tunnel"], a.domains,
             positives, len(negatives), nx), file=sys.stderr)


if __name__ == "__main__":
    main()

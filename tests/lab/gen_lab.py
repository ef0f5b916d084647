#!/usr/bin/env python3
"""Generates Vigil's test lab's data deterministically from a seed: the zone
files, root hints, which address serves which zones, and a manifest of the
answers a correct resolver gives. lab.sh runs it, then writes one NSD
configuration per server address from servers.json and starts the servers.

    gen_lab.py --out DIR [--seed N] [--zones N]

Writes into DIR: zones/*.zone (root.zone for the root), root.hints (in the
format of IANA's named.root), servers.json (address -> zones for each NSD, and
the lame, blackhole, AA-referral and root addresses) and manifest.jsonl (one
question per line with its rcode, CNAME/DNAME chain, final answer and kind).

The lab is a miniature DNS tree on loopback addresses only:

    .                 a.root.lab 127.1.0.1, b.root.lab 127.1.0.2
    test. example. lab.   ns1.nic.<tld> 127.2.0.1, ns2.nic.<tld> 127.2.0.2
    second-level zones    a pool of servers 127.3.0.1 ... 127.3.0.4
    lame server           127.3.0.9 (an NSD with no zones: REFUSED for the zone it is named for)
    unresponsive server   127.3.0.10 (blackhole.py: reads queries, never answers)
    AA-referral server    127.3.0.11 (aa_referral.py in front of NSD: referrals with AA set)

Zone kinds (N = --zones zones of each kind, at least 2; default 6):
    zone-I.test.      in-bailiwick NS with glue in test.; ordinary content
                      (www, mail, MX, TXT, CAA, SRV, CNAMEs, a wildcard, an
                      empty non-terminal)
    site-I.example.   NS names in another TLD (ns1.hosting-K.lab.), no glue;
                      the same content, and cdn -> chain.zone-I.test.
    hosting-K.lab.    in-bailiwick zones that host those NS names
    sib-I.test.       NS names in the sibling zone-I.test. (sibling glue in test.)
    special zones     lame.test. (one NS lame), slow.test. (one NS unresponsive),
                      dname.test. (DNAME to zone-1.test.), aaref.test. (its
                      server sets AA on its referral to deep.aaref.test.),
                      big.test. (TXT and A answers over 1232 octets: TC=1, TCP)

Manifest kinds: data, nxdomain, nodata, empty-non-terminal, wildcard, cname,
cname-chain, cname-cross-zone, dname, lame-ns, unresponsive-ns, large-tcp,
nxdomain-tld, nxdomain-below-aa-referral. No delegation cycles are generated
(the engine's unit tests cover those).

Every address in every zone is inside 127.0.0.0/8 (or ::1): this lab never
points outside the machine.
"""
import argparse
import ipaddress
import json
import os
import random

ROOT_SERVERS = [("a.root.lab.", "127.1.0.1"), ("b.root.lab.", "127.1.0.2")]
TLDS = ["test.", "example.", "lab."]
TLD_SERVERS = [("ns1", "127.2.0.1"), ("ns2", "127.2.0.2")]
POOL = ["127.3.0.1", "127.3.0.2", "127.3.0.3", "127.3.0.4"]
LAME = "127.3.0.9"
BLACKHOLE = "127.3.0.10"
AA_PROXY = "127.3.0.11"  # aa_referral.py: sets AA on the referrals NSD sends
TTLS = [5, 60, 300, 3600, 86400, 172800, 604800]
SOA_TIMERS = "7200 3600 1209600 300"  # refresh retry expire minimum (negative TTL 300)
DELEGATION_TTL = 172800


def check_loopback(text):
    assert ipaddress.ip_address(text) in ipaddress.ip_network("127.0.0.0/8") or \
        ipaddress.ip_address(text) == ipaddress.ip_address("::1"), text


class Zone:
    def __init__(self, apex, servers):
        self.apex = apex
        self.servers = servers  # [(ns name, address or None when out of zone)]
        self.records = []       # (owner, ttl, type, rdata text)
        self.delegations = {}   # child apex -> [(ns name, address or None)]

    def add(self, owner, ttl, rtype, rdata):
        if rtype == "A":
            check_loopback(rdata)
        if rtype == "AAAA":
            check_loopback(rdata)
        self.records.append((owner, ttl, rtype, rdata))

    def text(self):
        lines = [f"$ORIGIN {self.apex}", f"$TTL 3600",
                 f"{self.apex} 3600 IN SOA {self.servers[0][0]} hostmaster.{self.apex if self.apex != '.' else 'root.lab.'}"
                 f" 2026112301 {SOA_TIMERS}"]
        for name, _ in self.servers:
            lines.append(f"{self.apex} {DELEGATION_TTL} IN NS {name}")
        for owner, ttl, rtype, rdata in self.records:
            lines.append(f"{owner} {ttl} IN {rtype} {rdata}")
        for child, servers in sorted(self.delegations.items()):
            for name, addr in servers:
                lines.append(f"{child} {DELEGATION_TTL} IN NS {name}")
            for name, addr in servers:
                # Glue only for names inside the child (in-bailiwick).
                if addr is not None and (name == child or name.endswith("." + child)):
                    lines.append(f"{name} {DELEGATION_TTL} IN A {addr}")
        return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--zones", type=int, default=6, help="second-level zones of each kind (>= 2)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    n = max(2, args.zones)
    os.makedirs(os.path.join(args.out, "zones"), exist_ok=True)

    zones = {}          # apex -> Zone
    serve = {}          # server address -> [apex]
    manifest = []

    def host(apex, addresses):
        for a in addresses:
            serve.setdefault(a, []).append(apex)

    # Root and TLDs.
    root = Zone(".", ROOT_SERVERS)
    zones["."] = root
    host(".", [a for _, a in ROOT_SERVERS])
    for tld in TLDS:
        servers = [(f"{label}.nic.{tld}", addr) for label, addr in TLD_SERVERS]
        z = Zone(tld, servers)
        zones[tld] = z
        root.delegations[tld] = servers
        host(tld, [a for _, a in TLD_SERVERS])
        for name, addr in servers:
            z.add(name, DELEGATION_TTL, "A", addr)
    for name, addr in ROOT_SERVERS:
        zones["lab."].add(name, 518400, "A", addr)
    # The root zone carries glue for the root servers themselves.
    root_text_extra = [f"{name} 518400 IN A {addr}" for name, addr in ROOT_SERVERS]

    def pool_pair():
        return rng.sample(POOL, 2)

    def make_sld(apex, parent, servers):
        z = Zone(apex, servers)
        zones[apex] = z
        zones[parent].delegations[apex] = servers
        host(apex, [a for _, a in servers if a not in (LAME, BLACKHOLE, AA_PROXY)])
        return z

    def inbailiwick_sld(apex, parent, a1, a2):
        """A zone whose NS names ns1/ns2.<apex> live inside it (glue in the parent)."""
        z = make_sld(apex, parent, [(f"ns1.{apex}", a1), (f"ns2.{apex}", a2)])
        z.add(f"ns1.{apex}", 3600, "A", a1)
        z.add(f"ns2.{apex}", 3600, "A", a2)
        return z

    # hosting-K.lab.: in-bailiwick zones that also host NS names for example.
    hosting = []
    for k in range(n):
        a1, a2 = pool_pair()
        apex = f"hosting-{k}.lab."
        inbailiwick_sld(apex, "lab.", a1, a2)
        hosting.append((apex, a1, a2))

    def fill(z, i):
        """Ordinary content of a second-level zone."""
        apex = z.apex
        last = (i * 7 + 3) % 250 + 1
        ttl = lambda: rng.choice(TTLS)
        z.add(f"www.{apex}", ttl(), "A", f"127.0.{i % 250}.{last}")
        z.add(f"www.{apex}", ttl(), "AAAA", "::1")
        z.add(f"mail.{apex}", ttl(), "A", f"127.0.{i % 250}.{(last % 250) + 2}")
        z.add(apex, ttl(), "MX", f"10 mail.{apex}")
        z.add(apex, ttl(), "TXT", f'"v=spf1 mx -all" "zone {i}"')
        z.add(apex, ttl(), "CAA", '0 issue "ca.lab"')
        z.add(f"_sip._udp.{apex}", ttl(), "SRV", f"10 60 5060 www.{apex}")
        z.add(f"alias.{apex}", ttl(), "CNAME", f"www.{apex}")
        z.add(f"chain.{apex}", ttl(), "CNAME", f"alias.{apex}")
        z.add(f"*.wild.{apex}", ttl(), "A", f"127.0.53.{(i % 250) + 1}")
        z.add(f"a.b.{apex}", ttl(), "A", f"127.0.54.{(i % 250) + 1}")  # b.<apex> is an empty non-terminal

    # zone-I.test.: in-bailiwick NS with glue.
    for i in range(n):
        a1, a2 = pool_pair()
        apex = f"zone-{i}.test."
        fill(inbailiwick_sld(apex, "test.", a1, a2), i)

    # sib-I.test.: served by zone-I.test.'s servers, named ns1/ns2.zone-I.test.
    # — names in a sibling zone of the same parent, whose addresses test.
    # holds as glue for zone-I.test.: sibling glue. A resolver that takes it
    # asks sib-I.test. straight away; one that does not resolves the names
    # first (issue 21 §1).
    # (Their own random numbers: the zones after them stay as they were.)
    sib_rng = random.Random(args.seed + 1000)
    for i in range(n):
        zi = zones[f"zone-{i}.test."]
        apex = f"sib-{i}.test."
        z = make_sld(apex, "test.", list(zi.servers))
        z.add(f"www.{apex}", sib_rng.choice(TTLS), "A", f"127.63.{i // 250 % 4}.{i % 250 + 1}")
        z.add(f"mail.{apex}", sib_rng.choice(TTLS), "A", f"127.63.{4 + i // 250 % 4}.{i % 250 + 1}")

    # site-I.example.: NS names in another TLD, which the resolver must resolve.
    for i in range(n):
        h1 = hosting[i % len(hosting)]
        h2 = hosting[(i + 1) % len(hosting)]
        apex = f"site-{i}.example."
        z = make_sld(apex, "example.", [(f"ns1.{h1[0]}", h1[1]), (f"ns2.{h2[0]}", h2[2])])
        fill(z, 100 + i)
        # Cross-zone CNAME into test. (and from there within the zone).
        z.add(f"cdn.{apex}", rng.choice(TTLS), "CNAME", f"chain.zone-{i % n}.test.")

    # Special zones.
    a1, a2 = pool_pair()
    z = inbailiwick_sld("lame.test.", "test.", a1, LAME)
    z.add("www.lame.test.", 300, "A", "127.0.60.1")
    serve.setdefault(LAME, [])  # the lame server serves nothing of this

    a1, _ = pool_pair()
    z = inbailiwick_sld("slow.test.", "test.", BLACKHOLE, a1)
    z.add("www.slow.test.", 300, "A", "127.0.61.1")

    a1, a2 = pool_pair()
    z = inbailiwick_sld("dname.test.", "test.", a1, a2)
    z.add("legacy.dname.test.", 3600, "DNAME", "zone-1.test.")
    z.add("www.dname.test.", 3600, "A", "127.0.62.1")

    # aaref.test.: its one name server is aa_referral.py, in front of the NSD
    # on POOL[0], which sets AA on the referral to deep.aaref.test. (served
    # by POOL[1] and POOL[2]): a referral whatever AA says (issue 21 §2).
    # (No random numbers: the zones after it stay as they were.)
    z = make_sld("aaref.test.", "test.", [("ns1.aaref.test.", AA_PROXY)])
    host("aaref.test.", [POOL[0]])
    z.add("ns1.aaref.test.", 3600, "A", AA_PROXY)
    z.add("www.aaref.test.", 300, "A", "127.0.64.1")
    z = make_sld("deep.aaref.test.", "aaref.test.",
                 [("ns1.deep.aaref.test.", POOL[1]), ("ns2.deep.aaref.test.", POOL[2])])
    z.add("ns1.deep.aaref.test.", 3600, "A", POOL[1])
    z.add("ns2.deep.aaref.test.", 3600, "A", POOL[2])
    z.add("www.deep.aaref.test.", 300, "A", "127.0.64.2")
    z.add("mail.deep.aaref.test.", 300, "A", "127.0.64.3")

    a1, a2 = pool_pair()
    z = inbailiwick_sld("big.test.", "test.", a1, a2)
    for k in range(10):  # 10 x ~230 octets: over 1232, forces TC=1 and TCP
        z.add("txt.big.test.", 300, "TXT", '"' + (chr(ord("a") + k) * 200) + '"')
    for k in range(1, 101):
        z.add("many.big.test.", 300, "A", f"127.0.100.{k}")

    # ------------------------------------------------------------------ write
    out = args.out
    for apex, z in zones.items():
        fname = "root.zone" if apex == "." else apex.rstrip(".") + ".zone"
        with open(os.path.join(out, "zones", fname), "w") as f:
            f.write(z.text())
            if apex == ".":
                f.write("\n".join(root_text_extra) + "\n")

    with open(os.path.join(out, "root.hints"), "w") as f:
        f.write(";  Root hints for the Vigil test lab, in the format of IANA's named.root.\n")
        f.write(";  Every address is on loopback.\n;\n")
        for name, addr in ROOT_SERVERS:
            f.write(f".                        3600000      NS    {name}\n")
            f.write(f"{name:<24} 3600000      A     {addr}\n")
        f.write("; End of file\n")

    servers = {}
    for addr, apexes in sorted(serve.items()):
        check_loopback(addr)
        servers[addr] = sorted(set(apexes))
    with open(os.path.join(out, "servers.json"), "w") as f:
        json.dump({"servers": servers, "lame": LAME, "blackhole": BLACKHOLE,
                   "aa_referral": {"listen": AA_PROXY, "upstream": POOL[0]},
                   "root": [a for _, a in ROOT_SERVERS]}, f, indent=1, sort_keys=True)

    # ------------------------------------------------------------ manifest
    model = build_model(zones)
    queries = []
    for apex in sorted(zones):
        if apex == ".":
            continue
        z = zones[apex]
        seen = set()
        for owner, _, rtype, _ in z.records:
            if (owner, rtype) not in seen and not owner.startswith("*."):
                seen.add((owner, rtype))
                queries.append((owner, rtype, "data"))
        if apex.startswith("zone-") or apex.startswith("site-"):
            queries += [(f"nonexistent.{apex}", "A", "nxdomain"),
                        (f"www.{apex}", "TXT", "nodata"),
                        (f"b.{apex}", "A", "empty-non-terminal"),
                        (f"anything.wild.{apex}", "A", "wildcard"),
                        (f"chain.{apex}", "A", "cname-chain"),
                        (f"alias.{apex}", "AAAA", "cname")]
        if apex.startswith("site-"):
            queries.append((f"cdn.{apex}", "A", "cname-cross-zone"))
    queries += [("www.legacy.dname.test.", "A", "dname"), ("www.lame.test.", "A", "lame-ns"),
                ("www.slow.test.", "A", "unresponsive-ns"), ("txt.big.test.", "TXT", "large-tcp"),
                ("many.big.test.", "A", "large-tcp"), ("nope.test.", "A", "nxdomain-tld"),
                ("nonexistent.deep.aaref.test.", "A", "nxdomain-below-aa-referral")]
    with open(os.path.join(out, "manifest.jsonl"), "w") as f:
        for qname, qtype, kind in queries:
            entry = resolve(model, qname, qtype)
            entry.update({"qname": qname, "qtype": qtype, "kind": kind})
            f.write(json.dumps(entry, sort_keys=True) + "\n")


# ---------------------------------------------------------------- the model
def is_sub(name, apex):
    return apex == "." or name == apex or name.endswith("." + apex)


def ancestors(name, apex):
    """Proper ancestors of name down to (not including) apex."""
    out = []
    while name != apex and "." in name.rstrip("."):
        name = name.split(".", 1)[1]
        if name == apex or not is_sub(name, apex):
            break
        out.append(name)
    return out


def build_model(zones):
    """Authoritative data per zone, indexed for lookups: owners, DNAMEs and
    the names that have descendants (empty non-terminals included)."""
    model = {}
    for apex, z in zones.items():
        data, dnames, interior = {}, {}, set()
        for owner, ttl, rtype, rdata in z.records:
            data.setdefault(owner, {}).setdefault(rtype, []).append((ttl, rdata))
            if rtype == "DNAME":
                dnames[owner] = rdata
            interior.update(ancestors(owner, apex))
        model[apex] = {"data": data, "dnames": dnames, "interior": interior}
    return model


def find_zone(model, name):
    """The deepest zone containing name: walk up its labels."""
    while name not in model:
        name = name.split(".", 1)[1] if "." in name.rstrip(".") else "."
    return name


def resolve(model, qname, qtype):
    """The final answer a correct resolver gives: rcode, the CNAME/DNAME
    chain followed and the final RRset."""
    chain = []
    name = qname
    for _ in range(16):
        apex = find_zone(model, name)
        zone = model[apex]
        data = zone["data"]
        # A DNAME at a proper ancestor of name within the zone (RFC 6672).
        hit = next((a for a in ancestors(name, apex) if a in zone["dnames"]), None)
        if hit is not None:
            target = zone["dnames"][hit]
            new = name[: -len(hit)] + target
            chain.append({"name": hit, "type": "DNAME", "data": target})
            chain.append({"name": name, "type": "CNAME", "data": new})
            name = new
            continue
        types = data.get(name)
        if types is None:
            if name in zone["interior"]:
                return {"rcode": "NOERROR", "chain": chain, "answer": []}  # empty non-terminal
            # Wildcards in the lab sit directly under a name with no other
            # children, so the closest encloser is the parent.
            parent = name.split(".", 1)[1] if "." in name.rstrip(".") else "."
            types = data.get("*." + parent)
            if types is None:
                return {"rcode": "NXDOMAIN", "chain": chain, "answer": []}
        if qtype in types:
            return {"rcode": "NOERROR", "chain": chain, "answer": sorted(r for _, r in types[qtype])}
        if "CNAME" in types:
            target = types["CNAME"][0][1]
            chain.append({"name": name, "type": "CNAME", "data": target})
            name = target
            continue
        return {"rcode": "NOERROR", "chain": chain, "answer": []}
    raise RuntimeError("CNAME loop in generated data at " + qname)


if __name__ == "__main__":
    main()

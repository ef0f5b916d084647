#!/usr/bin/env python3
"""Walks the lab by hand, as a person would with `dig +norecurse`: from the
root servers, follow referrals (using glue, or resolving NS names that have
none), restart from the root for CNAMEs that leave the zone, until an
authoritative answer. Checks every manifest entry against that answer.

    walk_lab.py RUNDIR [--name QNAME --type QTYPE] [--verbose]

Exit status 0 when every entry matched. Uses only dig, so it is an oracle
independent of Vigil's own code.
"""
import argparse
import json
import os
import subprocess
import sys


class Response:
    def __init__(self, text):
        self.status = None
        self.flags = []
        self.sections = {"ANSWER": [], "AUTHORITY": [], "ADDITIONAL": []}
        section = None
        for line in text.splitlines():
            if line.startswith(";; ->>HEADER<<-"):
                self.status = line.split("status: ")[1].split(",")[0]
            elif line.startswith(";; flags:"):
                self.flags = line.split(";; flags:")[1].split(";")[0].split()
            elif line.startswith(";; ") and line.endswith(" SECTION:"):
                section = line[3:-len(" SECTION:")]
            elif line.strip() == "":
                section = None
            elif section in self.sections and not line.startswith(";"):
                parts = line.split(None, 4)
                if len(parts) == 5:
                    name, ttl, cls, rtype, data = parts
                    self.sections[section].append((name.lower(), rtype, data))


class Walker:
    def __init__(self, roots, verbose=False):
        self.roots = roots
        self.verbose = verbose
        self.cuts = {".": roots}  # zone -> server addresses learned so far
        self.queries = 0

    def ask(self, servers, name, qtype):
        for addr in servers:
            self.queries += 1
            out = subprocess.run(["dig", "+norecurse", "+tries=1", "+time=1", "+bufsize=1232",
                                  f"@{addr}", name, qtype], capture_output=True, text=True)
            if self.verbose:
                print(f"  @{addr} {name} {qtype}: exit {out.returncode}", file=sys.stderr)
            if out.returncode != 0:
                continue  # timeout: try the next server
            r = Response(out.stdout)
            if r.status in ("REFUSED", "SERVFAIL", None):
                continue  # lame or broken: next server
            return r
        raise RuntimeError(f"no server of {servers} answered {name} {qtype}")

    def closest_cut(self, name):
        """The deepest zone cut known for name, and its servers."""
        def depth(zone):
            return 0 if zone == "." else zone.count(".")
        best = "."
        for zone in self.cuts:
            if zone != "." and (name == zone or name.endswith("." + zone)) and depth(zone) > depth(best):
                best = zone
        return best, self.cuts[best]

    def addresses(self, ns, depth):
        r = self.resolve(ns, "A", depth + 1)
        return r["answer"]

    def resolve(self, qname, qtype, depth=0):
        if depth > 8:
            raise RuntimeError("NS resolution too deep at " + qname)
        chain = []
        name = qname.lower()
        for _ in range(30):
            zone, servers = self.closest_cut(name)
            r = self.ask(servers, name, qtype)
            answers = r.sections["ANSWER"]
            # A referral is no answer, the NS set of a zone below the one
            # asked and no SOA, whatever AA says (aaref.test.'s server sets it).
            below = [o for o, t, _ in r.sections["AUTHORITY"] if t == "NS" and o != zone and
                     (zone == "." or o.endswith("." + zone)) and (name == o or name.endswith("." + o))]
            referral = (not answers and r.status == "NOERROR" and below and
                        not any(t == "SOA" for _, t, _ in r.sections["AUTHORITY"]))
            if not referral and (answers or "aa" in r.flags):
                # Follow CNAMEs (and DNAME-synthesised CNAMEs) inside the answer.
                cur = name
                for owner, rtype, data in answers:
                    if rtype == "DNAME" and owner != name:  # a DNAME above the name, applied
                        chain.append({"name": owner, "type": "DNAME", "data": data})
                while True:
                    cn = [d for o, t, d in answers if o == cur and t == "CNAME"]
                    if qtype != "CNAME" and cn:
                        chain.append({"name": cur, "type": "CNAME", "data": cn[0]})
                        cur = cn[0].lower()
                        continue
                    break
                final = sorted(d for o, t, d in answers if o == cur and t == qtype)
                if final or cur == name:
                    return {"rcode": r.status, "chain": chain, "answer": final}
                name = cur  # the chain left the zone: start over from the root side
                continue
            # A referral: NS records for a zone closer to the name.
            ns = [(o, d.lower()) for o, t, d in r.sections["AUTHORITY"] if t == "NS"]
            if not ns:
                return {"rcode": r.status, "chain": chain, "answer": []}
            zone = ns[0][0]
            glue = {o: d for o, t, d in r.sections["ADDITIONAL"] if t == "A"}
            addrs = []
            for _, host in ns:
                if host in glue:
                    addrs.append(glue[host])
                elif not (host == zone or host.endswith("." + zone)):
                    addrs += self.addresses(host, depth)  # out of bailiwick: resolve it
            if not addrs:
                raise RuntimeError(f"referral to {zone} without usable addresses")
            self.cuts[zone] = addrs
        raise RuntimeError("too many steps for " + qname)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rundir")
    ap.add_argument("--name")
    ap.add_argument("--type", default="A")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    servers = json.load(open(os.path.join(args.rundir, "servers.json")))
    walker = Walker(servers["root"], args.verbose)
    if args.name:
        print(json.dumps(walker.resolve(args.name, args.type), indent=1))
        return 0
    failures = 0
    total = 0
    for line in open(os.path.join(args.rundir, "manifest.jsonl")):
        want = json.loads(line)
        total += 1
        try:
            got = walker.resolve(want["qname"], want["qtype"])
        except RuntimeError as e:
            got = {"error": str(e)}
        expect = {k: want[k] for k in ("rcode", "chain", "answer")}
        if got != expect:
            failures += 1
            print(f"MISMATCH {want['qname']} {want['qtype']} ({want['kind']}):\n  want {expect}\n  got  {got}")
    print(f"walked {total} manifest entries with {walker.queries} dig queries: "
          f"{total - failures} matched, {failures} mismatched")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

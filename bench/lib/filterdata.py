"""Workload 8 of bench/run (the filtering chain as deployed): generates, into a directory, every
file both proxies filter with, and the URLs the load generators ask for. Deterministic (seeded):
two runs with the same sizes ask for the same URLs.

    generate(dir, origin_port, ...) -> dict of paths and counts

Files (under dir):
  acl.list        ACL_NAMES names, one a line, written ".name": exaproxy's acl plugin reads it
                  as "name and every name below it", and Squid's dstdomain as the same.
  sg/db/bad/domains, sg/db/bad/urls
                  squidGuard's blacklist: SG_DOMAINS domains and SG_URLS URL prefixes
                  (host/path) on hosts of their own; `squidGuard -C all` builds the .db files.
  sg/squidGuard.conf, sg/log/
  hosts           "127.0.0.1 name" for every host an allowed URL names (dnsmasq serves it to
                  exaproxy, Squid reads it as its hosts_file): the requests that pass go to the
                  nginx origin on 127.0.0.1.
  mix.txt         the URLs wrk cycles through (workload 8's load), one a line
  sample.tsv      "category<TAB>URL": the decision pass sends each once through each proxy
  edge.tsv        "what<TAB>URL": listed URLs written the way a URL can be written differently
                  (upper case, :80, a trailing dot, %-escapes, dot segments, a fragment). Also sent
                  through each proxy; a difference here is reported apart from the sample: it is
                  how each proxy normalises a URL before the helper sees it.

Every generated name has exactly two labels (word+hex-index . tld), and the index is unique across
all of them, so no name is below another: squidGuard 1.6 stops matching a listed domain's
subdomains when one of them is listed too (tests/plugins/redirector/redirector_integration_test.cpp),
and no list overlaps another (a URL has one expected outcome).

Categories (share of the mix and of the sample):
  allowed       a host on no list, fetched from the origin (200)
  near-miss     allowed: "x" + a blacklisted domain (label boundaries: xbad.com is not bad.com)
  url-host      allowed: a host of the URL list, a path not on it
  sg-domain     squidGuard: a blacklisted domain or a name below it -> 302 to the block page
  sg-url        squidGuard: a URL under a listed prefix -> 302 to the block page
  acl           the acl list: the name or a name below it -> 302 to http://blocked.bench.test/acl
"""
import os
import random

TLDS = ["com", "net", "org", "info", "biz", "de", "fr", "ru", "nl", "io", "xyz", "co", "eu", "us"]
# consonants and vowels that are not hex digits: a name is word + hex index, split unambiguously
CONS = "ghjklmnprstvwz"
VOWS = "iouy"
BLOCK_ACL = "http://blocked.bench.test/acl"
BLOCK_SG = "302:http://blocked.bench.test/sg?target=%t&url=%u"
MIX = [("allowed", 0.35), ("near-miss", 0.10), ("url-host", 0.05),
       ("sg-domain", 0.25), ("sg-url", 0.10), ("acl", 0.15)]
EXPECT = {"allowed": "pass", "near-miss": "pass", "url-host": "pass",
          "sg-domain": "squidGuard", "sg-url": "squidGuard", "acl": "acl"}
SUBS = ["www", "cdn", "static", "img", "m", "api", "news", "shop"]
PATHS = ["", "index.html", "img/logo.png", "js/app.js", "a/b/c", "search?q=exa", "p?id=42&x=y"]


def _names(rng, start, count):
    syl = [c + v for c in CONS for v in VOWS]
    out = []
    for i in range(start, start + count):
        word = "".join(rng.choice(syl) for _ in range(rng.randint(2, 4)))
        out.append(f"{word}{i:x}.{rng.choice(TLDS)}")
    return out


def _write_lines(path, lines, prefix=""):
    with open(path, "w") as f:
        for x in lines:
            f.write(prefix + x + "\n")
    os.chmod(path, 0o644)


def generate(d, origin_port, acl_names=1_000_000, sg_domains=100_000, sg_urls=3000, mix_n=4000,
             sample_n=2000, seed=8):
    rng = random.Random(seed)
    os.makedirs(os.path.join(d, "sg", "db", "bad"), exist_ok=True)
    os.makedirs(os.path.join(d, "sg", "log"), exist_ok=True)
    for sub in ("", "sg", "sg/db", "sg/db/bad", "sg/log"):
        os.chmod(os.path.join(d, sub), 0o777)  # squid runs squidGuard as its effective user
    n_url_hosts = max(1, sg_urls // 3)
    idx = 1
    acl = _names(rng, idx, acl_names)
    idx += acl_names
    sg = _names(rng, idx, sg_domains)
    idx += sg_domains
    url_hosts = _names(rng, idx, n_url_hosts)
    idx += n_url_hosts
    allowed = _names(rng, idx, 500)
    idx += 500
    url_entries = [f"{url_hosts[k % n_url_hosts]}/{rng.choice(['ads', 'track', 'promo', 'dl'])}{k:x}"
                   for k in range(sg_urls)]
    near = ["x" + h for h in sg[:500]]

    _write_lines(os.path.join(d, "acl.list"), acl, prefix=".")
    _write_lines(os.path.join(d, "sg", "db", "bad", "domains"), sg)
    _write_lines(os.path.join(d, "sg", "db", "bad", "urls"), url_entries)
    hosts = ["localhost"] + allowed + near + url_hosts
    with open(os.path.join(d, "hosts"), "w") as f:
        for h in hosts:
            f.write(f"127.0.0.1 {h}\n")
    os.chmod(os.path.join(d, "hosts"), 0o644)
    sgconf = os.path.join(d, "sg", "squidGuard.conf")
    with open(sgconf, "w") as f:
        f.write(f"# bench/run workload 8 (generated)\ndbhome {d}/sg/db\nlogdir {d}/sg/log\n\n"
                f"dest bad {{\n\tdomainlist bad/domains\n\turllist bad/urls\n\tredirect {BLOCK_SG}\n}}\n\n"
                f"acl {{\n\tdefault {{\n\t\tpass !bad all\n\t\tredirect {BLOCK_SG}\n\t}}\n}}\n")
    os.chmod(sgconf, 0o644)

    def url(cat, r):
        port = f":{origin_port}"
        if cat == "allowed":
            return f"http://{r.choice(allowed)}{port}/1k.bin?n={r.randrange(1 << 20):x}"
        if cat == "near-miss":
            return f"http://{r.choice(near)}{port}/1k.bin"
        if cat == "url-host":
            return f"http://{r.choice(url_hosts)}{port}/1k.bin?from=list"
        opt_port = port if r.random() < 0.3 else ""
        if cat == "sg-domain":
            h = r.choice(sg)
            h = h if r.random() < 0.5 else f"{r.choice(SUBS)}.{h}"
            return f"http://{h}{opt_port}/{r.choice(PATHS)}"
        if cat == "sg-url":
            e = r.choice(url_entries)
            host, _, path = e.partition("/")
            return f"http://{host}{opt_port}/{path}/{r.choice(['x.js', 'banner.gif', 'a?b=c', ''])}"
        if cat == "acl":
            h = r.choice(acl)
            h = h if r.random() < 0.5 else f"{r.choice(SUBS)}.{h}"
            return f"http://{h}{opt_port}/{r.choice(PATHS)}"
        raise ValueError(cat)

    def draw(r, n):
        cats = [c for c, _ in MIX]
        weights = [w for _, w in MIX]
        return [(c, url(c, r)) for c in r.choices(cats, weights, k=n)]

    e_sg, e_acl, e_url, e_ok = sg[7], acl[7], url_entries[7], allowed[7]
    e_host, _, e_path = e_url.partition("/")
    p = f":{origin_port}"
    edge = [("sg-domain upper case", f"http://WWW.{e_sg.upper()}/x"),
            ("sg-domain :80", f"http://{e_sg}:80/x"),
            ("sg-domain trailing dot", f"http://{e_sg}./x"),
            ("sg-domain %7E in path", f"http://{e_sg}/%7Euser/"),
            ("sg-domain fragment", f"http://{e_sg}/x#frag"),
            # the origin's port where a URL that slips through must reach nginx (404 from both, not
            # two different "connection refused" pages)
            ("sg-url upper-case host", f"http://{e_host.upper()}{p}/{e_path}/x.js"),
            ("sg-url :80", f"http://{e_host}:80/{e_path}/x.js"),
            ("sg-url %-escaped first path letter", f"http://{e_host}{p}/%{ord(e_path[0]):02X}{e_path[1:]}/x.js"),
            ("sg-url dot segment", f"http://{e_host}{p}/./{e_path}/x.js"),
            ("sg-url dot-dot segment", f"http://{e_host}{p}/z/../{e_path}/x.js"),
            ("sg-url double slash", f"http://{e_host}{p}//{e_path}/x.js"),
            ("acl upper case", f"http://WWW.{e_acl.upper()}/x"),
            ("acl trailing dot", f"http://www.{e_acl}./x"),
            ("allowed upper case", f"http://{e_ok.upper()}{p}/1k.bin"),
            ("allowed %-escaped path", f"http://{e_ok}{p}/%31k.bin")]
    _write_lines(os.path.join(d, "edge.tsv"), [f"{c}\t{u}" for c, u in edge])
    mix = draw(random.Random(seed + 1), mix_n)
    sample = draw(random.Random(seed + 2), sample_n)
    _write_lines(os.path.join(d, "mix.txt"), [u for _, u in mix])
    _write_lines(os.path.join(d, "sample.tsv"), [f"{c}\t{u}" for c, u in sample])
    shares = {c: sum(1 for x, _ in mix if x == c) for c, _ in MIX}
    return dict(dir=d, acl_list=os.path.join(d, "acl.list"), sg_conf=sgconf, hosts=os.path.join(d, "hosts"),
                mix=os.path.join(d, "mix.txt"), sample=os.path.join(d, "sample.tsv"),
                edge=os.path.join(d, "edge.tsv"), edge_n=len(edge),
                acl_names=acl_names, sg_domains=sg_domains, sg_urls=sg_urls, mix_n=mix_n, sample_n=sample_n,
                mix_shares=shares, block_acl=BLOCK_ACL, block_sg=BLOCK_SG)

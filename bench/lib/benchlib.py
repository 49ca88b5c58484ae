"""Shared by bench/run and bench/report: workload metadata, target evaluation and table rendering.
Everything here works on the results JSON that bench/run writes (schema 1)."""

# Workload 1's extra row: wrk straight at nginx with both on the load core (no proxy).
LOAD_CORE = "direct-load-core"
RELAY = "splice-relay"
PEER_ORDER = ["direct", LOAD_CORE, RELAY, "exaproxy", "exaproxy-bare", "squid", "haproxy", "tinyproxy"]

PROXY_DESC = {
    "direct": "wrk/curl straight to the nginx origin (the ceiling; for workloads 1-3, 5-7 nginx runs "
              "alone on the proxy core, for the CONNECT ceiling it stays on the load core with curl)",
    RELAY: "bench/lib/splice_relay.c, a TCP relay that only splice(2)s (one blocking thread per direction), "
           "pinned on the proxy core between curl and nginx: the CONNECT ceiling with a proxied run's two-core "
           "split (workload 4 only)",
    "exaproxy": "the repo's conf.d as shipped (UI on, access log on stdout to a file) + port, "
                "loops=1, connect_ports, allow_local_destinations (loopback origins), limits and DNS-server overrides",
    "exaproxy-bare": "same binary and conf.d with the UI off and the access log off (the bare chain)",
    "squid": "squid, workers 1, no cache, no access log",
    "haproxy": "haproxy, nbthread 1, forward proxy via set-dst/url_ip (no CONNECT)",
    "tinyproxy": "tinyproxy, default threading, no Via",
}

# key, title, description, main metric key, unit, higher_is_better
WORKLOADS = {
    "1": dict(title="1 KiB keep-alive", metric="rps", unit="req/s", higher=True,
              desc="GET of a 1 KiB file, 50 keep-alive client connections, wrk (1 thread) with "
                   "absolute-form request lines (`GET http://127.0.0.1:ORIGIN/1k.bin`). An extra row, "
                   "`direct-load-core`, runs wrk straight at nginx with both on the load core, as in every "
                   "proxied run: the most any proxy can reach here."),
    "2": dict(title="100 KiB keep-alive", metric="rps", unit="req/s", higher=True,
              desc="Same as 1 with a 100 KiB file (throughput of the relay; MB/s also shown)."),
    "3": dict(title="new connection per request", metric="rps", unit="req/s", higher=True,
              desc="Same as 1 with `Connection: close`: every request opens a new client connection "
                   "(accept + parse + pooled upstream)."),
    "4": dict(title="CONNECT 1 GiB", metric="mbps", unit="MB/s", higher=True,
              desc="`curl --proxytunnel` downloads a 1 GiB file through a CONNECT tunnel to the origin's "
                   "plain-HTTP port. Two ceilings: `direct` is the same download straight from nginx with curl "
                   "and nginx both on the load core (issue 5's reference; not a ceiling, since a proxied run "
                   "moves one TCP leg's kernel work to the proxy core); `splice-relay` sends the download "
                   "through a splice-only TCP relay pinned on the proxy core (bench/lib/splice_relay.c), the "
                   "same two-core split as a proxied run with the least user-space work. Proxy CPU is shown as "
                   "seconds per GiB, and ÷ the relay's."),
    "5": dict(title="idle keep-alive connections", metric="bytes_per_conn_idle", unit="B/conn", higher=False,
              desc="8,000 client connections each make one keep-alive request and then stay idle; the "
                   "proxy's RSS growth divided by the connection count (RSS before: after one request)."),
    "6": dict(title="latency at equal load", metric="p99_us", unit="p99 µs", higher=False,
              desc="wrk paced with a random 0.5-1.5x think time per connection to a fixed rate of 50% of "
                   "squid's workload-1 maximum (same rate for every proxy), so latency is compared at equal, "
                   "moderate load, not at saturation. The achieved rate is shown."),
    "7": dict(title="1,000 host names (DNS)", metric="rps", unit="req/s warm", higher=True,
              desc="Requests to 1,000 distinct host names (hR-1..hR-1000.bench.test → 127.0.0.1, served by "
                   "dnsmasq): cold = each name once, fresh names per run, 50 connections, by the harness's "
                   "own asyncio client (python, so its ceiling is the direct row); warm = wrk cycling the "
                   "same 1,000 names for the run duration."),
    "8": dict(title="filtering chain as deployed", metric="rps", unit="req/s", higher=True,
              desc="exaproxy with the repo's conf.d (xff, UI, access log) + the acl plugin with a "
                   "1,000,000-name list (a redirect rule) + the redirector running squidGuard (a generated "
                   "blacklist of 100,000 domains and 3,000 URLs, `squidGuard -C` databases, `children 5`, "
                   "`startup 5`, `concurrency 0`), against Squid with the same list as a dstdomain ACL "
                   "(`deny_info` to the same URL), the same squidGuard and `url_rewrite_children 5 startup=5 "
                   "concurrency=0`. 50 keep-alive wrk connections cycle 4,000 absolute-form URLs: ~50 % allowed "
                   "(fetched from nginx; some are near misses of listed names), ~35 % blacklisted in squidGuard, "
                   "~15 % in the acl list; every block is a 302, so non-2xx = status ≥ 400. The helpers run on "
                   "the proxy core with their proxy; CPU is split: the proxy's own process(es) and the "
                   "squidGuard children (utime+stime from /proc). Before the load, a decision pass sends each of "
                   "2,000 sample URLs once through each proxy and compares the answers (status and Location); "
                   "a handful of edge URLs (case, :80, trailing dot, %-escapes, dot segments, a fragment) is "
                   "compared too and reported apart (bench/lib/filterdata.py)."),
    "9": dict(title="RESPMOD through c-icap", metric="rps", unit="req/s", higher=True,
              desc="Workload 2 (100 KiB, 50 keep-alive connections) with every response adapted by an ICAP "
                   "service: c-icap's echo service (Debian's c-icap, one server process, pinned on the "
                   "proxy's core), RESPMOD from exaproxy's icap.so (`method = respmod`, `bypass = off`) and "
                   "from Squid (`icap_service ... respmod_precache ... bypass=off`, `adaptation_access`). "
                   "The proxy's CPU per request and the ICAP server's are shown apart."),
}

TARGETS = [
    dict(id="w1-squid", text="1 KiB keep-alive: req/s ≥ 3× squid"),
    dict(id="w1-haproxy", text="1 KiB keep-alive: req/s ≥ 1.0× haproxy"),
    dict(id="w1-cpu", text="1 KiB keep-alive: proxy CPU per request ≤ 0.8× haproxy's"),
    dict(id="w2-haproxy", text="100 KiB keep-alive: req/s ≥ 1.0× haproxy"),
    dict(id="w3-haproxy", text="new connection per request: req/s ≥ 1.0× haproxy"),
    dict(id="w4-direct", text="CONNECT 1 GiB: ≥ 0.9× the direct download rate"),
    dict(id="w5-rss", text="idle connections: ≤ 2 KiB RSS per idle keep-alive client connection"),
    dict(id="w6-p99", text="latency at equal load: p99 ≤ haproxy's p99"),
    dict(id="errors", text="zero errors: no failed or reset request in any workload"),
    dict(id="w8-squid", text="filtering chain: req/s ≥ 3× squid (issue 15)"),
    dict(id="w8-cpu", text="filtering chain: proxy CPU per request (helpers excluded) ≤ 0.25× squid's (issue 15)"),
    dict(id="w8-decisions", text="filtering chain: the same decision as squid for every sample URL (issue 15)"),
    dict(id="w8-errors", text="filtering chain: zero errors (load and decision pass) (issue 15)"),
]


def med(res, wl, proxy, key):
    try:
        v = res["workloads"][wl]["results"][proxy]["median"].get(key)
    except (KeyError, TypeError):
        return None
    return v


def evaluate_targets(res, subject="exaproxy"):
    out = []

    def ratio_target(tid, wl, key, peer, op, bound):
        a, b = med(res, wl, subject, key), med(res, wl, peer, key)
        if a is None or b is None or not b:
            return dict(value=None, pass_=None, detail=f"not measured ({subject}={a}, {peer}={b})")
        r = a / b
        ok = r >= bound if op == ">=" else r <= bound
        return dict(value=round(r, 3), pass_=ok, detail=f"{r:.2f}× (need {op} {bound}×)")

    for t in TARGETS:
        tid = t["id"]
        if tid == "w1-squid":
            e = ratio_target(tid, "1", "rps", "squid", ">=", 3.0)
            ceiling, squid = med(res, "1", LOAD_CORE, "rps"), med(res, "1", "squid", "rps")
            if ceiling and squid:
                e["detail"] += f"; the load core alone: {ceiling / squid:.2f}× squid"
        elif tid == "w1-haproxy":
            e = ratio_target(tid, "1", "rps", "haproxy", ">=", 1.0)
        elif tid == "w1-cpu":
            e = ratio_target(tid, "1", "cpu_ms_per_10k", "haproxy", "<=", 0.8)
        elif tid == "w2-haproxy":
            e = ratio_target(tid, "2", "rps", "haproxy", ">=", 1.0)
        elif tid == "w3-haproxy":
            e = ratio_target(tid, "3", "rps", "haproxy", ">=", 1.0)
        elif tid == "w4-direct":
            e = ratio_target(tid, "4", "mbps", "direct", ">=", 0.9)
        elif tid == "w6-p99":
            e = ratio_target(tid, "6", "p99_us", "haproxy", "<=", 1.0)
        elif tid == "w5-rss":
            v = med(res, "5", subject, "bytes_per_conn_idle")
            e = (dict(value=None, pass_=None, detail="not measured") if v is None else
                 dict(value=round(v), pass_=v <= 2048, detail=f"{v / 1024:.2f} KiB/conn (need ≤ 2 KiB)"))
        elif tid == "w8-squid":
            e = ratio_target(tid, "8", "rps", "squid", ">=", 3.0)
        elif tid == "w8-cpu":
            e = ratio_target(tid, "8", "cpu_ms_per_10k", "squid", "<=", 0.25)
            a, b = med(res, "8", subject, "cpu_ms_per_10k"), med(res, "8", "squid", "cpu_ms_per_10k")
            ha, hb = med(res, "8", subject, "helper_cpu_ms_per_10k"), med(res, "8", "squid", "helper_cpu_ms_per_10k")
            if a and b:
                e["detail"] += f" ({a / 10:.1f} against {b / 10:.1f} µs/request)"
            if ha and hb:
                e["detail"] += f"; helpers: {ha / hb:.2f}× ({ha / 10:.1f} against {hb / 10:.1f} µs/request)"
        elif tid == "w8-decisions":
            dec = (res.get("workloads", {}).get("8") or {}).get("decisions")
            if not dec or len(dec.get("compared", [])) < 2:
                e = dict(value=None, pass_=None, detail="not measured (needs exaproxy and squid in workload 8)")
            else:
                n = len(dec["mismatches"])
                e = dict(value=n, pass_=n == 0,
                         detail=f"{n} of {dec['sample_n']:,} URLs answered differently" +
                                (f"; edge URLs: {dec['edge_differ']} of {dec['edge_n']} differ "
                                 f"({dec['edge_outcome_differ']} in outcome), not counted" if dec.get("edge_n") else ""))
        elif tid == "w8-errors":
            r = (res.get("workloads", {}).get("8") or {}).get("results", {}).get(subject)
            if not r:
                e = dict(value=None, pass_=None, detail="not measured")
            else:
                n = sum((run.get("errors") or 0) for run in r.get("runs", []))
                x = r.get("extra_errors") or 0
                qf = sum((run.get("queue_full") or 0) for run in r.get("runs", []))
                e = dict(value=n + x, pass_=n + x == 0,
                         detail=f"{n + x} errors ({n} under load, {x} in the decision pass)" +
                                (f"; the redirector refused {qf} for a full queue" if qf else ""))
        elif tid == "errors":
            total, where = 0, []
            for wl, w in res.get("workloads", {}).items():
                r = w.get("results", {}).get(subject)
                if not r:
                    continue
                n = sum((run.get("errors") or 0) for run in r.get("runs", [])) + (r.get("extra_errors") or 0)
                if n:
                    where.append(f"w{wl}: {n}")
                total += n
            crashes = [a for a in res.get("anomalies", []) if a.get("proxy") == subject and a.get("kind") == "exit"]
            ok = total == 0 and not crashes
            detail = "0 errors" if ok else (f"{total} errors ({', '.join(where)})" +
                                             (f"; {len(crashes)} unexpected exit(s)" if crashes else ""))
            e = dict(value=total, pass_=ok, detail=detail)
        out.append(dict(id=tid, text=t["text"], value=e["value"], passed=e["pass_"], detail=e["detail"]))
    return out


def fmt_num(v, nd=0):
    if v is None:
        return "–"
    if isinstance(v, float) and nd == 0:
        return f"{v:,.0f}"
    if nd:
        return f"{v:,.{nd}f}"
    return f"{v:,}"


def fmt_us(v):
    return "–" if v is None else f"{v / 1000:.2f}"


def fmt_ratio(v):
    return "–" if v is None else f"{v:.2f}×"


def columns_for(wl):
    """(header, function(median_dict, ratios_dict) -> str) for one workload's table."""
    m = lambda k, nd=0: (lambda d, r: fmt_num(d.get(k), nd))
    us = lambda k: (lambda d, r: fmt_us(d.get(k)))
    rd = lambda d, r: fmt_ratio(r.get("direct"))
    lat = [("p50 ms", us("p50_us")), ("p99 ms", us("p99_us")), ("p99.9 ms", us("p999_us"))]
    errs = [("non-2xx", m("non2xx")), ("sock err", m("sock_errors"))]
    cpu = [("CPU ms/10k req", m("cpu_ms_per_10k", 1)), ("CPU %", m("cpu_pct")), ("RSS MiB", m("rss_mib", 1))]
    if wl in ("1", "3"):
        return [("req/s", m("rps")), ("×direct", rd)] + cpu + lat + errs
    if wl == "2":
        return [("req/s", m("rps")), ("MB/s", m("mbps")), ("×direct", rd)] + cpu + lat + errs
    if wl == "4":
        return [("MB/s", m("mbps")), ("×direct", rd), ("×relay", lambda d, r: fmt_ratio(r.get(RELAY))),
                ("CPU s/GiB", m("cpu_s_per_gib", 2)), ("CPU ×relay", lambda d, r: fmt_ratio(r.get("cpu_relay"))),
                ("CPU %", m("cpu_pct")), ("RSS MiB", m("rss_mib", 1)), ("errors", m("errors"))]
    if wl == "9":
        return [("req/s", m("rps")), ("MB/s", m("mbps")), ("×squid", lambda d, r: fmt_ratio(r.get("squid"))),
                ("CPU ms/10k req", m("cpu_ms_per_10k", 1)), ("ICAP CPU ms/10k req", m("icap_cpu_ms_per_10k", 1)),
                ("CPU %", m("cpu_pct")), ("ICAP CPU %", m("icap_cpu_pct")), ("RSS MiB", m("rss_mib", 1))] + lat + errs
    if wl == "8":
        return [("req/s", m("rps")), ("×squid", lambda d, r: fmt_ratio(r.get("squid"))),
                ("CPU ms/10k req", m("cpu_ms_per_10k", 1)), ("helpers CPU ms/10k req", m("helper_cpu_ms_per_10k", 1)),
                ("CPU %", m("cpu_pct")), ("helpers CPU %", m("helper_cpu_pct")), ("RSS MiB", m("rss_mib", 1)),
                ("helpers RSS MiB", m("helper_rss_mib", 1))] + lat + errs + [("queue full", m("queue_full"))]
    if wl == "5":
        return [("B/conn idle", m("bytes_per_conn_idle")), ("B/conn connected", m("bytes_per_conn_connected")),
                ("×direct", rd), ("RSS MiB after", m("rss_mib", 1)), ("ok", m("ok")),
                ("still open", m("still_open")), ("errors", m("errors"))]
    if wl == "6":
        return [("target req/s", m("target_rps")), ("achieved req/s", m("rps"))] + lat + \
               [("×direct p99", rd), ("CPU ms/10k req", m("cpu_ms_per_10k", 1))] + errs
    if wl == "7":
        return [("cold req/s", m("cold_rps")), ("cold p50 ms", us("cold_p50_us")), ("cold p99 ms", us("cold_p99_us")),
                ("warm req/s", m("rps")), ("×direct warm", rd), ("warm p99 ms", us("p99_us")),
                ("CPU ms/10k warm", m("cpu_ms_per_10k", 1)), ("errors", m("errors"))]
    return []


def workload_rows(res, wl):
    w = res["workloads"][wl]
    cols = columns_for(wl)
    rows = []
    for p in PEER_ORDER:
        r = w["results"].get(p)
        if not r or not r.get("median"):
            continue
        ratios = dict(w.get("ratios", {}).get(p, {}))
        if p in (w.get("cpu_ratio_relay") or {}):
            ratios["cpu_relay"] = w["cpu_ratio_relay"][p]
        rows.append([p] + [f(r["median"], ratios) for _, f in cols])
    return ["proxy"] + [h for h, _ in cols], rows


def peer_ratio_line(res, wl, subject="exaproxy"):
    w = res["workloads"][wl]
    r = w.get("ratios", {}).get(subject, {})
    parts = [f"{p} {r[p]:.2f}×" for p in PEER_ORDER if p != subject and r.get(p) is not None]
    if not parts:
        return ""
    meta = WORKLOADS[wl]
    better = "higher is better" if meta["higher"] else "lower is better"
    return f"{subject} ÷ other ({meta['unit']}, {better}): " + ", ".join(parts)


def text_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["--:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def scale_rows(res):
    s = res.get("scale") or {}
    header = ["workload", "proxy", "req/s", "CPU ms/10k req", "CPU %", "p99 ms", "errors", "÷ haproxy"]
    rows = []
    for wl in ("1", "3"):
        block = s.get(wl) or {}
        for p in ("exaproxy-loops2", "haproxy-nbthread2"):
            d = (block.get(p) or {}).get("median")
            if not d:
                continue
            ratio = block.get("ratio") if p == "exaproxy-loops2" else None
            rows.append([f"{wl}. {WORKLOADS[wl]['title']}", p, fmt_num(d.get("rps")), fmt_num(d.get("cpu_ms_per_10k"), 1),
                         fmt_num(d.get("cpu_pct")), fmt_us(d.get("p99_us")), fmt_num(d.get("errors")), fmt_ratio(ratio)])
    return header, rows


def render(res, markdown=False):
    """The whole result table (every workload, then the scaling table) as text or markdown."""
    tab = md_table if markdown else text_table
    out = []
    for wl in sorted(res.get("workloads", {})):
        w = res["workloads"][wl]
        meta = WORKLOADS[wl]
        title = f"{wl}. {meta['title']}"
        extra = w.get("info") or ""
        out.append((f"#### {title}" if markdown else f"[{title}]") + (f" — {extra}" if extra else ""))
        if markdown:
            out.append("")
        h, rows = workload_rows(res, wl)
        out.append(tab(h, rows))
        line = peer_ratio_line(res, wl)
        if line:
            out.append(("\n" if markdown else "") + line)
        if wl == "8":
            out += decision_lines(w, markdown)
        for p, why in sorted((w.get("skipped") or {}).items()):
            out.append(("- " if markdown else "  ") + f"{p}: not run ({why})")
        out.append("")
    if res.get("scale"):
        out.append("#### Scaling: exaproxy loops=2 vs haproxy nbthread 2, both unpinned" if markdown
                   else "[Scaling: exaproxy loops=2 vs haproxy nbthread 2, both unpinned]")
        if markdown:
            out.append("")
        h, rows = scale_rows(res)
        out.append(tab(h, rows))
        out.append("")
    return "\n".join(out)


def decision_lines(w, markdown=False):
    """Workload 8: the decision pass, the targets beside the figures."""
    dec = w.get("decisions")
    if not dec:
        return []
    b = "- " if markdown else "  "
    sub = "  - " if markdown else "    "
    out = [""] if markdown else []
    names = dec.get("compared", [])
    for n, p in dec.get("per_proxy", {}).items():
        out.append(b + f"decisions of {n} ({dec['sample_n']:,} sample URLs): " +
                   ", ".join(f"{k} {v:,}" for k, v in sorted(p["outcomes"].items())) +
                   f"; not as the generator expects: {p['unexpected']}; errors: {p['errors']}")
    if len(names) > 1:
        mm = dec.get("mismatches", [])
        out.append(b + f"{' vs '.join(names)}: {len(mm)} of {dec['sample_n']:,} sample URLs answered differently")
        for m in mm[:20]:
            out.append(sub + f"MISMATCH [{m['category']}] `{m['url']}`: " +
                       "; ".join(f"{n}: {a}" for n, a in m["answers"].items()))
        if len(mm) > 20:
            out.append(sub + f"... {len(mm) - 20} more in the results JSON")
        differ = [e for e in dec.get("edge", []) if e["differ"]]
        out.append(b + f"edge URLs (not counted): {len(differ)} of {dec['edge_n']} answered differently, "
                   f"{dec.get('edge_outcome_differ', 0)} of them with a different outcome")
        for e in differ:
            out.append(sub + f"[{e['what']}] `{e['url']}`: " + "; ".join(f"{n}: {a}" for n, a in e["answers"].items()))
    ts = [t for t in evaluate_targets(dict(workloads={"8": w})) if t["id"].startswith("w8-")]
    if ts and "squid" in names:
        mark = lambda t: "PASS" if t["passed"] else ("MISS" if t["passed"] is False else "n/a")
        out.append(b + "targets: " + "; ".join(f"{t['text'].split(': ', 1)[1].replace(' (issue 15)', '')} "
                                                f"{mark(t)} ({t['detail']})" for t in ts))
    return out


# A/B mode: the figures compared per workload (key, label, higher is better, scale, decimals)
AB_METRICS = {
    "1": [("rps", "req/s", True, 1, 0), ("cpu_ms_per_10k", "CPU µs/req", False, 0.1, 2),
          ("p99_us", "p99 ms", False, 0.001, 2)],
    "4": [("mbps", "MB/s", True, 1, 0), ("cpu_s_per_gib", "CPU s/GiB", False, 1, 3)],
    "5": [("bytes_per_conn_idle", "B/conn idle", False, 1, 0)],
    "6": [("p99_us", "p99 ms", False, 0.001, 3), ("p50_us", "p50 ms", False, 0.001, 3),
          ("p999_us", "p99.9 ms", False, 0.001, 3), ("rps", "achieved req/s", True, 1, 0),
          ("cpu_ms_per_10k", "CPU µs/req", False, 0.1, 2)],
    "7": [("rps", "warm req/s", True, 1, 0), ("cold_rps", "cold req/s", True, 1, 0),
          ("p99_us", "warm p99 ms", False, 0.001, 2)],
    "8": [("rps", "req/s", True, 1, 0), ("cpu_ms_per_10k", "CPU µs/req", False, 0.1, 2),
          ("helper_cpu_ms_per_10k", "helpers CPU µs/req", False, 0.1, 2), ("p99_us", "p99 ms", False, 0.001, 2)],
    "9": [("rps", "req/s", True, 1, 0), ("cpu_ms_per_10k", "CPU µs/req", False, 0.1, 2),
          ("icap_cpu_ms_per_10k", "c-icap CPU µs/req", False, 0.1, 2), ("p99_us", "p99 ms", False, 0.001, 2)],
}
AB_METRICS["2"] = AB_METRICS["3"] = AB_METRICS["1"]


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def ab_summary(w, wl, a="exaproxy-A", b="exaproxy-B"):
    """Per figure: each variant's median and min-max over its runs, B/A of the medians and per pair
    (run i of A with run i of B), how many pairs B won, and whether the difference holds beyond
    the spread (B's range entirely above or below A's)."""
    import statistics
    ra = (w.get("results", {}).get(a) or {}).get("runs", [])
    rb = (w.get("results", {}).get(b) or {}).get("runs", [])
    out = []
    for key, label, higher, scale, nd in AB_METRICS.get(wl, []):
        va = [r.get(key) for r in ra]
        vb = [r.get(key) for r in rb]
        xa, xb = [v for v in va if _num(v)], [v for v in vb if _num(v)]
        if not xa or not xb:
            continue
        pairs = [(x, y) for x, y in zip(va, vb) if _num(x) and _num(y) and x]
        ratios = [y / x for x, y in pairs]
        won = sum(1 for x, y in pairs if (y > x if higher else y < x))
        if min(xb) > max(xa) or max(xb) < min(xa):
            up = min(xb) > max(xa)
            verdict = ("B better" if up == higher else "B worse") + " beyond the spread"
        else:
            verdict = "within the spread"
        stat = lambda v: dict(median=statistics.median(v), min=min(v), max=max(v), n=len(v))
        out.append(dict(key=key, label=label, higher=higher, scale=scale, nd=nd, a=stat(xa), b=stat(xb),
                        ratio=statistics.median(xb) / statistics.median(xa) if statistics.median(xa) else None,
                        pair_ratios=stat(ratios) if ratios else None, b_won=won, pairs=len(pairs), verdict=verdict))
    return out


def chance_separated(n):
    """Probability that n runs of A and n of B of the same distribution have disjoint ranges."""
    import math
    return 2 / math.comb(2 * n, n) if n > 0 else 1.0


def render_ab(res):
    ab = res.get("ab") or {}
    out = []
    for v, d in sorted((ab.get("variants") or {}).items()):
        out.append(f"{v} = {d['label']}  [{d.get('version', '?')}]")
    n = ab.get("pairs") or 0
    out.append(f"{n} pairs per workload (A B, then B A, ...), {res['config']['dur_s']} s per run; median (min–max) "
               f"over the runs of each variant. \"Beyond the spread\": B's range lies entirely above or below A's, "
               f"which two equal variants do by chance with probability 2/C(2n,n) = {chance_separated(n):.1%} "
               f"for n = {n}" + (" (too few pairs to tell)" if chance_separated(n) > 0.05 else ""))
    out.append("")
    for wl, rows in sorted((ab.get("summary") or {}).items()):
        w = res["workloads"].get(wl, {})
        out.append(f"[A/B {wl}. {WORKLOADS[wl]['title']}]" + (f" — {w['info']}" if w.get("info") else ""))
        fmt = lambda x, r: f"{x * r['scale']:,.{r['nd']}f}"
        table = []
        for r in rows:
            pr = r["pair_ratios"]
            table.append([r["label"] + (" ↑" if r["higher"] else " ↓"),
                          f"{fmt(r['a']['median'], r)} ({fmt(r['a']['min'], r)}–{fmt(r['a']['max'], r)})",
                          f"{fmt(r['b']['median'], r)} ({fmt(r['b']['min'], r)}–{fmt(r['b']['max'], r)})",
                          fmt_ratio(r["ratio"]),
                          f"{pr['min']:.2f}–{pr['max']:.2f}×" if pr else "–",
                          f"{r['b_won']}/{r['pairs']}", r["verdict"]])
        out.append(text_table(["figure (↑ higher is better)", "A", "B", "B÷A", "B÷A per pair", "B better in",
                               "difference"], table))
        errs = {p: sum((x.get("errors") or 0) for x in (w.get("results", {}).get(p) or {}).get("runs", []))
                for p in ("exaproxy-A", "exaproxy-B")}
        qf = {p: sum((x.get("queue_full") or 0) for x in (w.get("results", {}).get(p) or {}).get("runs", []))
              for p in ("exaproxy-A", "exaproxy-B")}
        if any(errs.values()) or any(qf.values()):
            out.append("  errors over all runs: " + ", ".join(f"{p[-1]} {n}" for p, n in errs.items()) +
                       ("; of them refused by the redirector for a full queue: " +
                        ", ".join(f"{p[-1]} {n}" for p, n in qf.items()) if any(qf.values()) else ""))
        if wl == "8":
            out += decision_lines(w)
        for p, why in sorted((w.get("skipped") or {}).items()):
            out.append(f"  {p}: not run ({why})")
        out.append("")
    return "\n".join(out)


def render_targets(res, markdown=False):
    ts = res.get("targets") or evaluate_targets(res)
    mark = lambda t: "PASS" if t["passed"] else ("MISS" if t["passed"] is False else "n/a")
    h = ["target", "result", "measured"]
    rows = [[t["text"], mark(t), t["detail"]] for t in ts]
    return (md_table if markdown else text_table)(h, rows)

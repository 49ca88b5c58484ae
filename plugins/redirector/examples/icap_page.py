#!/usr/bin/python3
"""icap_page: answers requests for the listed hosts (and subdomains) with a page this helper
writes itself; everything else goes through. ExaProxy ICAP dialect:

  [redirector]
  program = /usr/share/exaproxy/redirector/icap_page.py games.example
  protocol = exaproxy-icap

The answer is "200 + res-hdr + res-body": an HTTP response head, then a chunked body.
"""
import html
import sys

HOSTS = [h.lower().strip(".") for h in sys.argv[1:]]
IN = sys.stdin.buffer
OUT = sys.stdout.buffer


def read_request():
    headers = []
    while True:
        line = IN.readline()
        if not line:
            return None, None
        line = line.rstrip(b"\r\n")
        if not line:
            if headers:
                break
            continue
        headers.append(line.decode("latin-1"))
    size = 0
    for h in headers:
        if h.lower().startswith("encapsulated:"):
            size = int(h.rsplit("=", 1)[1])
    return headers, IN.read(size).decode("latin-1")


def pragmas(headers):
    out = {}
    for h in headers:
        if h.lower().startswith("pragma:"):
            k, _, v = h.split(":", 1)[1].strip().partition("=")
            out[k] = v
    return out


while True:
    icap, head = read_request()
    if icap is None:
        break
    p = pragmas(icap)
    host = p.get("host", "").lower()
    if not any(host == h or host.endswith("." + h) for h in HOSTS):
        OUT.write(b"ICAP/1.0 204 No Content\r\n\r\n")
        OUT.flush()
        continue
    url = head.split("\r\n", 1)[0].split(" ")[1] if head else host
    page = ("<!doctype html><title>Not now</title><h1>Not now</h1>"
            "<p>%s is not available from this network (client %s).</p>\n"
            % (html.escape(url), html.escape(p.get("client", "?")))).encode("utf-8")
    hdr = (b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\n"
           b"Cache-Control: no-store\r\n\r\n")
    OUT.write(b"ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=%d\r\n\r\n" % len(hdr))
    OUT.write(hdr)
    OUT.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(page), page))
    OUT.flush()

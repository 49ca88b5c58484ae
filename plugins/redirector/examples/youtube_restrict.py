#!/usr/bin/python3
"""youtube_restrict: forces YouTube's restricted mode by editing the request. ExaProxy ICAP
dialect (the helper gets the request head and may send back a modified one):

  [redirector]
  program = /usr/share/exaproxy/redirector/youtube_restrict.py header
  protocol = exaproxy-icap

  header  adds "YouTube-Restrict: Strict" (what Google documents for proxies; works when the
          proxy sees the requests, i.e. plain HTTP or behind TLS interception)
  cookie  the variant the original ExaProxy attempted: puts f2=8000000 (the old "safety mode"
          bit) into the PREF cookie. Obsolete on today's YouTube; kept to show a header edit.
          The original answered "204" with the edited head, which means "unchanged"; a
          modification must be a 200 with req-hdr, as here.
For HTTPS without interception, route the CONNECT to restrict.youtube.com instead (the
`substitute` plugin, or an exaproxy-url helper answering intercept://restrict.youtube.com).
"""
import re
import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "header"
HOSTS = ("www.youtube.com", "m.youtube.com", "youtube.com", "youtubei.googleapis.com",
         "youtube.googleapis.com", "www.youtube-nocookie.com")
IN = sys.stdin.buffer
OUT = sys.stdout.buffer


def read_request():
    """One REQMOD: ICAP headers, then the encapsulated head (size = last Encapsulated offset)."""
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


def pragma(headers, key):
    for h in headers:
        if h.lower().startswith("pragma:") and h.split(":", 1)[1].strip().startswith(key + "="):
            return h.split("=", 1)[1].strip()
    return ""


def reply_unchanged():
    OUT.write(b"ICAP/1.0 204 No Content\r\n\r\n")


def reply_head(head):
    data = head.encode("latin-1")
    OUT.write(b"ICAP/1.0 200 OK\r\nEncapsulated: req-hdr=0, null-body=%d\r\n\r\n" % len(data))
    OUT.write(data)


def restrict(head):
    lines = head.split("\r\n")
    body = [l for l in lines[1:] if l]
    if MODE == "cookie":
        edited, seen = [], False
        for l in body:
            if l.lower().startswith("cookie:"):
                seen = True
                if re.search(r"\bPREF=", l):
                    l = re.sub(r"\bPREF=", "PREF=f2=8000000&", l, count=1)
                else:
                    l += "; PREF=f2=8000000"
            edited.append(l)
        if not seen:
            edited.append("Cookie: PREF=f2=8000000")
        body = edited
    else:
        body = [l for l in body if not l.lower().startswith("youtube-restrict:")]
        body.append("YouTube-Restrict: Strict")
    return "\r\n".join([lines[0]] + body) + "\r\n\r\n"


while True:
    icap, head = read_request()
    if icap is None:
        break
    host = pragma(icap, "host").lower()
    if host in HOSTS and pragma(icap, "method") != "CONNECT":
        reply_head(restrict(head))
    else:
        reply_unchanged()
    OUT.flush()

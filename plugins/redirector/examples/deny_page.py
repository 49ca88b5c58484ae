#!/usr/bin/python3
"""deny_page: answers requests to the listed hosts (and their subdomains) with a local page;
lets everything else through. ExaProxy url dialect:

  [redirector]
  program = /usr/share/exaproxy/redirector/deny_page.py ads.example tracker.example
  protocol = exaproxy-url
  files = /usr/share/exaproxy/redirector/pages

The proxy serves <files>/blocked.html itself (file:// answers never leave the files directory).
"""
import sys

blocked = [h.lower().strip(".") for h in sys.argv[1:]]


def listed(host):
    host = host.lower().rstrip(".")
    return any(host == b or host.endswith("." + b) for b in blocked)


for line in sys.stdin:
    fields = line.split()
    if not fields:
        print("", flush=True)
        continue
    target = fields[0]                      # "host/path" or "host:port" (CONNECT)
    host = target.split("/", 1)[0]
    if host.startswith("["):                # [v6]:port
        host = host[1:host.find("]")]
    else:
        host = host.split(":", 1)[0]
    print("file://blocked.html" if listed(host) else "", flush=True)

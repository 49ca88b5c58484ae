#!/usr/bin/python3
"""serve_file: answers every request for the listed hosts with the local file success.html
(every request when no host is given). ExaProxy url dialect:

  [redirector]
  program = /usr/share/exaproxy/redirector/serve_file.py portal.example
  protocol = exaproxy-url
  files = /usr/share/exaproxy/redirector/pages
"""
import sys

hosts = {h.lower() for h in sys.argv[1:]}
for line in sys.stdin:
    fields = line.split()
    host = fields[0].split("/", 1)[0].split(":", 1)[0].lower() if fields else ""
    print("file://success.html" if not hosts or host in hosts else "", flush=True)

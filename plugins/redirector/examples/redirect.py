#!/usr/bin/python3
"""redirect: sends browsers asking for the listed hosts (and subdomains) to another URL, with
the original URL appended, %-encoded. Squid protocol, any concurrency:

  [redirector]
  program = /usr/share/exaproxy/redirector/redirect.py http://portal.example/why?url= games.example
  protocol = squid
  concurrency = 4

First argument: the target (the original URL is appended); the rest: hosts.
"""
import sys
import urllib.parse

target = sys.argv[1]
hosts = [h.lower().strip(".") for h in sys.argv[2:]]


def host_of(url):
    if "://" in url:
        url = url.split("://", 1)[1]
    authority = url.split("/", 1)[0].rsplit("@", 1)[-1]
    if authority.startswith("["):
        return authority[1:authority.find("]")]
    return authority.split(":", 1)[0].lower().rstrip(".")


for line in sys.stdin:
    words = line.split()
    channel = ""
    if words and words[0].isdigit():        # concurrency > 0: echo the channel ID
        channel, words = words[0] + " ", words[1:]
    if not words:
        print(channel + "ERR", flush=True)
        continue
    url = words[0]
    host = host_of(url)
    if any(host == h or host.endswith("." + h) for h in hosts):
        location = target + urllib.parse.quote(url, safe="")
        print(channel + 'OK status=302 url="' + location + '"', flush=True)
    else:
        print(channel + "ERR", flush=True)

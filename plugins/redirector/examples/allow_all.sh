#!/bin/sh
# allow_all: lets every request through. Squid protocol, any concurrency:
#   [redirector]
#   program = /usr/share/exaproxy/redirector/allow_all.sh
#   protocol = squid
# With concurrency > 0 each line starts with a channel ID, which is echoed back.
set -f # URLs may contain '*' and '?': no globbing when splitting the line
while IFS= read -r line; do
  set -- $line
  case "$1" in
  '' | *[!0-9]*) echo "OK" ;;
  *) echo "$1 OK" ;;
  esac
done

#!/usr/bin/env bash
# The installed service's hardening (installers/exaproxy.service), checked without systemd as PID 1:
#   1. `systemd-analyze security --offline=yes` scores the unit: its exposure must stay <= 2.5
#      (3.8 before the hardening of issue #14), and the directives the threat model relies on
#      (docs/SECURITY.md) are present;
#   2. MemoryDenyWriteExecute= must not break plugins or helpers: the daemon runs under the
#      kernel's equivalent (prctl PR_SET_MDWE, inherited by every child), with the stock plugins
#      loaded and a Python redirector helper answering, and serves and filters requests. A
#      control first shows that the restriction is in force (a W+X mapping is refused).
# Loopback only: the origin and the proxy bind 127.0.0.1; DNS goes to a closed loopback port.
# usage: systemd_unit_test.sh <unit file> <exaproxy binary> <plugin dir>
set -euo pipefail
unit=$1 binary=$2 plugins=$3
fail=0
ok() { echo "   ok: $*"; }
bad() { echo "   FAIL: $*"; fail=1; }

tmp=$(mktemp -d /tmp/exaproxy-unit-test.XXXXXX)
pid= origin_pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$origin_pid" ] && kill -TERM "$origin_pid" 2>/dev/null && wait "$origin_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== systemd-analyze security --offline=yes"
cp "$unit" "$tmp/exaproxy.service"
report=$(cd "$tmp" && systemd-analyze security --offline=yes exaproxy.service 2>&1) || true
exposure=$(sed -n 's/.*Overall exposure level for exaproxy.service: \([0-9.]*\).*/\1/p' <<<"$report")
if [ -z "$exposure" ]; then
  bad "no exposure level in: $report"
elif awk -v e="$exposure" 'BEGIN { exit !(e <= 2.5) }'; then
  ok "exposure $exposure (target <= 2.5)"
else
  bad "exposure $exposure is above 2.5"
  grep '✗' <<<"$report" || true
fi
for d in 'SystemCallFilter=@system-service' 'SystemCallArchitectures=native' 'ProtectClock=yes' \
  'ProtectKernelLogs=yes' 'ProtectHostname=yes' 'MemoryDenyWriteExecute=yes' 'UMask=0027' \
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK' 'NoNewPrivileges=yes'; do
  grep -qx "$d" "$unit" && ok "$d" || bad "missing: $d"
done

echo "== MemoryDenyWriteExecute: the kernel's equivalent is in force"
cat >"$tmp/mdwe.py" <<'PY'
# Sets PR_SET_MDWE (refuse W+X and gaining X), then runs argv[1:] (or, without any, tries a W+X
# mapping and exits 0 when it is refused).
import ctypes, mmap, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0 or libc.prctl(66, 0, 0, 0, 0) != 1:
    sys.exit("PR_SET_MDWE is not available: " + os.strerror(ctypes.get_errno()))
if len(sys.argv) == 1:
    try:
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except OSError:
        sys.exit(0)
    sys.exit("a W+X mapping was allowed")
os.execv(sys.argv[1], sys.argv[1:])
PY
if python3 "$tmp/mdwe.py"; then ok "a W+X mapping is refused"; else bad "PR_SET_MDWE control"; fi

echo "== the daemon with the stock plugins and a Python helper, under PR_SET_MDWE"
mkdir -p "$tmp/www" "$tmp/conf.d"
echo "origin-ok" >"$tmp/www/index.html"
port_of() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
origin_port=$(port_of)
closed_port=$(port_of)
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$origin_port" >"$tmp/origin.log" 2>&1 &
origin_pid=$!
cat >"$tmp/helper.py" <<'PY'
import sys
for line in sys.stdin:
    if "/blocked" in line.split()[0]:
        print('OK status=302 url="http://block.invalid/"', flush=True)
    else:
        print("ERR", flush=True)
PY
cat >"$tmp/conf.d/00-exaproxy.conf" <<CONF
[listener main]
address = 127.0.0.1:0

[log]
level = info
access_log = $tmp/access.log

[ui]
enabled = no
CONF
printf '[plugin]\npath = %s/xff.so\n\n[xff]\ntrusted = 10.0.0.0/8\n' "$plugins" >"$tmp/conf.d/10-xff.conf"
printf '[plugin]\npath = %s/acl.so\n\n[acl_policy]\ndefault = allow\n' "$plugins" >"$tmp/conf.d/20-acl.conf"
printf "[plugin]\npath = %s/headers.so\n\n[headers mark]\nset = X-Test: mdwe\n" "$plugins" \
  >"$tmp/conf.d/30-headers.conf"
printf '[plugin]\npath = %s/redirector.so\n\n[redirector]\nprogram = /usr/bin/python3 %s/helper.py\non_error = deny\n' \
  "$plugins" "$tmp" >"$tmp/conf.d/50-redirector.conf"
python3 "$tmp/mdwe.py" "$binary" --conf-dir "$tmp/conf.d" --ready-file "$tmp/ready" \
  --set "dns.servers=127.0.0.1:$closed_port" --set acl.allow_local_destinations=127.0.0.0/8 \
  >"$tmp/out.log" 2>"$tmp/err.log" &
pid=$!
for _ in $(seq 1 100); do
  [ -s "$tmp/ready" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$tmp/ready" ]; then
  bad "the daemon did not start under PR_SET_MDWE"
  tail -n 30 "$tmp/err.log"
  exit 1
fi
proxy=$(head -n 1 "$tmp/ready")
# The origin (python's http.server) may still be starting on a loaded machine.
for _ in $(seq 1 100); do
  curl -s -o /dev/null --noproxy '*' "http://127.0.0.1:$origin_port/" && break
  sleep 0.1
done
grep -q "plugin.refused" "$tmp/err.log" && bad "a plugin was refused: $(grep plugin.refused "$tmp/err.log")"
grep -q "plugin.reload_done loaded=10-xff,20-acl,30-headers,50-redirector" "$tmp/err.log" &&
  ok "the four plugins loaded" || bad "plugins: $(grep plugin.reload_done "$tmp/err.log")"
status=$(curl -s -o "$tmp/body" -w '%{http_code}' -x "http://$proxy" "http://127.0.0.1:$origin_port/" || true)
[ "$status" = 200 ] && grep -q origin-ok "$tmp/body" && ok "a request went through the four plugins" ||
  bad "through the proxy: status $status"
status=$(curl -s -o /dev/null -w '%{http_code}' -x "http://$proxy" "http://127.0.0.1:$origin_port/blocked" || true)
[ "$status" = 302 ] && ok "the Python helper's redirect" || bad "blocked URL: status $status"
kill -TERM "$pid" && wait "$pid" || true
pid=
grep -qiE "AddressSanitizer|runtime error" "$tmp/err.log" && bad "sanitizer report" && tail -n 40 "$tmp/err.log"
[ $fail -eq 0 ] && echo "PASS" || { echo "FAIL"; exit 1; }

#!/usr/bin/env bash
# Package test: checks the .deb/.rpm files built by installers/build-packages, then installs the
# .deb files on THIS machine (root, DEBIAN_FRONTEND=noninteractive; not a debootstrap chroot) and
# exercises them the way an operator and a plugin vendor would:
#   rpm -qpl / -qpR / --scripts; lintian (no E: allowed); apt-get install ./exaproxy*_*.deb;
#   exaproxy --check on the packaged conf.d; the daemon started as the unit's ExecStart does, as
#   the user exaproxy, on ports 0 (never 3128/8080); curl -x through it to a loopback origin that
#   the test allows; the UI answers, but never through the proxy;
#   exaproxy-dev builds sdk example deny_hosts out of tree with the commands of the installed
#   guide (find_package with no paths) and its VERIFY ctest runs and passes; dropped into
#   conf.d + SIGHUP, it denies; stop by PID; dpkg -r keeps an edited conffile and
#   removes the binaries; dpkg -P purges conf.d and logs.
# The daemon is exec'd by setpriv (no runuser in between) so that $! is its PID, as under systemd.
# Not in the default ctest run (it needs the packages built first, and it installs system-wide):
#   installers/build-packages && tests/e2e/package_install_test.sh [build/pkg/packages]
set -euo pipefail
cd "$(dirname "$0")/../.."
pkgdir=$(realpath "${1:-build/pkg/packages}")
[ "$(id -u)" -eq 0 ] || { echo "package_install_test: needs root" >&2; exit 1; }

fail=0
step() { echo "== $*"; }
ok() { echo "   ok: $*"; }
bad() { echo "   FAIL: $*"; fail=1; }

shopt -s nullglob
debs=("$pkgdir"/exaproxy_*.deb "$pkgdir"/exaproxy-dev_*.deb)
rpms=("$pkgdir"/exaproxy-[0-9]*.rpm "$pkgdir"/exaproxy-dev-[0-9]*.rpm)
[ ${#debs[@]} -eq 2 ] || { echo "need exaproxy_*.deb and exaproxy-dev_*.deb in $pkgdir" >&2; exit 1; }

tmp=$(mktemp -d /tmp/exaproxy-pkgtest.XXXXXX)
chmod 755 "$tmp"
pid=
origin_pid=
policy_created=0
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$origin_pid" ] && kill -TERM "$origin_pid" 2>/dev/null && wait "$origin_pid" 2>/dev/null || true
  [ $policy_created -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- rpm ----------------------------------------------------------------------------------------
if [ ${#rpms[@]} -eq 2 ] && command -v rpm >/dev/null; then
  step "rpm: contents, requirements, scripts"
  for r in "${rpms[@]}"; do
    echo "   $(basename "$r"): $(rpm -qp --qf '%{NAME} %{VERSION}-%{RELEASE} %{ARCH} %{LICENSE}' "$r" 2>/dev/null)"
    rpm -qpR "$r" 2>/dev/null | sed 's/^/      requires: /'
  done
  srv_rpm=${rpms[0]}
  dev_rpm=${rpms[1]}
  # The same files as the .deb (directories aside).
  for pair in "${debs[0]}:$srv_rpm" "${debs[1]}:$dev_rpm"; do
    d=${pair%%:*} r=${pair#*:}
    dpkg-deb -c "$d" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sort >"$tmp/deb.list"
    rpm -qpl "$r" 2>/dev/null | sort >"$tmp/rpm.all"
    comm -12 "$tmp/deb.list" "$tmp/rpm.all" >"$tmp/both"
    missing=$(comm -23 "$tmp/deb.list" "$tmp/rpm.all")
    if [ -z "$missing" ]; then ok "$(basename "$r") holds the $(wc -l <"$tmp/deb.list") files of $(basename "$d")"
    else bad "$(basename "$r") lacks: $missing"; fi
  done
  rpm -qpl "$srv_rpm" 2>/dev/null | grep -x /usr/sbin/exaproxy >/dev/null && ok "rpm has /usr/sbin/exaproxy" || bad "rpm lacks the daemon"
  rpm -qp --scripts "$srv_rpm" 2>/dev/null | grep 'useradd -r' >/dev/null && ok "rpm %post creates the user" || bad "rpm scripts create no user"
  rpm -qp --configfiles "$srv_rpm" 2>/dev/null | grep /etc/exaproxy/conf.d/00-exaproxy.conf >/dev/null \
    && ok "rpm marks conf.d as %config" || bad "rpm conf.d not %config"
  rpm -qpR "$srv_rpm" 2>/dev/null | grep 'libcares' >/dev/null && ok "rpm requires libcares (autoreq)" || bad "rpm autoreq missing libcares"
else
  echo "== rpm: skipped (no .rpm files or no rpm tool)"
fi

# --- lintian ------------------------------------------------------------------------------------
if command -v lintian >/dev/null; then
  step "lintian"
  lintian --tag-display-limit 0 "${debs[@]}" >"$tmp/lintian.txt" 2>&1 || true
  sed 's/^/   /' "$tmp/lintian.txt"
  if grep -q '^E:' "$tmp/lintian.txt"; then bad "lintian errors"; else ok "lintian: no errors ($(grep -c '^W:' "$tmp/lintian.txt" || true) warnings)"; fi
else
  echo "== lintian: skipped (not installed)"
fi

# --- install ------------------------------------------------------------------------------------
step "apt-get install ${debs[*]##*/}"
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  policy_created=1
fi
(cd "$pkgdir" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "./$(basename "${debs[0]}")" "./$(basename "${debs[1]}")") >"$tmp/apt.log" 2>&1 \
  || { tail -n 20 "$tmp/apt.log"; echo "install failed" >&2; exit 1; }
ok "installed"
getent passwd exaproxy >/dev/null && ok "user exaproxy exists" || bad "no user exaproxy"
[ "$(stat -c %U /var/log/exaproxy 2>/dev/null)" = exaproxy ] && ok "/var/log/exaproxy owned by exaproxy" || bad "/var/log/exaproxy"
for f in /usr/sbin/exaproxy /lib/systemd/system/exaproxy.service /etc/logrotate.d/exaproxy \
         /usr/share/man/man8/exaproxy.8.gz /usr/share/exaproxy/www/index.html \
         /usr/share/exaproxy/templates/error.html /etc/exaproxy/conf.d/00-exaproxy.conf; do
  [ -e "$f" ] && ok "$f" || bad "missing $f"
done
plugindir=$(dpkg -L exaproxy | grep '/exaproxy/plugins/xff.so$' | xargs -r dirname)
[ -n "$plugindir" ] && ok "stock plugins in $plugindir: $(ls "$plugindir" | tr '\n' ' ')" || bad "no xff.so"

step "exaproxy --check --conf-dir /etc/exaproxy/conf.d (as exaproxy)"
runuser -u exaproxy -- /usr/sbin/exaproxy --check --conf-dir /etc/exaproxy/conf.d && ok "valid" || bad "--check failed"

# --- run it as ExecStart does -------------------------------------------------------------------
step "start as user exaproxy (ports 0), beside a loopback origin"
# The origin stands in for a web server elsewhere: the packaged configuration refuses every
# destination on the proxy's own host, so the test opens exactly this one port.
mkdir -p "$tmp/www" && echo "origin page" >"$tmp/www/index.html"
origin_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$origin_port" >"$tmp/origin.log" 2>&1 &
origin_pid=$!
origin="127.0.0.1:$origin_port"
for _ in $(seq 50); do curl -s -o /dev/null "http://$origin/" && break; sleep 0.1; done
mkdir -p "$tmp/run" && chown exaproxy "$tmp/run"
ready=$tmp/run/ready
setpriv --reuid=exaproxy --regid=exaproxy --init-groups /usr/sbin/exaproxy --conf-dir /etc/exaproxy/conf.d \
  --set 'listener main.address=127.0.0.1:0' --set ui.listen=127.0.0.1:0 --ready-file "$ready" \
  --set "acl.allow_local_destinations=$origin" >"$tmp/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$ready" ] && [ -s "$ready.ui" ] && break; sleep 0.1; done
if [ ! -s "$ready" ]; then cat "$tmp/daemon.log"; echo "daemon did not become ready" >&2; exit 1; fi
proxy=$(head -n1 "$ready"); ui=$(head -n1 "$ready.ui")
ok "proxy on $proxy, UI on $ui, pid $pid, user $(ps -o user= -p "$pid")"

code=$(curl -s -o /dev/null -w '%{http_code}' "http://$ui/" --max-time 10 || true)
[ "$code" = 200 ] && ok "UI answers 200" || bad "UI answered $code"
# The UI is never reachable through the proxy, whatever allow_local_destinations says.
code=$(curl -s -o /dev/null -w '%{http_code}' -x "http://$proxy" "http://$ui/api/v1/config" --max-time 10 || true)
[ "$code" = 403 ] && ok "curl -x $proxy http://$ui/api/v1/config -> 403" || bad "UI through the proxy: $code"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -x "http://$proxy" "http://$origin/" --max-time 10 || true)
[ "$code" = 200 ] && grep -q "origin page" "$tmp/body" && ok "curl -x $proxy http://$origin/ -> 200" \
  || bad "through the proxy: $code"
sleep 0.5
grep -q "http://$origin/" /var/log/exaproxy/access.log && ok "access log written" || bad "no access log line"

# --- exaproxy-dev: a vendor's plugin, built out of tree against /usr --------------------------
# Exactly as the installed guide says: its first sh block under "## Build" (less the apt line,
# done above), run in a scratch directory; then the example's VERIFY ctest must run and pass.
step "build sdk example deny_hosts as the installed SDK guide says, and run its ctest"
guide=/usr/share/doc/exaproxy/sdk/README.md
dpkg -L exaproxy-dev | grep -qx "$guide" && ok "$guide is in exaproxy-dev" || bad "exaproxy-dev lacks $guide"
awk '/^## Build/ {b=1} b && /^```sh/ {c=1; next} c && /^```/ {exit} c' "$guide" \
  | grep -v '^sudo apt' >"$tmp/guide.sh" || true
sed 's/^/   $ /' "$tmp/guide.sh"
grep -q '^ctest ' "$tmp/guide.sh" || bad "the guide's build commands run no ctest"
mkdir -p "$tmp/vendor"
if (cd "$tmp/vendor" && bash -euo pipefail "$tmp/guide.sh") >"$tmp/cmake.log" 2>&1; then
  so=$(ls "$tmp"/vendor/*/build/deny_hosts.so 2>/dev/null | head -n1)
  ran=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1 \2/p' "$tmp/cmake.log")
  if [ -n "$ran" ] && [ "${ran% *}" -eq 0 ] && [ "${ran#* }" -ge 1 ]; then
    ok "ctest: ${ran#* } test(s) ran, all passed ($(grep -o '[A-Za-z0-9_]*_verify' "$tmp/cmake.log" | sort -u | tr '\n' ' '))"
  else
    tail -n 20 "$tmp/cmake.log"; bad "ctest ran no test or one failed: '$ran'"
  fi
else
  so=
  tail -n 30 "$tmp/cmake.log"; bad "the guide's build commands failed"
fi
if [ -z "$so" ]; then bad "no deny_hosts.so built"
else
  ok "built $so (find_package(ExaProxySDK) with no paths)"
  /usr/sbin/exaproxy --verify-plugin "$so" >/dev/null && ok "--verify-plugin passes" || bad "--verify-plugin"
  install -m 644 "$so" /etc/exaproxy/conf.d/30-deny_hosts.so
  printf '[deny_hosts]\nhosts = blocked.test\n' >/etc/exaproxy/conf.d/30-deny_hosts.conf
  kill -HUP "$pid"
  for _ in $(seq 50); do grep -q reload.done "$tmp/daemon.log" && break; sleep 0.1; done
  grep -q reload.done "$tmp/daemon.log" && ok "reloaded" || bad "no reload.done"
  code=$(curl -s -o /dev/null -w '%{http_code}' -x "http://$proxy" http://blocked.test/ --max-time 10 || true)
  [ "$code" = 403 ] && ok "blocked.test -> 403 from the vendor plugin" || bad "blocked.test -> $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' -x "http://$proxy" "http://$origin/" --max-time 10 || true)
  [ "$code" = 200 ] && ok "other hosts still pass" || bad "other host -> $code"
  rm -f /etc/exaproxy/conf.d/30-deny_hosts.so /etc/exaproxy/conf.d/30-deny_hosts.conf
fi

step "SIGUSR1 reopens the logs; SIGTERM stops it"
mv /var/log/exaproxy/access.log /var/log/exaproxy/access.log.1
kill -USR1 "$pid"; sleep 0.5
curl -s -o /dev/null -x "http://$proxy" "http://$origin/" --max-time 10 || true
sleep 0.5
[ -s /var/log/exaproxy/access.log ] && ok "new access.log after USR1" || bad "access.log not reopened"
kill -TERM "$pid"
wait "$pid" && ok "stopped (status 0)" || bad "exit status $?"
pid=

# --- remove, purge ------------------------------------------------------------------------------
step "dpkg -r keeps an edited conffile; dpkg -P purges"
echo "# edited by package_install_test" >>/etc/exaproxy/conf.d/00-exaproxy.conf
dpkg -r exaproxy-dev exaproxy >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; bad "dpkg -r"; }
[ ! -e /usr/sbin/exaproxy ] && ok "binary removed" || bad "binary still there"
grep -q "edited by package_install_test" /etc/exaproxy/conf.d/00-exaproxy.conf 2>/dev/null \
  && ok "edited 00-exaproxy.conf kept" || bad "conffile lost on remove"
dpkg -P exaproxy exaproxy-dev >>"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; bad "dpkg -P"; }
[ ! -e /etc/exaproxy ] && ok "/etc/exaproxy purged" || bad "/etc/exaproxy left: $(ls -R /etc/exaproxy)"
[ ! -e /var/log/exaproxy ] && ok "/var/log/exaproxy purged" || bad "/var/log/exaproxy left"
[ ! -e /etc/logrotate.d/exaproxy ] && ok "logrotate file purged" || bad "logrotate file left"

echo
[ $fail -eq 0 ] && echo "package_install_test: PASS" || echo "package_install_test: FAIL"
exit $fail

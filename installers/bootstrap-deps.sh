#!/usr/bin/env bash
# Installs what ExaProxy needs on Debian 12, from Debian's packages only.
#   installers/bootstrap-deps.sh build   compilers, libraries (build and run the proxy)
#   installers/bootstrap-deps.sh test    the above plus the real peers the tests start
# Installing never starts a service or takes a port: a policy-rc.d forbids service starts
# for the duration, and only daemon-less packages (dnsmasq-base, not dnsmasq) are used.
set -euo pipefail

what=${1:-build}
build_pkgs=(build-essential cmake pkg-config ninja-build
  libpoco-dev libc-ares-dev libboost-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libssl-dev zlib1g-dev)
test_pkgs=(curl dnsmasq-base openssl clang libclang-rt-14-dev calamaris procps iproute2 python3
  libbenchmark-dev
  chromium chromium-driver squidguard squid haproxy
  lintian rpm
  apache2-utils # htpasswd, for the auth plugin's tests (basic_ncsa_auth password files)
  node-llhttp # llhttp's C sources, for the differential fuzz target (tests/fuzz/llhttp_diff_fuzz)
  prometheus # for promtool only (check metrics); its service is never started
  # OpenLDAP and MIT Kerberos servers and clients for the auth plugin's integration tests: each
  # test starts its own slapd / krb5kdc on a loopback port from a temp dir (the system services
  # are never started; see tests/integration/fixtures/ldap_server.h and kdc.h)
  slapd ldap-utils krb5-kdc krb5-admin-server krb5-user
  c-icap # an ICAP server (its echo service) for the ICAP client's tests, started by the test
  libc-icap-mod-urlcheck # its url_check service (squidGuard-format databases), for the same tests
)

pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ $had_policy -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The daemons installed here only for the tests start their own instances: the packages' system
# services (enabled for boot by their postinst) are disabled again, so that a reboot does not start
# a KDC, a directory or a proxy either. Only for packages this run installed.
for svc in slapd krb5-kdc krb5-admin-server squid haproxy prometheus c-icap; do
  case " ${missing[*]} " in *" $svc "*) ;; *) continue ;; esac
  if command -v deb-systemd-helper >/dev/null; then
    deb-systemd-helper disable "$svc.service" >/dev/null 2>&1 || true
  fi
  if [ -e "/etc/init.d/$svc" ]; then
    update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done

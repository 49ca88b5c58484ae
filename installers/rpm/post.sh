# exaproxy %post: the system user and the log directory; enables and starts nothing.
getent group exaproxy >/dev/null || groupadd -r exaproxy
getent passwd exaproxy >/dev/null || \
  useradd -r -g exaproxy -d /nonexistent -M -s /sbin/nologin -c "ExaProxy daemon" exaproxy
if [ ! -d /var/log/exaproxy ]; then
  mkdir -p /var/log/exaproxy
  chown exaproxy:exaproxy /var/log/exaproxy
  chmod 0750 /var/log/exaproxy
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0

# exaproxy %postun: rpm has no purge. On erase ($1 = 0) rpm keeps edited %config(noreplace)
# files as *.rpmsave; the logs stay in /var/log/exaproxy, as is usual on RPM distributions.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0

# exaproxy %preun: on erase ($1 = 0, not an upgrade) stop the service if systemd runs it.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
  systemctl --no-reload disable --now exaproxy.service >/dev/null 2>&1 || :
fi
exit 0

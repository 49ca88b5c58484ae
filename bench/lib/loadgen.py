#!/usr/bin/python3
"""Small load generators of the ExaProxy bench harness (python3 stdlib only), loopback targets only.

  loadgen.py idle  --target 127.0.0.1:P --origin 127.0.0.1:O --n 8000 --pids 123,456 [--direct]
      Opens N client connections and sends nothing (phase 1), then one keep-alive GET of /1k.bin on
      each (absolute-form through a proxy, origin-form with --direct) and reads the whole response
      (phase 2), leaving every connection open and idle. VmRSS (summed over PIDS) is read before,
      after phase 1 and after phase 2. Prints one JSON object.

  loadgen.py burst --target 127.0.0.1:P --n 1000 --conc 50 --nameset S --domain D --origin-port O
                   [--direct] [--path /1k.bin]
      Sends N requests, each to a distinct host name hS-1.D:O .. hS-N.D:O (cold DNS cache in the
      proxy), over CONC keep-alive connections; prints one JSON object with the wall time, the
      per-request latencies' percentiles and the error counts.

  loadgen.py decide --target 127.0.0.1:P --urls FILE [--conc 8]
      Sends every URL of FILE ("category<TAB>URL" or "URL" lines) once, absolute-form, exactly as
      written, over CONC keep-alive connections, and prints one JSON object per URL, in the file's
      order: {"url", "status", "location", "error"} (workload 8's decision pass: what did the
      proxy decide for this URL).
"""
import argparse, asyncio, json, socket, sys, time


def loopback(addr):
    host, _, port = addr.rpartition(":")
    if not (host.startswith("127.") or host in ("localhost", "[::1]")):
        sys.exit(f"refusing non-loopback target {addr}")
    return host.strip("[]"), int(port)


def rss_kb(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def read_response(sock):
    """Read one HTTP/1.1 response with Content-Length; return (status, body_ok, keep_alive)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            return None, False, False
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return None, False, False
    cl, ka = None, True
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        k = k.strip().lower()
        if k == b"content-length":
            cl = int(v.strip())
        elif k == b"connection" and b"close" in v.lower():
            ka = False
    if cl is None:
        return status, False, False
    while len(body) < cl:
        d = sock.recv(65536)
        if not d:
            return status, False, False
        body += d
    return status, len(body) == cl, ka


def cmd_idle(a):
    host, port = loopback(a.target)
    pids = [p for p in a.pids.split(",") if p]
    path = "/1k.bin"
    target = path if a.direct else f"http://{a.origin}{path}"
    req = (f"GET {target} HTTP/1.1\r\nHost: {a.origin}\r\nUser-Agent: exabench-idle\r\n"
           f"Connection: keep-alive\r\n\r\n").encode()
    # one request first so that the proxy's lazily allocated state (pools, caches) is not counted
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(req)
    read_response(s)
    s.close()
    time.sleep(1.0)
    base = rss_kb(pids)
    t0 = time.time()
    socks, connect_errors = [], 0
    for _ in range(a.n):
        try:
            s = socket.create_connection((host, port), timeout=10)
            socks.append(s)
        except OSError:
            connect_errors += 1
    time.sleep(2.0)
    r1 = rss_kb(pids)
    ok = bad_status = sock_errors = 0
    for s in socks:
        try:
            s.sendall(req)
            status, body_ok, _ = read_response(s)
            if status is None or not body_ok:
                sock_errors += 1
            elif 200 <= status < 300:
                ok += 1
            else:
                bad_status += 1
        except OSError:
            sock_errors += 1
    time.sleep(2.0)
    r2 = rss_kb(pids)
    still_open = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(1, socket.MSG_PEEK) != b"":
                still_open += 1  # data pending: open (unexpected, but open)
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
    n_ok = max(1, len(socks))
    out = dict(n=a.n, connected=len(socks), connect_errors=connect_errors, ok=ok, non2xx=bad_status,
               sock_errors=sock_errors, still_open=still_open, rss_base_kb=base, rss_connected_kb=r1,
               rss_after_request_kb=r2,
               bytes_per_conn_connected=(r1 - base) * 1024 / n_ok,
               bytes_per_conn_idle=(r2 - base) * 1024 / n_ok,
               secs=round(time.time() - t0, 2))
    for s in socks:
        s.close()
    print(json.dumps(out))


async def burst_worker(a, host, port, queue, lat, errs):
    reader = writer = None
    while True:
        try:
            i = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        name = f"h{a.nameset}-{i}.{a.domain}:{a.origin_port}"
        target = a.path if a.direct else f"http://{name}{a.path}"
        req = f"GET {target} HTTP/1.1\r\nHost: {name}\r\nUser-Agent: exabench-burst\r\n\r\n".encode()
        t0 = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(req)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), a.timeout)
            lines = head.split(b"\r\n")
            status = int(lines[0].split()[1])
            cl, ka = 0, True
            for line in lines[1:]:
                k, _, v = line.partition(b":")
                k = k.strip().lower()
                if k == b"content-length":
                    cl = int(v.strip())
                elif k == b"connection" and b"close" in v.lower():
                    ka = False
            if cl:
                await asyncio.wait_for(reader.readexactly(cl), a.timeout)
            lat.append(time.perf_counter() - t0)
            if not 200 <= status < 300:
                errs["non2xx"] += 1
            if not ka:
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError, ValueError, IndexError):
            errs["sock"] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def burst_main(a):
    host, port = loopback(a.target)
    queue = asyncio.Queue()
    for i in range(1, a.n + 1):
        queue.put_nowait(i)
    lat, errs = [], {"non2xx": 0, "sock": 0}
    t0 = time.perf_counter()
    await asyncio.gather(*(burst_worker(a, host, port, queue, lat, errs) for _ in range(a.conc)))
    wall = time.perf_counter() - t0
    lat.sort()
    us = lambda v: None if v is None else round(v * 1e6)
    print(json.dumps(dict(requests=len(lat), wall_s=round(wall, 4), rps=len(lat) / wall if wall else 0,
                          p50_us=us(pct(lat, 50)), p99_us=us(pct(lat, 99)), p999_us=us(pct(lat, 99.9)),
                          max_us=us(lat[-1] if lat else None), non2xx=errs["non2xx"], sock_errors=errs["sock"])))


async def read_http_response(reader, timeout):
    """(status, headers dict lower-case, keep_alive) after reading the whole body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        if sep:
            hdrs[k.strip().lower()] = v.strip()
    ka = "close" not in hdrs.get("connection", "").lower() and lines[0].startswith("HTTP/1.1")
    if "chunked" in hdrs.get("transfer-encoding", "").lower():
        while True:
            size = int((await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)).split(b";")[0], 16)
            await asyncio.wait_for(reader.readexactly(size + 2), timeout)
            if size == 0:
                break
    elif "content-length" in hdrs:
        await asyncio.wait_for(reader.readexactly(int(hdrs["content-length"])), timeout)
    elif status not in (204, 304) and not 100 <= status < 200:
        await asyncio.wait_for(reader.read(), timeout)  # until close
        ka = False
    return status, hdrs, ka


async def decide_worker(host, port, queue, out, timeout):
    reader = writer = None
    while True:
        try:
            i, url = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        hostport = url.split("://", 1)[-1].split("/", 1)[0]
        req = f"GET {url} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: exabench-decide\r\n\r\n".encode()
        res = dict(url=url, status=None, location=None, error=None)
        for attempt in (1, 2):  # a kept-alive connection the proxy closed meanwhile: once more, fresh
            fresh = writer is None
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(req)
                status, hdrs, ka = await read_http_response(reader, timeout)
                res.update(status=status, location=hdrs.get("location"), error=None)
                if not ka:
                    writer.close()
                    reader = writer = None
                break
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    asyncio.TimeoutError, ValueError, IndexError) as e:
                res["error"] = type(e).__name__
                if writer is not None:
                    writer.close()
                reader = writer = None
                if fresh:
                    break
        out[i] = res


async def decide_main(a):
    host, port = loopback(a.target)
    queue = asyncio.Queue()
    urls = []
    with open(a.urls) as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                urls.append(line.split("\t")[-1])
    for i, u in enumerate(urls):
        queue.put_nowait((i, u))
    out = [None] * len(urls)
    await asyncio.gather(*(decide_worker(host, port, queue, out, a.timeout) for _ in range(a.conc)))
    for r in out:
        print(json.dumps(r))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("idle")
    i.add_argument("--target", required=True)
    i.add_argument("--origin", required=True)
    i.add_argument("--n", type=int, default=8000)
    i.add_argument("--pids", required=True)
    i.add_argument("--direct", action="store_true")
    b = sub.add_parser("burst")
    b.add_argument("--target", required=True)
    b.add_argument("--n", type=int, default=1000)
    b.add_argument("--conc", type=int, default=50)
    b.add_argument("--nameset", default="1")
    b.add_argument("--domain", default="bench.test")
    b.add_argument("--origin-port", required=True)
    b.add_argument("--path", default="/1k.bin")
    b.add_argument("--timeout", type=float, default=10.0)
    b.add_argument("--direct", action="store_true")
    d = sub.add_parser("decide")
    d.add_argument("--target", required=True)
    d.add_argument("--urls", required=True)
    d.add_argument("--conc", type=int, default=8)
    d.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    if a.cmd == "idle":
        cmd_idle(a)
    elif a.cmd == "decide":
        asyncio.run(decide_main(a))
    else:
        asyncio.run(burst_main(a))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A small ICAP/1.0 REQMOD and RESPMOD service for the ICAP client's tests (RFC 3507).

Usage: icap_test_server.py PORTFILE LOGFILE [PREVIEW]
Listens on 127.0.0.1 (a free port, written to PORTFILE once listening), keeps connections
persistent, and answers by the encapsulated request's URL:
  .../blocked...   200 with an HTTP 403 response (res-hdr, res-body): a block page
  .../rewrite...   200 with the request head modified: "/rewrite" -> "/rewritten" in the URL,
                   "X-Icap: rewritten" added, "X-Remove-Me" removed; a body comes back upper-cased
  .../slow...      waits 3 s, then 204
  .../garbage...   an answer that is not ICAP
  .../close...     closes the connection without an answer
  anything else    204 (unmodified)
RESPMOD, by the URL of its req-hdr:
  .../virus...     200 with an HTTP 403 response: the origin's response is replaced
  .../upper...     200 with the origin's head and its body upper-cased
  .../cut...       reads the whole body, then closes the connection without an answer
  anything else    204
OPTIONS: Methods REQMOD, RESPMOD, ISTag "T1", Max-Connections 4, Options-TTL 60, Allow 204;
with PREVIEW, also "Preview: PREVIEW", "Transfer-Complete: zip" and "Transfer-Preview: *".
A request with a Preview is judged on it: the answers above that need the whole body (rewrite,
upper, virus, cut) ask for the rest with 100 Continue unless the preview ended with ieof; the others
answer 204 after the preview and never read the rest.
Each request appends one line to LOGFILE: "OPTIONS", "REQMOD <url> ip=<X-Client-IP>
user=<X-Client-Username> body=<bytes> preview=<n|-> ieof=<yes|no> continued=<yes|no> conn=<n>"
or "RESPMOD <url> status=<code> body=<bytes> preview=... conn=<n>" (body: the bytes received).
"""
import socket
import socketserver
import sys
import threading
import time

LOG_LOCK = threading.Lock()
CONNECTIONS = [0]


def log(path, line):
    with LOG_LOCK:
        with open(path, "a") as f:
            f.write(line + "\n")


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def until(self, marker):
        while marker not in self.buf:
            self.fill()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def chunked(self):
        """The chunk data up to the last chunk, and whether that one said ieof."""
        body = b""
        while True:
            line = self.until(b"\r\n")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                self.until(b"\r\n")
                return body, b"ieof" in line
            body += self.exactly(size)
            self.exactly(2)


def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n" if data else b""


def fields_of(head):
    lines = head.decode("latin-1").split("\r\n")
    out = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip().lower()] = v.strip()
    return lines[0], out


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        CONNECTIONS[0] += 1
        conn = CONNECTIONS[0]
        r = Reader(self.request)
        try:
            while self.one(r, conn):
                pass
        except (EOFError, ConnectionError):
            pass

    def one(self, r, conn):
        head = r.until(b"\r\n\r\n")
        line, f = fields_of(head)
        method = line.split(" ")[0]
        if method == "OPTIONS":
            log(self.server.logfile, "OPTIONS")
            preview = b""
            if self.server.preview is not None:
                preview = (b"Preview: %d\r\nTransfer-Complete: zip\r\nTransfer-Preview: *\r\n"
                           % self.server.preview)
            self.request.sendall(
                b'ICAP/1.0 200 OK\r\nMethods: REQMOD, RESPMOD\r\nISTag: "T1"\r\nService: test\r\n'
                b"Max-Connections: 4\r\nOptions-TTL: 60\r\nAllow: 204\r\n" + preview +
                b"Encapsulated: null-body=0\r\n\r\n")
            return True
        enc = dict((k.strip(), int(v)) for k, v in
                   (e.split("=") for e in f.get("encapsulated", "").split(",")))
        body_at = enc.get("req-body", enc.get("res-body", enc.get("null-body", 0)))
        heads = r.exactly(body_at)
        body, ieof = r.chunked() if ("req-body" in enc or "res-body" in enc) else (None, False)
        url = heads.split(b"\r\n")[0].decode("latin-1").split(" ")[1]
        continued = False
        if "preview" in f and body is not None and not ieof:
            whole = ("/rewrite" in url) if method == "REQMOD" else any(
                w in url for w in ("/upper", "/virus", "/cut"))
            if whole:
                self.request.sendall(b"ICAP/1.0 100 Continue\r\n\r\n")
                rest, _ = r.chunked()
                body += rest
                continued = True
            else:
                log(self.server.logfile, "%s %s body=%d preview=%s ieof=no continued=no conn=%d" % (
                    method, url, len(body), f["preview"], conn))
                self.request.sendall(b'ICAP/1.0 204 No Content\r\nISTag: "T1"\r\n\r\n')
                return True
        extra = "preview=%s ieof=%s continued=%s" % (
            f.get("preview", "-"), "yes" if ieof else "no", "yes" if continued else "no")
        if method == "RESPMOD":
            return self.respmod(heads, enc, body, conn, extra)
        req_hdr = heads
        log(self.server.logfile, "REQMOD %s ip=%s user=%s body=%s %s conn=%d" % (
            url, f.get("x-client-ip", "-"), f.get("x-client-username", "-"),
            "-" if body is None else len(body), extra, conn))
        if "/slow" in url:
            time.sleep(3)
        if "/close" in url:
            return False
        if "/garbage" in url:
            self.request.sendall(b"HELLO THERE\r\n\r\n")
            return True
        if "/blocked" in url:
            res_hdr = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nX-Icap-Page: yes\r\n\r\n"
            page = b"<h1>Blocked by the ICAP test service</h1>"
            self.request.sendall(
                b"ICAP/1.0 200 OK\r\nISTag: \"T1\"\r\nEncapsulated: res-hdr=0, res-body=%d\r\n\r\n"
                % len(res_hdr) + res_hdr + chunk(page) + b"0\r\n\r\n")
            return True
        if "/rewrite" in url:
            lines = req_hdr.decode("latin-1").split("\r\n")
            first = lines[0].replace("/rewrite", "/rewritten", 1)
            kept = [l for l in lines[1:] if l and not l.lower().startswith("x-remove-me:")]
            new_hdr = ("\r\n".join([first] + kept + ["X-Icap: rewritten"]) + "\r\n\r\n").encode()
            if body is None:
                self.request.sendall(
                    b"ICAP/1.0 200 OK\r\nISTag: \"T1\"\r\nEncapsulated: req-hdr=0, null-body=%d"
                    b"\r\n\r\n" % len(new_hdr) + new_hdr)
            else:
                self.request.sendall(
                    b"ICAP/1.0 200 OK\r\nISTag: \"T1\"\r\nEncapsulated: req-hdr=0, req-body=%d"
                    b"\r\n\r\n" % len(new_hdr) + new_hdr + chunk(body.upper()) + b"0\r\n\r\n")
            return True
        self.request.sendall(b'ICAP/1.0 204 No Content\r\nISTag: "T1"\r\n\r\n')
        return True


    def respmod(self, heads, enc, body, conn, extra):
        req_hdr = heads[:enc["res-hdr"]]
        res_hdr = heads[enc["res-hdr"]:]
        url = req_hdr.split(b"\r\n")[0].decode("latin-1").split(" ")[1]
        status = res_hdr.split(b"\r\n")[0].decode("latin-1").split(" ")[1]
        log(self.server.logfile, "RESPMOD %s status=%s body=%s %s conn=%d" % (
            url, status, "-" if body is None else len(body), extra, conn))
        if "/cut" in url:
            return False
        if "/virus" in url:
            page_hdr = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\n\r\n"
            page = b"<h1>A virus was found</h1>"
            self.request.sendall(
                b"ICAP/1.0 200 OK\r\nISTag: \"T1\"\r\nEncapsulated: res-hdr=0, res-body=%d\r\n\r\n"
                % len(page_hdr) + page_hdr + chunk(page) + b"0\r\n\r\n")
        elif "/upper" in url and body is not None:
            self.request.sendall(
                b"ICAP/1.0 200 OK\r\nISTag: \"T1\"\r\nEncapsulated: res-hdr=0, res-body=%d\r\n\r\n"
                % len(res_hdr) + res_hdr + chunk(body.upper()) + b"0\r\n\r\n")
        else:
            self.request.sendall(b'ICAP/1.0 204 No Content\r\nISTag: "T1"\r\n\r\n')
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    portfile, logfile = sys.argv[1], sys.argv[2]
    server = Server(("127.0.0.1", 0), Handler)
    server.logfile = logfile
    server.preview = int(sys.argv[3]) if len(sys.argv) > 3 else None
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()


if __name__ == "__main__":
    main()

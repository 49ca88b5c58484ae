/* splice_relay: the CONNECT ceiling of bench/run (workload 4). A TCP relay that only moves bytes
 * socket -> pipe -> socket with splice(2), pinned on the proxy's core, so the kernel's work for
 * both TCP legs is done there as it is for a proxy, with the least user-space work a relay can
 * do: no parsing, no buffers, no timers, no logs.
 *
 * It moves bytes the way the proxy's tunnel does, so that the only difference is what the proxy
 * does besides: one epoll loop (level-triggered) over non-blocking sockets; per direction a
 * 64 KiB pipe (the kernel's default, as the proxy's PipePool); SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
 * what was read is written on at once, and a destination that is full is waited for with
 * EPOLLOUT while its source is no longer read; both sockets TCP_NODELAY, no MSG_MORE. An earlier
 * version with one blocking thread per direction was not a ceiling: exaproxy moved 1.21x its
 * rate, because a blocking relay wakes once per pipeful and sleeps while the other side works.
 *
 *   splice_relay LISTEN_PORT TARGET_PORT      (both on 127.0.0.1; loopback only)
 *
 * Built by bench/run with the system C compiler (cc -O2). Stopped by SIGTERM. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (1 << 16)

struct conn;

/* One socket of a relayed connection and the pipe of the bytes read from it. */
struct side {
  struct conn* c;
  int fd;
  int pipe[2];    /* [0] read end, [1] write end */
  size_t pending; /* bytes in the pipe, not yet written to the other side */
  int eof;        /* read its end */
  int shut;       /* the other side was told (SHUT_WR) */
  unsigned interest;
};

struct conn {
  struct side s[2]; /* 0: the client, 1: the target */
};

static int ep;

static int loopback(int port, int listening) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  if (fd < 0)
    return -1;
  if (listening) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr*)&a, sizeof a) || listen(fd, 64)) {
      close(fd);
      return -1;
    }
  } else if (connect(fd, (struct sockaddr*)&a, sizeof a)) {
    close(fd);
    return -1;
  }
  return fd;
}

static void finish(struct conn* c) {
  for (int i = 0; i < 2; ++i) {
    close(c->s[i].fd); /* leaves the epoll set */
    close(c->s[i].pipe[0]);
    close(c->s[i].pipe[1]);
  }
  free(c);
}

/* What side i waits for: to read while its pipe is empty and its end not seen; to write while
 * the other side's pipe holds bytes for it. */
static void update(struct side* s, struct side* other) {
  unsigned want = 0;
  if (!s->eof && s->pending == 0)
    want |= EPOLLIN;
  if (other->pending > 0)
    want |= EPOLLOUT;
  if (want == s->interest)
    return;
  struct epoll_event e = {.events = want, .data.ptr = s};
  epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &e);
  s->interest = want;
}

/* Moves what side `from` has in its pipe to the other side; -1 on an error. */
static int drain(struct side* from, struct side* to) {
  while (from->pending > 0) {
    ssize_t m =
        splice(from->pipe[0], NULL, to->fd, NULL, from->pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (m > 0) {
      from->pending -= (size_t)m;
      continue;
    }
    if (m < 0 && errno == EAGAIN)
      return 0;
    return -1;
  }
  if (from->eof && !from->shut) {
    shutdown(to->fd, SHUT_WR);
    from->shut = 1;
  }
  return 0;
}

/* Side i is readable (or writable): move what can move; 1 when the connection is over. */
static int serve(struct side* s, unsigned events) {
  struct conn* c = s->c;
  struct side* other = &c->s[s == &c->s[0] ? 1 : 0];
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !s->eof && s->pending == 0) {
    ssize_t n = splice(s->fd, NULL, s->pipe[1], NULL, CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0)
      s->pending = (size_t)n;
    else if (n == 0 || errno != EAGAIN)
      s->eof = 1;
    if (drain(s, other) < 0)
      return 1;
  }
  if ((events & (EPOLLOUT | EPOLLERR)) && drain(other, s) < 0)
    return 1;
  if (s->shut && other->shut)
    return 1;
  update(s, other);
  update(other, s);
  return 0;
}

static void accepted(int client, int target_port) {
  int up = loopback(target_port, 0), one = 1;
  struct conn* c = calloc(1, sizeof *c);
  if (up < 0 || !c || pipe2(c->s[0].pipe, O_CLOEXEC | O_NONBLOCK) ||
      pipe2(c->s[1].pipe, O_CLOEXEC | O_NONBLOCK)) {
    close(client);
    if (up >= 0)
      close(up);
    free(c);
    return;
  }
  int fds[2] = {client, up};
  for (int i = 0; i < 2; ++i) {
    struct side* s = &c->s[i];
    s->c = c;
    s->fd = fds[i];
    fcntl(s->fd, F_SETFL, O_NONBLOCK);
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->interest = EPOLLIN;
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = s};
    epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &e);
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s LISTEN_PORT TARGET_PORT (127.0.0.1)\n", argv[0]);
    return 2;
  }
  int target_port = atoi(argv[2]);
  int lfd = loopback(atoi(argv[1]), 1);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (lfd < 0 || ep < 0) {
    perror("listen");
    return 1;
  }
  struct epoll_event le = {.events = EPOLLIN, .data.ptr = &lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &le);
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    for (int i = 0; i < n; ++i) {
      if (!events[i].data.ptr)
        continue; /* a side of a connection finished earlier in this batch */
      if (events[i].data.ptr == &lfd) {
        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c >= 0)
          accepted(c, target_port);
        continue;
      }
      struct side* s = events[i].data.ptr;
      if (serve(s, events[i].events)) {
        struct conn* c = s->c;
        /* Its other side may have an event later in this batch: dropped before c is freed. */
        for (int j = i + 1; j < n; ++j)
          if (events[j].data.ptr == &c->s[0] || events[j].data.ptr == &c->s[1])
            events[j].data.ptr = NULL;
        finish(c);
      }
    }
  }
}

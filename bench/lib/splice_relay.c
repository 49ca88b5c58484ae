/* splice_relay: the CONNECT ceiling of bench/run (workload 4). A TCP relay that does nothing but
 * move bytes socket -> pipe -> socket with splice(2), so the kernel's work for both TCP legs is
 * done on the core this process is pinned to, as it is for a proxy, with the least user-space
 * work possible (no parsing, no event loop: one blocking thread per direction). As the proxy does,
 * both sockets get TCP_NODELAY and no MSG_MORE: with SPLICE_F_MORE (TCP corking) or without
 * TCP_NODELAY the relay moved ~15-25 % less than exaproxy's tunnel in a first smoke run.
 *
 *   splice_relay LISTEN_PORT TARGET_PORT      (both on 127.0.0.1; loopback only)
 *
 * Built by bench/run with the system C compiler (cc -O2 -pthread). Stopped by SIGTERM. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct leg {
  int from, to;
};

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

/* One direction until EOF or an error, then half-close the other side. */
static void* pump(void* arg) {
  struct leg* l = arg;
  int p[2];
  if (pipe2(p, O_CLOEXEC) == 0) {
    for (;;) {
      ssize_t n = splice(l->from, NULL, p[1], NULL, 1 << 16, SPLICE_F_MOVE);
      if (n <= 0)
        break;
      while (n > 0) {
        ssize_t m = splice(p[0], NULL, l->to, NULL, (size_t)n, SPLICE_F_MOVE);
        if (m <= 0)
          goto out;
        n -= m;
      }
    }
  out:
    close(p[0]);
    close(p[1]);
  }
  shutdown(l->to, SHUT_WR);
  return NULL;
}

static int target_port;

/* One client connection: both directions, then close both sockets. */
static void* serve(void* arg) {
  int client = (int)(long)arg, up = loopback(target_port, 0), one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (up >= 0) {
    setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct leg in = {client, up}, back = {up, client};
    pthread_t t;
    if (pthread_create(&t, NULL, pump, &in) == 0) {
      pump(&back);
      pthread_join(t, NULL);
    }
    close(up);
  }
  close(client);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s LISTEN_PORT TARGET_PORT (127.0.0.1)\n", argv[0]);
    return 2;
  }
  target_port = atoi(argv[2]);
  int lfd = loopback(atoi(argv[1]), 1);
  if (lfd < 0) {
    perror("listen");
    return 1;
  }
  for (;;) {
    int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
      continue;
    pthread_t t;
    if (pthread_create(&t, NULL, serve, (void*)(long)c) == 0)
      pthread_detach(t);
    else
      close(c);
  }
}

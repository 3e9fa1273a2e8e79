// Lean websocket subscribers for the fan-out saturation benchmark (issue 15): one C process, one
// thread, N connections to a v0 server (evbench serve, the plain ws loop, the Go hub). Each connects,
// upgrades, sends a masked {"method":"subscribe"} and then only walks the frame headers of what it
// reads, counting text frames whose payload starts with {"msgID" (events) and close frames. It
// costs the generator's core far less per delivery than Node clients do, so at saturation the
// figure is the server's, not the readers'.
//
// Counters go to a small file the driver reads (mmap'd here, pread there): four little-endian
// uint64 — events, acks (subscribe replies), closed by the server, connected.
//
// Build: gcc -O2 -o evbench-subscribers bench/limit/subscribers.c
// Run:   ./evbench-subscribers --port P --path /websocket --clients N --counters FILE [--token T]
//                               [--subscribe '{"method":"subscribe","last_log_id":123}']  (≤ 125 bytes)
// With a last_log_id it is the catch-up benchmark's replay consumer: it takes a replay at the
// speed the server sends it while costing the generator's core next to nothing.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

enum { EVENTS, ACKS, CLOSED, CONNECTED };

struct conn {
  int fd;
  uint8_t hdr[14];
  int hlen, need;
  uint64_t remaining, pos;
  int opcode, inHeader, sawClose;
};

static volatile uint64_t *counters;

static void fail(const char *what) {
  perror(what);
  exit(1);
}

/** Walks `n` bytes of a server's frames (unmasked, RFC 6455 §5.1); counts events, acks and closes. */
static void consume(struct conn *c, const uint8_t *p, size_t n) {
  while (n > 0) {
    if (c->inHeader) {
      c->hdr[c->hlen++] = *p++;
      n--;
      if (c->hlen == 2) {
        int len7 = c->hdr[1] & 0x7f;
        c->need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((c->hdr[1] & 0x80) ? 4 : 0);
      }
      if (c->hlen >= 2 && c->hlen == c->need) {
        int len7 = c->hdr[1] & 0x7f;
        uint64_t len = (uint64_t)len7;
        if (len7 == 126) len = ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
        else if (len7 == 127) {
          len = 0;
          for (int i = 2; i < 10; i++) len = (len << 8) | c->hdr[i];
        }
        c->opcode = c->hdr[0] & 0x0f;
        if (c->opcode == 8 && !c->sawClose) {
          c->sawClose = 1;
          __atomic_add_fetch(&counters[CLOSED], 1, __ATOMIC_RELAXED);
        }
        c->remaining = len;
        c->pos = 0;
        c->hlen = 0;
        c->inHeader = len == 0;
      }
      continue;
    }
    size_t take = c->remaining < n ? (size_t)c->remaining : n;
    if (c->opcode == 1 && c->pos <= 2 && c->pos + take > 2) {
      uint8_t third = p[2 - c->pos];
      if (third == 'm') __atomic_add_fetch(&counters[EVENTS], 1, __ATOMIC_RELAXED);
      else if (third == 's') __atomic_add_fetch(&counters[ACKS], 1, __ATOMIC_RELAXED);
    }
    c->pos += take;
    c->remaining -= take;
    p += take;
    n -= take;
    if (c->remaining == 0) c->inHeader = 1;
  }
}

int main(int argc, char **argv) {
  const char *path = "/websocket", *token = NULL, *countersFile = NULL, *sub = "{\"method\":\"subscribe\"}";
  int port = 0, clients = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--path")) path = argv[i + 1];
    else if (!strcmp(argv[i], "--clients")) clients = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--token")) token = argv[i + 1];
    else if (!strcmp(argv[i], "--counters")) countersFile = argv[i + 1];
    else if (!strcmp(argv[i], "--subscribe")) sub = argv[i + 1];
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (port <= 0 || clients <= 0 || !countersFile || strlen(sub) > 125) {
    fprintf(stderr, "usage: evbench-subscribers --port P --clients N --counters FILE [--path /websocket] [--token T]\n");
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int cf = open(countersFile, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (cf < 0 || ftruncate(cf, 4 * sizeof(uint64_t)) != 0) fail("counters file");
  counters = mmap(NULL, 4 * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, cf, 0);
  if (counters == MAP_FAILED) fail("mmap");

  char request[1024];
  snprintf(request, sizeof request,
           "GET %s%s%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
           path, token ? "?api_token=" : "", token ? token : "", port);
  // the subscribe message, masked with a zero key (allowed: the key is any 32 bits)
  uint8_t frame[6 + 125];
  size_t sublen = strlen(sub);
  frame[0] = 0x81;
  frame[1] = 0x80 | (uint8_t)sublen;
  memset(frame + 2, 0, 4);
  memcpy(frame + 6, sub, sublen);

  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  struct conn *conns = calloc(clients, sizeof *conns);
  int ep = epoll_create1(0);
  for (int i = 0; i < clients; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail("socket");
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) fail("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (write(fd, request, strlen(request)) != (ssize_t)strlen(request)) fail("write upgrade");
    // read the 101 response up to its blank line, one byte at a time (it is short; nothing follows
    // until we subscribe)
    char last4[4] = {0};
    for (int got = 0;;) {
      char ch;
      ssize_t r = read(fd, &ch, 1);
      if (r != 1) fail("read upgrade response");
      if (got == 9 && ch != '1') {
        fprintf(stderr, "upgrade refused by the server\n");
        return 1;
      }
      got++;
      memmove(last4, last4 + 1, 3);
      last4[3] = ch;
      if (!memcmp(last4, "\r\n\r\n", 4)) break;
    }
    if (write(fd, frame, 6 + sublen) != (ssize_t)(6 + sublen)) fail("write subscribe");
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    conns[i].fd = fd;
    conns[i].inHeader = 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    __atomic_add_fetch(&counters[CONNECTED], 1, __ATOMIC_RELAXED);
  }
  size_t cap = 1 << 20;
  uint8_t *buf = malloc(cap);
  struct epoll_event evs[256];
  int open = clients;
  while (open > 0) {
    int n = epoll_wait(ep, evs, 256, 1000);
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    for (int k = 0; k < n; k++) {
      struct conn *c = evs[k].data.ptr;
      for (;;) {
        ssize_t r = read(c->fd, buf, cap);
        if (r > 0) {
          consume(c, buf, (size_t)r);
          if ((size_t)r < cap) break;
        } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          if (!c->sawClose) __atomic_add_fetch(&counters[CLOSED], 1, __ATOMIC_RELAXED);  // closed without a close frame
          epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
          close(c->fd);
          open--;
          break;
        } else break;
      }
    }
  }
  return 0;
}

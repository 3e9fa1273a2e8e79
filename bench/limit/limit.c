// The physical limit of the fan-out benchmark (issue 15): the most websocket deliveries per second
// one core can write to N loopback TCP sockets on this machine, with no server logic at all — every
// frame is pre-built (a 4-byte text-frame header + a payload of the size evbench serve sends), and
// the writer only calls write(2) on non-blocking sockets, `batch` frames per call (batch 100 = one
// write per client per published batch of 100 events, like evbench's corked fan-out; batch 1 = one
// write per message, like the Go contender). A reader process drains the sockets (epoll + read into
// one large buffer) and counts bytes in shared memory; deliveries = bytes read ÷ frame size.
//
// Build: gcc -O2 -o evbench-limit bench/limit/limit.c
// Run:   ./evbench-limit --clients 100 --frame-bytes 440 --batch 100 --warmup-ms 1000 --measure-ms 3000
//                        [--writer-cpu 0 --reader-cpu 1]
// Prints one JSON line: {"deliveriesPerSec":…,"writerCpuPct":…,"readerCpuPct":…,…}
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

struct shared {
  volatile uint64_t bytes;     // read by the reader so far
  volatile uint64_t readerCpuNs;
  volatile int ready;          // the reader has connected every socket
};

static double nowNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    perror("sched_setaffinity");
    exit(2);
  }
}

static void nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void reader(struct shared *sh, int port, int clients, int cpu) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  pin(cpu);
  int ep = epoll_create1(0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  for (int i = 0; i < clients; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
      perror("connect");
      exit(3);
    }
    nonblocking(fd);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  sh->ready = 1;
  size_t cap = 1 << 20;
  char *buf = malloc(cap);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < n; i++) {
      for (;;) {
        ssize_t r = read(evs[i].data.fd, buf, cap);
        if (r > 0) {
          __atomic_add_fetch(&sh->bytes, (uint64_t)r, __ATOMIC_RELAXED);
          if ((size_t)r < cap) break;
        } else if (r == 0) {
          _exit(0);
        } else {
          break;  // EAGAIN
        }
      }
    }
    sh->readerCpuNs = (uint64_t)nowNs(CLOCK_PROCESS_CPUTIME_ID);
  }
}

int main(int argc, char **argv) {
  int clients = 100, frameBytes = 440, batch = 100, warmupMs = 1000, measureMs = 3000, writerCpu = -1, readerCpu = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    int v = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--clients")) clients = v;
    else if (!strcmp(argv[i], "--frame-bytes")) frameBytes = v;
    else if (!strcmp(argv[i], "--batch")) batch = v;
    else if (!strcmp(argv[i], "--warmup-ms")) warmupMs = v;
    else if (!strcmp(argv[i], "--measure-ms")) measureMs = v;
    else if (!strcmp(argv[i], "--writer-cpu")) writerCpu = v;
    else if (!strcmp(argv[i], "--reader-cpu")) readerCpu = v;
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (clients < 1 || frameBytes < 126 || frameBytes > 65535 || batch < 1) {
    fprintf(stderr, "need --clients ≥ 1, 126 ≤ --frame-bytes ≤ 65535, --batch ≥ 1\n");
    return 2;
  }
  struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  socklen_t alen = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4096) != 0 || getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
    perror("listen");
    return 1;
  }
  pid_t child = fork();
  if (child == 0) reader(sh, ntohs(a.sin_port), clients, readerCpu);
  pin(writerCpu);
  int *fds = malloc(sizeof(int) * clients);
  size_t *off = calloc(clients, sizeof(size_t));
  char *blocked = calloc(clients, 1);
  int ep = epoll_create1(0);
  for (int i = 0; i < clients; i++) {
    fds[i] = accept(ls, NULL, NULL);
    if (fds[i] < 0) {
      perror("accept");
      return 1;
    }
    int one = 1;
    setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as ws and evbench serve do
    nonblocking(fds[i]);
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  while (!sh->ready) usleep(1000);
  // `batch` pre-built frames: 0x81 (FIN, text), 126 + 16-bit length, then the payload (the bytes
  // of a JSON-like event; their content does not matter to the kernel)
  int payload = frameBytes - 4;
  size_t len = (size_t)frameBytes * batch;
  char *buf = malloc(len);
  for (int b = 0; b < batch; b++) {
    char *f = buf + (size_t)b * frameBytes;
    f[0] = (char)0x81;
    f[1] = 126;
    f[2] = (char)(payload >> 8);
    f[3] = (char)(payload & 0xff);
    memset(f + 4, 'x', payload);
    memcpy(f + 4, "{\"msgID\":", 9);
  }
  double start = nowNs(CLOCK_MONOTONIC);
  double t0 = start + warmupMs * 1e6, t1 = t0 + measureMs * 1e6;
  uint64_t bytes0 = 0, writes = 0, writes0 = 0;
  double cpu0 = 0, rcpu0 = 0;
  int measuring = 0, nblocked = 0;
  struct epoll_event evs[256];
  for (;;) {
    for (int i = 0; i < clients; i++) {
      if (blocked[i]) continue;
      ssize_t w = write(fds[i], buf + off[i], len - off[i]);
      if (w > 0) {
        writes++;
        off[i] += (size_t)w;
        if (off[i] == len) off[i] = 0;
      } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        blocked[i] = 1;
        nblocked++;
      } else {
        perror("write");
        return 1;
      }
    }
    if (nblocked > 0) {
      int n = epoll_wait(ep, evs, 256, nblocked == clients ? 100 : 0);
      for (int k = 0; k < n; k++) {
        uint32_t i = evs[k].data.u32;
        if (blocked[i]) {
          blocked[i] = 0;
          nblocked--;
        }
      }
    }
    double t = nowNs(CLOCK_MONOTONIC);
    if (!measuring && t >= t0) {
      measuring = 1;
      bytes0 = __atomic_load_n(&sh->bytes, __ATOMIC_RELAXED);
      writes0 = writes;
      cpu0 = nowNs(CLOCK_PROCESS_CPUTIME_ID);
      rcpu0 = (double)sh->readerCpuNs;
    } else if (measuring && t >= t1) {
      uint64_t bytes1 = __atomic_load_n(&sh->bytes, __ATOMIC_RELAXED);
      double cpu1 = nowNs(CLOCK_PROCESS_CPUTIME_ID), rcpu1 = (double)sh->readerCpuNs;
      double s = (t - t0) / 1e9;
      printf("{\"deliveriesPerSec\":%.0f,\"writesPerSec\":%.0f,\"writerCpuPct\":%.1f,\"readerCpuPct\":%.1f,"
             "\"clients\":%d,\"frameBytes\":%d,\"batch\":%d,\"seconds\":%.3f}\n",
             (double)(bytes1 - bytes0) / frameBytes / s, (double)(writes - writes0) / s, (cpu1 - cpu0) / 1e7 / s,
             (rcpu1 - rcpu0) / 1e7 / s, clients, frameBytes, batch, s);
      fflush(stdout);
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
      return 0;
    }
  }
}

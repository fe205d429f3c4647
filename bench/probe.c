/*
 * Latency probe for bench/load.mjs (issue 6): one query at a time, paced, each round trip timed
 * with CLOCK_MONOTONIC, while dnsperf supplies the background load.
 *
 * Why not dnsperf -v alone: with -v, dnsperf formats and writes one line per response on the
 * same core that sends the load, and it times responses from its own receive thread. At 70k QPS
 * its tail is its own: NSD and a bare echo server show the same ~0.9 ms p99 there. The probe
 * blocks in poll() on its own socket, so a reply wakes it directly and the time it reads is the
 * server's (plus the loopback path), not the load generator's backlog.
 *
 *   probe <port> <query file> <interval µs> <count> [timeout ms]
 *
 * The query file is dnsperf's ("name TYPE" per line); the probe cycles through it. Prints one
 * JSON line: sent, received, lost and the round-trip percentiles in microseconds.
 * Bounded: count queries, each waited for at most timeout ms. Loopback only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUERIES 4096
#define MAX_PACKET 512

struct query {
  uint8_t bytes[MAX_PACKET];
  size_t length;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int qtype_code(const char *name) {
  static const struct { const char *name; int code; } types[] = {
      {"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"TXT", 16},
      {"AAAA", 28}, {"SRV", 33}, {"ANY", 255}};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcasecmp(types[i].name, name) == 0) return types[i].code;
  return -1;
}

/* Encodes "name TYPE" as a query with RD clear, as dnsperf sends by default (no EDNS). */
static int encode_query(const char *line, struct query *out) {
  char name[300], type[16];
  if (sscanf(line, "%299s %15s", name, type) != 2) return -1;
  int code = qtype_code(type);
  if (code < 0) return -1;
  uint8_t *p = out->bytes;
  memset(p, 0, 12);
  p[5] = 1; /* QDCOUNT */
  size_t at = 12;
  const char *label = name;
  while (*label) {
    const char *dot = strchr(label, '.');
    size_t len = dot ? (size_t)(dot - label) : strlen(label);
    if (len == 0 || len > 63 || at + len + 6 > MAX_PACKET) return -1;
    p[at++] = (uint8_t)len;
    memcpy(p + at, label, len);
    at += len;
    if (!dot) break;
    label = dot + 1;
  }
  p[at++] = 0;
  p[at++] = (uint8_t)(code >> 8);
  p[at++] = (uint8_t)code;
  p[at++] = 0;
  p[at++] = 1; /* IN */
  out->length = at;
  return 0;
}

static int compare_ns(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static double percentile_us(const int64_t *sorted, size_t n, double p) {
  if (n == 0) return -1;
  size_t index = (size_t)((p / 100.0) * (double)(n - 1) + 0.5);
  return (double)sorted[index] / 1000.0;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: probe <port> <query file> <interval us> <count> [timeout ms]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int64_t interval_ns = (int64_t)atol(argv[3]) * 1000;
  long count = atol(argv[4]);
  int timeout_ms = argc > 5 ? atoi(argv[5]) : 1000;
  if (port <= 0 || port > 65535 || interval_ns <= 0 || count <= 0 || count > 10000000) {
    fprintf(stderr, "probe: bad arguments\n");
    return 2;
  }

  static struct query queries[MAX_QUERIES];
  size_t query_count = 0;
  FILE *file = fopen(argv[2], "r");
  if (!file) {
    perror("probe: query file");
    return 2;
  }
  char line[512];
  while (query_count < MAX_QUERIES && fgets(line, sizeof line, file))
    if (encode_query(line, &queries[query_count]) == 0) query_count++;
  fclose(file);
  if (query_count == 0) {
    fprintf(stderr, "probe: no usable queries in %s\n", argv[2]);
    return 2;
  }

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
  if (fd < 0 || connect(fd, (struct sockaddr *)&server, sizeof server) < 0) {
    perror("probe: socket");
    return 2;
  }

  int64_t *rtts = malloc(sizeof(int64_t) * (size_t)count);
  if (!rtts) return 2;
  size_t received = 0;
  long errors = 0;
  uint8_t reply[4096];
  int64_t start = now_ns();
  for (long i = 0; i < count; i++) {
    /* Paced from the start, not from the last reply, so a slow reply does not thin the probe. */
    int64_t due = start + i * interval_ns;
    struct timespec wake = {.tv_sec = due / 1000000000, .tv_nsec = due % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL) == EINTR) {
    }
    struct query *q = &queries[(size_t)i % query_count];
    uint16_t id = (uint16_t)i;
    q->bytes[0] = (uint8_t)(id >> 8);
    q->bytes[1] = (uint8_t)id;
    int64_t sent_at = now_ns();
    if (send(fd, q->bytes, q->length, 0) < 0) {
      errors++;
      continue;
    }
    int64_t deadline = sent_at + (int64_t)timeout_ms * 1000000;
    for (;;) {
      int64_t left_ms = (deadline - now_ns()) / 1000000;
      if (left_ms < 0) break;
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      if (poll(&pfd, 1, (int)left_ms + 1) <= 0) break;
      ssize_t n = recv(fd, reply, sizeof reply, 0);
      int64_t arrived = now_ns();
      /* A late reply to an earlier probe is skipped: only this ID ends the wait. */
      if (n >= 12 && reply[0] == (uint8_t)(id >> 8) && reply[1] == (uint8_t)id) {
        rtts[received++] = arrived - sent_at;
        break;
      }
    }
  }
  qsort(rtts, received, sizeof(int64_t), compare_ns);
  printf("{\"sent\":%ld,\"received\":%zu,\"lost\":%ld,\"sendErrors\":%ld,\"p50Us\":%.1f,"
         "\"p90Us\":%.1f,\"p99Us\":%.1f,\"p999Us\":%.1f,\"maxUs\":%.1f}\n",
         count, received, count - (long)received, errors, percentile_us(rtts, received, 50),
         percentile_us(rtts, received, 90), percentile_us(rtts, received, 99),
         percentile_us(rtts, received, 99.9), percentile_us(rtts, received, 100));
  free(rtts);
  close(fd);
  return 0;
}

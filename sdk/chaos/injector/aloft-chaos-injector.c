/*
 * aloft-chaos-injector: the userspace network-fault path for kernels without sch_netem.
 *
 * It runs inside the target's network namespace (as a sidecar container sharing it) and binds
 * an NFQUEUE queue that the engine's iptables rule feeds with the target's outgoing packets.
 * Each packet is held for the configured delay (plus jitter) before its ACCEPT verdict, so the
 * round-trip time rises by the delay, as with `netem delay`. It also drops (loss), releases
 * early (reorder), flips a byte (corrupt) and sends a copy (duplicate) with the given
 * percentages. The engine's rule uses --queue-bypass, so if this process dies the traffic
 * flows again instead of blackholing: failing open is what makes SIGKILL safe.
 *
 * On SIGTERM/SIGINT every held packet is released at once before exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define MAX_HELD 8192
#define MAX_PKT 65536

struct held {
  uint32_t id;
  uint64_t due_us;
};

static struct held held[MAX_HELD];
static int nheld = 0;
static volatile sig_atomic_t stopping = 0;

static long delay_us = 0, jitter_us = 0;
static double loss = 0, reorder = 0, corrupt = 0, duplicate = 0;
static uint32_t skip_mark = 0xa10f;
static int raw_fd = -1;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static unsigned long stats_seen = 0, stats_dropped = 0;

/* xorshift64*: seeded by the engine so a run can be replayed. */
static double rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

/* Sends a copy of an IPv4 packet through a raw socket; the skip mark keeps it out of the queue. */
static void send_copy(const unsigned char *pkt, int len) {
  if (raw_fd < 0 || len < (int)sizeof(struct iphdr)) return;
  const struct iphdr *ip = (const struct iphdr *)pkt;
  if (ip->version != 4) return;
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_addr.s_addr = ip->daddr};
  (void)sendto(raw_fd, pkt, (size_t)len, 0, (struct sockaddr *)&dst, sizeof dst);
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  unsigned char *payload = NULL;
  int len = nfq_get_payload(nfa, &payload);
  stats_seen++;
  if (loss > 0 && rnd() < loss) {
    stats_dropped++;
    return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
  }
  if (duplicate > 0 && len > 0 && rnd() < duplicate) send_copy(payload, len);
  if (corrupt > 0 && len > 28 && rnd() < corrupt) {
    /* Flip one byte past the IP header: the transport checksum then fails, as with netem. */
    int ihl = (payload[0] & 0x0f) * 4;
    if (len > ihl) {
      int at = ihl + (int)(rnd() * (double)(len - ihl));
      payload[at] ^= (unsigned char)(1u << (int)(rnd() * 8));
      return nfq_set_verdict(qh, id, NF_ACCEPT, (uint32_t)len, payload);
    }
  }
  long d = delay_us;
  if (jitter_us > 0) d += (long)((rnd() * 2.0 - 1.0) * (double)jitter_us);
  if (d < 0) d = 0;
  if (reorder > 0 && rnd() < reorder) d = 0; /* netem's reorder: some packets go at once */
  if (d == 0 || nheld >= MAX_HELD) return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  held[nheld].id = id;
  held[nheld].due_us = now_us() + (uint64_t)d;
  nheld++;
  return 0;
}

/* Issues the verdicts of every held packet that is due (all of them when stopping). */
static int release_due(struct nfq_q_handle *qh, int all) {
  uint64_t t = now_us();
  int next_ms = -1;
  int w = 0;
  for (int i = 0; i < nheld; i++) {
    if (all || held[i].due_us <= t) {
      nfq_set_verdict(qh, held[i].id, NF_ACCEPT, 0, NULL);
    } else {
      int ms = (int)((held[i].due_us - t + 999) / 1000);
      if (next_ms < 0 || ms < next_ms) next_ms = ms;
      held[w++] = held[i];
    }
  }
  nheld = w;
  return next_ms;
}

static double arg_pct(const char *s) { return atof(s) / 100.0; }

int main(int argc, char **argv) {
  int queue = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--queue")) queue = atoi(v);
    else if (!strcmp(k, "--delay-us")) delay_us = atol(v);
    else if (!strcmp(k, "--jitter-us")) jitter_us = atol(v);
    else if (!strcmp(k, "--loss")) loss = arg_pct(v);
    else if (!strcmp(k, "--reorder")) reorder = arg_pct(v);
    else if (!strcmp(k, "--corrupt")) corrupt = arg_pct(v);
    else if (!strcmp(k, "--duplicate")) duplicate = arg_pct(v);
    else if (!strcmp(k, "--mark")) skip_mark = (uint32_t)strtoul(v, NULL, 0);
    else if (!strcmp(k, "--seed")) rng_state = strtoull(v, NULL, 0) | 1ULL;
    else {
      fprintf(stderr, "aloft-chaos-injector: unknown option %s\n", k);
      return 2;
    }
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  if (duplicate > 0) {
    raw_fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (raw_fd >= 0 && setsockopt(raw_fd, SOL_SOCKET, SO_MARK, &skip_mark, sizeof skip_mark) < 0) {
      perror("aloft-chaos-injector: SO_MARK (duplicate needs NET_ADMIN)");
      close(raw_fd);
      raw_fd = -1;
    }
  }

  struct nfq_handle *h = nfq_open();
  if (!h) {
    perror("aloft-chaos-injector: nfq_open (needs NET_ADMIN)");
    return 1;
  }
  struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)queue, &on_packet, NULL);
  if (!qh) {
    perror("aloft-chaos-injector: nfq_create_queue (is another injector bound to this queue?)");
    return 1;
  }
  if (nfq_set_mode(qh, NFQNL_COPY_PACKET, MAX_PKT) < 0) {
    perror("aloft-chaos-injector: nfq_set_mode");
    return 1;
  }
  nfq_set_queue_maxlen(qh, MAX_HELD);
  int fd = nfq_fd(h);
  /* The engine waits for this line before adding the iptables rule that feeds the queue. */
  printf("ready queue=%d delay_us=%ld jitter_us=%ld\n", queue, delay_us, jitter_us);
  fflush(stdout);

  static char buf[MAX_PKT + 4096] __attribute__((aligned));
  while (!stopping) {
    int timeout = release_due(qh, 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout < 0 ? 1000 : timeout);
    if (r < 0 && errno != EINTR) break;
    if (r > 0 && (p.revents & POLLIN)) {
      /* Drain what is readable now, then go back to releasing due packets. */
      for (int n = 0; n < 64; n++) {
        ssize_t len = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (len <= 0) break;
        nfq_handle_packet(h, buf, (int)len);
      }
    }
  }
  release_due(qh, 1);
  fprintf(stderr, "aloft-chaos-injector: stopped, %lu packets seen, %lu dropped\n", stats_seen, stats_dropped);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}

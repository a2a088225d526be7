/*
 * switchboard-bench: what every mode shares: time, latency percentiles,
 * the server's CPU time and RSS from /proc, loopback-only connects, and
 * the report (a table for people, one JSON line for scripts).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>

#include <openssl/ssl.h>

#include "bench.h"

static struct bufferevent *bench_tls_bufferevent(struct event_base *);

/* Monotonic microseconds. */
uint64_t
bench_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* Keep one latency sample (at most 20 million; then every other one). */
void
bench_lat_add(struct bench_lat *l, uint64_t us)
{
	if (l->n == l->cap) {
		if (l->cap >= 20000000)
			return;
		l->cap = l->cap ? l->cap * 2 : 65536;
		if ((l->us = realloc(l->us, l->cap * sizeof(*l->us))) == NULL) {
			perror("switchboard-bench");
			exit(1);
		}
	}
	l->us[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int
bench_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/* Fill in the percentiles and free the samples. */
void
bench_lat_done(struct bench_lat *l, struct bench_result *r)
{
	if (l->n > 0) {
		qsort(l->us, l->n, sizeof(*l->us), bench_cmp);
		r->p50_us = l->us[l->n / 2];
		r->p99_us = l->us[(size_t)((double)l->n * 0.99)];
		r->p999_us = l->us[(size_t)((double)l->n * 0.999)];
	}
	free(l->us);
	memset(l, 0, sizeof(*l));
}

/*
 * CPU ticks of a process (user and system, its own and its waited-for
 * children's) and its parent's pid, from /proc/PID/stat; -1 if unknown.
 */
static int
bench_proc_ticks(int pid, int *ppid, unsigned long long *ticks)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 ut, st, cut, cst;
	FILE			*f;
	int			 n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL)
		return (-1);
	n = sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu %llu %llu", ppid, &ut, &st, &cut, &cst);
	if (n != 5)
		return (-1);
	*ticks = ut + st + cut + cst;
	return (0);
}

/*
 * CPU time of every server given (--pid, more than once for several
 * daemons and what they share, such as redis-server), summed; -1 if any
 * is unknown.
 */
double
bench_cpu_all_us(const struct bench_opts *o)
{
	double	total = 0, t;
	int	i;

	if (o->npids == 0)
		return (bench_cpu_us(o->pid));
	for (i = 0; i < o->npids; i++) {
		if ((t = bench_cpu_us(o->pids[i])) < 0)
			return (-1);
		total += t;
	}
	return (total);
}

/*
 * CPU time of a server in microseconds, -1 if unknown: its own, and its
 * children's, live or gone (a server that forks per connection, such as
 * xinetd's internal echo, spends its time in them).
 */
double
bench_cpu_us(int pid)
{
	unsigned long long	 total, t;
	struct dirent		*e;
	DIR			*d;
	int			 ppid, child;

	if (pid <= 0 || bench_proc_ticks(pid, &ppid, &total) == -1)
		return (-1);
	if ((d = opendir("/proc")) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if ((child = atoi(e->d_name)) <= 0 || child == pid)
				continue;
			if (bench_proc_ticks(child, &ppid, &t) == 0 &&
			    ppid == pid)
				total += t;
		}
		closedir(d);
	}
	return ((double)total * 1e6 / (double)sysconf(_SC_CLK_TCK));
}

/* Resident memory of a process in KiB; -1 if unknown. */
long
bench_rss_kb(int pid)
{
	char	path[64], line[256];
	long	kb = -1;
	FILE	*f;

	if (pid <= 0)
		return (-1);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	}
	fclose(f);
	return (kb);
}

/*
 * A bufferevent connecting to the target, which must be on loopback
 * (127.0.0.0/8 or ::1; anything else ends the program). NULL on failure.
 */
struct bufferevent *
bench_connect(struct event_base *base, const struct bench_opts *o)
{
	return (bench_connect_port(base, o, o->port));
}

/* The same, to another port of the target. */
struct bufferevent *
bench_connect_port(struct event_base *base, const struct bench_opts *o,
    int port)
{
	struct sockaddr_storage	 ss;
	struct bufferevent	*bev;
	socklen_t		 len;

	bench_addr(o, &ss, &len);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port =
		    htons((uint16_t)port);
	if (o->tls)
		bev = bench_tls_bufferevent(base);
	else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return (NULL);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss,
	    (int)len) == -1) {
		bufferevent_free(bev);
		return (NULL);
	}
	return (bev);
}

/*
 * The server's address from -H and -p; exits unless it is a loopback
 * address (127.0.0.0/8 or ::1).
 */
void
bench_addr(const struct bench_opts *o, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, o->host, &sin->sin_addr) == 1 &&
	    (ntohl(sin->sin_addr.s_addr) >> 24) == 127) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)o->port);
		*len = sizeof(*sin);
		return;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, o->host, &sin6->sin6_addr) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)o->port);
		*len = sizeof(*sin6);
		return;
	}
	fprintf(stderr, "switchboard-bench: %s is not a loopback address "
	    "(only 127.0.0.0/8 and ::1 are allowed)\n", o->host);
	exit(64);
}

/*
 * A bufferevent that will speak TLS once connected (--tls). Its
 * BEV_EVENT_CONNECTED comes after the handshake, so the modes start
 * their clocks with every handshake done. The server's certificate is
 * not checked: the tool measures, it does not authenticate.
 */
static struct bufferevent *
bench_tls_bufferevent(struct event_base *base)
{
	static SSL_CTX		*ctx;
	struct bufferevent	*bev;
	SSL			*ssl;

	if (ctx == NULL && (ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return (NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if ((ssl = SSL_new(ctx)) == NULL)
		return (NULL);
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return (NULL);
	}
	/* A server that closes without close_notify has just closed. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return (bev);
}

/* Once connected: no Nagle delay on our small writes. */
void
bench_nodelay(struct bufferevent *bev)
{
	int	one = 1;

	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
}

/*
 * Remember a line from the server if it reads like a notice or a refusal
 * ("error: ...", IRC's "ERROR :...", chat's "* room is full"), so that a
 * close can be explained. Other lines (the replies) are not copied.
 */
void
bench_said_note(struct bench_said *s, const char *p, size_t len)
{
	size_t	i;

	if (!(len >= 5 && strncasecmp(p, "error", 5) == 0) &&
	    !(len >= 2 && p[0] == '*' && p[1] == ' '))
		return;
	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	if (len >= sizeof(s->line))
		len = sizeof(s->line) - 1;
	for (i = 0; i < len; i++)
		s->line[i] = isprint((unsigned char)p[i]) ? p[i] : '?';
	s->line[len] = '\0';
}

/*
 * A connection failed or the server closed it (`what` from the event
 * callback, `connected` if it had been). The first time, say why on
 * stderr, with the last notice the server sent on it; later ones are only
 * counted among the errors. Call it first thing in the event callback, so
 * that the socket error is still the connection's.
 */
void
bench_closed(const struct bench_opts *o, const struct bench_said *s,
    short what, int connected)
{
	static int	 told;
	int		 err = EVUTIL_SOCKET_ERROR();
	const char	*why;
	char		 buf[128];

	if (told++)
		return;
	if (!connected) {
		if (err == ECONNREFUSED)
			fprintf(stderr, "switchboard-bench: first refusal: "
			    "connection refused at connect (does anything "
			    "listen on %s port %d?)\n", o->host, o->port);
		else
			fprintf(stderr, "switchboard-bench: first refusal: "
			    "cannot connect: %s\n", strerror(err));
		return;
	}
	if (what & BEV_EVENT_EOF)
		why = "connection closed by the server";
	else if ((what & BEV_EVENT_ERROR) && err == ECONNRESET)
		why = "connection reset by the server";
	else if ((what & BEV_EVENT_ERROR) && err == EPIPE)
		why = "connection closed by the server (a write failed: "
		    "broken pipe)";
	else {
		snprintf(buf, sizeof(buf), "connection lost: %s",
		    (what & BEV_EVENT_ERROR) ? strerror(err) : "timeout");
		why = buf;
	}
	if (s != NULL && s->line[0] != '\0')
		fprintf(stderr, "switchboard-bench: first refusal: %s, which "
		    "said: %s\n", why, s->line);
	else
		fprintf(stderr, "switchboard-bench: first refusal: %s, with no "
		    "line from it\n", why);
}

/* Print the table and the JSON line. */
void
bench_report(const struct bench_opts *o, struct bench_result *r)
{
	double	rate = r->seconds > 0 ? (double)r->units / r->seconds : 0;
	double	cpu_per = r->units > 0 && r->cpu_us >= 0 ?
		    r->cpu_us * 1000.0 / (double)r->units : -1;
	double	rss_per = r->conns > 0 && r->rss_kb_before >= 0 ?
		    (double)(r->rss_kb_after - r->rss_kb_before) * 1024.0 /
		    r->conns : -1;
	int	chat = strcmp(r->mode, "chat") == 0;
	int	idle = strcmp(r->mode, "idle") == 0;
	const char *unit = chat ? "deliveries" : idle ? "connections" :
		    "requests";
	const char *one = chat ? "delivery" : idle ? "connection" : "request";

	printf("%-6s %s\n", r->mode, o->label ? o->label : "");
	printf("  %-22s %llu in %.2f s (%.0f/s)\n", unit,
	    (unsigned long long)r->units, r->seconds, rate);
	if (r->expected > 0)
		printf("  %-22s %llu of %llu offered (%.1f %%), %llu lost\n",
		    "delivered", (unsigned long long)r->units,
		    (unsigned long long)r->expected,
		    100.0 * (double)r->units / (double)r->expected,
		    (unsigned long long)(r->expected - r->units));
	if (r->p50_us > 0 || r->p99_us > 0)
		printf("  %-22s p50 %.0f us, p99 %.0f us, p99.9 %.0f us\n",
		    "latency", r->p50_us, r->p99_us, r->p999_us);
	if (cpu_per >= 0)
		printf("  %-22s %.0f ns per %s (%.2f s CPU)\n", "server CPU",
		    cpu_per, one, r->cpu_us / 1e6);
	if (rss_per >= 0)
		printf("  %-22s %.0f bytes per connection (%ld -> %ld KiB)\n",
		    "server RSS", rss_per, r->rss_kb_before, r->rss_kb_after);
	if (r->errors > 0)
		printf("  %-22s %llu\n", "errors", (unsigned long long)r->errors);
	printf("{\"mode\":\"%s\",\"label\":\"%s\",\"conns\":%d,\"units\":%llu,"
	    "\"seconds\":%.3f,\"rate\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
	    "\"p999_us\":%.1f,\"cpu_ns_per_unit\":%.1f,\"rss_bytes_per_conn\":"
	    "%.1f,\"expected\":%llu,\"errors\":%llu}\n", r->mode,
	    o->label ? o->label : "", r->conns, (unsigned long long)r->units,
	    r->seconds, rate, r->p50_us, r->p99_us, r->p999_us, cpu_per,
	    rss_per, (unsigned long long)r->expected,
	    (unsigned long long)r->errors);
	fflush(stdout);
}

/* The n-th number of --numbers for connection (or socket) i. */
uint64_t
bench_number(uint64_t n, size_t i)
{
	return ((n * 7919 + (uint64_t)i) % 100000000);
}

/*
 * Is a reply (len bytes, its line ending left out) what it should be?
 * Always, unless --check: then the -e reply, or anything but "error:".
 */
int
bench_reply_ok(const struct bench_opts *o, const char *line, size_t len)
{
	if (!o->check)
		return (1);
	if (o->expect != NULL)
		return (len == strlen(o->expect) &&
		    memcmp(line, o->expect, len) == 0);
	return (len > 0 && !(len >= 6 && memcmp(line, "error:", 6) == 0));
}

/*
 * The load's time is up (the first call) or its drain is (the second):
 * stop at once if nothing is outstanding, else give the replies two
 * seconds on timer.
 */
void
bench_time_up(struct event_base *base, struct event *timer, int *stopping,
    int outstanding)
{
	struct timeval	drain = { 2, 0 };

	if (*stopping || outstanding == 0) {
		*stopping = 1;
		event_base_loopexit(base, NULL);
		return;
	}
	*stopping = 1;
	event_add(timer, &drain);
}

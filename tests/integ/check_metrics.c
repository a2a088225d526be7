/*
 * switchboard integration tests: the metrics endpoint (metrics_listen).
 * Every family after a known amount of traffic, each refusal reason and
 * each limit, a reload that removes and adds services and addresses, the
 * HTTP answers (404, 405, HEAD), promtool on a real scrape, and abuse of
 * the metrics port while the services keep answering.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

/* What the daemon caps, as src/ops/metrics_http.h says. */
#define MAX_CONNS		32
#define REQUEST_SECONDS		10

static char conf[2048];

/* The families every page has, each with # HELP and # TYPE. */
static const char *const families[] = {
	"switchboard_build_info gauge",
	"switchboard_connections gauge",
	"switchboard_connections_accepted_total counter",
	"switchboard_connections_refused_total counter",
	"switchboard_lines_received_total counter",
	"switchboard_lines_sent_total counter",
	"switchboard_bytes_received_total counter",
	"switchboard_bytes_sent_total counter",
	"switchboard_limit_events_total counter",
	"switchboard_reloads_total counter",
	"switchboard_config_last_reload_success_timestamp_seconds gauge",
	"process_cpu_seconds_total counter",
	"process_resident_memory_bytes gauge",
	"process_open_fds gauge",
	"process_max_fds gauge",
	"process_start_time_seconds gauge",
};

static const char *const reasons[] = {
	"acl", "max_connections", "max_per_ip", "max_accept_rate",
	"max_clients"
};

static const char *const limits[] = {
	"max_line", "max_output", "idle_timeout", "line_timeout",
	"send_timeout", "rate", "udp_max_request", "udp_max_reply",
	"udp_max_amplification", "udp_rate", "udp_source_port"
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static long
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Everything the peer sends until it closes (bounded by ms); malloc'd. */
static char *
read_all(int fd, int ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	long		 end = mono_ms() + ms;
	size_t		 len = 0, size = 65536;
	char		*buf = malloc(size);
	ssize_t		 r;

	ck_assert_ptr_nonnull(buf);
	while (mono_ms() < end) {
		if (poll(&pfd, 1, (int)(end - mono_ms())) != 1)
			continue;
		if (len + 1 == size) {
			size *= 2;
			ck_assert_ptr_nonnull(buf = realloc(buf, size));
		}
		r = recv(fd, buf + len, size - len - 1, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return (buf);
}

/* One HTTP exchange on a new connection: the whole answer. */
static char *
http(int port, const char *request)
{
	struct client	*c = cl_tcp(port);
	char		*answer;

	cl_send(c, request);
	answer = read_all(c->fd, T_WAIT_MS);
	cl_close(c);
	return (answer);
}

/* GET /metrics: the page (the body of a 200 answer). */
static char *
scrape(int port)
{
	char	*answer = http(port, "GET /metrics HTTP/1.0\r\n\r\n"), *body;

	ck_assert_msg(strncmp(answer, "HTTP/1.0 200 OK\r\n", 17) == 0,
	    "scrape: %s", answer);
	ck_assert_ptr_nonnull(body = strstr(answer, "\r\n\r\n"));
	memmove(answer, body + 4, strlen(body + 4) + 1);
	return (answer);
}

/* Is there a sample line starting "sample " on the page? */
static int
has_sample(const char *page, const char *sample)
{
	const char	*p;
	size_t		 n = strlen(sample);

	for (p = page; (p = strstr(p, sample)) != NULL; p++) {
		if ((p == page || p[-1] == '\n') && p[n] == ' ')
			return (1);
	}
	return (0);
}

/* The value of one sample, which must be on the page. */
static double
value(const char *page, const char *sample)
{
	const char	*p;
	size_t		 n = strlen(sample);

	for (p = page; (p = strstr(p, sample)) != NULL; p++) {
		if ((p == page || p[-1] == '\n') && p[n] == ' ')
			return (strtod(p + n + 1, NULL));
	}
	ck_abort_msg("no sample %s on the page:\n%s", sample, page);
	return (-1);
}

/* The value of a per-service sample of family name (labels after). */
static double
svc_value(const char *page, const char *name, const char *service,
    const char *more)
{
	char	sample[256];

	snprintf(sample, sizeof(sample), "%s{service=\"%s\"%s%s}", name,
	    service, more != NULL ? "," : "", more != NULL ? more : "");
	return (value(page, sample));
}

/* The client can talk to number-to-text. */
static void
works(struct client *c)
{
	cl_send(c, "7\n");
	cl_expect(c, "seven");
}

/* Every family is there with its # HELP and # TYPE. */
static void
check_families(const char *page)
{
	char	line[160], name[128];
	size_t	i;

	for (i = 0; i < NITEMS(families); i++) {
		snprintf(name, sizeof(name), "%.*s",
		    (int)strcspn(families[i], " "), families[i]);
		snprintf(line, sizeof(line), "\n# TYPE %s\n", families[i]);
		ck_assert_msg(strstr(page, line) != NULL, "no %s", line);
		snprintf(line, sizeof(line), "# HELP %s ", name);
		ck_assert_msg(strstr(page, line) != NULL, "no %s", line);
	}
}

/*
 * 100 requests move the counters by exactly 100 (and their bytes), each
 * family is there, the other service stays at 0, and the process
 * metrics are the daemon's.
 */
START_TEST(test_traffic)
{
	struct sbd	 d;
	struct client	*c, *idle[10];
	char		*page, sample[128];
	time_t		 t0 = time(NULL);
	double		 fds;
	int		 port, mport, i;

	sbd_start(&d, "metrics_listen = [ \"127.0.0.1:0\" ];\n"
	    "services = ( { name = \"numbers\"; handler = \"number-to-text\"; "
	    "listen = [ \"127.0.0.1:0\" ]; },\n"
	    "{ name = \"upper\"; handler = \"uppercase-echo\"; "
	    "listen = [ \"127.0.0.1:0\" ]; } );\n");
	port = sbd_port(&d, "numbers");
	mport = sbd_port(&d, "metrics");
	page = scrape(mport);
	check_families(page);
	snprintf(sample, sizeof(sample),
	    "switchboard_build_info{version=\"%s\"}", PACKAGE_VERSION);
	ck_assert(value(page, sample) == 1);
	ck_assert(svc_value(page, "switchboard_lines_received_total", "numbers",
	    NULL) == 0);
	free(page);
	c = cl_tcp(port);
	for (i = 0; i < 100; i++)
		works(c);
	page = scrape(mport);
	ck_assert(svc_value(page, "switchboard_connections", "numbers",
	    NULL) == 1);
	ck_assert(svc_value(page, "switchboard_connections_accepted_total",
	    "numbers", NULL) == 1);
	ck_assert(svc_value(page, "switchboard_lines_received_total",
	    "numbers", NULL) == 100);
	ck_assert(svc_value(page, "switchboard_lines_sent_total", "numbers",
	    NULL) == 100);
	ck_assert(svc_value(page, "switchboard_bytes_received_total",
	    "numbers", NULL) == 100 * 2);		/* "7\n" */
	ck_assert(svc_value(page, "switchboard_bytes_sent_total", "numbers",
	    NULL) == 100 * 6);			/* "seven\n" */
	for (i = 0; i < (int)NITEMS(reasons); i++) {
		snprintf(sample, sizeof(sample), "reason=\"%s\"", reasons[i]);
		ck_assert(svc_value(page,
		    "switchboard_connections_refused_total", "numbers",
		    sample) == 0);
	}
	for (i = 0; i < (int)NITEMS(limits); i++) {
		snprintf(sample, sizeof(sample), "limit=\"%s\"", limits[i]);
		ck_assert(svc_value(page, "switchboard_limit_events_total",
		    "upper", sample) == 0);
	}
	ck_assert(svc_value(page, "switchboard_lines_received_total", "upper",
	    NULL) == 0);
	ck_assert(svc_value(page, "switchboard_connections", "upper",
	    NULL) == 0);
	ck_assert(value(page, "switchboard_reloads_total{result=\"ok\"}") == 0);
	ck_assert(value(page, "switchboard_reloads_total{result=\"failed\"}") ==
	    0);
	ck_assert(value(page,
	    "switchboard_config_last_reload_success_timestamp_seconds") >=
	    (double)t0);
	ck_assert(value(page, "process_start_time_seconds") >= (double)t0 - 2);
	ck_assert(value(page, "process_start_time_seconds") <=
	    (double)time(NULL) + 1);
	ck_assert(value(page, "process_resident_memory_bytes") > 1024 * 1024);
	ck_assert(value(page, "process_cpu_seconds_total") >= 0);
	ck_assert(value(page, "process_max_fds") > 0);
	fds = value(page, "process_open_fds");
	ck_assert(fds > 3);
	free(page);
	/* Ten more clients: ten more descriptors, exactly. */
	for (i = 0; i < 10; i++) {
		idle[i] = cl_tcp(port);
		works(idle[i]);
	}
	page = scrape(mport);
	ck_assert_int_eq((int)value(page, "process_open_fds"), (int)fds + 10);
	ck_assert(svc_value(page, "switchboard_connections", "numbers",
	    NULL) == 11);
	free(page);
	for (i = 0; i < 10; i++)
		cl_close(idle[i]);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* One refusal: a top-level key, a service and how to provoke it. */
struct refusal {
	const char	*reason;
	const char	*top;
	const char	*handler;
	const char	*extra;
	const char	*from;		/* the refused client's address */
};

static const struct refusal refusals[] = {
	{ "acl", "", "number-to-text", "deny = \"127.0.0.2\";", "127.0.0.2" },
	{ "max_connections", "max_connections = 1;", "number-to-text", "",
	  NULL },
	{ "max_per_ip", "", "number-to-text", "max_per_ip = 1;", NULL },
	{ "max_accept_rate", "", "number-to-text", "max_accept_rate = 1;",
	  NULL },
	{ "max_clients", "", "chat-relay", "max_clients = 1;", NULL },
};

/* Each refusal counts 1 under its reason and 0 under the others. */
START_TEST(test_refusals)
{
	const struct refusal	*r = &refusals[_i];
	struct sbd		 d;
	struct client		*first = NULL, *refused;
	char			*page, label[64];
	size_t			 i;
	int			 port;

	snprintf(conf, sizeof(conf), "%s\n"
	    "metrics_listen = [ \"127.0.0.1:0\" ];\n"
	    "services = ( { name = \"svc\"; handler = \"%s\"; "
	    "listen = [ \"127.0.0.1:0\" ]; %s } );\n", r->top, r->handler,
	    r->extra);
	sbd_start(&d, conf);
	port = sbd_port(&d, "svc");
	if (r->from == NULL) {
		first = cl_tcp(port);
		if (strcmp(r->handler, "number-to-text") == 0)
			works(first);
		else				/* the room's welcome */
			ck_assert_ptr_nonnull(cl_line(first, T_WAIT_MS));
		refused = cl_tcp(port);
	} else
		refused = cl_tcp_from(port, r->from);
	ck_assert(cl_eof(refused, T_WAIT_MS));
	cl_close(refused);
	page = scrape(sbd_port(&d, "metrics"));
	for (i = 0; i < NITEMS(reasons); i++) {
		snprintf(label, sizeof(label), "reason=\"%s\"", reasons[i]);
		ck_assert_msg(svc_value(page,
		    "switchboard_connections_refused_total", "svc", label) ==
		    (strcmp(reasons[i], r->reason) == 0 ? 1 : 0),
		    "%s: %s:\n%s", r->reason, label, page);
	}
	free(page);
	if (first != NULL)
		cl_close(first);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* Send bytes without blocking; 0 once the peer takes no more. */
static size_t
push(int fd, const char *data, size_t len)
{
	ssize_t	n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	return (n > 0 ? (size_t)n : 0);
}

/* The count of one limit on svc, from a fresh scrape. */
static double
limit_now(struct sbd *d, const char *limit)
{
	char	*page = scrape(sbd_port(d, "metrics")), label[64];
	double	 v;

	snprintf(label, sizeof(label), "limit=\"%s\"", limit);
	v = svc_value(page, "switchboard_limit_events_total", "svc", label);
	free(page);
	return (v);
}

/* Provoke one limit on service svc; returns once it has fired. */
static void
provoke(struct sbd *d, const char *limit)
{
	struct client	*c, *other;
	char		 line[1001];
	long		 end = mono_ms() + 4 * T_WAIT_MS;
	int		 port = sbd_port(d, "svc"), i, j;

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	c = cl_tcp_rcvbuf(port, 4096);
	if (strcmp(limit, "max_line") == 0) {
		cl_send(c, "12345678901234567890123456789012345678901\n");
		ck_assert_ptr_nonnull(cl_line(c, T_WAIT_MS));
		works(c);
	} else if (strcmp(limit, "idle_timeout") == 0 ||
	    strcmp(limit, "line_timeout") == 0) {
		if (limit[0] == 'l')
			cl_send(c, "4");
		ck_assert(cl_eof(c, T_WAIT_MS));
	} else if (strcmp(limit, "send_timeout") == 0) {
		/* Requests, never reading the answers. */
		while (limit_now(d, limit) == 0 && mono_ms() < end) {
			for (i = 0; i < 200 && push(c->fd, line,
			    sizeof(line)) > 0; i++)
				;
			usleep(100000);
		}
	} else if (strcmp(limit, "max_output") == 0) {
		/* A chat member that never reads; another floods. */
		ck_assert_ptr_nonnull(cl_line(c, T_WAIT_MS));
		other = cl_tcp(port);
		ck_assert_ptr_nonnull(cl_line(other, T_WAIT_MS));
		for (i = 0; i < 4000 && limit_now(d, limit) == 0 &&
		    mono_ms() < end; i += 20) {
			for (j = 0; j < 20; j++)
				cl_sendn(other, line, sizeof(line));
		}
		cl_close(other);
	} else if (strcmp(limit, "rate") == 0) {
		ck_assert_ptr_nonnull(cl_line(c, T_WAIT_MS));
		for (i = 0; i < 12; i++)
			cl_send(c, "hello\n");
		while (limit_now(d, limit) == 0 && mono_ms() < end)
			usleep(100000);
	}
	cl_close(c);
}

/*
 * On a fresh scrape, limit has fired on svc (exactly once if exact) and
 * every other limit not at all.
 */
static void
only_limit(int mport, const char *limit, int exact)
{
	char	*page = scrape(mport), label[64];
	double	 v;
	size_t	 i;

	for (i = 0; i < NITEMS(limits); i++) {
		snprintf(label, sizeof(label), "limit=\"%s\"", limits[i]);
		v = svc_value(page, "switchboard_limit_events_total", "svc",
		    label);
		if (strcmp(limits[i], limit) != 0)
			ck_assert_msg(v == 0, "%s: %s %g", limit, label, v);
		else if (exact)
			ck_assert_msg(v == 1, "%s: %g", label, v);
		else
			ck_assert_msg(v >= 1, "%s: %g", label, v);
	}
	free(page);
}

/*
 * Send one datagram to 127.0.0.1:port and wait (bounded) for an answer;
 * returns its length, or -1 if none came.
 */
static ssize_t
udp_ask(int fd, int port, const void *req, size_t len, int wait_ms)
{
	struct sockaddr_in	 sin;
	struct pollfd		 pfd = { fd, POLLIN, 0 };
	char			 buf[2048];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(sendto(fd, req, len, 0, (struct sockaddr *)&sin,
	    sizeof(sin)), (ssize_t)len);
	if (poll(&pfd, 1, wait_ms) != 1)
		return (-1);
	return (recv(fd, buf, sizeof(buf), 0));
}

/* One UDP limit and the udp: service that has it low. */
struct udp_case {
	const char	*limit;
	const char	*extra;
	const char	*req;
	size_t		 times;		/* sent this many times */
};

static const struct udp_case udp_cases[] = {
	{ "udp_max_request", "udp_max_request = 16;",
	  "12345678901234567\n", 1 },
	{ "udp_max_reply", "udp_max_reply = 64; udp_max_amplification = 100;",
	  "-9223372036854775808\n", 1 },
	{ "udp_max_amplification", "udp_max_amplification = 1;", "7\n", 1 },
	{ "udp_rate", "udp_rate = 1; udp_burst = 1;", "1\n", 5 },
};

/*
 * Each UDP limit counts under its name and no other limit moves; the
 * datagrams answered count as lines received and sent.
 */
START_TEST(test_udp_limits)
{
	const struct udp_case	*uc = &udp_cases[_i];
	struct sbd		 d;
	size_t			 i;
	int			 fd, port;

	snprintf(conf, sizeof(conf), "metrics_listen = [ \"127.0.0.1:0\" ];\n"
	    "services = ( { name = \"svc\"; handler = \"number-to-text\"; "
	    "listen = [ \"udp:127.0.0.1:0\" ]; %s } );\n", uc->extra);
	sbd_start(&d, conf);
	port = sbd_udp_port(&d, "svc", "127.0.0.1");
	ck_assert_int_gt(port, 0);
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    0);
	for (i = 0; i < uc->times; i++)
		(void)udp_ask(fd, port, uc->req, strlen(uc->req), 200);
	/* A dropped datagram has no answer to wait for: the count is. */
	for (i = 0; i < 50 && limit_now(&d, uc->limit) == 0; i++)
		usleep(100000);
	close(fd);
	only_limit(sbd_port(&d, "metrics"), uc->limit, uc->times == 1);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* One limit and the service that has it low. */
struct limit_case {
	const char	*limit;
	const char	*handler;
	const char	*extra;
	int		 exact;		/* fires exactly once */
};

static const struct limit_case limit_cases[] = {
	{ "max_line", "number-to-text", "max_line = 16;", 1 },
	{ "max_output", "chat-relay", "max_line = 1024; max_output = 4096; "
	  "sndbuf = 4096; byte_rate = 0; room_byte_rate = 0; history = 0;", 1 },
	{ "idle_timeout", "number-to-text", "idle_timeout = 1;", 1 },
	{ "line_timeout", "number-to-text", "line_timeout = 1;", 1 },
	{ "send_timeout", "uppercase-echo", "idle_timeout = 0; "
	  "send_timeout = 1; sndbuf = 8192;", 1 },
	{ "rate", "chat-relay", "rate = 10; burst = 2; byte_rate = 0;", 0 },
};

/* Each limit counts under its name, and no other limit moves. */
START_TEST(test_limits)
{
	const struct limit_case	*lc = &limit_cases[_i];
	struct sbd		 d;

	snprintf(conf, sizeof(conf), "metrics_listen = [ \"127.0.0.1:0\" ];\n"
	    "services = ( { name = \"svc\"; handler = \"%s\"; "
	    "listen = [ \"127.0.0.1:0\" ]; %s } );\n", lc->handler, lc->extra);
	sbd_start(&d, conf);
	provoke(&d, lc->limit);
	only_limit(sbd_port(&d, "metrics"), lc->limit, lc->exact);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* Can a client connect to this unix socket? */
static int
unix_open(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_lt(strlen(path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return (r == 0);
}

/* The services of a reload test, with these metrics addresses. */
static const char *
reload_conf(const char *metrics, const char *names)
{
	char	svc[256], *p = conf;
	size_t	left = sizeof(conf);
	int	n;

	n = snprintf(p, left, "metrics_listen = [ %s ];\nservices = (",
	    metrics);
	p += n;
	left -= (size_t)n;
	for (; *names != '\0'; names++) {
		snprintf(svc, sizeof(svc), "%s{ name = \"%c\"; handler = "
		    "\"number-to-text\"; listen = [ \"127.0.0.1:0\" ]; }",
		    p[-1] == '(' ? " " : ", ", *names);
		n = snprintf(p, left, "%s", svc);
		p += n;
		left -= (size_t)n;
	}
	snprintf(p, left, " );\n");
	return (conf);
}

/*
 * A reload removes a service (it leaves the page), adds one (at zero) and
 * keeps one (with its counts); the kept metrics address keeps its socket,
 * a removed one closes, an added one opens. A reload whose new address is
 * taken fails and the old configuration keeps serving.
 */
START_TEST(test_reload)
{
	struct sbd	 d;
	struct client	*c, *unixc;
	char		*page, sock[128], metrics[256], *log, *p;
	int		 mport, v6, i, busy_fd, busy;
	time_t		 t0;

	sbd_start(&d, "services = ( { name = \"x\"; handler = "
	    "\"number-to-text\"; listen = [ \"127.0.0.1:0\" ]; } );\n");
	snprintf(sock, sizeof(sock), "%s/metrics.sock", d.dir);
	snprintf(metrics, sizeof(metrics), "\"127.0.0.1:0\", \"unix:%s\"",
	    sock);
	sbd_reload(&d, reload_conf(metrics, "ab"));
	mport = sbd_port(&d, "metrics");
	unixc = cl_unix(sock);			/* HTTP over the unix socket */
	cl_send(unixc, "GET /metrics HTTP/1.0\r\n\r\n");
	page = read_all(unixc->fd, T_WAIT_MS);
	ck_assert_msg(strncmp(page, "HTTP/1.0 200 OK\r\n", 17) == 0, "%s",
	    page);
	ck_assert(strstr(page, "\nswitchboard_connections{service=\"a\"} 0\n")
	    != NULL);
	free(page);
	cl_close(unixc);
	c = cl_tcp(sbd_port(&d, "a"));
	for (i = 0; i < 5; i++)
		works(c);
	page = scrape(mport);
	ck_assert(svc_value(page, "switchboard_lines_received_total", "a",
	    NULL) == 5);
	ck_assert(has_sample(page, "switchboard_connections{service=\"b\"}"));
	ck_assert(!has_sample(page, "switchboard_connections{service=\"x\"}"));
	ck_assert(value(page, "switchboard_reloads_total{result=\"ok\"}") == 1);
	free(page);
	t0 = time(NULL);
	snprintf(metrics, sizeof(metrics), "\"127.0.0.1:0\", \"[::1]:0\"");
	sbd_reload(&d, reload_conf(metrics, "ac"));
	page = scrape(mport);			/* the same socket */
	ck_assert(svc_value(page, "switchboard_lines_received_total", "a",
	    NULL) == 5);
	ck_assert(svc_value(page, "switchboard_connections", "a", NULL) == 1);
	ck_assert(!has_sample(page, "switchboard_connections{service=\"b\"}"));
	ck_assert(!has_sample(page,
	    "switchboard_lines_received_total{service=\"b\"}"));
	ck_assert(svc_value(page, "switchboard_lines_received_total", "c",
	    NULL) == 0);
	ck_assert(svc_value(page, "switchboard_connections_accepted_total",
	    "c", NULL) == 0);
	ck_assert(value(page, "switchboard_reloads_total{result=\"ok\"}") == 2);
	ck_assert(value(page,
	    "switchboard_config_last_reload_success_timestamp_seconds") >=
	    (double)t0);
	free(page);
	ck_assert(!unix_open(sock));
	ck_assert(access(sock, F_OK) == -1);
	log = sbd_log_text(&d);
	ck_assert_ptr_nonnull(p = strstr(log, " metrics: listening on [::1]:"));
	v6 = atoi(p + strlen(" metrics: listening on [::1]:"));
	free(log);
	ck_assert_int_gt(v6, 0);
	/* A taken address fails the reload; all else stays as it was. */
	busy = 0;
	busy_fd = port_taken(&busy);
	ck_assert_int_ge(busy_fd, 0);
	snprintf(metrics, sizeof(metrics), "\"127.0.0.1:0\", \"127.0.0.1:%d\"",
	    busy);
	sbd_reload(&d, reload_conf(metrics, "acd"));
	ck_assert(sbd_log_has(&d, "reload failed, still serving the previous "
	    "configuration: metrics_listen: cannot listen on 127.0.0.1:"));
	ck_assert(sbd_log_has(&d, "Address already in use"));
	page = scrape(mport);
	ck_assert(value(page, "switchboard_reloads_total{result=\"ok\"}") == 2);
	ck_assert(value(page, "switchboard_reloads_total{result=\"failed\"}") ==
	    1);
	ck_assert(!has_sample(page, "switchboard_connections{service=\"d\"}"));
	ck_assert(has_sample(page, "switchboard_connections{service=\"c\"}"));
	free(page);
	close(busy_fd);
	/* Without metrics_listen the port closes. */
	sbd_reload(&d, "services = ( { name = \"a\"; handler = "
	    "\"number-to-text\"; listen = [ \"127.0.0.1:0\" ]; } );\n");
	ck_assert(!port_open(mport));
	works(c);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* Start a daemon with one numbers service and a metrics port. */
static void
start_one(struct sbd *d)
{
	sbd_start(d, "metrics_listen = [ \"127.0.0.1:0\" ];\n"
	    "services = ( { name = \"numbers\"; handler = \"number-to-text\"; "
	    "listen = [ \"127.0.0.1:0\" ]; } );\n");
}

/* 404 elsewhere, 405 (with Allow) for other methods, HEAD, keep-alive. */
START_TEST(test_http)
{
	static const char *const methods[] = { "POST", "PUT", "DELETE",
	    "OPTIONS", "PATCH", "BREW" };
	struct sbd	 d;
	struct client	*c;
	char		*a, *get, req[128], *cl;
	size_t		 i, body;
	int		 mport;

	start_one(&d);
	mport = sbd_port(&d, "metrics");
	a = http(mport, "GET / HTTP/1.0\r\n\r\n");
	ck_assert_msg(strncmp(a, "HTTP/1.0 404 ", 13) == 0, "%s", a);
	free(a);
	a = http(mport, "GET /metricsx HTTP/1.0\r\n\r\n");
	ck_assert_msg(strncmp(a, "HTTP/1.0 404 ", 13) == 0, "%s", a);
	free(a);
	for (i = 0; i < NITEMS(methods); i++) {
		snprintf(req, sizeof(req), "%s /metrics HTTP/1.0\r\n"
		    "Content-Length: 0\r\n\r\n", methods[i]);
		a = http(mport, req);
		ck_assert_msg(strncmp(a, "HTTP/1.0 405 ", 13) == 0, "%s: %s",
		    methods[i], a);
		ck_assert_msg(strstr(a, "\r\nAllow: GET, HEAD\r\n") != NULL,
		    "%s", a);
		free(a);
	}
	get = http(mport, "GET /metrics HTTP/1.0\r\n\r\n");
	ck_assert(strstr(get, "\r\nContent-Type: text/plain; version=0.0.4\r\n")
	    != NULL);
	body = strlen(strstr(get, "\r\n\r\n") + 4);
	a = http(mport, "HEAD /metrics HTTP/1.0\r\n\r\n");
	ck_assert_msg(strncmp(a, "HTTP/1.0 200 OK\r\n", 17) == 0, "%s", a);
	ck_assert(strstr(a, "\r\nContent-Type: text/plain; version=0.0.4\r\n")
	    != NULL);
	ck_assert_ptr_nonnull(cl = strstr(a, "\r\nContent-Length: "));
	/* The page may differ by a digit or two (process metrics). */
	ck_assert_int_lt(labs(atol(cl + 18) - (long)body), 64);
	ck_assert_str_eq(strstr(a, "\r\n\r\n"), "\r\n\r\n");	/* no body */
	free(a);
	free(get);
	/* HTTP/1.1 keeps the connection for the next scrape. */
	c = cl_tcp(mport);
	for (i = 0; i < 3; i++) {
		cl_send(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
		cl_expect(c, "HTTP/1.1 200 OK\r");
		while ((a = cl_line(c, T_WAIT_MS)) != NULL &&
		    strncmp(a, "process_start_time_seconds ", 27) != 0)
			;
		ck_assert_ptr_nonnull(a);
	}
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* promtool finds nothing to say about a real page. */
START_TEST(test_promtool)
{
	struct sbd	 d;
	struct client	*c;
	char		*page, path[128], cmd[256], out[4096];
	FILE		*f;
	int		 rc;

	sbd_start(&d, "metrics_listen = [ \"127.0.0.1:0\" ];\n"
	    "services = ( { name = \"numbers\"; handler = \"number-to-text\"; "
	    "listen = [ \"127.0.0.1:0\" ]; },\n"
	    "{ name = \"lobby\"; handler = \"chat-relay\"; "
	    "listen = [ \"127.0.0.1:0\" ]; max_clients = 1; } );\n");
	c = cl_tcp(sbd_port(&d, "numbers"));
	works(c);
	page = scrape(sbd_port(&d, "metrics"));
	snprintf(path, sizeof(path), "%s/page.txt", d.dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(page, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	rc = run_shell(cmd, out, sizeof(out));
	ck_assert_msg(rc == 0 && out[0] == '\0', "promtool (%d): %s", rc, out);
	free(page);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A non-blocking connection attempt to 127.0.0.1:port, with a send buffer
 * of sndbuf bytes (0: the kernel's); the fd.
 */
static int
connect_nb_buf(int port, int sndbuf)
{
	struct sockaddr_in	sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	if (sndbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
	    errno == EINPROGRESS);
	return (fd);
}

/* A non-blocking connection attempt to 127.0.0.1:port; the fd. */
static int
connect_nb(int port)
{
	return (connect_nb_buf(port, 0));
}

/*
 * Scrape until it works, within a bounded time: the endpoint serves again
 * once abusers are gone. A try that gets no answer in time is given up.
 */
static void
scrape_again(int mport)
{
	long	end = mono_ms() + 3 * T_WAIT_MS;
	char	*a;
	int	fd, ok = 0;

	while (!ok && mono_ms() < end) {
		fd = connect_nb(mport);
		usleep(50000);
		if (push(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25) == 25) {
			a = read_all(fd, 2000);
			ok = strncmp(a, "HTTP/1.0 200 OK\r\n", 17) == 0;
			free(a);
		}
		close(fd);
	}
	ck_assert_msg(ok, "the metrics endpoint never served again");
}

/*
 * 1,000 idle connections to the metrics port: the daemon holds at most
 * its cap of them (descriptors bounded), the service keeps answering, and
 * once they go the endpoint serves again.
 */
START_TEST(test_abuse_idle)
{
	struct sbd	 d;
	struct client	*c;
	int		 fds[1000], base, held, i, mport;

	start_one(&d);
	mport = sbd_port(&d, "metrics");
	c = cl_tcp(sbd_port(&d, "numbers"));
	works(c);
	base = sbd_fd_count(&d);
	for (i = 0; i < 1000; i++)
		fds[i] = connect_nb(mport);
	for (i = 0; i < 20; i++) {
		works(c);
		usleep(50000);
	}
	held = sbd_fd_count(&d);
	printf("1000 idle metrics connections: daemon fds %d -> %d\n", base,
	    held);
	ck_assert_int_le(held, base + MAX_CONNS + 2);
	ck_assert_int_ge(held, base + MAX_CONNS - 2);
	works(c);
	for (i = 0; i < 1000; i++)
		close(fds[i]);
	scrape_again(mport);
	works(c);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A request head of 1 MiB is cut off at the cap, not buffered: the
 * connection closes, memory stays bounded, and all else keeps working.
 */
START_TEST(test_abuse_big_header)
{
	struct sbd	 d;
	struct client	*c;
	char		*big, *a;
	size_t		 len = 1024 * 1024, off = 0;
	long		 rss0, rss1, end;
	int		 fd, mport;

	start_one(&d);
	mport = sbd_port(&d, "metrics");
	c = cl_tcp(sbd_port(&d, "numbers"));
	works(c);
	rss0 = sbd_rss_kb(&d);
	ck_assert_ptr_nonnull(big = malloc(len));
	memset(big, 'a', len);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX-Big: ", 30);
	/* A small send buffer: the kernel holds little of it for us. */
	fd = connect_nb_buf(mport, 16384);
	for (end = mono_ms() + T_WAIT_MS; off < len && mono_ms() < end; ) {
		size_t	n = push(fd, big + off, len - off);

		if (n == 0 && errno != EAGAIN && errno != EINPROGRESS &&
		    errno != ENOTCONN)
			break;			/* closed on us */
		off += n;
		if (n == 0)
			usleep(10000);
	}
	ck_assert_msg(off < len, "the daemon read all of a 1 MiB header");
	a = read_all(fd, T_WAIT_MS);		/* then it is closed */
	ck_assert_msg(a[0] == '\0' || strncmp(a, "HTTP/1.1 4", 10) == 0,
	    "%s", a);
	free(a);
	close(fd);
	works(c);
	rss1 = sbd_rss_kb(&d);
	printf("1 MiB header: sent %zu bytes; RSS %ld -> %ld KiB\n", off, rss0,
	    rss1);
	if (sbd_rss_meaningful())
		ck_assert_int_lt(rss1 - rss0, 512);
	scrape_again(mport);
	free(big);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * Pipelined requests, 4 MiB of them, from a client that reads almost
 * none of the answers: the daemon reads only a request's worth ahead of
 * the one it answers, so it takes little of them and grows by little.
 */
START_TEST(test_abuse_pipelined)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct sbd	 d;
	struct client	*c;
	char		*buf, junk[16];
	size_t		 len = 4 * 1024 * 1024, off = 0, i;
	long		 rss0, rss1, end;
	int		 fd, mport;

	start_one(&d);
	mport = sbd_port(&d, "metrics");
	c = cl_tcp(sbd_port(&d, "numbers"));
	works(c);
	rss0 = sbd_rss_kb(&d);
	ck_assert_ptr_nonnull(buf = malloc(len));
	for (i = 0; i + sizeof(req) - 1 <= len; i += sizeof(req) - 1)
		memcpy(buf + i, req, sizeof(req) - 1);
	len = i;
	fd = connect_nb_buf(mport, 16384);
	for (end = mono_ms() + 3000; off < len && mono_ms() < end; ) {
		size_t	n = push(fd, buf + off, len - off);

		off += n;
		if (n == 0) {
			/* A few bytes now and then: never idle. */
			(void)recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
			usleep(20000);
		}
	}
	works(c);
	rss1 = sbd_rss_kb(&d);
	printf("pipelined: sent %zu of %zu bytes; RSS %ld -> %ld KiB\n", off,
	    len, rss0, rss1);
	ck_assert_msg(off < len, "the daemon read 4 MiB of pipelined requests "
	    "while answering the first ones");
	if (sbd_rss_meaningful())
		ck_assert_int_lt(rss1 - rss0, 1024);
	close(fd);
	scrape_again(mport);
	free(buf);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A client trickling a header, one line every 300 ms, never idle: it is
 * closed at the request deadline; meanwhile the service answers and the
 * endpoint serves others.
 */
START_TEST(test_abuse_slow_client)
{
	struct sbd	 d;
	struct client	*c, *slow;
	char		*page;
	long		 t0, end;
	int		 closed = 0, mport;

	start_one(&d);
	mport = sbd_port(&d, "metrics");
	c = cl_tcp(sbd_port(&d, "numbers"));
	slow = cl_tcp(mport);
	cl_send(slow, "GET /metrics HTTP/1.1\r\n");
	t0 = mono_ms();
	end = t0 + (REQUEST_SECONDS + 5) * 1000L * sbd_wait_scale();
	while (!closed && mono_ms() < end) {
		closed = push(slow->fd, "X-Slow: 1\r\n", 11) == 0 &&
		    errno != EAGAIN;
		if (!closed && cl_eof(slow, 300))
			closed = 1;
		works(c);
	}
	ck_assert_msg(closed, "a trickling client was never closed");
	ck_assert_int_ge(mono_ms() - t0, (REQUEST_SECONDS - 1) * 1000L);
	page = scrape(mport);
	ck_assert(svc_value(page, "switchboard_lines_received_total",
	    "numbers", NULL) > 0);
	free(page);
	cl_close(slow);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* A metrics address that is taken fails the start, with exit 69. */
START_TEST(test_busy_address)
{
	struct sbd	 d;
	char		 text[256];
	int		 busy = 0, fd;

	fd = port_taken(&busy);
	ck_assert_int_ge(fd, 0);
	snprintf(text, sizeof(text), "metrics_listen = [ \"127.0.0.1:%d\" ];\n"
	    "services = ( { name = \"numbers\"; handler = \"number-to-text\"; "
	    "listen = [ \"127.0.0.1:0\" ]; } );\n", busy);
	sbd_spawn(&d, text, NULL);
	ck_assert_int_eq(sbd_wait_exit(&d, T_WAIT_MS), 69);
	snprintf(text, sizeof(text), "metrics_listen: cannot listen on "
	    "127.0.0.1:%d: Address already in use", busy);
	ck_assert(sbd_log_has(&d, text));
	close(fd);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("metrics");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_traffic);
	tcase_add_loop_test(tc, test_refusals, 0, (int)NITEMS(refusals));
	tcase_add_loop_test(tc, test_limits, 0, (int)NITEMS(limit_cases));
	tcase_add_loop_test(tc, test_udp_limits, 0, (int)NITEMS(udp_cases));
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_http);
	tcase_add_test(tc, test_promtool);
	tcase_add_test(tc, test_abuse_idle);
	tcase_add_test(tc, test_abuse_big_header);
	tcase_add_test(tc, test_abuse_pipelined);
	tcase_add_test(tc, test_abuse_slow_client);
	tcase_add_test(tc, test_busy_address);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_metrics"));
}

/*
 * switchboard integration tests: udp: listeners, over real UDP sockets on
 * 127.0.0.1 and ::1.
 *
 * A dropped datagram has no answer, so silence is never waited for: each
 * check sends a datagram that is answered (from another address or port)
 * after the ones that must be dropped, to the same daemon socket, which
 * reads them in order; once its answer is in, the dropped ones have been
 * handled, and a poll without waiting shows they got nothing. What was
 * dropped is then read from the service's counters (SIGUSR1's snapshot).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

#define TRUNCATED	"error: reply truncated, use TCP\n"

static const char conf_both[] =
    "services = (\n"
    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "    listen = [ \"127.0.0.1:0\", \"udp:127.0.0.1:0\",\n"
    "      \"udp:[::1]:0\" ]; },\n"
    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
    "    listen = [ \"udp:127.0.0.1:0\", \"udp:[::1]:0\" ]; }\n"
    ");\n";

/* A UDP socket bound to addr:port (port 0: any). */
static int
udp_sock(const char *addr, int port)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	int			fd, on = 1;

	if (strchr(addr, ':') != NULL) {
		fd = socket(AF_INET6, SOCK_DGRAM, 0);
		ck_assert_int_ge(fd, 0);
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &sin6.sin6_addr);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin6,
		    sizeof(sin6)), 0);
		return (fd);
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "bind %s:%d: %s", addr, port, strerror(errno));
	return (fd);
}

/* Send len bytes of req from fd to the daemon's port on addr. */
static void
udp_put(int fd, const char *addr, int port, const void *req, size_t len)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	ssize_t			n;

	if (strchr(addr, ':') != NULL) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &sin6.sin6_addr);
		n = sendto(fd, req, len, 0, (struct sockaddr *)&sin6,
		    sizeof(sin6));
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &sin.sin_addr);
		n = sendto(fd, req, len, 0, (struct sockaddr *)&sin,
		    sizeof(sin));
	}
	ck_assert_int_eq(n, (ssize_t)len);
}

/*
 * One datagram from fd within wait_ms (0: only one already there): its
 * length, or -1 if none came.
 */
static ssize_t
udp_get(int fd, char *buf, size_t size, int wait_ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };

	if (poll(&pfd, 1, wait_ms) != 1)
		return (-1);
	return (recv(fd, buf, size, MSG_DONTWAIT));
}

/* Ask and check the answer is exactly want (wlen bytes). */
static void
udp_expect(int fd, const char *addr, int port, const void *req, size_t len,
    const void *want, size_t wlen)
{
	char	buf[70000];
	ssize_t	n;

	udp_put(fd, addr, port, req, len);
	n = udp_get(fd, buf, sizeof(buf), T_WAIT_MS);
	ck_assert_msg(n >= 0, "no answer from %s port %d", addr, port);
	ck_assert_msg((size_t)n == wlen && memcmp(buf, want, wlen) == 0,
	    "answer of %zd bytes: \"%.*s\", want %zu: \"%.*s\"", n, (int)n,
	    buf, wlen, (int)wlen, (const char *)want);
}

/* The same, for strings. */
static void
udp_expect_str(int fd, const char *addr, int port, const char *req,
    const char *want)
{
	udp_expect(fd, addr, port, req, strlen(req), want, strlen(want));
}

/*
 * The datagrams sent before now have been handled: a fresh socket on
 * sentinel (an address no budget or access list of the test refuses)
 * asks and gets its answer.
 */
static void
udp_sync(const char *sentinel, const char *addr, int port)
{
	int	fd = udp_sock(sentinel, 0);

	udp_expect_str(fd, addr, port, "sync\n", "SYNC\n");
	close(fd);
}

/* Nothing has come for fd. */
static void
udp_nothing(int fd)
{
	char	buf[2048];
	ssize_t	n = udp_get(fd, buf, sizeof(buf), 0);

	ck_assert_msg(n < 0, "unexpected answer \"%.*s\"", (int)n, buf);
}

/*
 * The field key of the service's line in a fresh SIGUSR1 snapshot
 * ("NAME: stats: name=NAME ... refused_udp_rate=7 ..."), as a number.
 */
static long
stats_field(struct sbd *d, const char *service, const char *key)
{
	char	 needle[96], k[96], *log, *p, *last = NULL;
	int	 before, i;
	long	 v;

	snprintf(needle, sizeof(needle), " %s: stats: ", service);
	before = sbd_count_log(d, needle);
	ck_assert_int_eq(kill(d->pid, SIGUSR1), 0);
	for (i = 0; i < T_WAIT_MS / 20; i++) {
		if (sbd_count_log(d, needle) > before)
			break;
		usleep(20000);
	}
	log = sbd_log_text(d);
	for (p = log; (p = strstr(p, needle)) != NULL; p++)
		last = p;
	ck_assert_ptr_nonnull(last);
	*strchrnul(last, '\n') = '\0';
	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(last, k);
	ck_assert_msg(p != NULL, "no %s in: %s", key, last);
	v = atol(p + strlen(k));
	free(log);
	return (v);
}

/* uppercase-echo: one line, several, the last without LF, CRLF, IPv6. */
START_TEST(test_upper_lines)
{
	struct sbd	 d;
	struct client	*c;
	int		 p4, p6, fd4, fd6;

	sbd_start(&d, conf_both);
	p4 = sbd_udp_port(&d, "upper", "127.0.0.1");
	p6 = sbd_udp_port(&d, "upper", "[::1]");
	fd4 = udp_sock("127.0.0.1", 0);
	fd6 = udp_sock("::1", 0);
	udp_expect_str(fd4, "127.0.0.1", p4, "hello\n", "HELLO\n");
	udp_expect_str(fd4, "127.0.0.1", p4, "hello", "HELLO\n");
	udp_expect_str(fd4, "127.0.0.1", p4, "one\ntwo\nthree",
	    "ONE\nTWO\nTHREE\n");
	udp_expect_str(fd4, "127.0.0.1", p4, "a\r\nb\r\n", "A\r\nB\r\n");
	udp_expect_str(fd4, "127.0.0.1", p4, "\n\nx\n", "\n\nX\n");
	udp_expect_str(fd6, "::1", p6, "over six\n", "OVER SIX\n");
	udp_expect_str(fd6, "::1", p6, "v6\nmulti\n", "V6\nMULTI\n");
	ck_assert_int_eq(stats_field(&d, "upper", "datagrams"), 7);
	/* The TCP listener of the same service still serves. */
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_send(c, "tcp\n");
	cl_expect(c, "TCP");
	cl_close(c);
	close(fd4);
	close(fd6);
	ck_assert_int_eq(sbd_stop(&d), 0);	/* checks the log too */
}
END_TEST

/*
 * number-to-text: answers in order; the longest answer of all fits the
 * default amplification bound; the handler's own errors come back too.
 */
START_TEST(test_numbers_lines)
{
	struct sbd	 d;
	int		 p4, p6, fd4, fd6;
	char		 want[512];

	sbd_start(&d, conf_both);
	p4 = sbd_udp_port(&d, "numbers", "127.0.0.1");
	p6 = sbd_udp_port(&d, "numbers", "[::1]");
	fd4 = udp_sock("127.0.0.1", 0);
	fd6 = udp_sock("::1", 0);
	udp_expect_str(fd4, "127.0.0.1", p4, "42\n", "forty-two\n");
	udp_expect_str(fd4, "127.0.0.1", p4, "1\n2\n3", "one\ntwo\nthree\n");
	udp_expect_str(fd6, "::1", p6, "0\n-7\n", "zero\nminus seven\n");
	snprintf(want, sizeof(want), "minus nine quintillion two hundred "
	    "twenty-three quadrillion three hundred seventy-two trillion "
	    "thirty-six billion eight hundred fifty-four million seven "
	    "hundred seventy-five thousand eight hundred eight\n");
	ck_assert_int_le(strlen(want), 10 * 21);
	udp_expect_str(fd4, "127.0.0.1", p4, "-9223372036854775808\n", want);
	close(fd4);
	close(fd6);
	ck_assert_int_eq(sbd_stop(&d), 0);	/* checks the log too */
}
END_TEST

/*
 * An answer over udp_max_reply is cut after the last whole line that
 * leaves room for the error line, and counted.
 */
START_TEST(test_reply_cut_at_max_reply)
{
	struct sbd	 d;
	char		 req[600], want[1300], buf[2000];
	int		 p, fd, i;
	size_t		 off = 0, kept = 0;
	ssize_t		 n;

	sbd_start(&d, "services = (\n"
	    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"udp:127.0.0.1:0\" ]; udp_max_reply = 64; },\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"udp:127.0.0.1:0\" ]; }\n"
	    ");\n");
	p = sbd_udp_port(&d, "upper", "127.0.0.1");
	fd = udp_sock("127.0.0.1", 0);
	/* 110 bytes in, 64 at most out: two lines and the error line. */
	for (i = 0; i < 10; i++)
		off += (size_t)snprintf(req + off, sizeof(req) - off,
		    "line%06d\n", i);
	udp_expect_str(fd, "127.0.0.1", p, req,
	    "LINE000000\nLINE000001\n" TRUNCATED);
	/* Under the cap: whole. */
	udp_expect_str(fd, "127.0.0.1", p, "line000000\nline000001\n",
	    "LINE000000\nLINE000001\n");
	ck_assert_int_eq(stats_field(&d, "upper", "limit_udp_max_reply"), 1);
	/* The default cap, 1232 bytes: 24 long answers, 5 of them fit. */
	p = sbd_udp_port(&d, "numbers", "127.0.0.1");
	for (off = 0, i = 0; i < 24; i++)
		off += (size_t)snprintf(req + off, sizeof(req) - off,
		    "-9223372036854775808\n");
	udp_put(fd, "127.0.0.1", p, req, off);
	n = udp_get(fd, buf, sizeof(buf) - 1, T_WAIT_MS);
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, 1232);
	buf[n] = '\0';
	ck_assert_str_eq(buf + n - strlen(TRUNCATED), TRUNCATED);
	for (i = 0; i < n; i++)
		kept += buf[i] == '\n';
	ck_assert_int_eq(kept, 5 + 1);
	snprintf(want, sizeof(want), "minus nine quintillion");
	ck_assert(strncmp(buf, want, strlen(want)) == 0);
	close(fd);
	ck_assert_int_eq(sbd_stop(&d), 0);	/* checks the log too */
}
END_TEST

/*
 * udp_max_amplification: an answer never exceeds that many times its
 * request. At 3, "-1" five times (15 bytes) keeps one answer and the
 * error line (42 bytes, within 45); when not even the error line fits,
 * nothing is sent.
 */
START_TEST(test_amplification)
{
	struct sbd	 d;
	char		 buf[2000];
	int		 p, p10, fd;
	ssize_t		 n;

	sbd_start(&d, "services = (\n"
	    "  { name = \"n3\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"udp:127.0.0.1:0\" ];\n"
	    "    udp_max_amplification = 3; },\n"
	    "  { name = \"n10\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"udp:127.0.0.1:0\" ]; },\n"
	    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"udp:127.0.0.1:0\" ]; }\n"
	    ");\n");
	p = sbd_udp_port(&d, "n3", "127.0.0.1");
	p10 = sbd_udp_port(&d, "n10", "127.0.0.1");
	fd = udp_sock("127.0.0.1", 0);
	udp_expect_str(fd, "127.0.0.1", p, "-1\n-1\n-1\n-1\n-1\n",
	    "minus one\n" TRUNCATED);
	ck_assert_int_le(strlen("minus one\n" TRUNCATED), 3 * 15);
	/* 2x: whole. */
	udp_expect_str(fd, "127.0.0.1", p, "1\n", "one\n");
	/* 21 bytes in, 63 out at most: only the error line fits. */
	udp_expect_str(fd, "127.0.0.1", p, "-9223372036854775808\n", TRUNCATED);
	/* 4 bytes in, 12 out at most: not even the error line; silence. */
	udp_put(fd, "127.0.0.1", p, "123\n", 4);
	udp_expect_str(fd, "127.0.0.1", p, "2\n", "two\n");
	udp_nothing(fd);
	ck_assert_int_eq(stats_field(&d, "n3",
	    "limit_udp_max_amplification"), 3);
	/* At the default 10, 20 bytes without a LF are under a tenth of
	 * the 203-byte answer: cut to the error line. */
	udp_put(fd, "127.0.0.1", p10, "-9223372036854775808", 20);
	n = udp_get(fd, buf, sizeof(buf), T_WAIT_MS);
	ck_assert_int_eq(n, (ssize_t)strlen(TRUNCATED));
	ck_assert_int_le(n, 10 * 20);
	close(fd);
	ck_assert_int_eq(sbd_stop(&d), 0);	/* checks the log too */
}
END_TEST

/*
 * udp_rate and udp_burst: one address gets udp_burst answers at once,
 * the rest is dropped silently and counted; another address has its own
 * budget.
 */
START_TEST(test_rate_budget)
{
	struct sbd	 d;
	struct timespec	 t0, t1;
	char		 buf[256];
	int		 p, fd, i, got = 0;
	long		 secs;

	sbd_start(&d, "services = ( { name = \"upper\"; "
	    "handler = \"uppercase-echo\"; listen = [ \"udp:127.0.0.1:0\" ]; "
	    "udp_rate = 1; udp_burst = 3; } );\n");
	p = sbd_udp_port(&d, "upper", "127.0.0.1");
	fd = udp_sock("127.0.0.1", 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 10; i++)
		udp_put(fd, "127.0.0.1", p, "burst\n", 6);
	udp_sync("127.0.0.2", "127.0.0.1", p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	while (udp_get(fd, buf, sizeof(buf), 0) >= 0)
		got++;
	/* One more token a second, if the machine is that slow. */
	secs = (long)(t1.tv_sec - t0.tv_sec) + 1;
	ck_assert_int_ge(got, 3);
	ck_assert_int_le(got, 3 + secs);
	ck_assert_int_eq(stats_field(&d, "upper", "refused_udp_rate"),
	    10 - got);
	close(fd);
	ck_assert_int_eq(sbd_stop(&d), 0);	/* checks the log too */
}
END_TEST

/* The internet checksum of a UDP datagram over IPv4, with its header. */
static uint16_t
udp4_checksum(const void *udp, size_t len, uint32_t src, uint32_t dst)
{
	const uint8_t	*p = udp;
	uint32_t	 sum = 0;
	size_t		 i;

	sum += (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
	sum += IPPROTO_UDP + (uint32_t)len;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (htons((uint16_t)~sum));
}

/*
 * Send "port zero\n" to 127.0.0.1:port from source port 0, through a raw
 * socket (the only way to send one; root only).
 */
static void
udp_send_from_port0(int port)
{
	struct sockaddr_in	 sin;
	struct udphdr		*uh;
	char			 pkt[64];
	const char		*body = "port zero\n";
	size_t			 len;
	int			 raw;

	raw = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	ck_assert_msg(raw >= 0, "raw socket: %s", strerror(errno));
	memset(pkt, 0, sizeof(pkt));
	uh = (struct udphdr *)pkt;
	len = sizeof(*uh) + strlen(body);
	memcpy(pkt + sizeof(*uh), body, strlen(body));
	uh->uh_sport = htons(0);
	uh->uh_dport = htons((uint16_t)port);
	uh->uh_ulen = htons((uint16_t)len);
	uh->uh_sum = udp4_checksum(pkt, len, 0x7f000001, 0x7f000001);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	ck_assert_int_eq(sendto(raw, pkt, len, 0, (struct sockaddr *)&sin,
	    sizeof(sin)), (ssize_t)len);
	close(raw);
}

/*
 * Datagrams from source port 0 and from port 7 (echo) are dropped and
 * counted; as root, since only root can send from either. Anyone can
 * send from 11211 (memcached), which is dropped too.
 */
START_TEST(test_source_ports_dropped)
{
	struct sbd	 d;
	int		 p, fd7 = -1, fdm;
	bool		 root = geteuid() == 0;

	sbd_start(&d, "services = ( { name = \"upper\"; "
	    "handler = \"uppercase-echo\"; listen = [ \"udp:127.0.0.1:0\" ]; "
	    "} );\n");
	p = sbd_udp_port(&d, "upper", "127.0.0.1");
	fdm = udp_sock("127.0.0.1", 11211);
	udp_put(fdm, "127.0.0.1", p, "from memcached\n", 15);
	if (root) {
		fd7 = udp_sock("127.0.0.1", 7);
		udp_put(fd7, "127.0.0.1", p, "from echo\n", 10);
		udp_send_from_port0(p);
	}
	udp_sync("127.0.0.1", "127.0.0.1", p);
	udp_nothing(fdm);
	ck_assert(sbd_log_has(&d, "datagram from source port 11211 dropped"));
	if (root) {
		udp_nothing(fd7);
		ck_assert(sbd_log_has(&d, "datagram from source port 0 "
		    "dropped"));
		ck_assert(sbd_log_has(&d, "datagram from source port 7 "
		    "dropped"));
		close(fd7);
	}
	ck_assert_int_eq(stats_field(&d, "upper", "refused_udp_source_port"),
	    root ? 3 : 1);
	close(fdm);
	ck_assert_int_eq(sbd_stop(&d), 0);	/* checks the log too */
}
END_TEST

/*
 * A wildcard udp:PORT answers IPv4 and IPv6 from the address each request
 * was sent to: a request to 127.0.0.2 from 127.0.0.1 is answered from
 * 127.0.0.2 (the kernel would pick 127.0.0.1 on its own).
 */
START_TEST(test_wildcard_answers_from_its_address)
{
	struct sbd		 d;
	struct sockaddr_in	 from;
	struct pollfd		 pfd;
	socklen_t		 len = sizeof(from);
	char			 buf[256], addr[INET_ADDRSTRLEN];
	int			 p, fd4, fd6;
	ssize_t			 n;

	sbd_start(&d, "services = ( { name = \"upper\"; "
	    "handler = \"uppercase-echo\"; listen = [ \"udp:0\" ]; } );\n");
	p = sbd_udp_port(&d, "upper", "[::]");
	fd4 = udp_sock("127.0.0.1", 0);
	fd6 = udp_sock("::1", 0);
	udp_expect_str(fd6, "::1", p, "six\n", "SIX\n");
	udp_put(fd4, "127.0.0.2", p, "four\n", 5);
	pfd.fd = fd4;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, T_WAIT_MS), 1);
	n = recvfrom(fd4, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	ck_assert_int_eq(n, 5);
	ck_assert(memcmp(buf, "FOUR\n", 5) == 0);
	inet_ntop(AF_INET, &from.sin_addr, addr, sizeof(addr));
	ck_assert_str_eq(addr, "127.0.0.2");
	ck_assert_int_eq(ntohs(from.sin_port), p);
	close(fd4);
	close(fd6);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A UDP port is the daemon's own: a second daemon cannot bind it, unless
 * both set reuse_port, and then both serve.
 */
START_TEST(test_port_in_use)
{
	struct sbd	 a, b;
	char		 conf[512], out[4096];
	const char	*args[] = { "-c", NULL, NULL };
	int		 port, fd;

	close(port_taken(&port));		/* a free port number */
	snprintf(conf, sizeof(conf), "services = ( { name = \"upper\"; "
	    "handler = \"uppercase-echo\"; listen = [ \"udp:127.0.0.1:%d\" ]; "
	    "} );\n", port);
	sbd_start(&a, conf);
	memset(&b, 0, sizeof(b));
	sbd_write_conf(&b, conf);
	args[1] = b.conf;
	ck_assert_int_ne(sbd_run(args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "cannot listen on udp:127.0.0.1:") != NULL &&
	    strstr(out, "Address already in use") != NULL, "%s", out);
	unlink(b.conf);
	rmdir(b.dir);
	ck_assert_int_eq(sbd_stop(&a), 0);

	snprintf(conf, sizeof(conf), "services = ( { name = \"upper\"; "
	    "handler = \"uppercase-echo\"; listen = [ \"udp:127.0.0.1:%d\" ]; "
	    "reuse_port = true; } );\n", port);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	sbd_start(&a, conf);
	sbd_start(&b, conf);
	fd = udp_sock("127.0.0.1", 0);
	udp_expect_str(fd, "127.0.0.1", port, "shared\n", "SHARED\n");
	close(fd);
	ck_assert_int_eq(sbd_stop(&b), 0);
	ck_assert_int_eq(sbd_stop(&a), 0);
}
END_TEST

/* -t refuses a udp: entry on chat-relay, naming file:line. */
START_TEST(test_chat_refused)
{
	struct sbd	 d;
	char		 out[4096], want[512];
	const char	*args[] = { "-t", "-c", NULL, NULL };

	memset(&d, 0, sizeof(d));
	sbd_write_conf(&d, "services = (\n"
	    "  { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "    listen = [ \"127.0.0.1:0\", \"udp:127.0.0.1:0\" ]; }\n);\n");
	args[2] = d.conf;
	ck_assert_int_eq(sbd_run(args, out, sizeof(out)), 78);
	snprintf(want, sizeof(want), "%s:3: listen \"udp:127.0.0.1:0\": "
	    "handler \"chat-relay\" cannot answer datagrams", d.conf);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	unlink(d.conf);
	rmdir(d.dir);
}
END_TEST

/*
 * Malformed requests: NUL bytes go to the handler as bytes; no LF; an
 * empty datagram gets nothing; exactly udp_max_request bytes are
 * answered, one more is dropped and counted.
 */
START_TEST(test_malformed)
{
	struct sbd	 d;
	char		 req[600], want[600];
	int		 p, pn, fd;

	sbd_start(&d, conf_both);
	p = sbd_udp_port(&d, "upper", "127.0.0.1");
	pn = sbd_udp_port(&d, "numbers", "127.0.0.1");
	fd = udp_sock("127.0.0.1", 0);
	udp_expect(fd, "127.0.0.1", p, "ab\0cd\n", 6, "AB\0CD\n", 6);
	udp_expect(fd, "127.0.0.1", p, "\0", 1, "\0\n", 2);
	udp_expect_str(fd, "127.0.0.1", p, "no newline", "NO NEWLINE\n");
	udp_expect(fd, "127.0.0.1", pn, "4\0002\n", 4,
	    "error: not a number: \"4\\x002\"\n",
	    strlen("error: not a number: \"4\\x002\"\n"));
	udp_put(fd, "127.0.0.1", p, "", 0);
	memset(req, 'a', 512);
	memset(want, 'A', 512);
	want[512] = '\n';
	udp_expect(fd, "127.0.0.1", p, req, 512, want, 513);
	udp_put(fd, "127.0.0.1", p, req, 513);
	udp_sync("127.0.0.1", "127.0.0.1", p);
	udp_nothing(fd);
	ck_assert_int_eq(stats_field(&d, "upper", "refused_udp_max_request"),
	    1);
	close(fd);
	ck_assert_int_eq(sbd_stop(&d), 0);	/* checks the log too */
}
END_TEST

/* allow and deny apply to datagrams as to connections. */
START_TEST(test_allow_deny)
{
	struct sbd	 d;
	int		 p, fd1, fd2, fd3;

	sbd_start(&d, "services = (\n"
	    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"udp:127.0.0.1:0\" ];\n"
	    "    allow = [ \"127.0.0.0/24\" ]; deny = [ \"127.0.0.2\" ]; }\n"
	    ");\n");
	p = sbd_udp_port(&d, "upper", "127.0.0.1");
	fd1 = udp_sock("127.0.0.1", 0);
	fd2 = udp_sock("127.0.0.2", 0);
	fd3 = udp_sock("127.0.1.1", 0);
	udp_put(fd2, "127.0.0.1", p, "denied\n", 7);
	udp_put(fd3, "127.0.0.1", p, "not allowed\n", 12);
	udp_expect_str(fd1, "127.0.0.1", p, "allowed\n", "ALLOWED\n");
	udp_nothing(fd2);
	udp_nothing(fd3);
	ck_assert_int_eq(stats_field(&d, "upper", "refused_acl"), 2);
	close(fd1);
	close(fd2);
	close(fd3);
	ck_assert_int_eq(sbd_stop(&d), 0);	/* checks the log too */
}
END_TEST

/*
 * A reload keeps a UDP socket whose entry stays (same port, still
 * answering), closes one whose entry went and binds a new one.
 */
START_TEST(test_reload)
{
	struct sbd	 d;
	char		 conf[512];
	int		 p, fd, port;

	close(port_taken(&port));		/* a free port number */
	snprintf(conf, sizeof(conf), "services = ( { name = \"upper\"; "
	    "handler = \"uppercase-echo\"; listen = [ \"udp:127.0.0.1:%d\", "
	    "\"udp:[::1]:0\" ]; } );\n", port);
	sbd_start(&d, conf);
	p = sbd_udp_port(&d, "upper", "127.0.0.1");
	fd = udp_sock("127.0.0.1", 0);
	udp_expect_str(fd, "127.0.0.1", p, "before\n", "BEFORE\n");
	snprintf(conf, sizeof(conf), "services = ( { name = \"upper\"; "
	    "handler = \"uppercase-echo\"; listen = [ \"udp:127.0.0.1:%d\" ]; "
	    "udp_max_reply = 64; } );\n", port);
	sbd_reload(&d, conf);
	ck_assert(sbd_log_has(&d, "upper: stopped listening on udp:[::1]:"));
	udp_expect_str(fd, "127.0.0.1", p, "after\n", "AFTER\n");
	ck_assert_int_eq(sbd_count_log(&d, "upper: listening on udp:127.0.0.1"),
	    1);
	close(fd);
	ck_assert_int_eq(sbd_stop(&d), 0);	/* checks the log too */
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_udp");
	TCase	*tc = tcase_create("udp");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_upper_lines);
	tcase_add_test(tc, test_numbers_lines);
	tcase_add_test(tc, test_reply_cut_at_max_reply);
	tcase_add_test(tc, test_amplification);
	tcase_add_test(tc, test_rate_budget);
	tcase_add_test(tc, test_source_ports_dropped);
	tcase_add_test(tc, test_chat_refused);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_allow_deny);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_wildcard_answers_from_its_address);
	tcase_add_test(tc, test_port_in_use);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_udp"));
}

/*
 * switchboard integration tests: what a connection may cost while it does
 * nothing useful. Slow lines (line_timeout), clients that stop reading
 * (send_timeout), cut-off clients' kernel buffers (reset, sndbuf),
 * closing connections kept alive by a trickle, and the listen backlog.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
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

static char conf[2048];

static long
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* One service with top-level keys top and service keys extra. */
static const char *
one(const char *top, const char *name, const char *handler,
    const char *extra)
{
	snprintf(conf, sizeof(conf), "%s\nservices = ( { name = \"%s\"; "
	    "handler = \"%s\"; listen = [ \"127.0.0.1:0\" ]; %s } );\n",
	    top, name, handler, extra);
	return (conf);
}

/* Send one byte, ignoring a connection the daemon has already closed. */
static void
trickle(struct client *c, char b)
{
	ssize_t	n;

	n = send(c->fd, &b, 1, MSG_NOSIGNAL);
	(void)n;
}

/*
 * Read (and throw away) until the connection ends; returns the errno of
 * its end (0 for an orderly EOF), or -1 if it has not ended within ms.
 */
static int
read_to_end(struct client *c, int ms)
{
	struct pollfd	pfd = { c->fd, POLLIN, 0 };
	long		end = mono_ms() + ms;
	char		buf[65536];
	ssize_t		r;

	while (mono_ms() < end) {
		if (poll(&pfd, 1, (int)(end - mono_ms())) != 1)
			continue;
		r = recv(c->fd, buf, sizeof(buf), 0);
		if (r == 0)
			return (0);
		if (r < 0)
			return (errno);
	}
	return (-1);
}

/* How many sockets of the daemon's port are in a TCP state (ss). */
static int
port_sockets(int port, const char *state)
{
	char	cmd[256], out[4096];

	snprintf(cmd, sizeof(cmd), "ss -Htn state %s '( sport = :%d )' | "
	    "wc -l", state, port);
	run_shell(cmd, out, sizeof(out));
	return (atoi(out));
}

/*
 * Slowloris: clients that send a byte at a time and never end a line held
 * every slot before line_timeout. Now each is told and closed, and the
 * slots come back; a client that ends its lines slowly is not touched.
 */
START_TEST(test_line_timeout)
{
	struct sbd	 d;
	struct client	*slow[3], *steady, *probe;
	char		 n[8];
	long		 t0;
	int		 i, port;

	sbd_start(&d, one("max_connections = 4; line_timeout = 1;",
	    "numbers", "number-to-text", ""));
	port = sbd_port(&d, "numbers");
	for (i = 0; i < 3; i++) {
		slow[i] = cl_tcp(port);
		cl_send(slow[i], "4");
	}
	steady = cl_tcp(port);
	probe = cl_tcp(port);			/* the fifth: refused */
	cl_expect(probe, "error: too many connections (max_connections 4)\r");
	cl_close(probe);
	/* 2.4 s of trickling, one byte every 300 ms; a line every 300 ms. */
	for (t0 = mono_ms(), i = 0; mono_ms() - t0 < 2400; i++) {
		trickle(slow[0], '2');
		trickle(slow[1], '2');
		trickle(slow[2], '2');
		snprintf(n, sizeof(n), "%d\n", i % 10);
		cl_send(steady, n);
		cl_line(steady, T_WAIT_MS);
		usleep(300000);
	}
	for (i = 0; i < 3; i++) {
		cl_expect(slow[i], "error: line timeout (1 s)");
		ck_assert(cl_eof(slow[i], T_WAIT_MS));
		cl_close(slow[i]);
	}
	cl_send(steady, "7\n");
	cl_expect(steady, "seven");		/* never timed out */
	probe = cl_tcp(port);			/* the slots are free */
	cl_send(probe, "8\n");
	cl_expect(probe, "eight");
	ck_assert(sbd_log_has(&d, "limit line_timeout: a line not ended "
	    "within 1 s"));
	cl_close(probe);
	cl_close(steady);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* An over-long line sent slowly is a line too: it has the same bound. */
START_TEST(test_line_timeout_long_line)
{
	struct sbd	 d;
	struct client	*c;
	char		 junk[100];
	long		 t0;

	sbd_start(&d, one("", "upper", "uppercase-echo",
	    "max_line = 16; line_timeout = 1;"));
	c = cl_tcp(sbd_port(&d, "upper"));
	memset(junk, 'x', sizeof(junk));
	cl_sendn(c, junk, sizeof(junk));
	/* Too long, but reported only when it ends (with its ending). */
	for (t0 = mono_ms(); mono_ms() - t0 < 2000; usleep(200000))
		trickle(c, 'x');
	cl_expect(c, "error: line timeout (1 s)");
	ck_assert(cl_eof(c, T_WAIT_MS));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A client that sends requests and never reads the answers: once its
 * output stops moving for send_timeout it is cut off with a reset (before,
 * with idle_timeout = 0, it was kept for ever).
 */
START_TEST(test_send_timeout)
{
	struct sbd	 d;
	struct client	*c, *other;
	char		 line[1001];
	int		 i, port;

	sbd_start(&d, one("idle_timeout = 0;", "upper", "uppercase-echo",
	    "send_timeout = 1; sndbuf = 8192;"));
	port = sbd_port(&d, "upper");
	c = cl_tcp_rcvbuf(port, 4096);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	/* Requests until the kernel's buffers are full: never reads. */
	for (i = 0; i < 2000 && send(c->fd, line, sizeof(line),
	    MSG_NOSIGNAL | MSG_DONTWAIT) > 0; i++)
		;
	ck_assert_int_gt(i, 100);
	for (i = 0; i < 50 && !sbd_log_has(&d, "limit send_timeout"); i++)
		usleep(100000);
	ck_assert(sbd_log_has(&d, "limit send_timeout: took none of its "
	    "output for 1 s, disconnecting"));
	ck_assert_int_eq(read_to_end(c, T_WAIT_MS), ECONNRESET);
	other = cl_tcp(port);
	cl_send(other, "ok\n");
	cl_expect(other, "OK");
	cl_close(other);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A client that never reads but keeps sending requests: its answers fit
 * in the kernel's send buffer (autotuned to megabytes), so the daemon's
 * own queue stays empty. It is cut off all the same once the peer has
 * taken nothing for send_timeout (TIOCOUTQ does not shrink).
 */
START_TEST(test_send_timeout_kernel_queue)
{
	struct sbd	 d;
	struct client	*c;
	char		 line[1001];
	long		 t0;
	int		 err = -1;

	sbd_start(&d, one("idle_timeout = 0;", "upper", "uppercase-echo",
	    "send_timeout = 1;"));
	c = cl_tcp_rcvbuf(sbd_port(&d, "upper"), 4096);
	memset(line, 'k', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (t0 = mono_ms(); mono_ms() - t0 < 8000; usleep(100000)) {
		if (send(c->fd, line, sizeof(line), MSG_NOSIGNAL |
		    MSG_DONTWAIT) == -1 && errno != EAGAIN) {
			err = errno;
			break;
		}
		if (sbd_log_has(&d, "limit send_timeout"))
			break;
	}
	ck_assert_msg(sbd_log_has(&d, "limit send_timeout: took none of its "
	    "output for 1 s, disconnecting"), "not cut off (send: %d)", err);
	ck_assert_int_le(mono_ms() - t0, 4000);
	/* A reset: our last send may have been the one to meet it. */
	if (err != ECONNRESET)
		ck_assert_int_eq(read_to_end(c, T_WAIT_MS), ECONNRESET);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A chat member that stops reading is cut off at max_output. Its socket
 * must not stay behind in the kernel (FIN-WAIT-1 with the room's traffic
 * queued): the daemon resets it. sndbuf bounds the kernel's send buffer.
 */
START_TEST(test_slow_consumer_reset)
{
	struct sbd	 d;
	struct client	*stuck, *talker;
	char		 line[300], cmd[256], out[4096];
	int		 i, port;

	sbd_start(&d, one("", "lobby", "chat-relay",
	    "max_output = 8192; max_line = 1024; sndbuf = 50000;"));
	port = sbd_port(&d, "lobby");
	stuck = cl_tcp_rcvbuf(port, 2048);
	ck_assert_ptr_nonnull(cl_line(stuck, T_WAIT_MS));	/* welcome */
	talker = cl_tcp(port);
	ck_assert_ptr_nonnull(cl_line(talker, T_WAIT_MS));
	/* The kernel doubles what it is given: tb is 100000. */
	snprintf(cmd, sizeof(cmd), "ss -Htmn state established "
	    "'( sport = :%d )'", port);
	run_shell(cmd, out, sizeof(out));
	ck_assert_msg(strstr(out, ",tb100000,") != NULL, "%s", out);
	memset(line, 'z', sizeof(line));
	line[sizeof(line) - 1] = '\0';
	for (i = 0; i < 2000 && !sbd_log_has(&d, "slow consumer"); i++) {
		cl_send(talker, line);
		cl_send(talker, "\n");
		if (i % 50 == 49)
			usleep(20000);
	}
	ck_assert(sbd_log_has(&d, "limit max_output: output over 8192 bytes, "
	    "disconnecting a slow consumer"));
	usleep(300000);
	ck_assert_int_eq(port_sockets(port, "fin-wait-1"), 0);
	ck_assert_int_eq(read_to_end(stuck, T_WAIT_MS), ECONNRESET);
	cl_close(stuck);
	cl_close(talker);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * Wait until the daemon has at most want descriptors open; returns how
 * long it took in ms, or -1 after ms, trickling a byte to c meanwhile.
 */
static long
fds_back_while_trickling(struct sbd *d, int want, struct client *c, int ms)
{
	long	t0 = mono_ms();

	while (mono_ms() - t0 < ms) {
		if (sbd_fd_count(d) <= want)
			return (mono_ms() - t0);
		trickle(c, 'x');
		usleep(250000);
	}
	return (-1);
}

/*
 * A closing connection lingers to protect its last reply, but a peer
 * that keeps sending cannot keep it (and its slot) open: after the idle
 * timeout's error and after /quit it is gone within 5 s, however the
 * peer trickles.
 */
START_TEST(test_trickle_cannot_hold_a_close)
{
	struct sbd	 d;
	struct client	*c;
	long		 ms;
	int		 base;

	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\"; listen = "
	    "[ \"127.0.0.1:0\" ]; idle_timeout = 1; },\n"
	    "  { name = \"lobby\"; handler = \"chat-relay\"; listen = "
	    "[ \"127.0.0.1:0\" ]; }\n);\n");
	sbd_start(&d, conf);
	base = sbd_fd_count(&d);
	c = cl_tcp(sbd_port(&d, "numbers"));
	cl_expect(c, "error: idle timeout (1 s)");
	ms = fds_back_while_trickling(&d, base, c, 9000);
	ck_assert_msg(ms >= 0 && ms <= 6000, "closed after %ld ms", ms);
	cl_close(c);

	c = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(cl_line(c, T_WAIT_MS));
	cl_send(c, "/quit\n");
	cl_expect(c, "* bye");
	ms = fds_back_while_trickling(&d, base, c, 9000);
	ck_assert_msg(ms >= 0 && ms <= 6000, "closed after %ld ms", ms);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* The same for a client of a service that a reload removed. */
START_TEST(test_trickle_cannot_hold_a_removed_service)
{
	struct sbd	 d;
	struct client	*c;
	long		 ms;
	int		 base;

	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\"; listen = "
	    "[ \"127.0.0.1:0\" ]; },\n"
	    "  { name = \"upper\"; handler = \"uppercase-echo\"; listen = "
	    "[ \"127.0.0.1:0\" ]; }\n);\n");
	sbd_start(&d, conf);
	base = sbd_fd_count(&d);
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_send(c, "a\n");
	cl_expect(c, "A");
	sbd_reload(&d, one("", "numbers", "number-to-text", ""));
	cl_line(c, T_WAIT_MS);			/* why it is closing */
	/* The listener went with the service: one descriptor fewer. */
	ms = fds_back_while_trickling(&d, base - 1, c, 9000);
	ck_assert_msg(ms >= 0 && ms <= 6000, "closed after %ld ms", ms);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* The backlog the kernel really has for the listener on port. */
static int
backlog_of(int port)
{
	char	filter[64];

	snprintf(filter, sizeof(filter), "-t '( sport = :%d )'", port);
	return (listen_backlog_of(filter));
}

START_TEST(test_listen_backlog)
{
	struct sbd	 d;
	int		 port;

	sbd_start(&d, one("", "numbers", "number-to-text", ""));
	port = sbd_port(&d, "numbers");
	ck_assert_int_eq(backlog_of(port), 511);	/* the default */
	sbd_stop(&d);

	sbd_start(&d, one("listen_backlog = 77;", "numbers",
	    "number-to-text", ""));
	port = sbd_port(&d, "numbers");
	ck_assert_int_eq(backlog_of(port), 77);
	/* A reload keeps the socket and gives it the new backlog. */
	sbd_reload(&d, one("listen_backlog = 77;", "numbers",
	    "number-to-text", "listen_backlog = 99;"));
	ck_assert(sbd_log_has(&d, "reloaded: 1 service"));
	ck_assert_int_eq(sbd_port(&d, "numbers"), port);
	ck_assert_int_eq(backlog_of(port), 99);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_closing");
	TCase	*tc = tcase_create("closing");

	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_line_timeout);
	tcase_add_test(tc, test_line_timeout_long_line);
	tcase_add_test(tc, test_send_timeout);
	tcase_add_test(tc, test_send_timeout_kernel_queue);
	tcase_add_test(tc, test_slow_consumer_reset);
	tcase_add_test(tc, test_trickle_cannot_hold_a_close);
	tcase_add_test(tc, test_trickle_cannot_hold_a_removed_service);
	tcase_add_test(tc, test_listen_backlog);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_closing"));
}

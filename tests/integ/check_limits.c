/*
 * switchboard integration tests: access control and limits, each at and
 * just past its value, and the logging and counting of what fired.
 */
#include <sys/time.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

static char conf[1024];

/* One numbers service with extra keys. */
static const char *
numbers(const char *extra)
{
	snprintf(conf, sizeof(conf), "services = ( { name = \"numbers\"; "
	    "handler = \"number-to-text\"; listen = [ \"127.0.0.1:0\" ]; %s "
	    "} );\n", extra);
	return (conf);
}

/* The client can talk to number-to-text. */
static void
works(struct client *c)
{
	cl_send(c, "7\n");
	cl_expect(c, "seven");
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

START_TEST(test_allow_deny)
{
	struct sbd	 d;
	struct client	*ok, *denied;
	int		 port;

	sbd_start(&d, numbers("allow = [ \"127.0.0.0/8\", \"::1\" ]; "
	    "deny = \"127.0.0.2\";"));
	port = sbd_port(&d, "numbers");
	ok = cl_tcp(port);			/* from 127.0.0.1 */
	works(ok);
	denied = cl_tcp_from(port, "127.0.0.2");
	cl_send(denied, "7\n");
	ck_assert(cl_eof(denied, T_WAIT_MS));	/* closed without a word */
	ck_assert_uint_eq(denied->len, 0);
	ck_assert(sbd_log_has(&d, "numbers[127.0.0.2:"));
	ck_assert(sbd_log_has(&d, "]: limit allow/deny: not allowed to "
	    "connect"));
	cl_close(ok);
	cl_close(denied);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_allow_only)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, numbers("allow = [ \"10.0.0.0/8\" ];"));
	c = cl_tcp(sbd_port(&d, "numbers"));
	ck_assert(cl_eof(c, T_WAIT_MS));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_max_per_ip)
{
	struct sbd	 d;
	struct client	*a, *b, *c, *other;
	int		 port;

	sbd_start(&d, numbers("max_per_ip = 2;"));
	port = sbd_port(&d, "numbers");
	a = cl_tcp(port);
	b = cl_tcp(port);
	works(a);
	works(b);				/* at the limit */
	c = cl_tcp(port);			/* past it */
	cl_expect(c, "error: too many connections from your address "
	    "(max_per_ip 2)\r");
	ck_assert(cl_eof(c, T_WAIT_MS));
	other = cl_tcp_from(port, "127.0.0.2");	/* another address */
	works(other);
	cl_close(a);
	cl_close(c);
	works(b);
	c = cl_tcp(port);			/* room again */
	works(c);
	ck_assert(sbd_log_has(&d, "limit max_per_ip: already 2 connections "
	    "from this address"));
	cl_close(b);
	cl_close(c);
	cl_close(other);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_max_accept_rate)
{
	struct sbd	 d;
	struct client	*c[4], *other;
	int		 port, i;

	sbd_start(&d, numbers("max_accept_rate = 3;"));
	port = sbd_port(&d, "numbers");
	for (i = 0; i < 3; i++) {		/* at the limit */
		c[i] = cl_tcp(port);
		works(c[i]);
	}
	c[3] = cl_tcp(port);			/* past it */
	cl_expect(c[3], "error: too many new connections from your address "
	    "(max_accept_rate 3 per second)\r");
	other = cl_tcp_from(port, "127.0.0.2");
	works(other);
	usleep(1100000);			/* the budget refills */
	cl_close(c[3]);
	c[3] = cl_tcp(port);
	works(c[3]);
	for (i = 0; i < 4; i++)
		cl_close(c[i]);
	cl_close(other);
	ck_assert(sbd_log_has(&d, "limit max_accept_rate"));
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* A flooding chat member is slowed down, and nothing it sent is lost. */
START_TEST(test_chat_rate)
{
	struct timespec	 t0;
	struct sbd	 d;
	struct client	*fast, *reader;
	char		 want[32];
	long		 ms;
	int		 i, port;

	sbd_start(&d, "services = ( { name = \"lobby\"; handler = "
	    "\"chat-relay\"; listen = [ \"127.0.0.1:0\" ]; rate = 10; "
	    "burst = 2; } );\n");
	port = sbd_port(&d, "lobby");
	reader = cl_tcp(port);
	ck_assert_ptr_nonnull(cl_line(reader, T_WAIT_MS));
	fast = cl_tcp(port);
	ck_assert_ptr_nonnull(cl_line(fast, T_WAIT_MS));
	cl_expect(reader, "* guest2 has joined");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 12; i++) {
		snprintf(want, sizeof(want), "line %d\n", i);
		cl_send(fast, want);
	}
	for (i = 0; i < 12; i++) {
		snprintf(want, sizeof(want), "<guest2> line %d", i);
		cl_expect(reader, want);
	}
	/* 2 at once, then 10 at 10 per second: about a second. */
	ms = elapsed_ms(&t0);
	ck_assert_msg(ms >= 800, "12 lines took only %ld ms", ms);
	ck_assert(sbd_log_has(&d, "limit rate: over 10 lines per second"));
	cl_close(fast);
	cl_close(reader);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * byte_rate holds with a line budget too: 10 lines of 1,000 bytes against
 * 4,096 bytes a second (and 1,000 lines) arrive whole and in order, after
 * the sender was paused for the bytes.
 */
START_TEST(test_chat_byte_rate)
{
	struct timespec	 t0;
	struct sbd	 d;
	struct client	*fast, *reader;
	char		 line[1002], want[1100];
	long		 ms;
	int		 i, port;

	sbd_start(&d, "services = ( { name = \"lobby\"; handler = "
	    "\"chat-relay\"; listen = [ \"127.0.0.1:0\" ]; rate = 1000; "
	    "burst = 1000; byte_rate = 4096; } );\n");
	port = sbd_port(&d, "lobby");
	reader = cl_tcp(port);
	ck_assert_ptr_nonnull(cl_line(reader, T_WAIT_MS));
	fast = cl_tcp(port);
	ck_assert_ptr_nonnull(cl_line(fast, T_WAIT_MS));
	cl_expect(reader, "* guest2 has joined");
	memset(line, 'b', 1000);
	line[1000] = '\n';
	line[1001] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 10; i++) {
		line[0] = (char)('0' + i);
		cl_send(fast, line);
	}
	line[1000] = '\0';
	for (i = 0; i < 10; i++) {
		line[0] = (char)('0' + i);
		snprintf(want, sizeof(want), "<guest2> %s", line);
		cl_expect(reader, want);
	}
	/* 4,096 at once, then about 6,100 more at 4,096 a second. */
	ms = elapsed_ms(&t0);
	ck_assert_msg(ms >= 1000, "10,000 bytes took only %ld ms", ms);
	ck_assert(sbd_log_has(&d, "limit rate: over 4096 bytes per second"));
	cl_close(fast);
	cl_close(reader);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_limits_counted_and_log_bounded)
{
	struct sbd	 d;
	struct client	*c;
	char		*log, *p;
	int		 i, port, lines = 0;

	sbd_start(&d, numbers("deny = \"127.0.0.2\";"));
	port = sbd_port(&d, "numbers");
	for (i = 0; i < 60; i++) {
		c = cl_tcp_from(port, "127.0.0.2");
		ck_assert(cl_eof(c, T_WAIT_MS));
		cl_close(c);
	}
	ck_assert(sbd_wait_notify(&d, "60 limit events;", 5000));
	ck_assert(sbd_log_has(&d, "more limit events not logged"));
	log = sbd_log_text(&d);
	for (p = log; (p = strstr(p, "limit allow/deny")) != NULL; p++)
		lines++;
	free(log);
	ck_assert_int_le(lines, 2 * 20);	/* a budget per second */
	kill(d.pid, SIGTERM);
	ck_assert_int_eq(sbd_wait_exit(&d, T_WAIT_MS), 0);
	ck_assert(sbd_log_has(&d, "numbers: limits fired: allow/deny 60"));
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_reload_changes_access)
{
	struct sbd	 d;
	struct client	*live, *fresh;
	int		 port;

	sbd_start(&d, numbers(""));
	port = sbd_port(&d, "numbers");
	live = cl_tcp(port);
	works(live);
	sbd_reload(&d, numbers("deny = \"127.0.0.1\";"));
	works(live);				/* live connections stay */
	fresh = cl_tcp(port);
	ck_assert(cl_eof(fresh, T_WAIT_MS));
	cl_close(fresh);
	fresh = cl_tcp_from(port, "127.0.0.3");
	works(fresh);
	cl_close(live);
	cl_close(fresh);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_bad_access_config)
{
	const char	*args[] = { "-t", "-c", SB_FIXTURES "/bad-access.conf",
	    NULL };
	char		 out[4096];

	ck_assert_int_eq(sbd_run(args, out, sizeof(out)), 78);
	ck_assert_msg(strstr(out, "bad-access.conf:8: allow \"10.1.0.0/8\": "
	    "address bits are set beyond the prefix") != NULL, "%s", out);
}
END_TEST

/*
 * -t refuses a max_output that one long line fills (a chat line is the
 * line and the sender's nick), naming the line and the way out.
 */
START_TEST(test_output_below_two_lines)
{
	const char	*args[] = { "-t", "-c",
	    SB_FIXTURES "/bad-output.conf", NULL };
	char		 out[4096];

	ck_assert_int_eq(sbd_run(args, out, sizeof(out)), 78);
	ck_assert_msg(strstr(out, "bad-output.conf:5: max_output (1048576) "
	    "must be at least twice max_line (1048576) plus 1024, or one long "
	    "line cuts clients off: raise max_output or lower max_line") !=
	    NULL, "%s", out);
	ck_assert_msg(strstr(out, "bad-output.conf:10: max_output (8192) "
	    "must be at least twice max_line (4096) plus 1024") != NULL, "%s",
	    out);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_limits");
	TCase	*tc = tcase_create("limits");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_allow_deny);
	tcase_add_test(tc, test_allow_only);
	tcase_add_test(tc, test_max_per_ip);
	tcase_add_test(tc, test_max_accept_rate);
	tcase_add_test(tc, test_chat_rate);
	tcase_add_test(tc, test_chat_byte_rate);
	tcase_add_test(tc, test_limits_counted_and_log_bounded);
	tcase_add_test(tc, test_reload_changes_access);
	tcase_add_test(tc, test_bad_access_config);
	tcase_add_test(tc, test_output_below_two_lines);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_limits"));
}

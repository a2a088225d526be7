/*
 * switchboard integration tests: uppercase-echo over real sockets.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

static const char conf_upper[] =
    "services = ( { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "  listen = [ \"127.0.0.1:0\" ]; } );\n";

START_TEST(test_unicode)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_upper);
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_send(c, "h\xc3\xa9llo stra\xc3\x9f" "e\n");
	cl_expect(c, "H\xc3\x89LLO STRASSE");
	cl_send(c, "\xce\xba\xce\xb1\xce\xbb\xce\xb7\xce\xbc\xce\xad\xcf\x81\xce\xb1\n");
	cl_expect(c, "\xce\x9a\xce\x91\xce\x9b\xce\x97\xce\x9c\xce\x88\xce\xa1\xce\x91");
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A connection's output space is kept between rounds while it is busy and
 * given back after a second without output: replies before, across and
 * after the sweep are whole, small and large alike.
 */
START_TEST(test_output_space_given_back)
{
	struct sbd	 d;
	struct client	*a, *b;
	char		 big[3001], want[3001];
	int		 i;

	memset(big, 'q', 3000);
	memset(want, 'Q', 3000);
	big[3000] = want[3000] = '\0';
	sbd_start(&d, conf_upper);
	a = cl_tcp(sbd_port(&d, "upper"));
	b = cl_tcp(sbd_port(&d, "upper"));
	for (i = 0; i < 20; i++) {
		cl_send(a, "abc\n");
		cl_expect(a, "ABC");
	}
	/* Two sweeps pass while only b is served. */
	for (i = 0; i < 25; i++) {
		cl_send(b, "tick\n");
		cl_expect(b, "TICK");
		usleep(100000);
	}
	cl_send(a, "after\n");
	cl_expect(a, "AFTER");
	cl_sendn(a, big, 3000);
	cl_send(a, "\n");
	cl_expect(a, want);
	cl_send(a, "small\n");
	cl_expect(a, "SMALL");
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_blank_and_bytes)
{
	static const char	req[] = "\nabc\xff" "def\x00xyz\n";
	static const char	want[] = "\nABC\xff" "DEF\x00XYZ\n";
	struct sbd		 d;
	struct client		*c;

	sbd_start(&d, conf_upper);
	c = cl_tcp(sbd_port(&d, "upper"));
	/* 0xff alone would start a telnet command: send it doubled. */
	cl_sendn(c, "\nabc\xff\xff" "def\x00xyz\n", sizeof(req));
	cl_expect(c, "");			/* blank lines are echoed */
	ck_assert_ptr_nonnull(cl_line(c, T_WAIT_MS));
	ck_assert_mem_eq(c->line, want + 1, sizeof(want) - 3);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_telnet_session)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_upper);
	c = cl_tcp(sbd_port(&d, "upper"));
	/* What telnet sends: CRLF lines, and IAC IP for ^C. */
	cl_send(c, "h\xc3\xa9llo stra\xc3\x9f" "e\r\n");
	cl_expect(c, "H\xc3\x89LLO STRASSE\r");
	cl_sendn(c, "a\xff\xf4" "b\r\n", 6);	/* IP drops the "a" */
	cl_expect(c, "B\r");
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_many_clients)
{
	struct sbd	 d;
	struct client	*c[50];
	char		 msg[32], want[32];
	int		 i, port;

	sbd_start(&d, conf_upper);
	port = sbd_port(&d, "upper");
	for (i = 0; i < 50; i++)
		c[i] = cl_tcp(port);
	for (i = 0; i < 50; i++) {
		snprintf(msg, sizeof(msg), "client %d\n", i);
		cl_send(c[i], msg);
	}
	for (i = 49; i >= 0; i--) {
		snprintf(want, sizeof(want), "CLIENT %d", i);
		cl_expect(c[i], want);
		cl_close(c[i]);
	}
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A client that sends far more than it reads: reading from it pauses
 * once its answers back up (64 KiB) and resumes as it takes them. Every
 * answer arrives, in order. The kernel's buffers are kept small (sndbuf,
 * a small receive buffer) so the backlog is the daemon's, not the
 * kernel's.
 */
START_TEST(test_backpressure_resumes)
{
	struct sbd	 d;
	struct client	*c;
	enum { N = 2000, LEN = 1000 };
	char		*req, want[LEN + 1];
	size_t		 sent = 0, total = (size_t)N * LEN;
	ssize_t		 n;
	int		 i, small = 8192;

	sbd_start(&d, "services = ( { name = \"upper\"; handler = "
	    "\"uppercase-echo\"; listen = [ \"127.0.0.1:0\" ]; "
	    "sndbuf = 8192; } );\n");
	c = cl_tcp_rcvbuf(sbd_port(&d, "upper"), 8192);
	ck_assert_ptr_nonnull(req = malloc(total));
	for (i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "line %05d ", i);
		memcpy(req + (size_t)i * LEN, want, 11);
		memset(req + (size_t)i * LEN + 11, 'x', LEN - 12);
		req[(size_t)(i + 1) * LEN - 1] = '\n';
	}
	ck_assert_int_eq(setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)), 0);
	/* Everything the kernel takes without a read: the daemon pauses. */
	while ((n = send(c->fd, req + sent, total - sent, MSG_DONTWAIT |
	    MSG_NOSIGNAL)) > 0)
		sent += (size_t)n;
	ck_assert_uint_lt(sent, total);
	usleep(300000);
	for (i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "LINE %05d ", i);
		memset(want + 11, 'X', LEN - 12);
		want[LEN - 1] = '\0';
		cl_expect(c, want);
		while (sent < total && (n = send(c->fd, req + sent,
		    total - sent, MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
			sent += (size_t)n;
	}
	ck_assert_uint_eq(sent, total);
	free(req);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * Answers too big for the staging space (4 KiB) are queued another way:
 * between small ones they arrive whole and in order.
 */
START_TEST(test_line_too_big_to_stage)
{
	struct sbd	 d;
	struct client	*c;
	char		 big[10002], want[10001];

	sbd_start(&d, "services = ( { name = \"upper\"; handler = "
	    "\"uppercase-echo\"; listen = [ \"127.0.0.1:0\" ]; "
	    "max_line = 16384; } );\n");
	c = cl_tcp(sbd_port(&d, "upper"));
	memset(big, 'q', 10000);
	big[10000] = '\n';
	big[10001] = '\0';
	memset(want, 'Q', 10000);
	want[10000] = '\0';
	cl_send(c, "a\n");
	cl_send(c, big);
	cl_send(c, "b\n");
	cl_expect(c, "A");
	cl_expect(c, want);
	cl_expect(c, "B");
	cl_send(c, "c\n");
	cl_expect(c, "C");
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_upper");
	TCase	*tc = tcase_create("uppercase-echo");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unicode);
	tcase_add_test(tc, test_blank_and_bytes);
	tcase_add_test(tc, test_output_space_given_back);
	tcase_add_test(tc, test_telnet_session);
	tcase_add_test(tc, test_many_clients);
	tcase_add_test(tc, test_backpressure_resumes);
	tcase_add_test(tc, test_line_too_big_to_stage);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_upper"));
}

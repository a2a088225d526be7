/*
 * switchboard integration tests: number-to-text over real sockets, plus
 * the framing every service shares (CRLF, telnet IAC, long lines,
 * half-close, pipelining).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

static const char conf_numbers[] =
    "max_line = 64;\n"
    "services = (\n"
    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; },\n"
    "  { name = \"british\"; handler = \"number-to-text\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; style = \"british\"; }\n"
    ");\n";

START_TEST(test_answers)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(c, "42\n0\n-7\n1000001\n  +007 \n");
	cl_expect(c, "forty-two");
	cl_expect(c, "zero");
	cl_expect(c, "minus seven");
	cl_expect(c, "one million one");
	cl_expect(c, "seven");
	cl_send(c, "-9223372036854775808\n");
	cl_expect(c, "minus nine quintillion two hundred twenty-three "
	    "quadrillion three hundred seventy-two trillion thirty-six billion "
	    "eight hundred fifty-four million seven hundred seventy-five "
	    "thousand eight hundred eight");
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_errors_keep_connection)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(c, "12a\n\n   \n9223372036854775808\n\x1b[2J\n13\n");
	cl_expect(c, "error: not a number: \"12a\"");
	cl_expect(c, "error: out of range: \"9223372036854775808\" (allowed "
	    "-9223372036854775808 to 9223372036854775807)");
	cl_expect(c, "error: not a number: \"\\x1b[2J\"");
	cl_expect(c, "thirteen");	/* blank lines got no answer */
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_british_style)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "british"));
	cl_send(c, "101\n1000001\n");
	cl_expect(c, "one hundred and one");
	cl_expect(c, "one million and one");
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_pipelining_1000)
{
	struct sbd	 d;
	struct client	*c;
	char		*req, want[64];
	size_t		 off = 0;
	int		 i;

	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "numbers"));
	req = malloc(1000 * 8);
	for (i = 0; i < 1000; i++)
		off += (size_t)sprintf(req + off, "%d\n", i % 2 ? 21 : 100);
	cl_sendn(c, req, off);		/* one write */
	for (i = 0; i < 1000; i++) {
		snprintf(want, sizeof(want), "%s", i % 2 ? "twenty-one" :
		    "one hundred");
		cl_expect(c, want);
	}
	free(req);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * Answers can be ten times longer than their requests: with a small
 * max_output, a client that pipelines a read's worth of requests and
 * reads its answers is paused, never cut off as a slow consumer.
 */
START_TEST(test_pipelining_small_max_output)
{
	struct sbd	 d;
	struct client	*c;
	const char	*big = "-9223372036854775808\n";
	char		*req, *want;
	size_t		 off = 0;
	int		 i;

	sbd_start(&d, "services = ( { name = \"numbers\"; handler = "
	    "\"number-to-text\"; listen = [ \"127.0.0.1:0\" ]; "
	    "max_output = 9216; } );\n");
	c = cl_tcp(sbd_port(&d, "numbers"));
	req = malloc(200 * strlen(big) + 1);	/* sprintf's NUL */
	for (i = 0; i < 200; i++)
		off += (size_t)sprintf(req + off, "%s", big);
	cl_sendn(c, req, off);		/* one write */
	want = strdup(cl_line(c, T_WAIT_MS));
	ck_assert_str_eq(want, "minus nine quintillion two hundred "
	    "twenty-three quadrillion three hundred seventy-two trillion "
	    "thirty-six billion eight hundred fifty-four million seven "
	    "hundred seventy-five thousand eight hundred eight");
	for (i = 1; i < 200; i++)
		cl_expect(c, want);
	ck_assert(!sbd_log_has(&d, "slow consumer"));
	free(want);
	free(req);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_crlf_answered_crlf)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(c, "5\r\n");
	cl_expect(c, "five\r");
	cl_send(c, "6\n");
	cl_expect(c, "six");
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_telnet_iac_stripped)
{
	static const char	req[] = "\xff\xfd\x03\xff\xfb\x18" "4\xff\xf1" "2\r\n"
	    "\xff\xfa\x18\x00xterm\xff\xf0" "3\r\n";
	struct sbd		 d;
	struct client		*c;

	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "numbers"));
	cl_sendn(c, req, sizeof(req) - 1);
	/* DO SGA and WILL TERMINAL-TYPE are refused first, and only. */
	cl_expect(c, "\xff\xfc\x03\xff\xfe\x18" "forty-two\r");
	cl_expect(c, "three\r");
	ck_assert(cl_quiet(c, 200));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_long_line_then_recovers)
{
	struct sbd	 d;
	struct client	*c;
	char		 big[70000];

	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "numbers"));
	memset(big, '9', sizeof(big));
	cl_sendn(c, big, sizeof(big));
	cl_send(c, "\n8\n");
	cl_expect(c, "error: line too long (max 64 bytes)");
	cl_expect(c, "eight");
	cl_close(c);
	ck_assert(sbd_log_has(&d, "]: limit max_line: line over 64 bytes "
	    "discarded"));
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_half_close_answered)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(c, "1\n2\n3");		/* the last line has no EOL */
	shutdown(c->fd, SHUT_WR);
	cl_expect(c, "one");
	cl_expect(c, "two");
	cl_expect(c, "three");
	ck_assert(cl_eof(c, T_WAIT_MS));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* Hostile input gets error lines; the connection and daemon carry on. */
START_TEST(test_junk_input)
{
	struct sbd	 d;
	struct client	*c, *good;
	char		 bytes[40], *big;
	int		 i, n, port;

	sbd_start(&d, conf_numbers);
	port = sbd_port(&d, "numbers");
	c = cl_tcp(port);
	cl_send(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	cl_expect(c, "error: not a number: \"GET / HTTP/1.1\"\r");
	cl_expect(c, "error: not a number: \"Host: x\"\r");
	cl_sendn(c, "4\0" "2\n", 4);
	cl_expect(c, "error: not a number: \"4\\x002\"");
	/* Every byte value but LF, 32 to a line (0xff doubled: telnet). */
	for (i = 0; i < 256; i += 32) {
		memset(bytes, 0, sizeof(bytes));
		for (n = 0; n < 32; n++)
			bytes[n] = i + n == '\n' ? ' ' : (char)(i + n);
		n = i == 224 ? 33 : 32;
		bytes[n - 1] = bytes[31];
		bytes[n] = '\n';
		cl_sendn(c, bytes, (size_t)n + 1);
		ck_assert_ptr_nonnull(cl_line(c, T_WAIT_MS));
		ck_assert_msg(strncmp(c->line, "error: not a number: \"", 22) ==
		    0, "bytes %d..%d: %s", i, i + 31, c->line);
	}
	cl_send(c, "7\n");
	cl_expect(c, "seven");
	/* 1 MiB without a newline, then the client vanishes. */
	big = malloc(1 << 20);
	memset(big, '1', 1 << 20);
	cl_sendn(c, big, 1 << 20);
	free(big);
	cl_close(c);
	good = cl_tcp(port);
	cl_send(good, "8\n");
	cl_expect(good, "eight");
	cl_close(good);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_real_nc)
{
	struct sbd	d;
	char		cmd[256], out[4096];
	int		port;

	sbd_start(&d, conf_numbers);
	port = sbd_port(&d, "numbers");
	snprintf(cmd, sizeof(cmd), "echo 42 | timeout 10 nc -N 127.0.0.1 %d",
	    port);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "forty-two\n");
	snprintf(cmd, sizeof(cmd), "printf '1\\n2\\n' | timeout 10 nc -N "
	    "127.0.0.1 %d", port);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "one\ntwo\n");
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_unix_socket)
{
	struct sbd	 d;
	struct client	*c;
	char		 conf[512], path[128];

	sbd_write_conf(&d, "");
	snprintf(path, sizeof(path), "%s/numbers.sock", d.dir);
	snprintf(conf, sizeof(conf), "services = ( { name = \"n\"; handler = "
	    "\"number-to-text\"; listen = [ \"unix:%s\" ]; } );\n", path);
	sbd_start(&d, conf);
	ck_assert(sbd_log_has(&d, "n: listening on unix:"));
	c = cl_unix(path);
	cl_send(c, "99\n");
	cl_expect(c, "ninety-nine");
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
	ck_assert_int_eq(access(path, F_OK), -1);	/* removed on exit */
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_numbers");
	TCase	*tc = tcase_create("number-to-text");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_answers);
	tcase_add_test(tc, test_errors_keep_connection);
	tcase_add_test(tc, test_british_style);
	tcase_add_test(tc, test_pipelining_1000);
	tcase_add_test(tc, test_pipelining_small_max_output);
	tcase_add_test(tc, test_crlf_answered_crlf);
	tcase_add_test(tc, test_telnet_iac_stripped);
	tcase_add_test(tc, test_long_line_then_recovers);
	tcase_add_test(tc, test_half_close_answered);
	tcase_add_test(tc, test_junk_input);
	tcase_add_test(tc, test_real_nc);
	tcase_add_test(tc, test_unix_socket);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_numbers"));
}

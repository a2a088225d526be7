/*
 * switchboard integration tests: telnet clients, byte by byte over real
 * sockets (the rules are in switchboard.conf(5)), and the real telnet
 * client on a pseudo-terminal when it is installed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

#define IAC	"\xff"
#define TM	"\x06"			/* TIMING-MARK */

static const char conf_upper[] =
    "max_line = 64;\n"
    "services = ( { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "  listen = [ \"127.0.0.1:0\" ]; } );\n";

/* The next n bytes from the server are exactly want. */
static void
expect_bytes(struct client *c, const void *want, size_t n)
{
	struct pollfd	pfd = { c->fd, POLLIN, 0 };
	int		tries;
	ssize_t		r;

	for (tries = 0; c->len - c->off < n && tries < T_WAIT_MS / 100;
	    tries++) {
		if (poll(&pfd, 1, 100) != 1)
			continue;
		r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			break;
		c->len += (size_t)r;
	}
	ck_assert_msg(c->len - c->off >= n, "expected %zu bytes, got %zu", n,
	    c->len - c->off);
	ck_assert_mem_eq(c->buf + c->off, want, n);
	c->off += n;
	if (c->off == c->len)
		c->off = c->len = 0;
}

/*
 * Ctrl-C in telnet: IP discards the line typed so far, DO TIMING-MARK is
 * answered (each time), and the session goes on.
 */
START_TEST(test_ctrl_c_answered)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_upper);
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_send(c, "hello\r\n");
	cl_expect(c, "HELLO\r");
	cl_sendn(c, "abc" IAC "\xf4" IAC "\xfd" TM, 8);
	expect_bytes(c, IAC "\xfb" TM, 3);
	cl_send(c, "again\r\n");
	cl_expect(c, "AGAIN\r");
	cl_sendn(c, "xyz" IAC "\xf4" IAC "\xfd" TM, 8);
	expect_bytes(c, IAC "\xfb" TM, 3);
	cl_send(c, "third\r\n");
	cl_expect(c, "THIRD\r");
	ck_assert(cl_quiet(c, 200));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* IP and EL discard the partial line before them, and answer nothing. */
START_TEST(test_ip_discards_partial_line)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_upper);
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_sendn(c, "abc" IAC "\xf4" "def\n", 9);
	cl_expect(c, "DEF");
	cl_sendn(c, "x" IAC "\xf8" "y\r\n", 6);
	cl_expect(c, "Y\r");
	ck_assert(cl_quiet(c, 200));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * Every other option is refused, once per option and direction, however
 * often it is asked; WONT and DONT get no answer.
 */
START_TEST(test_options_refused_once)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_upper);
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_sendn(c, IAC "\xfd\x01", 3);			/* DO ECHO */
	expect_bytes(c, IAC "\xfc\x01", 3);		/* WONT ECHO */
	/* DO ECHO again, WILL NAWS, WONT SGA, DONT STATUS, a line. */
	cl_sendn(c, IAC "\xfd\x01" IAC "\xfb\x1f" IAC "\xfc\x03" IAC "\xfe\x05"
	    "ok\n", 15);
	expect_bytes(c, IAC "\xfe\x1f", 3);		/* DONT NAWS */
	cl_expect(c, "OK");
	cl_sendn(c, IAC "\xfd\x01" IAC "\xfb\x1f" "ok2\n", 10);
	cl_expect(c, "OK2");				/* nothing before */
	ck_assert(cl_quiet(c, 200));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * IAC and a byte that is no command: the byte is data. So IAC LF ends a
 * line, x IAC y keeps y, and 255 gets through only as IAC IAC.
 */
START_TEST(test_iac_then_data)
{
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf_upper);
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_sendn(c, "a" IAC "\nb\n", 5);
	cl_expect(c, "A");
	cl_expect(c, "B");
	cl_sendn(c, "x" IAC "y\n", 4);
	cl_expect(c, "XY");
	cl_sendn(c, "a" IAC IAC "b\n", 5);
	cl_expect(c, "A\xff" "B");
	ck_assert(cl_quiet(c, 200));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A subnegotiation ends at IAC SE, or after 64 bytes without one: what
 * follows is data again, and the session goes on.
 */
START_TEST(test_subnegotiation_bounded)
{
	struct sbd	 d;
	struct client	*c;
	char		 sb[66];

	sbd_start(&d, conf_upper);
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_sendn(c, IAC "\xfa\x18\x00xterm" IAC "\xf0hi\n", 14);
	cl_expect(c, "HI");
	/* IAC SB, then 64 bytes (an LF among them) and no IAC SE. */
	memset(sb, 'q', sizeof(sb));
	memcpy(sb, IAC "\xfa\x18", 3);
	sb[20] = '\n';
	cl_sendn(c, sb, sizeof(sb));
	cl_send(c, "tail\nhello\n");
	cl_expect(c, "TAIL");
	cl_expect(c, "HELLO");
	ck_assert(cl_quiet(c, 200));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * An over-long line is answered with its own line ending, whichever the
 * line before used; telnet commands do not count against max_line.
 */
START_TEST(test_over_long_own_ending)
{
	static const char	err[] = "error: line too long (max 64 bytes)";
	struct sbd		 d;
	struct client		*c;
	char			 line[200], want[80];

	sbd_start(&d, conf_upper);
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_send(c, "ok\n");
	cl_expect(c, "OK");
	memset(line, 'a', 65);
	memcpy(line + 65, "\r\n", 3);
	cl_send(c, line);
	snprintf(want, sizeof(want), "%s\r", err);
	cl_expect(c, want);
	cl_send(c, "ok\r\n");
	cl_expect(c, "OK\r");
	memset(line, 'b', 100);
	memcpy(line + 100, "\n", 2);
	cl_send(c, line);
	cl_expect(c, err);
	/* 64 bytes and five IAC NOPs: fits. */
	memset(line, 'c', 64);
	memcpy(line + 64, "\r\n", 2);
	memmove(line + 42, line + 32, 34);
	memcpy(line + 32, IAC "\xf1" IAC "\xf1" IAC "\xf1" IAC "\xf1"
	    IAC "\xf1", 10);
	cl_sendn(c, line, 76);
	memset(want, 'C', 64);
	memcpy(want + 64, "\r", 2);
	cl_expect(c, want);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* Read the terminal into out until text shows; 1 if it did. */
static int
pty_wait(int fd, const char *text, char *out, size_t size, size_t *len)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	int		tries;
	ssize_t		r;

	for (tries = 0; tries < T_WAIT_MS / 100; tries++) {
		out[*len] = '\0';
		if (strstr(out, text) != NULL)
			return (1);
		if (poll(&pfd, 1, 100) != 1)
			continue;
		if ((r = read(fd, out + *len, size - 1 - *len)) <= 0)
			break;
		*len += (size_t)r;
	}
	out[*len] = '\0';
	return (strstr(out, text) != NULL);
}

/*
 * The real telnet client on a pseudo-terminal: Ctrl-C makes it discard
 * what the server sends until TIMING-MARK is answered, so the line after
 * it is only shown if the daemon answers.
 */
START_TEST(test_real_telnet)
{
	struct sbd	 d;
	char		 out[8192], port[16], *name;
	size_t		 len = 0;
	pid_t		 pid;
	int		 m, s;

	if (run_shell("command -v telnet >/dev/null", out, sizeof(out)) != 0 ||
	    (m = posix_openpt(O_RDWR | O_NOCTTY)) == -1) {
		fprintf(stderr, "check_telnet: no telnet client or no "
		    "pseudo-terminal, skipped\n");
		return;
	}
	sbd_start(&d, conf_upper);
	snprintf(port, sizeof(port), "%d", sbd_port(&d, "upper"));
	ck_assert_int_eq(grantpt(m), 0);
	ck_assert_int_eq(unlockpt(m), 0);
	ck_assert_ptr_nonnull(name = ptsname(m));
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		/* A session of its own, the pty its controlling terminal. */
		setsid();
		if ((s = open(name, O_RDWR)) == -1)
			_exit(126);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		close(m);
		execlp("telnet", "telnet", "127.0.0.1", port, (char *)NULL);
		_exit(127);
	}
	ck_assert_msg(pty_wait(m, "Escape character", out, sizeof(out), &len),
	    "telnet did not connect: %s", out);
	ck_assert_int_eq(write(m, "hello\n", 6), 6);
	ck_assert_msg(pty_wait(m, "HELLO", out, sizeof(out), &len),
	    "no answer: %s", out);
	ck_assert_int_eq(write(m, "abc\003", 4), 4);
	ck_assert_int_eq(write(m, "again\n", 6), 6);
	ck_assert_msg(pty_wait(m, "AGAIN", out, sizeof(out), &len),
	    "frozen after Ctrl-C: %s", out);
	ck_assert_ptr_null(strstr(out, "ABC"));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(m);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_telnet");
	TCase	*tc = tcase_create("telnet");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ctrl_c_answered);
	tcase_add_test(tc, test_ip_discards_partial_line);
	tcase_add_test(tc, test_options_refused_once);
	tcase_add_test(tc, test_iac_then_data);
	tcase_add_test(tc, test_subnegotiation_bounded);
	tcase_add_test(tc, test_over_long_own_ending);
	tcase_add_test(tc, test_real_telnet);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_telnet"));
}

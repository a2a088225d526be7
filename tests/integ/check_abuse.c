/*
 * switchboard integration tests: faults and abuse over real sockets. After
 * each, a well-behaved client must still get correct answers, and the
 * daemon must be back to the descriptors it started with.
 */
#include <sys/socket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

static const char conf_all[] =
    "idle_timeout = 2;\n"
    "services = (\n"
    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; },\n"
    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; },\n"
    "  { name = \"lobby\"; handler = \"chat-relay\"; history = 0;\n"
    "    listen = [ \"127.0.0.1:0\" ]; }\n"
    ");\n";

/* A well-behaved client gets a right answer from numbers and upper. */
static void
still_serving(struct sbd *d)
{
	struct client	*c;

	c = cl_tcp(sbd_port(d, "numbers"));
	cl_send(c, "-1000001\n");
	cl_expect(c, "minus one million one");
	cl_close(c);
	c = cl_tcp(sbd_port(d, "upper"));
	cl_send(c, "still here\n");
	cl_expect(c, "STILL HERE");
	cl_close(c);
}

/*
 * The daemon's resting descriptor count: the least of a few looks, since
 * each sd_notify call holds a socket open for a moment.
 */
static int
fds_at_rest(struct sbd *d)
{
	int	i, n, least = 1 << 30;

	for (i = 0; i < 5; i++) {
		if ((n = sbd_fd_count(d)) < least)
			least = n;
		usleep(20000);
	}
	return (least);
}

/* Wait until the daemon is back to n descriptors (closes are async). */
static void
fds_back_to(struct sbd *d, int n)
{
	int	i;

	for (i = 0; i < 100 && sbd_fd_count(d) > n; i++)
		usleep(50000);
	ck_assert_int_le(fds_at_rest(d), n);
}

START_TEST(test_reset_mid_line_and_mid_reply)
{
	struct sbd	 d;
	struct client	*c;
	char		 big[3000];
	int		 fds, i;

	sbd_start(&d, conf_all);
	fds = fds_at_rest(&d);
	c = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(c, "12345");			/* half a line */
	cl_reset(c);
	/* Replies the client never reads, then a reset. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	c = cl_tcp(sbd_port(&d, "upper"));
	for (i = 0; i < 300; i++)
		cl_sendn(c, big, sizeof(big));
	cl_reset(c);
	still_serving(&d);
	fds_back_to(&d, fds);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_silent_and_half_open_clients)
{
	struct sbd	 d;
	struct client	*c[300];
	int		 fds, i, port;

	sbd_start(&d, conf_all);
	fds = fds_at_rest(&d);
	port = sbd_port(&d, "numbers");
	for (i = 0; i < 300; i++) {
		c[i] = cl_tcp(port);
		if (i % 2)			/* half of them half-close */
			shutdown(c[i]->fd, SHUT_WR);
	}
	still_serving(&d);
	/* idle_timeout = 2: the silent ones are closed, descriptors freed. */
	for (i = 0; i < 300; i += 2)
		ck_assert(cl_eof(c[i], 6000));
	fds_back_to(&d, fds);
	for (i = 0; i < 300; i++)
		cl_close(c[i]);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_connect_close_cycles)
{
	struct sbd	 d;
	struct client	*c;
	int		 fds, i, port;

	sbd_start(&d, conf_all);
	fds = fds_at_rest(&d);
	port = sbd_port(&d, "lobby");
	for (i = 0; i < 3000; i++) {
		c = cl_tcp(port);
		if (i % 3 == 0)
			cl_reset(c);
		else
			cl_close(c);
	}
	still_serving(&d);
	fds_back_to(&d, fds);
	c = cl_tcp(port);			/* the room is empty again */
	ck_assert_ptr_nonnull(strstr(cl_line(c, T_WAIT_MS), "online (1)"));
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* Members vanish (reset) while a flood is being relayed to them. */
START_TEST(test_members_leave_mid_broadcast)
{
	struct sbd	 d;
	struct client	*sender, *reader, *m[40];
	char		 line[64], want[80];
	int		 i, port;

	sbd_start(&d, conf_all);
	port = sbd_port(&d, "lobby");
	reader = cl_tcp(port);
	ck_assert_ptr_nonnull(cl_line(reader, T_WAIT_MS));
	sender = cl_tcp(port);
	ck_assert_ptr_nonnull(cl_line(sender, T_WAIT_MS));
	cl_send(sender, "/nick sender\n");
	for (i = 0; i < 40; i++)
		m[i] = cl_tcp(port);
	for (i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "message %d\n", i);
		cl_send(sender, line);
		if (i % 50 == 0)
			cl_reset(m[i / 50]);	/* one vanishes now and then */
	}
	for (i = 0; i < 2000; i++) {
		snprintf(want, sizeof(want), "<sender> message %d", i);
		do {
			ck_assert_ptr_nonnull(cl_line(reader, T_WAIT_MS));
		} while (reader->line[0] == '*');	/* joins, leaves */
		ck_assert_str_eq(reader->line, want);
	}
	still_serving(&d);
	cl_close(sender);
	cl_close(reader);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* Everything at once, with reloads, then a stop: exit 0, nothing leaks. */
START_TEST(test_storm_with_signals)
{
	struct sbd	 d;
	struct client	*c, *chat;
	char		 junk[2048];
	int		 i, j, pn, pu, pl;

	sbd_start(&d, conf_all);
	pn = sbd_port(&d, "numbers");
	pu = sbd_port(&d, "upper");
	pl = sbd_port(&d, "lobby");
	chat = cl_tcp(pl);
	for (i = 0; i < (int)sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	for (i = 0; i < 200; i++) {
		if (i % 20 == 0)
			kill(d.pid, SIGHUP);
		sbd_count_notes(&d, "READY=1");	/* as systemd would read */
		c = cl_tcp(i % 2 ? pu : pl);
		for (j = 0; j < 4; j++)
			cl_sendn(c, junk, sizeof(junk));
		if (i % 2)
			cl_reset(c);
		else
			cl_close(c);
		c = cl_tcp(pn);
		cl_send(c, "21\n");
		cl_expect(c, "twenty-one");
		cl_close(c);
	}
	still_serving(&d);
	cl_close(chat);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* CPU time the daemon has used, in milliseconds, from /proc. */
static long
cpu_ms(struct sbd *d)
{
	char			 path[64], buf[1024], *p;
	unsigned long		 ut, st;
	FILE			*f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)d->pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');
	ck_assert_int_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %lu %lu", &ut, &st), 2);
	return ((long)(ut + st) * 1000 / sysconf(_SC_CLK_TCK));
}

/*
 * Out of descriptors, the daemon pauses accepting (instead of spinning on
 * a connection it cannot take) and serves again once some are free.
 */
START_TEST(test_out_of_descriptors)
{
	const char	*wrap[] = { "prlimit", "--nofile=48", "--", NULL };
	struct sbd	 d;
	struct client	*c[60], *x;
	long		 cpu0;
	int		 i, port;

	sbd_spawn_wrapped(&d, conf_all, wrap);
	ck_assert(sbd_wait_notify(&d, "READY=1", 30000));
	port = sbd_port(&d, "numbers");
	for (i = 0; i < 60; i++)		/* more than the daemon can take */
		c[i] = cl_tcp(port);
	for (i = 0; i < 100 && !sbd_log_has(&d, "pausing accepts for 1 s"); i++)
		usleep(20000);
	ck_assert(sbd_log_has(&d, "Too many open files; pausing accepts"));
	cpu0 = cpu_ms(&d);
	usleep(1000000);
	ck_assert_int_lt(cpu_ms(&d) - cpu0, 300);	/* not spinning */
	for (i = 0; i < 60; i++)
		cl_close(c[i]);
	for (i = 0; i < 100; i++) {	/* the backlog drains, then room again */
		x = cl_tcp(port);
		cl_send(x, "3\n");
		if (cl_line(x, 3000) != NULL && strcmp(x->line, "three") == 0)
			break;
		cl_close(x);
		x = NULL;
	}
	ck_assert_ptr_nonnull(x);
	cl_close(x);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_abuse");
	TCase	*tc = tcase_create("abuse");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_reset_mid_line_and_mid_reply);
	tcase_add_test(tc, test_silent_and_half_open_clients);
	tcase_add_test(tc, test_connect_close_cycles);
	tcase_add_test(tc, test_members_leave_mid_broadcast);
	tcase_add_test(tc, test_storm_with_signals);
	tcase_add_test(tc, test_out_of_descriptors);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_abuse"));
}

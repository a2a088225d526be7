/*
 * switchboard integration tests: the daemon as a whole: command line and
 * exit codes, binding, the notify protocol, signals, limits and logging.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
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

static const char conf_all[] =
    "services = (\n"
    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; },\n"
    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; },\n"
    "  { name = \"lobby\"; handler = \"chat-relay\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; }\n"
    ");\n";

START_TEST(test_test_config)
{
	const char	*ok[] = { "-t", "-c", SB_SAMPLE_CONFIG, NULL };
	const char	*bad[] = { "--test-config", "--config",
	    SB_FIXTURES "/bad-handler.conf", NULL };
	char		 out[4096];

	ck_assert_int_eq(sbd_run(ok, out, sizeof(out)), 0);
	ck_assert_str_eq(out, SB_SAMPLE_CONFIG ": configuration OK\n");
	ck_assert_int_eq(sbd_run(bad, out, sizeof(out)), 78);
	ck_assert_str_eq(out, SB_FIXTURES "/bad-handler.conf:4: unknown "
	    "handler \"chat-rely\" (known: number-to-text, uppercase-echo, "
	    "chat-relay)\n");
}
END_TEST

START_TEST(test_usage)
{
	const char	*version[] = { "-V", NULL };
	const char	*help[] = { "--help", NULL };
	const char	*badopt[] = { "-x", NULL };
	const char	*extra[] = { "-t", "stray", NULL };
	const char	*badlevel[] = { "-l", "loud", "-t", NULL };
	char		 out[4096];

	ck_assert_int_eq(sbd_run(version, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "switchboardd "));
	ck_assert_int_eq(sbd_run(help, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "--test-config"));
	ck_assert_int_eq(sbd_run(badopt, out, sizeof(out)), 64);
	ck_assert_ptr_nonnull(strstr(out, "usage:"));
	ck_assert_int_eq(sbd_run(extra, out, sizeof(out)), 64);
	ck_assert_int_eq(sbd_run(badlevel, out, sizeof(out)), 64);
	ck_assert_ptr_nonnull(strstr(out, "unknown log level \"loud\""));
}
END_TEST

START_TEST(test_missing_config)
{
	const char	*check[] = { "-t", "-c", "/nonexistent/sb.conf", NULL };
	const char	*start[] = { "-c", "/nonexistent/sb.conf", NULL };
	char		 out[4096];

	ck_assert_int_eq(sbd_run(check, out, sizeof(out)), 78);
	ck_assert_str_eq(out, "/nonexistent/sb.conf: cannot open: No such "
	    "file or directory\n");
	ck_assert_int_eq(sbd_run(start, out, sizeof(out)), 78);
	ck_assert_msg(strstr(out, "/nonexistent/sb.conf: cannot open: No "
	    "such file or directory") != NULL, "%s", out);
	ck_assert_msg(strstr(out, ":0:") == NULL, "%s", out);
}
END_TEST

/* Without -c, -t checks the built-in default, the one -h names. */
START_TEST(test_default_config)
{
	const char	*help[] = { "-h", NULL };
	const char	*check[] = { "-t", NULL };
	char		 out[4096];
	int		 rc;

	ck_assert_int_eq(sbd_run(help, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "(default " SB_DEFAULT_CONFIG ")") != NULL,
	    "%s", out);
	/* The file may be there (an installed package) or not. */
	rc = sbd_run(check, out, sizeof(out));
	if (rc == 0)
		ck_assert_str_eq(out, SB_DEFAULT_CONFIG ": configuration OK\n");
	else
		ck_assert_msg(rc == 78 && strncmp(out, SB_DEFAULT_CONFIG ":",
		    strlen(SB_DEFAULT_CONFIG) + 1) == 0 &&
		    strstr(out, ":0:") == NULL, "%s", out);
}
END_TEST

START_TEST(test_stray_argument)
{
	static const char	 want[] = "switchboardd: unexpected argument "
	    "\"foo\"\nusage: switchboardd ";
	const char		*extra[] = { "-t", "-c", SB_SAMPLE_CONFIG, "foo",
	    NULL };
	char			 out[4096];

	ck_assert_int_eq(sbd_run(extra, out, sizeof(out)), 64);
	ck_assert_msg(strncmp(out, want, sizeof(want) - 1) == 0, "%s", out);
	ck_assert_ptr_null(strstr(out, "configuration OK"));
}
END_TEST

START_TEST(test_bad_config_does_not_start)
{
	const char	*args[] = { "-c", SB_FIXTURES "/bad-range.conf", NULL };
	char		 out[8192];

	ck_assert_int_eq(sbd_run(args, out, sizeof(out)), 78);
	ck_assert_ptr_nonnull(strstr(out, "bad-range.conf:6: max_line: 10 is "
	    "out of range"));
	ck_assert_ptr_nonnull(strstr(out, "bad-range.conf:10: max_output"));
	ck_assert_ptr_nonnull(strstr(out, "not starting:"));
}
END_TEST

START_TEST(test_port_in_use)
{
	struct sbd		 d;
	char			 conf[512], msg[256];
	int			 fd, port, rc;

	fd = port_taken(&port);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"ok\"; handler = \"uppercase-echo\"; listen = "
	    "[ \"127.0.0.1:0\" ]; },\n"
	    "  { name = \"taken\"; handler = \"number-to-text\"; listen = "
	    "[ \"127.0.0.1:%d\" ]; }\n);\n", port);
	memset(&d, 0, sizeof(d));
	sbd_write_conf(&d, conf);
	{
		const char	*args[] = { "-c", d.conf, NULL };
		char		 out[4096];

		rc = sbd_run(args, out, sizeof(out));
		ck_assert_int_eq(rc, 69);
		snprintf(msg, sizeof(msg), "taken: cannot listen on "
		    "127.0.0.1:%d: Address already in use", port);
		ck_assert_msg(strstr(out, msg) != NULL, "log:\n%s", out);
		ck_assert_ptr_null(strstr(out, "ready:"));
	}
	close(fd);
	unlink(d.conf);
	rmdir(d.dir);
}
END_TEST

START_TEST(test_notify_and_status)
{
	struct sbd	d;
	char		want[128];

	sbd_start(&d, conf_all);
	ck_assert_ptr_nonnull(strstr(d.notes, "READY=1\nSTATUS=3 services, "
	    "0 connections;"));
	snprintf(want, sizeof(want), "numbers=127.0.0.1:%d",
	    sbd_port(&d, "numbers"));
	ck_assert_ptr_nonnull(strstr(d.notes, want));
	ck_assert_ptr_null(strstr(d.notes, "STOPPING=1"));
	kill(d.pid, SIGTERM);
	ck_assert(sbd_wait_notify(&d, "STOPPING=1", T_WAIT_MS));
	kill(d.pid, SIGTERM);	/* a second one, as shutdown ends: still 0 */
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_status_follows_connections)
{
	struct sbd	 d;
	struct client	*c;
	int		 n, i;

	sbd_start(&d, conf_all);
	c = cl_tcp(sbd_port(&d, "numbers"));
	ck_assert(sbd_wait_notify(&d, "STATUS=3 services, 1 connection;",
	    T_WAIT_MS));
	n = sbd_count_notes(&d, "STATUS=3 services, 0 connections;");
	cl_close(c);
	for (i = 0; i < 50 && sbd_count_notes(&d,
	    "STATUS=3 services, 0 connections;") == n; i++)
		usleep(100000);
	ck_assert_int_gt(sbd_count_notes(&d,
	    "STATUS=3 services, 0 connections;"), n);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_watchdog)
{
	struct sbd	d;

	setenv("WATCHDOG_USEC", "200000", 1);	/* ping every 100 ms */
	sbd_start(&d, conf_all);
	ck_assert(sbd_wait_notify(&d, "WATCHDOG=1", T_WAIT_MS));
	ck_assert(sbd_log_has(&d, "watchdog: pinging every 100 ms"));
	usleep(600000);
	ck_assert_int_ge(sbd_count_notes(&d, "WATCHDOG=1"), 4);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_no_watchdog_unless_asked)
{
	struct sbd	d;

	unsetenv("WATCHDOG_USEC");
	sbd_start(&d, conf_all);
	usleep(300000);
	ck_assert_int_eq(sbd_count_notes(&d, "WATCHDOG=1"), 0);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_failed_start_notifies)
{
	struct sbd		 d;
	char			 conf[512], want[128];
	int			 fd, port;

	fd = port_taken(&port);
	snprintf(conf, sizeof(conf), "services = ( { name = \"taken\"; "
	    "handler = \"number-to-text\"; listen = [ \"127.0.0.1:%d\" ]; } "
	    ");\n", port);
	sbd_spawn(&d, conf, NULL);
	ck_assert_int_eq(sbd_wait_exit(&d, T_WAIT_MS), 69);
	snprintf(want, sizeof(want), "STATUS=taken: cannot listen on "
	    "127.0.0.1:%d: Address already in use\nERRNO=98", port);
	ck_assert(sbd_wait_notify(&d, want, 0));
	ck_assert_int_eq(sbd_count_notes(&d, "READY=1"), 0);
	sbd_stop(&d);
	close(fd);
}
END_TEST

START_TEST(test_sigterm_with_clients)
{
	struct sbd	 d;
	struct client	*chat, *num, *idle;

	sbd_start(&d, conf_all);
	chat = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(cl_line(chat, T_WAIT_MS));	/* welcome */
	num = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(num, "1\n");
	cl_expect(num, "one");
	idle = cl_tcp(sbd_port(&d, "upper"));
	kill(d.pid, _i ? SIGINT : SIGTERM);
	cl_expect(chat, "* server shutting down");
	ck_assert(cl_eof(chat, T_WAIT_MS));
	ck_assert(cl_eof(num, T_WAIT_MS));
	ck_assert(cl_eof(idle, T_WAIT_MS));
	ck_assert_int_eq(sbd_wait_exit(&d, T_WAIT_MS), 0);
	ck_assert_int_eq(sbd_stop(&d), 0);
	cl_close(chat);
	cl_close(num);
	cl_close(idle);
}
END_TEST

START_TEST(test_sigterm_reader_that_never_reads)
{
	struct sbd	 d;
	struct client	*stuck;
	char		 conf[256];
	long		 t0;

	snprintf(conf, sizeof(conf), "services = ( { name = \"upper\"; "
	    "handler = \"uppercase-echo\"; listen = [ \"127.0.0.1:0\" ]; } );\n");
	sbd_start(&d, conf);
	stuck = cl_tcp_rcvbuf(sbd_port(&d, "upper"), 4096);
	{
		struct pollfd	pfd = { stuck->fd, POLLOUT, 0 };
		char		big[4000];

		/*
		 * Send until every buffer on the way is full: the daemon then
		 * holds replies it cannot deliver.
		 */
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\n';
		fcntl(stuck->fd, F_SETFL, O_NONBLOCK);
		while (poll(&pfd, 1, 500) == 1)
			if (send(stuck->fd, big, sizeof(big), MSG_NOSIGNAL) == -1 &&
			    errno != EAGAIN)
				break;
	}
	t0 = time(NULL);
	kill(d.pid, SIGTERM);
	/* Shutdown waits a bounded time for it, then exits cleanly. */
	ck_assert_int_eq(sbd_wait_exit(&d, 15000), 0);
	ck_assert_int_le(time(NULL) - t0, 8);
	ck_assert(sbd_log_has(&d, "did not finish within"));
	ck_assert_int_eq(sbd_stop(&d), 0);
	cl_close(stuck);
}
END_TEST

START_TEST(test_idle_timeout)
{
	struct sbd	 d;
	struct client	*a, *b;

	sbd_start(&d, "services = (\n"
	    "  { name = \"lobby\"; handler = \"chat-relay\"; idle_timeout = 1;\n"
	    "    listen = [ \"127.0.0.1:0\" ]; } );\n");
	a = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(cl_line(a, T_WAIT_MS));
	b = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(cl_line(b, T_WAIT_MS));
	cl_expect(a, "* guest2 has joined");
	/* b speaks half-way through, so a times out first. */
	ck_assert(cl_quiet(b, 500));
	cl_send(b, "/who\n");
	cl_expect(b, "* online (2): guest1, guest2");
	cl_expect(a, "error: idle timeout (1 s)");
	ck_assert(cl_eof(a, T_WAIT_MS));
	cl_expect(b, "* guest1 has left (idle timeout)");
	cl_expect(b, "error: idle timeout (1 s)");
	ck_assert(cl_eof(b, T_WAIT_MS));
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_max_connections)
{
	struct sbd	 d;
	struct client	*a, *b, *c;
	int		 port;

	sbd_start(&d, "max_connections = 2;\n"
	    "services = ( { name = \"numbers\"; handler = \"number-to-text\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; } );\n");
	port = sbd_port(&d, "numbers");
	a = cl_tcp(port);
	b = cl_tcp(port);
	cl_send(a, "1\n");
	cl_expect(a, "one");
	cl_send(b, "2\n");
	cl_expect(b, "two");
	c = cl_tcp(port);
	cl_expect(c, "error: too many connections (max_connections 2)\r");
	ck_assert(cl_eof(c, T_WAIT_MS));
	cl_close(a);
	cl_close(c);
	cl_send(b, "3\n");	/* after a leaves there is room again */
	cl_expect(b, "three");
	c = cl_tcp(port);
	cl_send(c, "4\n");
	cl_expect(c, "four");
	ck_assert(sbd_log_has(&d, "limit max_connections: max_connections "
	    "(2) reached"));
	cl_close(b);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_debug_log_escapes_peer_bytes)
{
	const char	*debug[] = { "-l", "debug", NULL };
	struct sbd	 d;
	struct client	*c;
	char		 want[128];

	sbd_start_args(&d, conf_all, debug);
	c = cl_tcp(sbd_port(&d, "upper"));
	cl_send(c, "a\x1b[31m\"b\n");
	cl_expect(c, "A\x1b[31M\"B");
	cl_close(c);
	ck_assert(sbd_wait_exit(&d, 200) == -1);
	snprintf(want, sizeof(want), "upper[127.0.0.1:");
	ck_assert(sbd_log_has(&d, want));
	ck_assert(sbd_log_has(&d, "line \"a\\x1b[31m\\x22b\""));
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_journal_prefixes)
{
	struct sbd	d;
	char		cmd[1024], out[4096];

	memset(&d, 0, sizeof(d));
	sbd_write_conf(&d, "services = ( { name = \"u\"; handler = "
	    "\"uppercase-echo\"; listen = [ \"127.0.0.1:0\" ]; } );\n");
	/* stderr is the file JOURNAL_STREAM names: priority prefixes. */
	snprintf(cmd, sizeof(cmd), "cd %s && : > log && exec 2>>log && "
	    "JOURNAL_STREAM=$(stat -c %%d:%%i log) timeout -s TERM 1 '%s' -c "
	    "switchboard.conf; cat log", d.dir, getenv("SWITCHBOARDD") ?
	    getenv("SWITCHBOARDD") : SB_DAEMON);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strncmp(out, "<6>switchboardd ", 16) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\n<6>u: listening on 127.0.0.1:"));
	/* A JOURNAL_STREAM that names another file: plain timestamps. */
	snprintf(cmd, sizeof(cmd), "cd %s && : > log && exec 2>>log && "
	    "JOURNAL_STREAM=1:1 timeout -s TERM 1 '%s' -c switchboard.conf; "
	    "cat log", d.dir, getenv("SWITCHBOARDD") ? getenv("SWITCHBOARDD") :
	    SB_DAEMON);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	ck_assert_msg(out[0] == '2' && strstr(out, "Z info: ") != NULL, "%s",
	    out);
	unlink(d.conf);
	unlink(d.log);
	rmdir(d.dir);
}
END_TEST

/* The load generator to test: $SWITCHBOARD_BENCH, else this build's. */
static const char *
bench_binary(void)
{
	const char	*bin = getenv("SWITCHBOARD_BENCH");

	return (bin != NULL && *bin != '\0' ? bin : SB_BENCH);
}

START_TEST(test_bench_version)
{
	char	cmd[1024], out[1024];

	snprintf(cmd, sizeof(cmd), "'%s' --version 2>&1", bench_binary());
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "switchboard-bench " PACKAGE_VERSION "\n");
}
END_TEST

/*
 * Past max_accept_rate the server refuses with a line: the bench prints
 * that line and how the connection ended, once, on stderr.
 */
START_TEST(test_bench_names_refusal)
{
	static const char	 said[] = ", which said: error: too many new "
	    "connections from your address (max_accept_rate 5 per second)\n";
	struct sbd		 d;
	char			 cmd[1024], out[8192], *p;

	sbd_start(&d, "max_accept_rate = 5;\n"
	    "services = ( { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; } );\n");
	snprintf(cmd, sizeof(cmd), "'%s' rr -p %d -c 20 -P 1 -d 1 "
	    "2>&1 >/dev/null", bench_binary(), sbd_port(&d, "upper"));
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 1);
	p = strstr(out, "switchboard-bench: first refusal: ");
	ck_assert_msg(p != NULL, "%s", out);
	p += strlen("switchboard-bench: first refusal: ");
	ck_assert_msg(strncmp(p, "connection closed by the server", 31) == 0 ||
	    strncmp(p, "connection reset by the server", 30) == 0, "%s", out);
	ck_assert_msg(strstr(p, said) != NULL, "%s", out);
	ck_assert_msg(strstr(p, "first refusal") == NULL, "twice: %s", out);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* Nothing listens: the bench says the connect was refused. */
START_TEST(test_bench_connect_refused)
{
	struct sbd	 d;
	char		 cmd[1024], out[8192];
	int		 port;

	sbd_start(&d, conf_all);
	port = sbd_port(&d, "upper");
	ck_assert_int_eq(sbd_stop(&d), 0);
	snprintf(cmd, sizeof(cmd), "'%s' rr -p %d -c 2 -d 1 2>&1 >/dev/null",
	    bench_binary(), port);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "switchboard-bench: first refusal: "
	    "connection refused at connect") != NULL, "%s", out);
}
END_TEST

/*
 * The man page's first examples run cleanly against the sample config
 * (its per-address limits included), on ports the kernel picks.
 */
START_TEST(test_bench_man_examples)
{
	struct sbd	 d;
	char		 cmd[2048], conf[16384], lines[2048], out[8192];
	char		*line, *next, *p;
	int		 n = 0;

	snprintf(cmd, sizeof(cmd), "sed -e 's/\"127.0.0.1:700[0-9]\", "
	    "\"\\[::1\\]:700[0-9]\"/\"127.0.0.1:0\"/' "
	    "-e '/^control_socket/d' '%s'", SB_SAMPLE_CONFIG);
	ck_assert_int_eq(run_shell(cmd, conf, sizeof(conf)), 0);
	ck_assert_ptr_null(strstr(conf, "\", \"[::1]:700"));
	snprintf(cmd, sizeof(cmd), "sed -n '/^\\.SH EXAMPLES/,/^\\.fi/p' "
	    "'%s/switchboard-bench.1' | grep '^switchboard' | "
	    "sed -e 's/\\\\-/-/g' -e 's/ --pid .*//'", SB_MAN);
	ck_assert_int_eq(run_shell(cmd, lines, sizeof(lines)), 0);
	sbd_start(&d, conf);
	for (line = lines; (next = strchr(line, '\n')) != NULL;
	    line = next + 1) {
		*next = '\0';
		ck_assert_msg(strncmp(line, "switchboard-bench ", 18) == 0 &&
		    (p = strstr(line, " -p 700")) != NULL, "%s", line);
		snprintf(cmd, sizeof(cmd), "'%s' %.*s -p %d%s -d 1 2>&1",
		    bench_binary(), (int)(p - line - 18), line + 18,
		    sbd_port(&d, p[7] == '2' ? "upper" : p[7] == '3' ?
		    "lobby" : "numbers"), p + 8);
		ck_assert_msg(run_shell(cmd, out, sizeof(out)) == 0,
		    "%s:\n%s", cmd, out);
		ck_assert_msg(strstr(out, "first refusal") == NULL, "%s", out);
		n++;
	}
	ck_assert_int_ge(n, 2);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_daemon");
	TCase	*tc = tcase_create("daemon");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_test_config);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_missing_config);
	tcase_add_test(tc, test_default_config);
	tcase_add_test(tc, test_stray_argument);
	tcase_add_test(tc, test_bad_config_does_not_start);
	tcase_add_test(tc, test_port_in_use);
	tcase_add_test(tc, test_notify_and_status);
	tcase_add_test(tc, test_status_follows_connections);
	tcase_add_test(tc, test_watchdog);
	tcase_add_test(tc, test_no_watchdog_unless_asked);
	tcase_add_test(tc, test_failed_start_notifies);
	tcase_add_loop_test(tc, test_sigterm_with_clients, 0, 2);
	tcase_add_test(tc, test_sigterm_reader_that_never_reads);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_max_connections);
	tcase_add_test(tc, test_debug_log_escapes_peer_bytes);
	tcase_add_test(tc, test_journal_prefixes);
	tcase_add_test(tc, test_bench_version);
	tcase_add_test(tc, test_bench_names_refusal);
	tcase_add_test(tc, test_bench_connect_refused);
	tcase_add_test(tc, test_bench_man_examples);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_daemon"));
}

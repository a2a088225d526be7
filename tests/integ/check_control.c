/*
 * switchboard integration tests: the control socket and switchboardctl.
 * Every command, its errors (the connection stays), the bounds (long
 * lines, too many clients, a client that never reads its answers),
 * reload through the socket, the socket's mode and start errors, and
 * switchboardctl's tables, JSON and exit codes, with a daemon running
 * and with none.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

static char	ctl_dir[64];
static char	ctl_sock[128];

static const char services[] =
    "services = (\n"
    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; },\n"
    "  { name = \"lobby\"; handler = \"chat-relay\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; history = 0; }\n"
    ");\n";

/* A private directory for the control socket. */
static void
ctl_setup(void)
{
	ck_assert_int_eq(sb_tmpdir(ctl_dir, sizeof(ctl_dir), "sbctl"), 0);
	snprintf(ctl_sock, sizeof(ctl_sock), "%s/control.sock", ctl_dir);
}

/* Remove it (the daemon removes its socket when it stops). */
static void
ctl_teardown(void)
{
	unlink(ctl_sock);
	rmdir(ctl_dir);
}

/* The test services with the control socket and extra top-level keys. */
static char *
conf_with(const char *extra)
{
	static char	conf[4096];

	snprintf(conf, sizeof(conf), "control_socket = \"%s\";\n%s%s",
	    ctl_sock, extra, services);
	return (conf);
}

/* Start the daemon on the test services. */
static void
start(struct sbd *d)
{
	sbd_start(d, conf_with(""));
}

/* The answer line that begins with prefix; fails the test if none. */
static const char *
line_of(const char *answer, const char *prefix)
{
	const char	*p = answer;

	for (;;) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return (p);
		if ((p = strchr(p, '\n')) == NULL || *++p == '\0')
			ck_abort_msg("no line \"%s...\" in:\n%s", prefix,
			    answer);
	}
}

/* The number in field key of a line ("accepted" in "... accepted=3"). */
static long long
field(const char *line, const char *key)
{
	char		 want[64];
	const char	*p, *end = strchr(line, '\n');

	snprintf(want, sizeof(want), " %s=", key);
	p = strstr(line, want);
	ck_assert_msg(p != NULL && (end == NULL || p < end), "no %s in %s",
	    key, line);
	return (strtoll(p + strlen(want), NULL, 10));
}

/* The local port of a client's socket (its peer= in "clients"). */
static int
local_port(struct client *c)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	ck_assert_int_eq(getsockname(c->fd, (struct sockaddr *)&sin, &len), 0);
	return (ntohs(sin.sin_port));
}

/* A chat member, joined, renamed to nick. */
static struct client *
member(struct sbd *d, const char *nick)
{
	struct client	*c = cl_tcp(sbd_port(d, "lobby"));
	char		 cmd[64], want[96];

	ck_assert_ptr_nonnull(strstr(cl_line(c, T_WAIT_MS), "welcome to"));
	snprintf(cmd, sizeof(cmd), "/nick %s\n", nick);
	cl_send(c, cmd);
	snprintf(want, sizeof(want), "* you are now known as %s", nick);
	cl_expect(c, want);
	return (c);
}

/* Run switchboardctl with arguments; its exit code, output in out. */
static int
ctl_run(const char *args, char *out, size_t size)
{
	char	cmd[8192];

	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1 </dev/null", SB_CTL, args);
	return (run_shell(cmd, out, size));
}

/* The same, its output through a shell filter. */
static int
ctl_pipe(const char *args, const char *filter, char *out, size_t size)
{
	char	cmd[8192];

	snprintf(cmd, sizeof(cmd), "'%s' %s </dev/null | %s", SB_CTL, args,
	    filter);
	return (run_shell(cmd, out, size));
}

/*
 * stats: the daemon line and one line per service with exact counts
 * after known traffic.
 */
START_TEST(test_stats)
{
	struct sbd	 d;
	struct client	*ctl, *c;
	const char	*ans, *l;
	char		 want[128];
	int		 i;

	start(&d);
	c = cl_tcp(sbd_port(&d, "numbers"));
	for (i = 0; i < 5; i++) {
		cl_send(c, "42\n");
		cl_expect(c, "forty-two");
	}
	ctl = cl_unix(ctl_sock);
	ans = cl_ask(ctl, "stats");
	l = line_of(ans, "daemon version=" PACKAGE_VERSION " pid=");
	ck_assert_int_eq(field(l, "pid"), d.pid);
	ck_assert_int_eq(field(l, "generation"), 1);
	ck_assert_int_eq(field(l, "reloads_ok"), 0);
	ck_assert_int_eq(field(l, "reloads_failed"), 0);
	ck_assert_int_eq(field(l, "services"), 2);
	ck_assert_int_eq(field(l, "connections"), 1);
	ck_assert_int_eq(field(l, "control_clients"), 1);
	snprintf(want, sizeof(want), "service name=numbers "
	    "handler=number-to-text state=running listeners=127.0.0.1:%d "
	    "connections=1 accepted=1 ", sbd_port(&d, "numbers"));
	l = line_of(ans, want);
	ck_assert_int_eq(field(l, "lines_in"), 5);
	ck_assert_int_eq(field(l, "lines_out"), 5);
	ck_assert_int_eq(field(l, "bytes_in"), 15);
	ck_assert_int_eq(field(l, "bytes_out"), 50);
	ck_assert_int_eq(field(l, "refused_acl"), 0);
	ck_assert_int_eq(field(l, "limit_max_line"), 0);
	l = line_of(ans, "service name=lobby handler=chat-relay ");
	ck_assert_int_eq(field(l, "connections"), 0);
	cl_close(c);
	cl_close(ctl);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* clients and clients SERVICE: one line each, with the chat nick. */
START_TEST(test_clients)
{
	struct sbd	 d;
	struct client	*ctl, *n, *alice;
	const char	*ans, *l;
	char		 want[128];

	start(&d);
	n = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(n, "1\n");
	cl_expect(n, "one");
	alice = member(&d, "alice");
	cl_send(n, "2\n");
	cl_expect(n, "two");
	ctl = cl_unix(ctl_sock);
	ans = cl_ask(ctl, "clients");
	snprintf(want, sizeof(want), "client id=1 service=numbers "
	    "peer=127.0.0.1:%d connected=", local_port(n));
	l = line_of(ans, want);
	ck_assert_int_eq(field(l, "queued"), 0);
	ck_assert_int_ge(field(l, "connected"), field(l, "idle"));
	ck_assert_ptr_nonnull(strstr(l, " nick=\n"));
	snprintf(want, sizeof(want), "client id=2 service=lobby "
	    "peer=127.0.0.1:%d connected=", local_port(alice));
	l = line_of(ans, want);
	ck_assert_ptr_nonnull(strstr(l, " nick=alice\n"));
	ans = cl_ask(ctl, "clients lobby");
	ck_assert_ptr_null(strstr(ans, "service=numbers"));
	line_of(ans, "client id=2 service=lobby ");
	ck_assert_str_eq(cl_ask(ctl, "clients nosuch"),
	    "error: no service \"nosuch\"\n");
	line_of(cl_ask(ctl, "clients numbers"), "client id=1 ");
	cl_close(n);
	cl_close(alice);
	cl_close(ctl);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * kill on a chat member: it is told why and closed, the room sees it
 * leave; the answer says whether the id existed.
 */
START_TEST(test_kill_member)
{
	struct sbd	 d;
	struct client	*ctl, *alice, *bob, *n;
	int		 i;

	start(&d);
	alice = member(&d, "alice");
	bob = member(&d, "bob");
	cl_expect(alice, "* guest2 has joined");
	cl_expect(alice, "* guest2 is now known as bob");
	n = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(n, "7\n");
	cl_expect(n, "seven");
	ctl = cl_unix(ctl_sock);
	ck_assert_str_eq(cl_ask(ctl, "kill 1 flooding the room"),
	    "killed id=1 service=lobby\n");
	cl_expect(alice, "* disconnected by the operator: flooding the room");
	ck_assert(cl_eof(alice, T_WAIT_MS));
	cl_expect(bob, "* alice has left (disconnected by the operator)");
	/* Until its client has closed too, it is closing. */
	ck_assert_str_eq(cl_ask(ctl, "kill 1"),
	    "error: client 1 is already closing\n");
	cl_close(alice);
	for (i = 0; i < 100 && strcmp(cl_ask(ctl, "kill 1"),
	    "error: no client 1\n") != 0; i++)
		usleep(50000);
	ck_assert_str_eq(cl_ask(ctl, "kill 1"), "error: no client 1\n");
	ck_assert_str_eq(cl_ask(ctl, "kill 99"), "error: no client 99\n");
	/* Not a chat client: the core's words. */
	ck_assert_str_eq(cl_ask(ctl, "kill 3"), "killed id=3 service=numbers\n");
	cl_expect(n, "error: disconnected by the operator");
	ck_assert(cl_eof(n, T_WAIT_MS));
	ck_assert(sbd_log_has(&d, "disconnected by the operator: flooding "
	    "the room"));
	line_of(cl_ask(ctl, "who lobby"), "member id=2 nick=bob\n");
	cl_close(bob);
	cl_close(n);
	cl_close(ctl);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * kill on a client in the middle of a long reply it is not reading:
 * "clients" shows its queue, the kill is answered at once, and once
 * the client reads it gets every answer queued, then the notice, then
 * the end.
 */
START_TEST(test_kill_mid_reply)
{
	static char	 burst[8 * 4000 + 1];
	struct sbd	 d;
	struct client	*ctl, *slow, *other;
	const char	*ans, *l;
	char		 want[128], *line;
	int		 i, got = 0;

	for (i = 0; i < 4000; i++)
		memcpy(burst + i * 8, "7777777\n", 8);
	/* A small kernel send buffer: the replies wait in the daemon. */
	sbd_start(&d, conf_with("send_timeout = 0;\nsndbuf = 4096;\n"));
	slow = cl_tcp_rcvbuf(sbd_port(&d, "numbers"), 4096);
	cl_sendn(slow, burst, strlen(burst));
	ctl = cl_unix(ctl_sock);
	for (i = 0; i < 100; i++) {
		ans = cl_ask(ctl, "clients numbers");
		l = line_of(ans, "client id=1 ");
		if (field(l, "queued") > 20000)
			break;
		usleep(50000);
	}
	ck_assert_int_gt(field(l, "queued"), 20000);
	other = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(other, "3\n");
	cl_expect(other, "three");
	ck_assert_str_eq(cl_ask(ctl, "kill 1 bye"),
	    "killed id=1 service=numbers\n");
	snprintf(want, sizeof(want), "seven million seven hundred "
	    "seventy-seven thousand seven hundred seventy-seven");
	while ((line = cl_line(slow, T_WAIT_MS)) != NULL &&
	    strcmp(line, want) == 0)
		got++;
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, "error: disconnected by the operator");
	ck_assert(cl_eof(slow, T_WAIT_MS));
	ck_assert_int_gt(got, 0);
	ck_assert_int_le(got, 4000);
	cl_send(other, "4\n");
	cl_expect(other, "four");
	cl_close(slow);
	cl_close(other);
	cl_close(ctl);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* who: the room's members, without joining (nobody is told). */
START_TEST(test_who)
{
	struct sbd	 d;
	struct client	*ctl, *alice, *bob;

	start(&d);
	alice = member(&d, "alice");
	bob = member(&d, "bob");
	cl_expect(alice, "* guest2 has joined");
	cl_expect(alice, "* guest2 is now known as bob");
	ctl = cl_unix(ctl_sock);
	ck_assert_str_eq(cl_ask(ctl, "who lobby"),
	    "member id=1 nick=alice\nmember id=2 nick=bob\n");
	ck_assert(cl_quiet(alice, 300));
	ck_assert(cl_quiet(bob, 0));
	ck_assert_str_eq(cl_ask(ctl, "who numbers"), "error: service "
	    "\"numbers\" (number-to-text) has no members: its handler does "
	    "not name its clients (clients lists them)\n");
	ck_assert_str_eq(cl_ask(ctl, "who nosuch"),
	    "error: no service \"nosuch\"\n");
	cl_send(alice, "/who\n");
	cl_expect(alice, "* online (2): alice, bob");
	cl_close(alice);
	cl_close(bob);
	cl_close(ctl);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* Unknown commands and bad arguments: an error, and the connection stays. */
START_TEST(test_bad_commands)
{
	static const struct {
		const char	*cmd, *answer;
	} cases[] = {
		{ "bogus", "error: unknown command \"bogus\" (help lists the "
		  "commands)\n" },
		{ "STATS", "error: unknown command \"STATS\" (help lists the "
		  "commands)\n" },
		{ "", "error: empty command (help lists the commands)\n" },
		{ "kill", "error: usage: kill ID [REASON]\n" },
		{ "kill abc", "error: not a client id: \"abc\" (clients lists "
		  "them)\n" },
		{ "kill -1", "error: not a client id: \"-1\" (clients lists "
		  "them)\n" },
		{ "kill 99999999999999999999999", "error: not a client id: "
		  "\"99999999999999999999999\" (clients lists them)\n" },
		{ "who", "error: usage: who SERVICE\n" },
		{ "who a b", "error: usage: who SERVICE\n" },
		{ "stats now", "error: usage: stats\n" },
		{ "clients a b", "error: usage: clients [SERVICE]\n" },
		{ "reload x", "error: usage: reload\n" },
		{ "stats\033[2J", "error: a command may not hold control "
		  "characters\n" },
	};
	struct sbd	 d;
	struct client	*ctl;
	size_t		 i;

	start(&d);
	ctl = cl_unix(ctl_sock);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_str_eq(cl_ask(ctl, cases[i].cmd), cases[i].answer);
		line_of(cl_ask(ctl, "stats"), "daemon ");
	}
	/* CRLF and spaces around words are fine. */
	line_of(cl_ask(ctl, "  stats\r"), "daemon ");
	line_of(cl_ask(ctl, "help"), "kill ID [REASON]: ");
	cl_close(ctl);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A command over CONTROL_MAX_LINE (1024 bytes) is refused and the
 * connection stays, however it arrives; CONTROL_MAX_INPUT (4 KiB) of
 * input without a line end is refused and closed.
 */
START_TEST(test_long_lines)
{
	static char	 big[8192], want[8300];
	struct sbd	 d;
	struct client	*ctl;

	start(&d);
	ctl = cl_unix(ctl_sock);
	memset(big, 'x', 3000);
	big[3000] = '\0';
	ck_assert_str_eq(cl_ask(ctl, big), "error: command too long (at most "
	    "1024 bytes)\n");
	big[1025] = '\0';
	ck_assert_str_eq(cl_ask(ctl, big), "error: command too long (at most "
	    "1024 bytes)\n");
	/* 1024 bytes is a command (an unknown one). */
	big[1024] = '\0';
	snprintf(want, sizeof(want), "error: unknown command \"%s\" (help "
	    "lists the commands)\n", big);
	ck_assert_str_eq(cl_ask(ctl, big), want);
	line_of(cl_ask(ctl, "stats"), "daemon ");
	/* No line end in the whole read-ahead (4 KiB): closed. */
	memset(big, 'x', 5000);
	big[5000] = '\0';
	cl_send(ctl, big);
	cl_expect(ctl, "error: command too long (at most 1024 bytes)");
	cl_expect(ctl, ".");
	ck_assert(cl_eof(ctl, T_WAIT_MS));
	cl_close(ctl);
	ctl = cl_unix(ctl_sock);
	line_of(cl_ask(ctl, "stats"), "daemon ");
	cl_close(ctl);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* At most 16 control clients at once; the 17th is told and closed. */
START_TEST(test_too_many_clients)
{
	struct sbd	 d;
	struct client	*ctl[17];
	int		 i;

	start(&d);
	for (i = 0; i < 16; i++) {
		ctl[i] = cl_unix(ctl_sock);
		line_of(cl_ask(ctl[i], "stats"), "daemon ");
	}
	ctl[16] = cl_unix(ctl_sock);
	cl_expect(ctl[16], "error: too many control clients (at most 16 at "
	    "once)");
	cl_expect(ctl[16], ".");
	ck_assert(cl_eof(ctl[16], T_WAIT_MS));
	cl_close(ctl[16]);
	ck_assert_int_eq(field(line_of(cl_ask(ctl[0], "stats"), "daemon "),
	    "control_clients"), 16);
	cl_close(ctl[3]);
	for (i = 0; i < 100; i++) {
		ctl[3] = cl_unix(ctl_sock);
		cl_send(ctl[3], "stats\n");
		if (strncmp(cl_line(ctl[3], T_WAIT_MS), "daemon ", 7) == 0)
			break;
		cl_close(ctl[3]);
		usleep(20000);
	}
	ck_assert_int_lt(i, 100);
	for (i = 0; i < 16; i++)
		cl_close(ctl[i]);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A control client that sends command after command and never reads an
 * answer: the daemon stops reading it once its answers back up (its
 * memory stays bounded), the services and other control clients go on,
 * and it is closed when it has taken nothing for CONTROL_SEND_SECONDS.
 */
START_TEST(test_never_reads)
{
	static char	 cmds[6 * 8192 + 1];
	struct sbd	 d;
	struct client	*hog, *ctl, *n;
	size_t		 sent = 0, total;
	long		 rss0, rss1;
	ssize_t		 r;
	int		 i, stalls = 0, bufsz = 1 << 20;

	for (i = 0; i < 8192; i++)
		memcpy(cmds + i * 6, "stats\n", 6);
	total = strlen(cmds);
	start(&d);
	n = cl_tcp(sbd_port(&d, "numbers"));
	ctl = cl_unix(ctl_sock);
	line_of(cl_ask(ctl, "stats"), "daemon ");
	rss0 = sbd_rss_kb(&d);
	hog = cl_unix(ctl_sock);
	setsockopt(hog->fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	/* Send until the daemon stops taking commands for a while. */
	while (stalls < 20) {
		r = send(hog->fd, cmds + sent % total, total - sent % total,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0) {
			sent += (size_t)r;
			stalls = 0;
			continue;
		}
		ck_assert_msg(r == -1 && errno == EAGAIN, "send: %s",
		    strerror(errno));
		stalls++;
		usleep(50000);
	}
	/* Had every command been answered, that would be megabytes. */
	ck_assert_uint_gt(sent, 6 * 20000);
	cl_send(n, "5\n");
	cl_expect(n, "five");
	line_of(cl_ask(ctl, "stats"), "daemon ");
	rss1 = sbd_rss_kb(&d);
	if (sbd_rss_meaningful())
		ck_assert_msg(rss1 - rss0 < 8 * 1024, "RSS grew from %ld to "
		    "%ld kB", rss0, rss1);
	for (i = 0; i < 40 && !sbd_log_has(&d, "took none of its answers");
	    i++)
		usleep(sbd_wait_scale() * 500000);
	ck_assert(sbd_log_has(&d, "control socket: closing a client that "
	    "took none of its answers for a while"));
	ck_assert_int_eq(field(line_of(cl_ask(ctl, "stats"), "daemon "),
	    "control_clients"), 1);
	cl_close(hog);
	cl_close(n);
	cl_close(ctl);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * reload: the SIGHUP transaction, answered with its result; a failure
 * says why and changes nothing. A new control_socket path moves the
 * socket; the client that asked keeps its connection.
 */
START_TEST(test_reload)
{
	struct sbd	 d;
	struct client	*ctl, *n;
	const char	*l;
	char		 conf[4096], moved[160], *ans;
	struct stat	 st;

	start(&d);
	n = cl_tcp(sbd_port(&d, "numbers"));
	ctl = cl_unix(ctl_sock);
	sbd_write_conf(&d, conf_with("max_line = 100;\n"));
	ck_assert_str_eq(cl_ask(ctl, "reload"), "reloaded generation=2\n");
	l = line_of(cl_ask(ctl, "stats"), "daemon ");
	ck_assert_int_eq(field(l, "generation"), 2);
	ck_assert_int_eq(field(l, "reloads_ok"), 1);
	sbd_write_conf(&d, conf_with("max_line = \"many\";\n"));
	ans = cl_ask(ctl, "reload");
	ck_assert_msg(strncmp(ans, "error: reload failed: ", 22) == 0 &&
	    strstr(ans, "switchboard.conf:2: max_line") != NULL &&
	    strchr(ans, '\n') == ans + strlen(ans) - 1, "%s", ans);
	l = line_of(cl_ask(ctl, "stats"), "daemon ");
	ck_assert_int_eq(field(l, "generation"), 2);
	ck_assert_int_eq(field(l, "reloads_failed"), 1);
	cl_send(n, "8\n");
	cl_expect(n, "eight");
	/* A new path: the socket moves, this client stays. */
	snprintf(moved, sizeof(moved), "%s/moved.sock", ctl_dir);
	snprintf(conf, sizeof(conf), "control_socket = \"%s\";\n%s", moved,
	    services);
	sbd_write_conf(&d, conf);
	ck_assert_str_eq(cl_ask(ctl, "reload"), "reloaded generation=3\n");
	ck_assert_int_eq(stat(ctl_sock, &st), -1);
	ck_assert_int_eq(stat(moved, &st), 0);
	cl_close(ctl);
	ctl = cl_unix(moved);
	ck_assert_int_eq(field(line_of(cl_ask(ctl, "stats"), "daemon "),
	    "generation"), 3);
	/* A directory that is not there fails the reload, socket kept. */
	snprintf(conf, sizeof(conf), "control_socket = \"%s/no/c.sock\";\n%s",
	    ctl_dir, services);
	sbd_write_conf(&d, conf);
	ans = cl_ask(ctl, "reload");
	ck_assert_msg(strstr(ans, "error: reload failed: control_socket \"")
	    == ans && strstr(ans, "/no/c.sock\": cannot listen: the "
	    "directory ") != NULL, "%s", ans);
	ck_assert_int_eq(stat(moved, &st), 0);
	cl_close(ctl);
	cl_close(n);
	ck_assert_int_eq(sbd_stop(&d), 0);
	ck_assert_int_eq(stat(moved, &st), -1);
}
END_TEST

/* control_socket_mode: 0600 unless set; a reload applies a new one. */
START_TEST(test_socket_mode)
{
	struct sbd	 d;
	struct client	*ctl;
	struct stat	 st;

	start(&d);
	ck_assert_int_eq(stat(ctl_sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(sbd_stop(&d), 0);
	sbd_start(&d, conf_with("control_socket_mode = \"0660\";\n"));
	ck_assert_int_eq(stat(ctl_sock, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0660);
	sbd_write_conf(&d, conf_with("control_socket_mode = \"0640\";\n"));
	ctl = cl_unix(ctl_sock);
	ck_assert_str_eq(cl_ask(ctl, "reload"), "reloaded generation=2\n");
	ck_assert_int_eq(stat(ctl_sock, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	cl_close(ctl);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * Start errors: a missing directory names the path and the fix; a
 * socket another daemon listens on is in use. Neither daemon starts.
 */
START_TEST(test_start_errors)
{
	struct sbd	 d, d2;
	char		 conf[4096], want[256], *log;

	snprintf(conf, sizeof(conf), "control_socket = \"%s/none/c.sock\";\n"
	    "%s", ctl_dir, services);
	sbd_spawn(&d, conf, NULL);
	ck_assert_int_eq(sbd_wait_exit(&d, T_WAIT_MS), 69);
	log = sbd_log_text(&d);
	snprintf(want, sizeof(want), "control_socket \"%s/none/c.sock\": "
	    "cannot listen: the directory %s/none does not exist (create it",
	    ctl_dir, ctl_dir);
	ck_assert_msg(strstr(log, want) != NULL, "%s", log);
	ck_assert_msg(strstr(log, "RuntimeDirectory=") != NULL, "%s", log);
	free(log);
	ck_assert_int_eq(sbd_stop(&d), 69);

	start(&d);
	sbd_spawn(&d2, conf_with(""), NULL);
	ck_assert_int_eq(sbd_wait_exit(&d2, T_WAIT_MS), 69);
	log = sbd_log_text(&d2);
	ck_assert_msg(strstr(log, "cannot listen: Address already in use "
	    "(is another switchboardd running with it?)") != NULL, "%s", log);
	free(log);
	ck_assert_int_eq(sbd_stop(&d2), 69);
	/* The first one's socket was left alone. */
	snprintf(conf, sizeof(conf), "-s '%s' stats", ctl_sock);
	ck_assert_int_eq(ctl_run(conf, want, sizeof(want)), 0);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* STATUS= has the clients per service; SIGUSR1 logs the stats lines. */
START_TEST(test_status_and_usr1)
{
	struct sbd	 d;
	struct client	*n, *alice, *bob;
	char		*log;
	int		 i;

	start(&d);
	n = cl_tcp(sbd_port(&d, "numbers"));
	alice = member(&d, "alice");
	bob = member(&d, "bob");
	ck_assert_msg(sbd_wait_notify(&d, "STATUS=2 services, 3 connections; "
	    "clients: numbers 1, lobby 2; numbers=127.0.0.1:", T_WAIT_MS),
	    "%s", d.notes);
	cl_send(n, "12\n");
	cl_expect(n, "twelve");
	ck_assert_int_eq(kill(d.pid, SIGUSR1), 0);
	for (i = 0; i < 100 && !sbd_log_has(&d, "lobby: stats: "); i++)
		usleep(50000);
	log = sbd_log_text(&d);
	ck_assert_msg(strstr(log, "SIGUSR1: 3 connections; version="
	    PACKAGE_VERSION " pid=") != NULL, "%s", log);
	ck_assert_msg(strstr(log, "numbers: stats: name=numbers "
	    "handler=number-to-text state=running listeners=127.0.0.1:") !=
	    NULL, "%s", log);
	ck_assert_msg(strstr(log, " connections=1 accepted=1 refused_acl=0 ")
	    != NULL, "%s", log);
	ck_assert_msg(strstr(log, " lines_in=1 lines_out=1 bytes_in=3 "
	    "bytes_out=7 datagrams=0\n") != NULL, "%s", log);
	ck_assert_msg(strstr(log, "lobby: stats: name=lobby "
	    "handler=chat-relay state=running ") != NULL, "%s", log);
	free(log);
	cl_close(n);
	cl_close(alice);
	cl_close(bob);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * switchboardctl: tables by default, JSON with --json (valid, checked
 * by python3 -m json.tool), exit 1 on an error answer.
 */
START_TEST(test_ctl)
{
	struct sbd	 d;
	struct client	*n, *alice;
	char		 args[512], out[65536], want[128];

	start(&d);
	n = cl_tcp(sbd_port(&d, "numbers"));
	cl_send(n, "3\n");
	cl_expect(n, "three");
	alice = member(&d, "alice");
	snprintf(args, sizeof(args), "-s '%s' stats", ctl_sock);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 0);
	ck_assert_msg(strncmp(out, "switchboardd " PACKAGE_VERSION ", pid ",
	    15) == 0, "%s", out);
	ck_assert_msg(strstr(out, "\nSERVICE  HANDLER         CONNS  "
	    "ACCEPTED  LINES-IN  LINES-OUT  BYTES-IN  BYTES-OUT  STATE    "
	    "LISTENERS\nnumbers  number-to-text      1         1         1 "
	    "         1         2          6  running  127.0.0.1:") != NULL,
	    "%s", out);
	snprintf(args, sizeof(args), "-s '%s' clients", ctl_sock);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 0);
	ck_assert_msg(strncmp(out, "ID  SERVICE  PEER             CONNECTED  "
	    "IDLE  QUEUED  NICK\n 1  numbers  127.0.0.1:", 61) == 0, "%s",
	    out);
	snprintf(want, sizeof(want), "127.0.0.1:%-5d         0s    0s       "
	    "0  alice\n", local_port(alice));
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	snprintf(args, sizeof(args), "-s '%s' who lobby", ctl_sock);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "ID  NICK\n 2  alice\n");
	snprintf(args, sizeof(args), "-s '%s' who numbers", ctl_sock);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 1);
	ck_assert_msg(strncmp(out, "switchboardctl: error: service "
	    "\"numbers\"", 40) == 0, "%s", out);
	snprintf(args, sizeof(args), "-s '%s' kill 77", ctl_sock);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "switchboardctl: error: no client 77\n");
	snprintf(args, sizeof(args), "-s '%s' reload", ctl_sock);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "reloaded: configuration generation 2\n");

	snprintf(args, sizeof(args), "-s '%s' --json stats", ctl_sock);
	ck_assert_msg(ctl_pipe(args, "python3 -c "
	    "'import json,sys; d=json.load(sys.stdin); "
	    "s={x[\"name\"]: x for x in d[\"services\"]}; "
	    "print(d[\"daemon\"][\"generation\"], "
	    "s[\"numbers\"][\"lines_in\"], "
	    "s[\"numbers\"][\"listeners\"][0].startswith(\"127.0.0.1:\"), "
	    "s[\"lobby\"][\"handler\"])'", out, sizeof(out)) == 0, "%s", out);
	ck_assert_str_eq(out, "2 1 True chat-relay\n");
	snprintf(args, sizeof(args), "-s '%s' --json clients", ctl_sock);
	ck_assert_int_eq(ctl_pipe(args, "python3 -m json.tool --compact", out,
	    sizeof(out)), 0);
	ck_assert_msg(strstr(out, "{\"clients\":[{\"id\":1,\"service\":"
	    "\"numbers\",\"peer\":\"127.0.0.1:") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\"nick\":\"alice\"}]}") != NULL, "%s", out);
	snprintf(args, sizeof(args), "-s '%s' --json who lobby", ctl_sock);
	ck_assert_int_eq(ctl_pipe(args, "python3 -m json.tool --compact", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out,
	    "{\"members\":[{\"id\":2,\"nick\":\"alice\"}]}\n");
	snprintf(args, sizeof(args), "-s '%s' --json who numbers "
	    "2>/dev/null >%s/j; echo $?; python3 -m json.tool --compact "
	    "%s/j; rm -f %s/j", ctl_sock, ctl_dir, ctl_dir, ctl_dir);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 0);
	ck_assert_msg(strncmp(out, "1\n{\"error\":\"service \\\"numbers\\\" "
	    "(number-to-text) has no members", 54) == 0, "%s", out);
	snprintf(args, sizeof(args), "-s '%s' --json kill 1", ctl_sock);
	ck_assert_int_eq(ctl_pipe(args, "python3 -m json.tool --compact", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "{\"killed\":{\"id\":1,\"service\":"
	    "\"numbers\"}}\n");
	/* Usage errors. */
	ck_assert_int_eq(ctl_run("", out, sizeof(out)), 64);
	ck_assert_int_eq(ctl_run("frobnicate", out, sizeof(out)), 64);
	ck_assert_int_eq(ctl_run("who", out, sizeof(out)), 64);
	cl_close(n);
	cl_close(alice);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * switchboardctl with no daemon: exit 69 and a message naming the
 * socket, whether the file is missing or nobody listens on it.
 */
START_TEST(test_ctl_no_daemon)
{
	struct sbd	 d;
	char		 args[512], out[4096], want[512];

	snprintf(args, sizeof(args), "-s '%s' stats", ctl_sock);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 69);
	snprintf(want, sizeof(want), "switchboardctl: cannot connect to %s: "
	    "No such file or directory (is switchboardd running, with "
	    "control_socket = \"%s\" in its configuration?", ctl_sock,
	    ctl_sock);
	ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s", out);
	start(&d);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 0);
	/* A daemon killed outright leaves its file: nobody listens. */
	kill(d.pid, SIGKILL);
	sbd_wait_exit(&d, T_WAIT_MS);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 69);
	snprintf(want, sizeof(want), "switchboardctl: cannot connect to %s: "
	    "Connection refused", ctl_sock);
	ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s", out);
	/* The next daemon replaces the stale file. */
	start(&d);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 0);
	ck_assert_int_eq(sbd_stop(&d), 0);
	ck_assert_int_eq(ctl_run(args, out, sizeof(out)), 69);
}
END_TEST

/*
 * The next line from c, taking the daemon's notify messages meanwhile:
 * each reload sends some, and a queue left full would block it.
 */
static char *
line_draining(struct sbd *d, struct client *c)
{
	char	*line;
	int	 i;

	for (i = 0; i < T_WAIT_MS / 20; i++) {
		(void)sbd_count_notes(d, "READY=1");
		if ((line = cl_line(c, 20)) != NULL)
			return (line);
	}
	return (NULL);
}

/*
 * One command at a time per client: 300 reloads sent in one write do not
 * hold the loop until all are done. Another client's stats, sent right
 * after them, is answered while they are still running (a generation far
 * below 301), and the first client still gets every answer, in order.
 */
START_TEST(test_one_command_at_a_time)
{
	struct sbd	 d;
	struct client	*a, *b;
	char		*storm, want[64], *line;
	size_t		 i, len = 300 * 7;
	long long	 gen;

	start(&d);
	a = cl_unix(ctl_sock);
	b = cl_unix(ctl_sock);
	ck_assert_ptr_nonnull(storm = malloc(len + 1));
	for (i = 0; i < 300; i++)
		memcpy(storm + i * 7, "reload\n", 7);
	cl_sendn(a, storm, len);
	cl_send(b, "stats\n");
	line = line_draining(&d, b);
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strncmp(line, "daemon ", 7) == 0, "%s", line);
	gen = field(line, "generation");
	ck_assert_msg(gen < 301, "stats waited for all 300 reloads");
	for (i = 0; i < 300; i++) {
		snprintf(want, sizeof(want), "reloaded generation=%zu", i + 2);
		line = line_draining(&d, a);
		ck_assert_msg(line != NULL && strcmp(line, want) == 0,
		    "want %s, got %s", want, line ? line : "nothing");
		line = line_draining(&d, a);
		ck_assert_msg(line != NULL && strcmp(line, ".") == 0, "%s",
		    line ? line : "nothing");
	}
	free(storm);
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("control");
	TCase	*tc = tcase_create("control");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, ctl_setup, ctl_teardown);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_clients);
	tcase_add_test(tc, test_kill_member);
	tcase_add_test(tc, test_kill_mid_reply);
	tcase_add_test(tc, test_who);
	tcase_add_test(tc, test_bad_commands);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_too_many_clients);
	tcase_add_test(tc, test_never_reads);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_socket_mode);
	tcase_add_test(tc, test_start_errors);
	tcase_add_test(tc, test_status_and_usr1);
	tcase_add_test(tc, test_ctl);
	tcase_add_test(tc, test_ctl_no_daemon);
	tcase_add_test(tc, test_one_command_at_a_time);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_control"));
}

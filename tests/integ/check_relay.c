/*
 * switchboard integration tests: chat rooms that span daemons through a
 * real redis-server (the relay), and what members see when Redis fails.
 */
#include <sys/socket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"
#include "redis.h"
#include "relay_test.h"

#define LOST	"* relay unavailable: only members on this server receive " \
		"your messages"
#define BACK	"* relay restored"
#define MISSED	"* messages from other servers may have been missed"

/* Milliseconds on a clock that only goes forward. */
static long
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * Start a daemon whose lobby is relayed through 127.0.0.1:port, with
 * relay_timeout timeout.
 */
static void
start_relayed_timeout(struct sbd *d, int port, int timeout,
    const char *extra)
{
	char	conf[1024];

	snprintf(conf, sizeof(conf),
	    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; history = 5; byte_rate = 0;\n"
	    "  room_byte_rate = 0; max_output = 1048576;\n"
	    "  relay = \"127.0.0.1:%d\"; relay_timeout = %d; %s } );\n",
	    port, timeout, extra != NULL ? extra : "");
	sbd_start(d, conf);
}

/* Start a daemon whose lobby is relayed through 127.0.0.1:port. */
static void
start_relayed(struct sbd *d, int port, const char *extra)
{
	start_relayed_timeout(d, port, relay_timeout(), extra);
}

/* Start two relayed daemons, each with its extra keys, until connected. */
static void
start_two_each(struct sbd *d1, struct sbd *d2, int port, const char *extra1,
    const char *extra2)
{
	start_relayed(d1, port, extra1);
	start_relayed(d2, port, extra2);
	wait_log(d1, "relay connected to");
	wait_log(d2, "relay connected to");
}

/* Start two relayed daemons with the same extra keys, until connected. */
static void
start_two(struct sbd *d1, struct sbd *d2, int port, const char *extra)
{
	start_two_each(d1, d2, port, extra, extra);
}

/* Both daemons stop cleanly; then Redis goes. */
static void
stop_two(struct sbd *d1, struct sbd *d2, struct redis *r)
{
	ck_assert_int_eq(sbd_stop(d1), 0);
	ck_assert_int_eq(sbd_stop(d2), 0);
	redis_free(r);
}

/* Join the lobby, take the welcome, and take the nick given. */
static struct client *
join_as(struct sbd *d, const char *nick)
{
	struct client	*c = cl_tcp(sbd_port(d, "lobby"));
	char		*line, want[64];

	line = cl_line(c, T_WAIT_MS);
	ck_assert_msg(line != NULL && strncmp(line, "* welcome to lobby",
	    18) == 0, "no welcome: %s", line != NULL ? line : "(none)");
	cl_sendn(c, "/nick ", 6);
	cl_send(c, nick);
	cl_send(c, "\n");
	snprintf(want, sizeof(want), "* you are now known as %s", nick);
	for (;;) {
		line = cl_line(c, T_WAIT_MS);
		ck_assert_msg(line != NULL, "no answer to /nick %s", nick);
		if (strcmp(line, want) == 0)
			return (c);
	}
}

/* Read lines until one ends with tail, skipping others. */
static void
wait_end(struct client *c, const char *tail)
{
	char	*line;
	size_t	 len;

	for (;;) {
		line = cl_line(c, T_WAIT_MS);
		ck_assert_msg(line != NULL, "never got \"...%s\"", tail);
		len = strlen(line);
		if (len >= strlen(tail) &&
		    strcmp(line + len - strlen(tail), tail) == 0)
			return;
	}
}

/*
 * Read lines for ms milliseconds after the last one; count those equal to
 * want.
 */
static int
count_lines(struct client *c, const char *want, int ms)
{
	char	*line;
	int	 n = 0;

	while ((line = cl_line(c, ms)) != NULL) {
		if (strcmp(line, want) == 0)
			n++;
	}
	return (n);
}

/* A line from one daemon reaches the members of another, once. */
START_TEST(test_two_daemons)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b;

	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, NULL);
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	wait_end(a, " is now known as bob");
	cl_send(a, "hello from one\n");
	wait_line(b, "<alice> hello from one");	/* after any notice */
	cl_send(b, "/me waves\n");
	cl_expect(a, "* bob waves");
	ck_assert(cl_quiet(a, 300));		/* no copy of its own */
	ck_assert(cl_quiet(b, 0));
	cl_close(b);
	cl_expect(a, "* bob has left (client closed the connection)");
	cl_close(a);
	stop_two(&d1, &d2, &r);
}
END_TEST

#define ORDER_DAEMONS	3
#define ORDER_SENDERS	2		/* per daemon */
#define ORDER_LINES	40		/* per sender */
#define ORDER_TOTAL	(ORDER_DAEMONS * ORDER_SENDERS * ORDER_LINES)

/*
 * Collect the room's lines a client gets until it has n of them ("<s..."),
 * into seq (each up to 32 bytes).
 */
static void
collect(struct client *c, char (*seq)[32], int n)
{
	char	*line;
	int	 got = 0;

	while (got < n) {
		line = cl_line(c, T_WAIT_MS);
		ck_assert_msg(line != NULL, "only %d of %d lines", got, n);
		if (strncmp(line, "<s", 2) != 0)
			continue;
		snprintf(seq[got++], 32, "%s", line);
	}
}

/*
 * Many senders on three daemons at once: every member on every daemon
 * gets the room's lines in one order, each once, and a sender gets the
 * same order without its own lines.
 */
START_TEST(test_order)
{
	static char	 seen[ORDER_DAEMONS][ORDER_TOTAL][32];
	static char	 sent[ORDER_TOTAL][32];
	struct redis	 r;
	struct sbd	 d[ORDER_DAEMONS];
	struct client	*obs[ORDER_DAEMONS];
	struct client	*snd[ORDER_DAEMONS][ORDER_SENDERS];
	char		 nick[16], line[64], own[32];
	int		 i, j, k, n;

	redis_start(&r, 0);
	for (i = 0; i < ORDER_DAEMONS; i++) {
		start_relayed(&d[i], r.port, NULL);
		wait_log(&d[i], "relay connected to");
	}
	for (i = 0; i < ORDER_DAEMONS; i++) {
		snprintf(nick, sizeof(nick), "obs%d", i);
		obs[i] = join_as(&d[i], nick);
		for (j = 0; j < ORDER_SENDERS; j++) {
			snprintf(nick, sizeof(nick), "s%d%d", i, j);
			snd[i][j] = join_as(&d[i], nick);
		}
	}
	for (k = 0; k < ORDER_LINES; k++) {
		for (i = 0; i < ORDER_DAEMONS; i++) {
			for (j = 0; j < ORDER_SENDERS; j++) {
				snprintf(line, sizeof(line), "line %d\n", k);
				cl_send(snd[i][j], line);
			}
		}
	}
	for (i = 0; i < ORDER_DAEMONS; i++)
		collect(obs[i], seen[i], ORDER_TOTAL);
	for (i = 1; i < ORDER_DAEMONS; i++) {
		for (k = 0; k < ORDER_TOTAL; k++)
			ck_assert_msg(strcmp(seen[0][k], seen[i][k]) == 0,
			    "line %d: daemon 0 saw \"%s\", daemon %d \"%s\"", k,
			    seen[0][k], i, seen[i][k]);
	}
	/* Each line once: sender s..'s line k comes after its line k-1. */
	for (k = 0; k < ORDER_TOTAL; k++) {
		for (j = k + 1; j < ORDER_TOTAL; j++)
			ck_assert_msg(strcmp(seen[0][k], seen[0][j]) != 0,
			    "\"%s\" twice", seen[0][k]);
	}
	/* A sender: the same order, without its own lines. */
	snprintf(own, sizeof(own), "<s%d%d> ", 1, 1);
	for (k = 0, n = 0; k < ORDER_TOTAL; k++) {
		if (strncmp(seen[0][k], own, strlen(own)) != 0)
			memcpy(sent[n++], seen[0][k], 32);
	}
	collect(snd[1][1], seen[1], n);
	for (k = 0; k < n; k++)
		ck_assert_str_eq(seen[1][k], sent[k]);
	for (i = 0; i < ORDER_DAEMONS; i++) {
		cl_close(obs[i]);
		for (j = 0; j < ORDER_SENDERS; j++)
			cl_close(snd[i][j]);
		ck_assert_int_eq(sbd_stop(&d[i]), 0);
	}
	redis_free(&r);
}
END_TEST

/* A newcomer on another daemon gets the room's history, said anywhere. */
START_TEST(test_history_elsewhere)
{
	struct redis	 r;
	struct sbd	 d1, d2, d3;
	struct client	*a, *b, *c;
	char		*line;
	int		 i;

	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, NULL);
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	cl_send(a, "first\n");
	wait_line(b, "<alice> first");
	cl_send(b, "second\n");
	wait_line(a, "<bob> second");
	/* On the daemon where bob spoke, and on one started afterwards. */
	c = cl_tcp(sbd_port(&d2, "lobby"));
	wait_line(c, "* last 2 messages:");
	line = cl_line(c, T_WAIT_MS);
	ck_assert(line != NULL && strstr(line, "] <alice> first") != NULL);
	line = cl_line(c, T_WAIT_MS);
	ck_assert(line != NULL && strstr(line, "] <bob> second") != NULL);
	cl_expect(c, "* end of history");
	cl_close(c);
	/* More notices than history lines since: the history is lines. */
	for (i = 0; i < 4; i++) {
		c = cl_tcp(sbd_port(&d1, "lobby"));
		ck_assert_ptr_nonnull(cl_line(c, T_WAIT_MS));
		cl_close(c);
		wait_end(a, "has left (client closed the connection)");
	}
	start_relayed(&d3, r.port, NULL);
	wait_log(&d3, "relay connected to");
	c = cl_tcp(sbd_port(&d3, "lobby"));
	wait_line(c, "* last 2 messages:");
	line = cl_line(c, T_WAIT_MS);
	ck_assert(line != NULL && strstr(line, "] <alice> first") != NULL);
	line = cl_line(c, T_WAIT_MS);
	ck_assert(line != NULL && strstr(line, "] <bob> second") != NULL);
	cl_close(c);
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d1), 0);
	ck_assert_int_eq(sbd_stop(&d2), 0);
	ck_assert_int_eq(sbd_stop(&d3), 0);
	redis_free(&r);
}
END_TEST

/* /who lists the members of every daemon; notices reach everyone. */
START_TEST(test_who_and_notices)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b, *c;

	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, NULL);
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	wait_end(a, " is now known as bob");
	cl_send(a, "/who\n");
	wait_line(a, "* online (2): alice, bob");
	c = join_as(&d2, "carol");
	wait_end(a, " has joined");
	wait_end(a, " is now known as carol");
	wait_end(b, " is now known as carol");
	cl_send(b, "/who\n");
	wait_line(b, "* online (3): alice, bob, carol");
	cl_send(c, "/quit\n");
	wait_line(a, "* carol has left (quit)");
	wait_line(b, "* carol has left (quit)");
	cl_send(a, "/who\n");
	wait_line(a, "* online (2): alice, bob");
	cl_close(c);
	cl_close(a);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

/*
 * A nick held on one daemon is taken on the others, whatever its case;
 * two daemons asking for one nick at once: exactly one gets it.
 */
START_TEST(test_nick_collision)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b, *x, *y;
	char		 cmd[64], yes[64], no[64], *lx, *ly;
	int		 i, won;

	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, NULL);
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	cl_send(b, "/nick alice\n");
	wait_line(b, "* nick alice is already taken");
	cl_send(b, "/nick ALICE\n");
	wait_line(b, "* nick ALICE is already taken");
	x = join_as(&d1, "x1");
	y = join_as(&d2, "y1");
	for (i = 0; i < 5; i++) {
		snprintf(cmd, sizeof(cmd), "/nick racer%d\n", i);
		cl_send(x, cmd);
		cl_send(y, cmd);
		snprintf(yes, sizeof(yes), "* you are now known as racer%d", i);
		snprintf(no, sizeof(no), "* nick racer%d is already taken", i);
		won = 0;
		do
			lx = cl_line(x, T_WAIT_MS);
		while (lx != NULL && strcmp(lx, yes) != 0 && strcmp(lx, no) != 0);
		ck_assert(lx != NULL);
		won += strcmp(lx, yes) == 0;
		do
			ly = cl_line(y, T_WAIT_MS);
		while (ly != NULL && strcmp(ly, yes) != 0 && strcmp(ly, no) != 0);
		ck_assert(ly != NULL);
		won += strcmp(ly, yes) == 0;
		ck_assert_int_eq(won, 1);
	}
	cl_close(x);
	cl_close(y);
	cl_close(a);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

/* /msg reaches a member of another daemon, and only it. */
START_TEST(test_msg_across)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b, *c;

	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, NULL);
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	c = join_as(&d2, "carol");
	wait_end(a, " is now known as carol");
	wait_end(b, " is now known as carol");
	cl_send(a, "/msg Bob just for you\n");
	wait_line(a, "* to Bob: just for you");
	cl_expect(b, "[private] <alice> just for you");
	cl_send(a, "/msg nobody hello\n");
	cl_expect(a, "* no such nick: nobody");
	cl_send(a, "in the open\n");
	cl_expect(c, "<alice> in the open");	/* carol never saw it */
	cl_expect(b, "<alice> in the open");
	cl_close(a);
	cl_close(b);
	cl_close(c);
	stop_two(&d1, &d2, &r);
}
END_TEST

/*
 * A client that sends before its welcome (nc with a script): its lines
 * wait while the relay gives it a guest nick, and after "/nick alice"
 * while the relay takes that name, so each is said as it would be in a
 * room of one daemon, and the guest nick is not left held in Redis.
 */
START_TEST(test_lines_before_welcome)
{
	const char	*keys[] = { "HKEYS", "switchboard:lobby:names", NULL };
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b;
	char		 out[512], *line;

	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, NULL);
	b = join_as(&d2, "bob");
	a = cl_tcp(sbd_port(&d1, "lobby"));
	cl_send(a, "/nick alice\nhello\n/who\n");
	line = cl_line(a, T_WAIT_MS);
	ck_assert_msg(line != NULL && strncmp(line, "* welcome to lobby, you "
	    "are guest", 28) == 0, "welcome: %s", line != NULL ? line : "-");
	wait_line(a, "* you are now known as alice");
	cl_expect(a, "* online (2): alice, bob");
	wait_end(b, " is now known as alice");
	cl_expect(b, "<alice> hello");
	cl_send(b, "/who\n");
	cl_expect(b, "* online (2): alice, bob");
	ck_assert_int_gt(redis_cmd(&r, keys, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "guest") == NULL, "a guest nick is still "
	    "held: %s", out);
	cl_close(a);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

/*
 * A Redis that refuses the relay's scripts (EVAL renamed away, as an ACL
 * without +eval would): the relay cannot hold names, so it stays down,
 * retrying, and the members talk locally under the guest nicks given
 * here; none is ever renamed to nothing or told an empty nick is taken.
 */
START_TEST(test_scripts_refused)
{
	const char	*noeval[] = { "--rename-command", "EVAL", "", NULL };
	struct redis	 r;
	struct sbd	 d;
	struct client	*a, *b;
	char		*line;

	redis_start_at(&r, "127.0.0.1", noeval);
	start_relayed(&d, r.port, NULL);
	a = cl_tcp(sbd_port(&d, "lobby"));
	b = cl_tcp(sbd_port(&d, "lobby"));
	wait_log(&d, "unknown command");
	cl_send(a, "hello\n");
	while ((line = cl_line(b, 1500)) != NULL) {
		ck_assert_msg(strcmp(line, "* you are now known as ") != 0 &&
		    strncmp(line, "* nick  ", 8) != 0 &&
		    strncmp(line, "<> ", 3) != 0, "b got: %s", line);
		if (strstr(line, "> hello") != NULL)
			break;
	}
	ck_assert_msg(line != NULL, "hello never came");
	while ((line = cl_line(a, 1000)) != NULL)
		ck_assert_msg(strcmp(line, "* you are now known as ") != 0 &&
		    strncmp(line, "* nick  ", 8) != 0, "a got: %s", line);
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
	redis_free(&r);
}
END_TEST

/*
 * A client gone while the relay had not yet named it (here: Redis paused,
 * shorter than relay_timeout, and the operator kills the client
 * meanwhile): the guest name Redis gives it afterwards is given back, so
 * no name is left held and the room is never told of a leaver it never
 * saw join.
 */
START_TEST(test_gone_before_named)
{
	const char	*keys[] = { "HKEYS", "switchboard:lobby:names", NULL };
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *c, *ctl;
	char		 conf[1024], sock[128], out[512], *line;
	int		 t = 1000 * sbd_wait_scale(), i;

	redis_start(&r, 0);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", r.dir);
	for (i = 0; i < 2; i++) {
		snprintf(conf, sizeof(conf), "%s%s%s"
		    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
		    "  listen = [ \"127.0.0.1:0\" ]; relay = \"127.0.0.1:%d\";\n"
		    "  relay_timeout = %d; relay_lease = %d; } );\n",
		    i == 0 ? "control_socket = \"" : "", i == 0 ? sock : "",
		    i == 0 ? "\";\n" : "", r.port, t, 2 * t);
		sbd_start(i == 0 ? &d1 : &d2, conf);
	}
	wait_log(&d1, "relay connected to");
	wait_log(&d2, "relay connected to");
	a = join_as(&d2, "alice");
	redis_signal(&r, SIGSTOP);
	c = cl_tcp(sbd_port(&d1, "lobby"));
	ctl = cl_unix(sock);
	for (i = 0; i < 100 && strcmp(cl_ask(ctl, "kill 1"),
	    "killed id=1 service=lobby\n") != 0; i++)
		usleep(20000);
	ck_assert_int_lt(i, 100);
	redis_signal(&r, SIGCONT);
	/* Past the lease: a name left behind would have run out. */
	while ((line = cl_line(a, 3 * t)) != NULL)
		ck_assert_msg(strstr(line, "has left (server unreachable)") ==
		    NULL, "alice got: %s", line);
	ck_assert_int_gt(redis_cmd(&r, keys, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "guest") == NULL, "names held: %s", out);
	cl_close(ctl);
	cl_close(c);
	cl_close(a);
	stop_two(&d1, &d2, &r);
}
END_TEST

/*
 * SIGTERM while a newcomer's name is still being claimed (Redis paused
 * meanwhile, shorter than relay_timeout): the daemon gives the name back
 * before it exits, so none is left held by no one.
 */
START_TEST(test_stop_while_naming)
{
	const char	*keys[] = { "HKEYS", "switchboard:lobby:names", NULL };
	struct redis	 r;
	struct sbd	 d;
	struct client	*c;
	char		 out[512];

	redis_start(&r, 0);
	start_relayed_timeout(&d, r.port, 2000 * sbd_wait_scale(),
	    "relay_lease = 30000;");
	wait_log(&d, "relay connected to");
	redis_signal(&r, SIGSTOP);
	c = cl_tcp(sbd_port(&d, "lobby"));
	usleep(200000);			/* its claim is sent */
	kill(d.pid, SIGTERM);
	usleep(200000);
	redis_signal(&r, SIGCONT);
	cl_close(c);
	ck_assert_int_eq(sbd_wait_exit(&d, T_WAIT_MS), 0);
	ck_assert_int_gt(redis_cmd(&r, keys, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "guest") == NULL, "names held: %s", out);
	sbd_stop(&d);
	redis_free(&r);
}
END_TEST

/*
 * A line longer than this daemon takes (another daemon of the room has a
 * larger max_line) is not delivered here, and cuts no member off.
 */
START_TEST(test_entry_too_long)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b;
	char		*big;

	redis_start(&r, 0);
	start_relayed(&d1, r.port, "max_line = 65536;");
	start_relayed(&d2, r.port, "max_line = 1024;");
	wait_log(&d1, "relay connected to");
	wait_log(&d2, "relay connected to");
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	wait_end(a, " is now known as bob");
	big = malloc(60001);
	memset(big, 'x', 60000);
	big[60000] = '\n';
	cl_sendn(a, big, 60001);
	free(big);
	wait_log(&d2, "not delivered here");
	kill(d2.pid, SIGUSR1);
	wait_log(&d2, "relay_oversize=1");
	cl_send(a, "short\n");
	cl_expect(b, "<alice> short");
	cl_send(b, "/who\n");
	cl_expect(b, "* online (2): alice, bob");
	cl_close(a);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

/*
 * A Redis that fails the relay right after each sync (here XADD is
 * refused, so every line said takes the relay down): the relay retries
 * ever more slowly rather than every 0.1 s, so the members are not told
 * "unavailable" and "restored" at each line.
 */
START_TEST(test_flapping_backs_off)
{
	const char	*noxadd[] = { "--rename-command", "XADD", "", NULL };
	struct redis	 r;
	struct sbd	 d;
	struct client	*a, *b;
	char		*line;
	int		 i, lost = 0;

	redis_start_at(&r, "127.0.0.1", noxadd);
	start_relayed(&d, r.port, NULL);
	wait_log(&d, "relay connected to");
	a = join_as(&d, "alice");
	b = join_as(&d, "bob");
	for (i = 0; i < 30; i++) {
		cl_send(a, "again\n");
		usleep(100000);
	}
	while ((line = cl_line(b, 500)) != NULL)
		lost += strcmp(line, LOST) == 0;
	ck_assert_msg(lost >= 1 && lost <= 8, "told %d times", lost);
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
	redis_free(&r);
}
END_TEST

/*
 * A Redis that is full (maxmemory reached, no eviction) takes no writes:
 * the relay goes down at the first line and stays down, told once, until
 * Redis takes writes again; a sync that could only read is not announced
 * as the relay being back.
 */
START_TEST(test_redis_full)
{
	const char	*full[] = { "CONFIG", "SET", "maxmemory", "1", NULL };
	const char	*room[] = { "CONFIG", "SET", "maxmemory", "0", NULL };
	struct redis	 r;
	struct sbd	 d;
	struct client	*a, *b;
	char		 out[256], *line;
	int		 i, lost = 0, back = 0;

	redis_start(&r, 0);
	start_relayed(&d, r.port, NULL);
	wait_log(&d, "relay connected to");
	a = join_as(&d, "alice");
	b = join_as(&d, "bob");
	ck_assert_int_gt(redis_cmd(&r, full, out, sizeof(out)), 0);
	for (i = 0; i < 20; i++) {
		cl_send(a, "full\n");
		usleep(100000);
	}
	while ((line = cl_line(b, 500)) != NULL) {
		lost += strcmp(line, LOST) == 0;
		back += strcmp(line, BACK) == 0;
	}
	ck_assert_int_eq(lost, 1);
	ck_assert_int_eq(back, 0);
	ck_assert_int_gt(redis_cmd(&r, room, out, sizeof(out)), 0);
	wait_line(b, BACK);
	cl_send(a, "room again\n");
	cl_expect(b, "<alice> room again");
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
	redis_free(&r);
}
END_TEST

#define BURST	500

/*
 * A burst longer than the stream keeps (relay_keep = 10): readers fall
 * behind the trimming. Whoever did not get every line is told that
 * messages may have been missed: never a silent gap.
 */
START_TEST(test_burst_trimmed)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *a2, *b, *who[2];
	char		*buf, *p, *line, last[32];
	int		 i, got, missed;

	redis_start(&r, 0);
	start_relayed(&d1, r.port, "relay_keep = 10;");
	start_relayed(&d2, r.port, "relay_keep = 10;");
	wait_log(&d1, "relay connected to");
	wait_log(&d2, "relay connected to");
	a = join_as(&d1, "alice");
	a2 = join_as(&d1, "carol");
	b = join_as(&d2, "bob");
	wait_end(a, " is now known as bob");
	wait_end(a2, " is now known as bob");
	p = buf = malloc(BURST * 16);
	for (i = 0; i < BURST; i++)
		p += sprintf(p, "n%d\n", i);
	cl_sendn(a, buf, (size_t)(p - buf));
	free(buf);
	snprintf(last, sizeof(last), "<alice> n%d", BURST - 1);
	who[0] = a2;
	who[1] = b;
	for (i = 0; i < 2; i++) {
		got = missed = 0;
		while ((line = cl_line(who[i], T_WAIT_MS)) != NULL) {
			missed += strcmp(line, MISSED) == 0;
			got += strncmp(line, "<alice> n", 9) == 0;
			if (strcmp(line, last) == 0)
				break;
		}
		/* The notice may follow the lines it is about. */
		while ((line = cl_line(who[i], 500 * sbd_wait_scale())) !=
		    NULL)
			missed += strcmp(line, MISSED) == 0;
		ck_assert_msg(got == BURST || missed > 0, "member %d got %d of "
		    "%d lines, and no notice", i, got, BURST);
	}
	cl_close(a);
	cl_close(a2);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

/*
 * A daemon killed with SIGKILL releases nothing: its members' leases run
 * out within relay_lease, the room is told they left, and their nicks
 * are free again.
 */
START_TEST(test_killed_daemon_leases_expire)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b, *c;
	char		 lease[64];

	/* As short as -t allows: twice the timeout. */
	snprintf(lease, sizeof(lease), "relay_lease = %d;",
	    2 * relay_timeout());
	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, lease);
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	wait_end(a, " is now known as bob");
	kill(d2.pid, SIGKILL);
	ck_assert_int_ge(sbd_wait_exit(&d2, T_WAIT_MS), 0);
	wait_line(a, "* bob has left (server unreachable)");
	cl_send(a, "/who\n");
	wait_line(a, "* online (1): alice");
	c = join_as(&d1, "bob");
	cl_close(c);
	cl_close(b);
	cl_close(a);
	ck_assert_int_eq(sbd_stop(&d1), 0);
	sbd_stop(&d2);			/* killed: its status is 137 */
	redis_free(&r);
}
END_TEST

/*
 * A reload keeps the running relay where it is (a changed room is logged
 * and waits for a restart) and the room goes on across daemons.
 */
START_TEST(test_reload_keeps_room)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b;
	char		 conf[1024];

	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, NULL);
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	snprintf(conf, sizeof(conf),
	    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; history = 5; byte_rate = 0;\n"
	    "  room_byte_rate = 0; max_output = 1048576;\n"
	    "  relay = \"127.0.0.1:%d\"; room = \"elsewhere\";\n"
	    "  relay_timeout = %d; } );\n", r.port, 2 * relay_timeout());
	sbd_reload(&d1, conf);
	wait_log(&d1, "take effect only at restart; still 127.0.0.1:");
	cl_send(a, "still here\n");
	wait_line(b, "<alice> still here");
	cl_close(a);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

/*
 * A reload that moves the relay to another address of the room's Redis
 * (its unix socket): the daemon's members are told the relay was lost
 * and is back, with nothing missed, the other daemon's hear nothing of
 * it, and the room goes on across daemons with the same nicks.
 */
START_TEST(test_reload_moves_relay)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b;
	char		 conf[1024];

	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, NULL);
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	wait_end(a, " is now known as bob");
	snprintf(conf, sizeof(conf),
	    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; history = 5; byte_rate = 0;\n"
	    "  room_byte_rate = 0; max_output = 1048576;\n"
	    "  relay = \"unix:%s/redis.sock\"; relay_timeout = %d; } );\n",
	    r.dir, relay_timeout());
	sbd_reload(&d1, conf);
	cl_expect(a, LOST);
	cl_expect(a, BACK);
	wait_log(&d1, "relay restored (unix:");
	ck_assert(!sbd_log_has(&d1, "may have been missed"));
	cl_send(b, "over there\n");
	cl_expect(a, "<bob> over there");
	cl_send(a, "and here\n");
	cl_expect(b, "<alice> and here");
	cl_send(b, "/who\n");
	cl_expect(b, "* online (2): alice, bob");
	cl_close(a);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

/*
 * A relay address where nothing listens: the relay is down until a
 * reload gives the right one, which is tried at once.
 */
START_TEST(test_reload_fixes_address)
{
	struct redis	 r;
	struct sbd	 d;
	struct client	*a;
	char		 conf[1024];
	int		 fd, port;

	redis_start(&r, 0);
	fd = port_taken(&port);
	close(fd);			/* nothing listens there now */
	start_relayed(&d, port, NULL);
	wait_log(&d, "relay unavailable: cannot connect to 127.0.0.1:");
	a = cl_tcp(sbd_port(&d, "lobby"));
	wait_line(a, LOST);
	snprintf(conf, sizeof(conf),
	    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; relay = \"127.0.0.1:%d\";\n"
	    "  relay_timeout = %d; } );\n", r.port, relay_timeout());
	sbd_reload(&d, conf);
	wait_line(a, BACK);
	cl_close(a);
	ck_assert_int_eq(sbd_stop(&d), 0);
	redis_free(&r);
}
END_TEST

/*
 * A wrong relay_password: the relay is down until a reload gives the
 * right one, which the next connection sends.
 */
START_TEST(test_reload_fixes_password)
{
	struct redis	 r;
	struct sbd	 d;
	struct client	*a;
	char		 out[256], conf[1024];
	const char *const set[] = { "CONFIG", "SET", "requirepass", "sekrit",
	    NULL };

	redis_start(&r, 0);
	ck_assert_int_gt(redis_cmd(&r, set, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "+OK\r\n");
	start_relayed(&d, r.port, "relay_password = \"wrong\";");
	wait_log(&d, "relay unavailable: ");
	a = cl_tcp(sbd_port(&d, "lobby"));
	wait_line(a, LOST);
	snprintf(conf, sizeof(conf),
	    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; relay = \"127.0.0.1:%d\";\n"
	    "  relay_timeout = %d; relay_password = \"sekrit\"; } );\n",
	    r.port, relay_timeout());
	sbd_reload(&d, conf);
	wait_line(a, BACK);
	ck_assert(!sbd_log_has(&d, "take effect only at restart"));
	cl_close(a);
	ck_assert_int_eq(sbd_stop(&d), 0);
	redis_free(&r);
}
END_TEST

/*
 * A Redis with a password: relay_password gets the daemon in; a wrong one
 * is a relay down for a reason the log gives, and the members are told.
 */
START_TEST(test_password)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b;
	char		 out[256];
	const char *const set[] = { "CONFIG", "SET", "requirepass", "sekrit",
	    NULL };

	redis_start(&r, 0);
	ck_assert_int_gt(redis_cmd(&r, set, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "+OK\r\n");
	start_relayed(&d1, r.port, "relay_password = \"sekrit\";");
	start_relayed(&d2, r.port, "relay_password = \"wrong\";");
	wait_log(&d1, "relay connected to");
	wait_log(&d2, "relay unavailable: ");
	ck_assert(sbd_log_has(&d2, "WRONGPASS"));
	a = join_as(&d1, "alice");
	b = cl_tcp(sbd_port(&d2, "lobby"));
	wait_line(b, LOST);
	cl_close(a);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

/* A control socket command's answer (cl_ask), on a connection of its own. */
static char *
ctl_ask(const char *path, const char *cmd)
{
	struct client	*c = cl_unix(path);
	char		*out = cl_ask(c, cmd);

	cl_close(c);
	return (out);
}

/* The metrics page. */
static char *
metrics_page(int port)
{
	static char	 out[65536];
	struct client	*c = cl_tcp(port);
	char		*line;
	size_t		 off = 0;

	cl_send(c, "GET /metrics HTTP/1.0\r\n\r\n");
	while ((line = cl_line(c, T_WAIT_MS)) != NULL)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s\n",
		    line);
	cl_close(c);
	return (out);
}

/*
 * The relay's state and figures in the control socket's stats and on the
 * metrics page, up, down, and back after an announced gap.
 */
START_TEST(test_relay_visible)
{
	struct redis	 r;
	struct sbd	 d;
	struct client	*a;
	char		 conf[1024], dir[64], sock[128], *log, *p;
	int		 mport;

	redis_start(&r, 0);
	ck_assert_int_eq(sb_tmpdir(dir, sizeof(dir), "sbrelayctl"), 0);
	snprintf(sock, sizeof(sock), "%s/c.sock", dir);
	snprintf(conf, sizeof(conf), "control_socket = \"%s\";\n"
	    "metrics_listen = [ \"127.0.0.1:0\" ];\n"
	    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; relay = \"127.0.0.1:%d\";\n"
	    "  relay_timeout = %d; } );\n", sock, r.port, relay_timeout());
	sbd_start(&d, conf);
	wait_log(&d, "relay connected to");
	log = sbd_log_text(&d);
	ck_assert_ptr_nonnull(p = strstr(log, " metrics: listening on "
	    "127.0.0.1:"));
	mport = atoi(p + strlen(" metrics: listening on 127.0.0.1:"));
	free(log);
	a = join_as(&d, "alice");
	ck_assert_ptr_nonnull(strstr(ctl_ask(sock, "stats"), " relay=up "
	    "relay_down_since=0 "));
	ck_assert_ptr_nonnull(strstr(metrics_page(mport),
	    "\nswitchboard_relay_up{service=\"lobby\"} 1\n"));
	redis_stop(&r);
	wait_line(a, LOST);
	ck_assert_ptr_nonnull(strstr(ctl_ask(sock, "stats"),
	    " relay=reconnecting "));
	ck_assert_ptr_nonnull(strstr(ctl_ask(sock, "stats"),
	    " relay_outages=1 "));
	ck_assert_ptr_nonnull(strstr(ctl_ask(sock, "stats"),
	    " relay_error="));
	ck_assert_ptr_nonnull(strstr(metrics_page(mport),
	    "\nswitchboard_relay_up{service=\"lobby\"} 0\n"));
	redis_restart(&r);
	wait_line(a, MISSED);
	wait_line(a, BACK);
	p = metrics_page(mport);
	ck_assert_ptr_nonnull(strstr(p, "\nswitchboard_relay_gaps_total{"
	    "service=\"lobby\",result=\"announced\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(p, "\nswitchboard_relay_outages_total{"
	    "service=\"lobby\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(p, "\nswitchboard_relay_up{service="
	    "\"lobby\"} 1\n"));
	cl_close(a);
	ck_assert_int_eq(sbd_stop(&d), 0);
	rmdir(dir);
	redis_free(&r);
}
END_TEST

/*
 * Redis is not there at start: the daemon starts, its members talk among
 * themselves and are told once why, and the log says why.
 */
START_TEST(test_no_redis_at_start)
{
	struct sbd	 d;
	struct client	*a, *b;
	int		 fd, port;

	fd = port_taken(&port);
	close(fd);			/* nothing listens there now */
	start_relayed(&d, port, NULL);
	wait_log(&d, "relay unavailable: cannot connect to 127.0.0.1:");
	a = cl_tcp(sbd_port(&d, "lobby"));
	wait_line(a, LOST);
	b = join_as(&d, "bob");
	wait_end(a, " is now known as bob");
	cl_send(b, "anyone here\n");
	cl_expect(a, "<bob> anyone here");
	/* Retries (at least two within a second) tell no one again. */
	ck_assert_int_eq(count_lines(a, LOST, 1000), 0);
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/* The configuration takes an IP or a unix socket, never a host name. */
START_TEST(test_relay_address_checked)
{
	static const struct {
		const char	*addr;
		int		 good;
	} cases[] = {
		{ "127.0.0.1:6379", 1 }, { "[::1]:6379", 1 },
		{ "unix:/run/redis/redis.sock", 1 },
		{ "redis.example:6379", 0 }, { "localhost:6379", 0 },
		{ "127.0.0.1", 0 }, { "127.0.0.1:0", 0 }, { "127.0.0.1:65536", 0 },
		{ "::1:6379", 0 }, { "unix:redis.sock", 0 }, { "", 1 },
	};
	struct sbd	 d;
	char		 out[4096], conf[512];
	const char	*argv[] = { "-t", "-c", NULL, NULL };
	size_t		 i;
	int		 rc;

	memset(&d, 0, sizeof(d));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(conf, sizeof(conf), "services = ( { name = \"lobby\"; "
		    "handler = \"chat-relay\";\n  listen = [ \"127.0.0.1:0\" ];"
		    "\n  relay = \"%s\"; } );\n", cases[i].addr);
		sbd_write_conf(&d, conf);
		argv[2] = d.conf;
		rc = sbd_run(argv, out, sizeof(out));
		if (cases[i].good)
			ck_assert_msg(rc == 0, "%s: %s", cases[i].addr, out);
		else
			ck_assert_msg(rc != 0 && strstr(out, "relay must be an "
			    "IP address and port") != NULL && strstr(out,
			    "not a host name") != NULL, "%s: %s", cases[i].addr,
			    out);
	}
	unlink(d.conf);
	rmdir(d.dir);
}
END_TEST

/* Two daemons, a member on each, both relayed through r. */
struct pair {
	struct sbd	 d1, d2;
	struct client	*a, *a2, *b;
};

static void
pair_start(struct pair *p, struct redis *r, const char *extra)
{
	start_relayed(&p->d1, r->port, extra);
	start_relayed(&p->d2, r->port, extra);
	wait_log(&p->d1, "relay connected to");
	wait_log(&p->d2, "relay connected to");
	p->a = join_as(&p->d1, "alice");
	p->a2 = join_as(&p->d1, "carol");
	p->b = join_as(&p->d2, "bob");
	wait_end(p->a, " is now known as bob");
	wait_end(p->a2, " is now known as bob");
	cl_send(p->a, "before\n");
	wait_line(p->b, "<alice> before");
	wait_line(p->a2, "<alice> before");
}

static void
pair_stop(struct pair *p)
{
	cl_close(p->a);
	cl_close(p->a2);
	cl_close(p->b);
	ck_assert_int_eq(sbd_stop(&p->d1), 0);
	ck_assert_int_eq(sbd_stop(&p->d2), 0);
}

/*
 * Redis goes away: each daemon's members still talk to each other and
 * are told once; when it is back, they are told, nothing is delivered
 * twice, and the room goes on across daemons.
 */
static void
outage(int persist)
{
	struct redis	 r;
	struct pair	 p;
	char		*line;

	redis_start(&r, persist);
	pair_start(&p, &r, NULL);
	redis_stop(&r);
	cl_expect(p.a, LOST);
	cl_expect(p.a2, LOST);
	cl_expect(p.b, LOST);
	ck_assert(sbd_wait_notify(&p.d1, "lobby relay reconnecting since ",
	    T_WAIT_MS));
	cl_send(p.a, "during\n");
	cl_expect(p.a2, "<alice> during");
	ck_assert(cl_quiet(p.b, 300));
	redis_restart(&r);
	if (!persist) {
		cl_expect(p.a, MISSED);
		cl_expect(p.b, MISSED);
	}
	cl_expect(p.a, BACK);
	cl_expect(p.b, BACK);
	cl_expect(p.a2, persist ? BACK : MISSED);
	ck_assert(sbd_wait_notify(&p.d2, persist ? " relayed, 1 gap "
	    "repaired, 0 announced;" : " relayed, 0 gaps repaired, 1 "
	    "announced;", T_WAIT_MS));
	ck_assert(sbd_wait_notify(&p.d2, "lobby relay up, ", T_WAIT_MS));
	cl_send(p.a, "after\n");
	cl_expect(p.b, "<alice> after");
	/* Nothing twice, nothing more. */
	ck_assert_int_eq(count_lines(p.a2, "<alice> during", 300), 0);
	ck_assert(cl_quiet(p.b, 0));
	/* The history is the stream's: with the data kept, all but during. */
	cl_close(p.b);
	p.b = cl_tcp(sbd_port(&p.d2, "lobby"));
	if (persist) {
		wait_line(p.b, "* last 2 messages:");
		line = cl_line(p.b, T_WAIT_MS);
		ck_assert(line != NULL && strstr(line, "<alice> before"));
		line = cl_line(p.b, T_WAIT_MS);
		ck_assert(line != NULL && strstr(line, "<alice> after"));
	}
	pair_stop(&p);
	redis_free(&r);
}

START_TEST(test_redis_restarted_with_data)
{
	outage(1);
}
END_TEST

START_TEST(test_redis_restarted_empty)
{
	outage(0);
}
END_TEST

/*
 * During an outage (Redis restarted empty) members of two daemons take
 * one nick, each locally: when the relay is back, one keeps it and the
 * other is told and renamed.
 */
START_TEST(test_nick_taken_during_outage)
{
	struct redis	 r;
	struct pair	 p;
	struct client	*x, *y;
	char		*line;
	int		 taken = 0, i;
	struct client	*both[2];

	redis_start(&r, 0);
	pair_start(&p, &r, NULL);
	redis_stop(&r);
	cl_expect(p.a, LOST);
	cl_expect(p.b, LOST);
	x = join_as(&p.d1, "dup");
	y = join_as(&p.d2, "dup");
	redis_restart(&r);
	wait_line(p.a, BACK);
	wait_line(p.b, BACK);
	both[0] = x;
	both[1] = y;
	for (i = 0; i < 2; i++) {
		while ((line = cl_line(both[i], 1000)) != NULL) {
			if (strcmp(line, "* your nick dup was taken on another "
			    "server while the relay was unavailable") == 0) {
				taken++;
				line = cl_line(both[i], T_WAIT_MS);
				ck_assert_msg(line != NULL && strncmp(line,
				    "* you are now known as guest", 28) == 0,
				    "%s", line);
			}
		}
	}
	ck_assert_int_eq(taken, 1);
	cl_close(x);
	cl_close(y);
	pair_stop(&p);
	redis_free(&r);
}
END_TEST

/*
 * Cut one daemon off from Redis: kill its connections (the unix socket's)
 * and move the socket away so it cannot come back. Returns how many
 * connections were killed.
 */
static int
cut_off_unix(struct redis *r)
{
	const char *const list[] = { "CLIENT", "LIST", NULL };
	char		 out[65536], from[160], to[160], id[32], *p;
	const char	*kill[] = { "CLIENT", "KILL", "ID", NULL, NULL };
	int		 n = 0;

	snprintf(from, sizeof(from), "%s/redis.sock", r->dir);
	snprintf(to, sizeof(to), "%s/away.sock", r->dir);
	ck_assert_int_eq(rename(from, to), 0);
	ck_assert_int_gt(redis_cmd(r, list, out, sizeof(out)), 0);
	for (p = out; (p = strstr(p, "id=")) != NULL; p++) {
		if (strncmp(strchr(p, ' ') + 1, "addr=/", 6) != 0)
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)strcspn(p + 3, " "),
		    p + 3);
		kill[3] = id;
		redis_cmd(r, kill, to, sizeof(to));
		n++;
	}
	return (n);
}

/* Let the daemon cut off by cut_off_unix come back. */
static void
reconnect_unix(struct redis *r)
{
	char	from[160], to[160];

	snprintf(from, sizeof(from), "%s/away.sock", r->dir);
	snprintf(to, sizeof(to), "%s/redis.sock", r->dir);
	ck_assert_int_eq(rename(from, to), 0);
}

/*
 * One daemon cut off from Redis while the other goes on: its members talk
 * locally; when it is back, what was said on the other daemon meanwhile
 * (still in the stream) reaches them, in order, once, with no "missed".
 */
START_TEST(test_partition_repaired)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *a2, *b;
	char		 conf[1024], *line;
	int		 i;

	redis_start(&r, 0);
	snprintf(conf, sizeof(conf),
	    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; history = 5; byte_rate = 0;\n"
	    "  room_byte_rate = 0; relay = \"unix:%s/redis.sock\";\n"
	    "  relay_timeout = %d; } );\n", r.dir, relay_timeout());
	sbd_start(&d1, conf);
	start_relayed(&d2, r.port, NULL);
	wait_log(&d1, "relay connected to");
	wait_log(&d2, "relay connected to");
	a = join_as(&d1, "alice");
	a2 = join_as(&d1, "carol");
	b = join_as(&d2, "bob");
	wait_end(a, " is now known as bob");
	wait_end(a2, " is now known as bob");
	ck_assert_int_eq(cut_off_unix(&r), 2);
	wait_line(a, LOST);
	wait_line(a2, LOST);
	cl_send(a, "only here\n");
	cl_expect(a2, "<alice> only here");
	for (i = 1; i <= 3; i++) {
		snprintf(conf, sizeof(conf), "meanwhile %d\n", i);
		cl_send(b, conf);
	}
	reconnect_unix(&r);
	cl_expect(a, BACK);
	cl_expect(a, "<bob> meanwhile 1");
	cl_expect(a, "<bob> meanwhile 2");
	cl_expect(a, "<bob> meanwhile 3");
	cl_expect(a2, BACK);
	cl_expect(a2, "<bob> meanwhile 1");
	ck_assert(sbd_wait_notify(&d1, " 1 gap repaired, 0 announced;",
	    T_WAIT_MS));
	cl_send(b, "and now\n");
	cl_expect(a, "<bob> and now");	/* nothing twice, nothing missed */
	/* bob never heard of the local line, nor of an outage. */
	while ((line = cl_line(b, 300)) != NULL)
		ck_assert_msg(strstr(line, "only here") == NULL &&
		    strcmp(line, LOST) != 0 && strcmp(line, BACK) != 0, "%s",
		    line);
	cl_close(a);
	cl_close(a2);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

/*
 * Redis stops answering (SIGSTOP) for longer than the timeout: both
 * daemons notice, a line said meanwhile reaches the members of its own
 * daemon once, and after SIGCONT the room is restored without a
 * duplicate (the line may reach the other daemon late, once, if Redis
 * took it before the relay gave up).
 */
START_TEST(test_redis_paused)
{
	struct redis	 r;
	struct pair	 p;
	char		*line;
	int		 paused = 0;

	redis_start(&r, 0);
	pair_start(&p, &r, NULL);
	redis_signal(&r, SIGSTOP);
	cl_send(p.a, "paused\n");
	cl_expect(p.a, LOST);
	cl_expect(p.b, LOST);
	redis_signal(&r, SIGCONT);
	cl_expect(p.a, BACK);
	cl_expect(p.b, BACK);
	cl_send(p.b, "resumed\n");
	/* Everything carol got, up to bob's line: alice's line once. */
	while ((line = cl_line(p.a2, T_WAIT_MS)) != NULL &&
	    strcmp(line, "<bob> resumed") != 0)
		paused += strcmp(line, "<alice> paused") == 0;
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(paused, 1);
	ck_assert_int_eq(count_lines(p.a2, "<alice> paused", 300), 0);
	ck_assert_int_le(count_lines(p.b, "<alice> paused", 300), 1);
	ck_assert(sbd_log_has(&p.d1, "no answer within"));
	pair_stop(&p);
	redis_free(&r);
}
END_TEST

/*
 * Lines waiting for a Redis that does not answer take at most
 * relay_queue bytes: past it the sender is told its line was not sent;
 * those taken reach its daemon's members once when the relay gives up.
 */
START_TEST(test_queue_bounded)
{
	struct redis	 r;
	struct pair	 p;
	char		 text[160], *line;
	int		 i, busy = 0, got = 0;

	redis_start(&r, 0);
	pair_start(&p, &r, "relay_queue = 1024;");
	redis_signal(&r, SIGSTOP);
	memset(text, 'x', sizeof(text));
	for (i = 0; i < 30; i++) {
		snprintf(text, sizeof(text), "fill %02d %.*s\n", i, 90,
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		cl_send(p.a, text);
	}
	while ((line = cl_line(p.a, T_WAIT_MS)) != NULL &&
	    strcmp(line, LOST) != 0)
		busy += strcmp(line, "* relay busy: your message was not "
		    "sent, try again") == 0;
	ck_assert_ptr_nonnull(line);
	redis_signal(&r, SIGCONT);
	cl_expect(p.a, BACK);
	cl_send(p.b, "done\n");
	while ((line = cl_line(p.a2, T_WAIT_MS)) != NULL &&
	    strcmp(line, "<bob> done") != 0)
		got += strncmp(line, "<alice> fill ", 13) == 0;
	ck_assert_ptr_nonnull(line);
	ck_assert_int_ge(busy, 15);
	ck_assert_int_eq(got + busy, 30);
	pair_stop(&p);
	redis_free(&r);
}
END_TEST

/*
 * A "Redis" that takes the connection and never answers: the relay gives
 * up after its timeout, tells the members, and they talk locally.
 */
START_TEST(test_redis_never_answers)
{
	struct sbd	 d;
	struct client	*a, *b;
	int		 fd, port;

	fd = port_taken(&port);		/* listens, never accepts */
	start_relayed(&d, port, NULL);
	a = cl_tcp(sbd_port(&d, "lobby"));
	wait_line(a, LOST);
	wait_log(&d, "no answer within");
	b = join_as(&d, "bob");
	cl_send(b, "still here\n");
	wait_line(a, "<bob> still here");
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
	close(fd);
}
END_TEST

/*
 * Redis restarted empty while the daemons had seen no line of the room
 * (their members joined during the outage): nothing in the stream tells
 * them what they missed, but the room's epoch key is gone, so each
 * daemon's members are told lines may have been missed, as after any
 * gap, and the room goes on.
 */
START_TEST(test_redis_emptied_before_any_line)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b;

	redis_start(&r, 0);
	start_two(&d1, &d2, r.port, NULL);
	redis_stop(&r);
	wait_log(&d1, "relay unavailable: ");
	wait_log(&d2, "relay unavailable: ");
	a = join_as(&d1, "alice");
	b = join_as(&d2, "bob");
	redis_restart(&r);
	wait_line(a, MISSED);
	cl_expect(a, BACK);
	wait_line(b, MISSED);
	cl_expect(b, BACK);
	ck_assert(sbd_wait_notify(&d1, " 0 gaps repaired, 1 announced;",
	    T_WAIT_MS));
	ck_assert(sbd_wait_notify(&d2, " 0 gaps repaired, 1 announced;",
	    T_WAIT_MS));
	ck_assert(sbd_log_has(&d1, "lines may have been missed: Redis has "
	    "lost the room's data"));
	cl_send(a, "after\n");
	wait_line(b, "<alice> after");
	cl_close(a);
	cl_close(b);
	stop_two(&d1, &d2, &r);
}
END_TEST

#define FAREWELLS	400		/* members of the daemon stopped */

/*
 * A daemon stopped with SIGTERM hands Redis its members' farewells
 * before it exits, however many, even when its members go at once and
 * Redis is slow to read them (paused for a moment, well within
 * relay_timeout): the members of the other daemons are told they left
 * at once, not when their leases run out (30 s here), and their nicks
 * are free.
 */
START_TEST(test_sigterm_farewells)
{
	static struct client	*m[FAREWELLS];
	struct redis		 r;
	struct sbd		 d1, d2;
	struct client		*b, *c;
	char			 nick[32], *line;
	int			 seen[FAREWELLS] = { 0 }, got = 0, i, n;
	long			 end;

	/* Fewer under valgrind: the daemon waits one second at most. */
	n = FAREWELLS / sbd_wait_scale();

	redis_start(&r, 0);
	start_relayed_timeout(&d1, r.port, 2000, "relay_lease = 30000;");
	start_relayed_timeout(&d2, r.port, 2000, "relay_lease = 30000;");
	wait_log(&d1, "relay connected to");
	wait_log(&d2, "relay connected to");
	b = join_as(&d2, "bob");
	for (i = 0; i < n; i++) {
		snprintf(nick, sizeof(nick), "m%d", i);
		m[i] = join_as(&d1, nick);
	}
	snprintf(nick, sizeof(nick), " is now known as m%d", n - 1);
	wait_end(b, nick);
	redis_signal(&r, SIGSTOP);
	kill(d1.pid, SIGTERM);
	for (i = 0; i < n; i++)
		cl_reset(m[i]);
	sbd_wait_exit(&d1, 300);	/* Redis paused this long at most */
	redis_signal(&r, SIGCONT);
	ck_assert_int_eq(sbd_wait_exit(&d1, T_WAIT_MS), 0);
	ck_assert_int_eq(sbd_stop(&d1), 0);
	end = mono_ms() + 3000 * sbd_wait_scale();
	while (got < n) {
		line = cl_line(b, (int)(end > mono_ms() ? end - mono_ms() : 0));
		ck_assert_msg(line != NULL, "%d farewells of %d within 3 s",
		    got, n);
		if (sscanf(line, "* m%d has left (", &i) == 1 && i >= 0 &&
		    i < n && !seen[i]) {
			seen[i] = 1;
			got++;
		}
	}
	cl_send(b, "/who\n");
	wait_line(b, "* online (1): bob");
	c = join_as(&d2, "m0");
	cl_close(c);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d2), 0);
	redis_free(&r);
}
END_TEST

/*
 * SIGTERM while Redis does not answer (SIGSTOP), with a long
 * relay_timeout, members going at once: the daemon waits for the
 * farewells a second at most, then exits 0.
 */
START_TEST(test_sigterm_redis_paused)
{
	struct redis	 r;
	struct sbd	 d;
	struct client	*a, *a2;

	redis_start(&r, 0);
	start_relayed_timeout(&d, r.port, 20000, "relay_lease = 40000;");
	wait_log(&d, "relay connected to");
	a = join_as(&d, "alice");
	a2 = join_as(&d, "carol");
	wait_end(a, " is now known as carol");
	redis_signal(&r, SIGSTOP);
	kill(d.pid, SIGTERM);
	cl_reset(a);
	cl_reset(a2);
	ck_assert_int_eq(sbd_wait_exit(&d, 3000 * sbd_wait_scale()), 0);
	ck_assert(sbd_log_has(&d, "Redis did not confirm the members' "
	    "farewells in time"));
	ck_assert_int_eq(sbd_stop(&d), 0);
	redis_signal(&r, SIGCONT);
	redis_free(&r);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_relay");
	TCase	*tc = tcase_create("room");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_two_daemons);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_history_elsewhere);
	tcase_add_test(tc, test_who_and_notices);
	tcase_add_test(tc, test_nick_collision);
	tcase_add_test(tc, test_msg_across);
	tcase_add_test(tc, test_lines_before_welcome);
	tcase_add_test(tc, test_gone_before_named);
	tcase_add_test(tc, test_stop_while_naming);
	tcase_add_test(tc, test_burst_trimmed);
	tcase_add_test(tc, test_entry_too_long);
	tcase_add_test(tc, test_killed_daemon_leases_expire);
	tcase_add_test(tc, test_reload_keeps_room);
	tcase_add_test(tc, test_reload_moves_relay);
	tcase_add_test(tc, test_reload_fixes_address);
	tcase_add_test(tc, test_reload_fixes_password);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_no_redis_at_start);
	tcase_add_test(tc, test_relay_address_checked);
	tcase_add_test(tc, test_password);
	tcase_add_test(tc, test_relay_visible);
	tcase_add_test(tc, test_redis_restarted_with_data);
	tcase_add_test(tc, test_redis_restarted_empty);
	tcase_add_test(tc, test_nick_taken_during_outage);
	tcase_add_test(tc, test_partition_repaired);
	tcase_add_test(tc, test_redis_paused);
	tcase_add_test(tc, test_redis_never_answers);
	tcase_add_test(tc, test_scripts_refused);
	tcase_add_test(tc, test_flapping_backs_off);
	tcase_add_test(tc, test_redis_full);
	tcase_add_test(tc, test_queue_bounded);
	tcase_add_test(tc, test_redis_emptied_before_any_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("stop");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sigterm_farewells);
	tcase_add_test(tc, test_sigterm_redis_paused);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_relay"));
}

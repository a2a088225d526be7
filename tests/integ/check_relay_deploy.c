/*
 * switchboard integration tests: the relay as it is deployed. Daemons
 * that share one port (reuse_port) and one room, a Redis on ::1, and a
 * Redis that logs clients in as ACL users (relay_user).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"
#include "redis.h"
#include "relay_test.h"

#define LOST	"* relay unavailable: only members on this server receive " \
		"your messages"
#define MAX_TRIES	40		/* clients to land some on each daemon */

/* The daemons sharing a port, and which of them each client is on. */
struct shared {
	struct sbd	 d[2];
	const char	*name[2];
	int		 port;
	struct client	*c[MAX_TRIES];
	char		 nick[MAX_TRIES][40];	/* its nick, as it changes */
	int		 on[MAX_TRIES];
	int		 n;
	int		 count[2];
};

/* Read lines until one starts with head, skipping others; that line. */
static char *
wait_start(struct client *c, const char *head)
{
	char	*line;

	for (;;) {
		line = cl_line(c, T_WAIT_MS);
		ck_assert_msg(line != NULL, "never got \"%s...\"", head);
		if (strncmp(line, head, strlen(head)) == 0)
			return (line);
	}
}

/*
 * Take the client's welcome ("* welcome to SERVICE, you are NICK; ...");
 * the service it names in buf, its nick in nick (if not NULL).
 */
static void
welcome_of(struct client *c, char *buf, size_t size, char *nick,
    size_t nsize)
{
	const char	*line = cl_line(c, T_WAIT_MS), *p;
	size_t		 n;

	ck_assert_msg(line != NULL && strncmp(line, "* welcome to ", 13) == 0,
	    "no welcome: %s", line != NULL ? line : "(none)");
	p = line + 13;
	n = strcspn(p, ",");
	ck_assert_uint_lt(n, size);
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (nick == NULL)
		return;
	ck_assert_ptr_nonnull(p = strstr(p, ", you are "));
	p += 10;
	n = strcspn(p, ";");
	ck_assert_uint_lt(n, nsize);
	memcpy(nick, p, n);
	nick[n] = '\0';
}

/* Take a nick; fail unless the daemon says it is ours. */
static void
nick(struct client *c, const char *name)
{
	char	cmd[64], want[64];

	snprintf(cmd, sizeof(cmd), "/nick %s\n", name);
	snprintf(want, sizeof(want), "* you are now known as %s", name);
	cl_send(c, cmd);
	wait_line(c, want);
}

/* Join the daemon's lobby (its welcome taken) as name. */
static struct client *
join_as(struct sbd *d, const char *service, const char *name)
{
	struct client	*c = cl_tcp(sbd_port(d, service));
	char		 room[64];

	welcome_of(c, room, sizeof(room), NULL, 0);
	ck_assert_str_eq(room, service);
	nick(c, name);
	return (c);
}

/*
 * Does /who's answer ("* online (N): a, b, c") count n members, and list
 * n names, name among them once? With name NULL: and not "e1" nor "e2".
 */
static int
who_has(const char *line, int n, const char *name)
{
	char	head[32], list[4096], *tok, *save;
	int	found = 0, count = 0;

	snprintf(head, sizeof(head), "* online (%d): ", n);
	if (strncmp(line, head, strlen(head)) != 0)
		return (0);
	snprintf(list, sizeof(list), "%s", line + strlen(head));
	for (tok = strtok_r(list, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		count++;
		if (name != NULL)
			found += strcmp(tok, name) == 0;
		else
			found += strcmp(tok, "e1") == 0 ||
			    strcmp(tok, "e2") == 0;
	}
	return (count == n && found == (name != NULL ? 1 : 0));
}

/* Read lines until each of daemon i's members is said to have left. */
static void
wait_left(struct client *c, struct shared *s, int i)
{
	char	*line, want[64];
	int	 j, left = 0, gone[MAX_TRIES] = { 0 };

	while (left < s->count[i]) {
		line = cl_line(c, T_WAIT_MS);
		ck_assert_msg(line != NULL, "%d of %d members of %s left",
		    left, s->count[i], s->name[i]);
		for (j = 0; j < s->n; j++) {
			snprintf(want, sizeof(want), "* %s has left",
			    s->nick[j]);
			if (s->on[j] == i && !gone[j] &&
			    strncmp(line, want, strlen(want)) == 0) {
				gone[j] = 1;
				left++;
			}
		}
	}
}

/*
 * Start a daemon whose chat service name, on port (0: a free one), shares
 * the port with reuse_port and the room "lobby" through Redis at relay.
 */
static void
start_shared(struct sbd *d, const char *name, int port, const char *relay,
    const char *extra)
{
	char	conf[1024];

	snprintf(conf, sizeof(conf),
	    "services = ( { name = \"%s\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:%d\" ]; reuse_port = true;\n"
	    "  history = 5; byte_rate = 0; room_byte_rate = 0;\n"
	    "  max_output = 1048576; room = \"lobby\";\n"
	    "  relay = \"%s\"; relay_timeout = %d; %s } );\n",
	    name, port, relay, relay_timeout(), extra != NULL ? extra : "");
	sbd_start(d, conf);
}

/*
 * Two daemons on one port: connect clients to it until at least two are
 * on each. The welcome names the service, and the services' names differ
 * (their room is the same), so it says which daemon took the client.
 */
static void
shared_start(struct shared *s, int redis_port)
{
	char	relay[64], room[64];
	int	i;

	memset(s, 0, sizeof(*s));
	s->name[0] = "east";
	s->name[1] = "west";
	snprintf(relay, sizeof(relay), "127.0.0.1:%d", redis_port);
	start_shared(&s->d[0], s->name[0], 0, relay, NULL);
	s->port = sbd_port(&s->d[0], s->name[0]);
	start_shared(&s->d[1], s->name[1], s->port, relay, NULL);
	ck_assert_int_ne(s->d[0].pid, s->d[1].pid);
	wait_log(&s->d[0], "relay connected to");
	wait_log(&s->d[1], "relay connected to");
	while (s->count[0] < 2 || s->count[1] < 2) {
		ck_assert_msg(s->n < MAX_TRIES, "%d clients: %d on east, %d "
		    "on west", s->n, s->count[0], s->count[1]);
		s->c[s->n] = cl_tcp(s->port);
		welcome_of(s->c[s->n], room, sizeof(room), s->nick[s->n],
		    sizeof(s->nick[s->n]));
		for (i = 0; i < 2 && strcmp(room, s->name[i]) != 0; i++)
			;
		ck_assert_msg(i < 2, "welcome to %s", room);
		s->on[s->n++] = i;
		s->count[i]++;
	}
}

/* The k-th client (from 0) on daemon i takes the nick name. */
static struct client *
shared_nick(struct shared *s, int i, int k, const char *name)
{
	int	j;

	for (j = 0; j < s->n; j++) {
		if (s->on[j] == i && k-- == 0) {
			nick(s->c[j], name);
			snprintf(s->nick[j], sizeof(s->nick[j]), "%s", name);
			return (s->c[j]);
		}
	}
	ck_abort_msg("no client %d on %s", k, s->name[i]);
	return (NULL);
}

/*
 * reuse_port and the relay together: two daemons share one port and one
 * room. Whichever daemon the kernel gives a client, it is in the room:
 * lines cross, /who lists every member of both. Once one daemon stops,
 * the other takes every new client on the port, its members stay, the
 * stopped daemon's members are gone from /who, and the history is the
 * room's.
 */
START_TEST(test_reuse_port_shared_room)
{
	struct redis	 r;
	struct shared	 s;
	struct client	*e1, *e2, *w1, *w2, *late = NULL;
	char		 room[64], *line;
	int		 i;

	redis_start(&r, 0);
	shared_start(&s, r.port);
	e1 = shared_nick(&s, 0, 0, "e1");
	e2 = shared_nick(&s, 0, 1, "e2");
	w1 = shared_nick(&s, 1, 0, "w1");
	w2 = shared_nick(&s, 1, 1, "w2");

	cl_send(e1, "hello from east\n");
	wait_line(w1, "<e1> hello from east");
	wait_line(w2, "<e1> hello from east");
	wait_line(e2, "<e1> hello from east");
	cl_send(w2, "hello from west\n");
	wait_line(e1, "<w2> hello from west");
	wait_line(e2, "<w2> hello from west");
	wait_line(w1, "<w2> hello from west");

	cl_send(e1, "/who\n");
	line = wait_start(e1, "* online (");
	ck_assert_msg(who_has(line, s.n, "e1") && who_has(line, s.n, "e2") &&
	    who_has(line, s.n, "w1") && who_has(line, s.n, "w2"),
	    "%d members: %s", s.n, line);
	cl_send(w1, "/who\n");
	line = wait_start(w1, "* online (");
	ck_assert_msg(who_has(line, s.n, "e1") && who_has(line, s.n, "w2"),
	    "%d members: %s", s.n, line);

	/* East stops: its members leave the room, west keeps the port. */
	ck_assert_int_eq(sbd_stop(&s.d[0]), 0);
	ck_assert(cl_eof(e1, T_WAIT_MS));
	wait_left(w1, &s, 0);
	wait_left(w2, &s, 0);
	for (i = 0; i < 10; i++) {
		if (late != NULL)
			cl_close(late);
		late = cl_tcp(s.port);
		welcome_of(late, room, sizeof(room), NULL, 0);
		ck_assert_str_eq(room, "west");
	}
	wait_line(late, "* last 2 messages:");
	line = cl_line(late, T_WAIT_MS);
	ck_assert_msg(line != NULL && strstr(line, "] <e1> hello from east") !=
	    NULL, "history: %s", line != NULL ? line : "(none)");
	line = cl_line(late, T_WAIT_MS);
	ck_assert_msg(line != NULL && strstr(line, "] <w2> hello from west") !=
	    NULL, "history: %s", line != NULL ? line : "(none)");
	wait_line(late, "* end of history");
	nick(late, "late");
	cl_send(late, "after east\n");
	wait_line(w1, "<late> after east");
	wait_line(w2, "<late> after east");
	cl_send(w2, "/who\n");
	line = wait_start(w2, "* online (");
	ck_assert_msg(who_has(line, s.count[1] + 1, "w1") &&
	    who_has(line, s.count[1] + 1, "w2") &&
	    who_has(line, s.count[1] + 1, "late") &&
	    who_has(line, s.count[1] + 1, NULL), "%d west members and late: %s",
	    s.count[1], line);

	cl_close(late);
	for (i = 0; i < s.n; i++)
		cl_close(s.c[i]);
	ck_assert_int_eq(sbd_stop(&s.d[1]), 0);
	redis_free(&r);
}
END_TEST

/* The config of a daemon whose lobby is relayed through relay. */
static void
relayed_conf(char *conf, size_t size, const char *relay, const char *extra)
{
	snprintf(conf, size,
	    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; history = 5;\n"
	    "  relay = \"%s\"; relay_timeout = %d; %s } );\n",
	    relay, relay_timeout(), extra != NULL ? extra : "");
}

/* Start a daemon whose lobby is relayed through relay. */
static void
start_relayed(struct sbd *d, const char *relay, const char *extra)
{
	char	conf[1024];

	relayed_conf(conf, sizeof(conf), relay, extra);
	sbd_start(d, conf);
}

/* A Redis on ::1 only: two daemons relay through "[::1]:PORT". */
START_TEST(test_ipv6_redis)
{
	struct redis	 r;
	struct sbd	 d1, d2;
	struct client	*a, *b;
	char		 relay[64];

	if (!redis_has_ipv6()) {
		fprintf(stderr, "check_relay_deploy: no ::1 on this machine, "
		    "test_ipv6_redis skipped\n");
		return;
	}
	redis_start_at(&r, "::1", NULL);
	ck_assert_msg(!port_open(r.port), "Redis on ::1 answers on "
	    "127.0.0.1:%d too", r.port);
	snprintf(relay, sizeof(relay), "[::1]:%d", r.port);
	start_relayed(&d1, relay, NULL);
	start_relayed(&d2, relay, NULL);
	wait_log(&d1, "relay connected to [::1]:");
	wait_log(&d2, "relay connected to [::1]:");
	a = join_as(&d1, "lobby", "alice");
	b = join_as(&d2, "lobby", "bob");
	cl_send(b, "over six\n");
	wait_line(a, "<bob> over six");
	cl_send(a, "and back\n");
	wait_line(b, "<alice> and back");
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d1), 0);
	ck_assert_int_eq(sbd_stop(&d2), 0);
	redis_free(&r);
}
END_TEST

/*
 * A Redis whose default user is off, and whose one user, sb, may run only
 * the commands the relay uses (its scripts' included) on the keys of the
 * default relay_prefix: what man/switchboard.conf.5 suggests.
 */
static const char *const acl_args[] = {
	"--user", "default", "off",
	"--user", "sb", "on", ">s3cret", "~switchboard:*", "resetchannels",
	"-@all", "+eval", "+xadd", "+xread", "+xrange", "+xrevrange",
	"+hget", "+hset", "+hdel", "+hgetall", "+incr", "+time",
	NULL
};

/*
 * Redis ACL users: with relay_user and its password the room spans two
 * daemons; a wrong password for the user, or the right one without the
 * user (the default user's, which is off), keeps a daemon's members to
 * themselves, and its log says why. A reload's new user waits for the
 * next connection.
 */
START_TEST(test_acl_user)
{
	struct redis	 r;
	struct sbd	 d1, d2, d3, d4;
	struct client	*a, *b, *c, *c2, *e;
	char		 relay[64], conf[1024];

	redis_start_at(&r, "127.0.0.1", acl_args);
	snprintf(relay, sizeof(relay), "127.0.0.1:%d", r.port);
	start_relayed(&d1, relay, "relay_user = \"sb\"; "
	    "relay_password = \"s3cret\";");
	start_relayed(&d2, relay, "relay_user = \"sb\"; "
	    "relay_password = \"s3cret\";");
	start_relayed(&d3, relay, "relay_user = \"sb\"; "
	    "relay_password = \"wrong\";");
	start_relayed(&d4, relay, "relay_password = \"s3cret\";");
	wait_log(&d1, "relay connected to");
	wait_log(&d2, "relay connected to");
	wait_log(&d3, "relay unavailable: ");
	wait_log(&d4, "relay unavailable: ");
	ck_assert(sbd_log_has(&d3, "WRONGPASS"));
	ck_assert(sbd_log_has(&d4, "WRONGPASS"));
	ck_assert(!sbd_log_has(&d3, "s3cret") && !sbd_log_has(&d3, "wrong"));

	a = join_as(&d1, "lobby", "alice");
	b = join_as(&d2, "lobby", "bob");
	cl_send(a, "as sb\n");
	wait_line(b, "<alice> as sb");

	/* Refused: members of d3 talk among themselves, told so. */
	c = cl_tcp(sbd_port(&d3, "lobby"));
	wait_line(c, LOST);
	c2 = cl_tcp(sbd_port(&d3, "lobby"));
	wait_line(c2, LOST);
	cl_send(c2, "/nick carol\n");
	wait_line(c2, "* you are now known as carol");
	cl_send(c2, "only here\n");
	wait_line(c, "<carol> only here");
	e = cl_tcp(sbd_port(&d4, "lobby"));
	wait_line(e, LOST);

	/* A new user is for the next connection: this one goes on. */
	relayed_conf(conf, sizeof(conf), relay, "relay_user = \"other\"; "
	    "relay_password = \"s3cret\";");
	sbd_reload(&d1, conf);
	wait_log(&d1, "new user or password, sent from the next connection "
	    "on");
	cl_send(b, "still sb\n");
	wait_line(a, "<bob> still sb");
	ck_assert(cl_quiet(a, 300));		/* carol's line stayed on d3 */

	cl_close(a);
	cl_close(b);
	cl_close(c);
	cl_close(c2);
	cl_close(e);
	ck_assert_int_eq(sbd_stop(&d1), 0);
	ck_assert_int_eq(sbd_stop(&d2), 0);
	ck_assert_int_eq(sbd_stop(&d3), 0);
	ck_assert_int_eq(sbd_stop(&d4), 0);
	redis_free(&r);
}
END_TEST

/*
 * switchboardd -t takes relay_user with relay_password, and refuses it
 * alone at the service's line.
 */
START_TEST(test_relay_user_checked)
{
	static const struct {
		const char	*keys;
		const char	*error;		/* NULL: good */
	} cases[] = {
		{ "relay_user = \"sb\"; relay_password = \"pw\";", NULL },
		{ "relay_password = \"pw\";", NULL },
		{ "relay_user = \"sb\";", ":2: service \"lobby\": relay_user "
		  "needs relay_password" },
		{ "relay_user = \"sb\"; relay_password = \"\";", ":2: service "
		  "\"lobby\": relay_user needs relay_password" },
		{ "relay_user = 7; relay_password = \"pw\";", ":4: relay_user" },
	};
	struct sbd	 d;
	char		 out[4096], conf[512], want[256];
	const char	*argv[] = { "-t", "-c", NULL, NULL };
	size_t		 i;
	int		 rc;

	memset(&d, 0, sizeof(d));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(conf, sizeof(conf), "\nservices = ( { name = "
		    "\"lobby\"; handler = \"chat-relay\";\n"
		    "  listen = [ \"127.0.0.1:0\" ]; relay = \"[::1]:6379\";\n"
		    "  %s } );\n", cases[i].keys);
		sbd_write_conf(&d, conf);
		argv[2] = d.conf;
		rc = sbd_run(argv, out, sizeof(out));
		if (cases[i].error == NULL) {
			ck_assert_msg(rc == 0 && strstr(out,
			    "configuration OK") != NULL, "%s: %d %s",
			    cases[i].keys, rc, out);
			continue;
		}
		snprintf(want, sizeof(want), "%s%s", d.conf, cases[i].error);
		ck_assert_msg(rc == 78 && strstr(out, want) != NULL,
		    "%s: exit %d, want %s in: %s", cases[i].keys, rc, want,
		    out);
	}
	unlink(d.conf);
	rmdir(d.dir);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_relay_deploy");
	TCase	*tc = tcase_create("deploy");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_reuse_port_shared_room);
	tcase_add_test(tc, test_ipv6_redis);
	tcase_add_test(tc, test_acl_user);
	tcase_add_test(tc, test_relay_user_checked);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_relay_deploy"));
}

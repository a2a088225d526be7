/*
 * switchboard unit tests: the chat-relay handler through the test harness
 * (switchboard-testing(3)): joining, nicks, /who, /msg, /me, history,
 * the rate budget on the fake clock, slow members, leaving, reloads.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include <switchboard/handler.h>
#include <switchboard/testing.h>

#include "../check_common.h"

extern const struct sb_handler chat_relay_handler;

static struct sb_service	*svc;

/* The lobby, started with options. */
static void
lobby(const char *options)
{
	svc = sb_test_service(&chat_relay_handler, "lobby", options);
	ck_assert_msg(svc != NULL, "refused: %s", sb_test_error());
	ck_assert_int_eq(sb_test_start(svc), 0);
}

/* A member joins; its welcome (and history) is read and dropped. */
static struct sb_conn *
join(const char *peer)
{
	struct sb_conn	*c = sb_test_open(svc, peer);

	ck_assert_ptr_nonnull(sb_test_read(c));
	while (sb_test_read(c) != NULL)
		;
	return (c);
}

/* A joined member named nick; everyone's output is drained. */
static struct sb_conn *
member(const char *peer, const char *nick, struct sb_conn *const *others)
{
	struct sb_conn	*c = join(peer);
	char		 line[64];

	snprintf(line, sizeof(line), "/nick %s", nick);
	sb_test_line(c, line);
	snprintf(line, sizeof(line), "* you are now known as %s", nick);
	ck_assert_str_eq(sb_test_read(c), line);
	for (; others != NULL && *others != NULL; others++)
		while (sb_test_read(*others) != NULL)
			;
	return (c);
}

static void
teardown(void)
{
	sb_test_service_free(svc);
	svc = NULL;
}

/* The welcome names the room and who is online; the room hears of it. */
START_TEST(test_join)
{
	struct sb_conn	*a, *b;

	lobby(NULL);
	a = sb_test_open(svc, "127.0.0.1:1001");
	ck_assert_str_eq(sb_test_read(a), "* welcome to lobby, you are "
	    "guest1; online (1): guest1; /help lists commands");
	ck_assert_ptr_null(sb_test_read(a));		/* no history yet */
	b = sb_test_open(svc, "127.0.0.1:1002");
	ck_assert_str_eq(sb_test_read(a), "* guest2 has joined");
	ck_assert_str_eq(sb_test_read(b), "* welcome to lobby, you are "
	    "guest2; online (2): guest1, guest2; /help lists commands");
	ck_assert_ptr_null(sb_test_read(b));
}
END_TEST

/* Plain lines go to everyone else; // sends a line starting with /. */
START_TEST(test_say)
{
	struct sb_conn	*a, *b, *c;

	lobby(NULL);
	a = join("127.0.0.1:1001");
	b = join("127.0.0.1:1002");
	c = join("127.0.0.1:1003");
	while (sb_test_read(a) != NULL || sb_test_read(b) != NULL)
		;
	sb_test_line(a, "hello\x07 there");
	ck_assert_str_eq(sb_test_read(b), "<guest1> hello there");
	ck_assert_str_eq(sb_test_read(c), "<guest1> hello there");
	ck_assert_ptr_null(sb_test_read(a));
	sb_test_line(b, "//etc/passwd");
	ck_assert_str_eq(sb_test_read(a), "<guest2> /etc/passwd");
	sb_test_line(b, "\x01\x02");		/* nothing left to say */
	ck_assert_ptr_null(sb_test_read(a));
	sb_test_line(a, "/me waves");
	ck_assert_str_eq(sb_test_read(b), "* guest1 waves");
	ck_assert_ptr_null(sb_test_read(a));
	sb_test_line(a, "/me");
	ck_assert_str_eq(sb_test_read(a), "* usage: /me ACTION");
	sb_test_line(a, "/dance");
	ck_assert_str_eq(sb_test_read(a), "* unknown command /dance; /help "
	    "lists commands");
	ck_assert_ptr_null(sb_test_read(b));
}
END_TEST

/* Each client gets a broadcast with its own line ending. */
START_TEST(test_line_endings)
{
	struct sb_conn	*a, *b, *c;
	const char	*raw;
	size_t		 len;

	lobby(NULL);
	a = join("127.0.0.1:1001");
	b = join("127.0.0.1:1002");
	c = join("127.0.0.1:1003");
	sb_test_input(b, "\r\n", 2);		/* b speaks CRLF */
	while (sb_test_read(a) != NULL || sb_test_read(b) != NULL ||
	    sb_test_read(c) != NULL)
		;
	sb_test_line(a, "hi");
	raw = sb_test_read_raw(b, &len);
	ck_assert_uint_eq(len, 13);
	ck_assert_mem_eq(raw, "<guest1> hi\r\n", 13);
	raw = sb_test_read_raw(c, &len);
	ck_assert_uint_eq(len, 12);
	ck_assert_mem_eq(raw, "<guest1> hi\n", 12);
}
END_TEST

/* Nick rules: valid names, the reasons for bad ones, collisions. */
START_TEST(test_nick)
{
	struct sb_conn	*a, *b;

	lobby(NULL);
	a = join("127.0.0.1:1001");
	b = join("127.0.0.1:1002");
	ck_assert_str_eq(sb_test_read(a), "* guest2 has joined");
	sb_test_line(a, "/nick alice");
	ck_assert_str_eq(sb_test_read(a), "* you are now known as alice");
	ck_assert_str_eq(sb_test_read(b), "* guest1 is now known as alice");
	sb_test_line(b, "/nick ALICE");
	ck_assert_str_eq(sb_test_read(b), "* nick ALICE is already taken");
	sb_test_line(b, "/nick b@d");
	ck_assert_str_eq(sb_test_read(b), "* invalid nick: '@' is not "
	    "allowed; a nick is 1-32 of A-Z a-z 0-9 _ -");
	sb_test_line(b, "/nick x\x1b");
	ck_assert_str_eq(sb_test_read(b), "* invalid nick: byte 0x1b is not "
	    "allowed; a nick is 1-32 of A-Z a-z 0-9 _ -");
	sb_test_line(b, "/nick abcdefghijabcdefghijabcdefghijabc");
	ck_assert_str_eq(sb_test_read(b), "* invalid nick: too long (33 "
	    "bytes); a nick is 1-32 of A-Z a-z 0-9 _ -");
	sb_test_line(b, "/nick");
	ck_assert_str_eq(sb_test_read(b), "* usage: /nick NAME");
	ck_assert_ptr_null(sb_test_read(a));		/* none of it public */
	/* One's own nick in other capitals is no collision. */
	sb_test_line(a, "/nick Alice");
	ck_assert_str_eq(sb_test_read(a), "* you are now known as Alice");
	ck_assert_str_eq(sb_test_read(b), "* alice is now known as Alice");
	sb_test_line(b, "hi");
	ck_assert_str_eq(sb_test_read(a), "<guest2> hi");
}
END_TEST

/* /who lists the room, as the asker's own reply. */
START_TEST(test_who)
{
	struct sb_conn	*a, *b;
	struct sb_conn	*list[3] = { NULL, NULL, NULL };

	lobby(NULL);
	list[0] = a = member("127.0.0.1:1001", "alice", NULL);
	list[1] = b = member("127.0.0.1:1002", "bob", list);
	sb_test_line(b, "/who");
	ck_assert_str_eq(sb_test_read(b), "* online (2): alice, bob");
	ck_assert_ptr_null(sb_test_read(a));
	sb_test_line(b, "/who is there");
	ck_assert_str_eq(sb_test_read(b), "* usage: /who");
	sb_test_hangup(a);
	sb_test_line(b, "/WHO");
	ck_assert_str_eq(sb_test_read(b), "* alice has left (client closed "
	    "the connection)");
	ck_assert_str_eq(sb_test_read(b), "* online (1): bob");
}
END_TEST

/* /msg: only the target sees it, the sender gets a confirmation. */
START_TEST(test_msg)
{
	struct sb_conn	*a, *b, *c;
	struct sb_conn	*list[4] = { NULL, NULL, NULL, NULL };

	lobby(NULL);
	list[0] = a = member("127.0.0.1:1001", "alice", NULL);
	list[1] = b = member("127.0.0.1:1002", "bob", list);
	list[2] = c = member("127.0.0.1:1003", "carol", list);
	sb_test_line(a, "/msg BOB  meet me\x7f at noon ");
	ck_assert_str_eq(sb_test_read(b), "[private] <alice> meet me at noon");
	ck_assert_str_eq(sb_test_read(a), "* to bob: meet me at noon");
	ck_assert_ptr_null(sb_test_read(c));
	ck_assert_ptr_null(sb_test_read(a));
	sb_test_line(a, "/msg dave hello");
	ck_assert_str_eq(sb_test_read(a), "* no such nick: dave");
	sb_test_line(a, "/msg bob");
	ck_assert_str_eq(sb_test_read(a), "* usage: /msg NICK TEXT");
	ck_assert_ptr_null(sb_test_read(b));
}
END_TEST

/* "[HH:MM] " followed by text. */
static void
assert_stamped(const char *line, const char *text)
{
	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strlen(line) > 8 && line[0] == '[' &&
	    isdigit((unsigned char)line[1]) && isdigit((unsigned char)line[2]) &&
	    line[3] == ':' && isdigit((unsigned char)line[4]) &&
	    isdigit((unsigned char)line[5]) && line[6] == ']' &&
	    line[7] == ' ', "not stamped: %s", line);
	ck_assert_str_eq(line + 8, text);
}

/* A newcomer gets the last `history` messages, framed and stamped. */
START_TEST(test_history)
{
	struct sb_conn	*a, *b;

	lobby("history = 2;");
	a = member("127.0.0.1:1001", "alice", NULL);
	sb_test_line(a, "one");
	sb_test_line(a, "/me two");
	sb_test_line(a, "/msg alice private");	/* not history */
	sb_test_line(a, "three");
	b = sb_test_open(svc, "127.0.0.1:1002");
	ck_assert_str_eq(sb_test_read(b), "* welcome to lobby, you are "
	    "guest2; online (2): alice, guest2; /help lists commands");
	ck_assert_str_eq(sb_test_read(b), "* last 2 messages:");
	assert_stamped(sb_test_read(b), "* alice two");
	assert_stamped(sb_test_read(b), "<alice> three");
	ck_assert_str_eq(sb_test_read(b), "* end of history");
	ck_assert_ptr_null(sb_test_read(b));
}
END_TEST

/* A reload resizes the history at once; a bad one changes nothing. */
START_TEST(test_reconfigure_history)
{
	struct sb_conn	*a, *b, *c;

	lobby("history = 3;");
	a = member("127.0.0.1:1001", "alice", NULL);
	sb_test_line(a, "one");
	sb_test_line(a, "two");
	sb_test_line(a, "three");
	ck_assert_int_eq(sb_test_reconfigure(svc, "history = 5000;"), -1);
	ck_assert_str_eq(sb_test_error(), "history: 5000 is out of range "
	    "(use 0 to 1000: messages replayed to a newcomer)");
	b = sb_test_open(svc, "127.0.0.1:1002");
	sb_test_read(b);
	ck_assert_str_eq(sb_test_read(b), "* last 3 messages:");
	ck_assert_int_eq(sb_test_reconfigure(svc, "history = 1;"), 0);
	c = sb_test_open(svc, "127.0.0.1:1003");
	sb_test_read(c);
	ck_assert_str_eq(sb_test_read(c), "* last 1 messages:");
	assert_stamped(sb_test_read(c), "<alice> three");
	ck_assert_str_eq(sb_test_read(c), "* end of history");
	ck_assert_int_eq(sb_test_reconfigure(svc, "history = 0;"), 0);
	sb_test_hangup(c);
	c = sb_test_open(svc, "127.0.0.1:1004");
	ck_assert_ptr_nonnull(sb_test_read(c));
	ck_assert_ptr_null(sb_test_read(c));		/* no history at all */
}
END_TEST

/*
 * The rate budget: past `rate` lines a second (after `burst`), the
 * member's reading is paused for as long as the budget needs to refill;
 * its lines wait, none is dropped, and the limit is reported.
 */
START_TEST(test_rate)
{
	struct sb_conn	*a, *b;
	const char	*log;
	char		 lines[] = "1\n2\n3\n4\n";

	lobby("rate = 2; burst = 2;");
	a = join("127.0.0.1:1001");
	b = join("127.0.0.1:1002");
	sb_test_input(a, lines, strlen(lines));
	ck_assert_str_eq(sb_test_read(b), "<guest1> 1");
	ck_assert_str_eq(sb_test_read(b), "<guest1> 2");
	ck_assert_ptr_null(sb_test_read(b));
	ck_assert_uint_eq(sb_test_throttle(a), 501);
	ck_assert_uint_eq(sb_test_limit_count(a, SB_LIMIT_RATE), 1);
	while ((log = sb_test_log(svc, NULL)) != NULL &&
	    strstr(log, "limit") == NULL)
		;
	ck_assert_ptr_nonnull(log);
	ck_assert_str_eq(log, "lobby[127.0.0.1:1001]: limit rate: over 2 "
	    "lines per second, pausing 500 ms");
	sb_test_advance(500);
	ck_assert_ptr_null(sb_test_read(b));
	ck_assert_uint_eq(sb_test_throttle_left(a), 1);
	sb_test_advance(1);
	ck_assert_str_eq(sb_test_read(b), "<guest1> 3");
	ck_assert_ptr_null(sb_test_read(b));
	sb_test_advance(1000);
	ck_assert_str_eq(sb_test_read(b), "<guest1> 4");
	ck_assert_uint_eq(sb_test_limit_count(a, SB_LIMIT_RATE), 3);
	/* Others were never paused. */
	ck_assert_uint_eq(sb_test_throttle(b), 0);
}
END_TEST

/*
 * A member that stops reading is cut off as a slow consumer once what
 * others say passes max_output; what it asked for itself (the welcome and
 * a long history) never cuts it off. The room hears it left.
 */
START_TEST(test_slow_member)
{
	struct sb_conn	*a, *b;
	enum sb_close	 how;
	char		 text[101];
	int		 i;

	lobby("history = 100; max_line = 128; max_output = 4096;");
	a = member("127.0.0.1:1001", "alice", NULL);
	memset(text, 'x', 100);
	text[100] = '\0';
	for (i = 0; i < 60; i++)		/* 6,000 bytes of history */
		sb_test_line(a, text);
	/* About 7,000 bytes of welcome in one round, over max_output. */
	b = sb_test_open(svc, "127.0.0.1:1002");
	ck_assert_ptr_null(sb_test_closed(b, NULL));
	ck_assert_uint_eq(sb_test_pending(b), 63);
	while (sb_test_read(b) != NULL)
		;
	sb_test_stall(b, true);
	sb_test_line(b, "/who");
	ck_assert_ptr_null(sb_test_closed(b, NULL));
	for (i = 0; i < 100 && sb_test_closed(b, NULL) == NULL; i++)
		sb_test_line(a, text);
	/* 37 lines of 109 bytes fit in 4,096; the 38th does not. */
	ck_assert_int_eq(i, 38);
	ck_assert_str_eq(sb_test_closed(b, &how), "slow consumer");
	ck_assert_int_eq(how, SB_CLOSE_NOW);
	ck_assert_int_eq(sb_test_close_hooks(b), 1);
	while (sb_test_read(a) != NULL && sb_test_pending(a) > 1)
		;
	ck_assert_str_eq(sb_test_read(a), "* guest2 has left (slow consumer)");
	/* Nothing of what was queued reaches it, nor anything after. */
	sb_test_stall(b, false);
	ck_assert_uint_eq(sb_test_pending(b), 0);
	sb_test_line(a, "still there?");
	ck_assert_uint_eq(sb_test_pending(b), 0);
}
END_TEST

/* A full room refuses a newcomer; its close hook runs, nobody hears. */
START_TEST(test_full)
{
	struct sb_conn	*a, *b;
	enum sb_close	 how;

	lobby("max_clients = 1;");
	a = join("127.0.0.1:1001");
	b = sb_test_open(svc, "127.0.0.1:1002");
	ck_assert_str_eq(sb_test_read(b), "* room is full (1 clients)");
	ck_assert_ptr_null(sb_test_read(b));
	ck_assert_str_eq(sb_test_closed(b, &how), "room is full");
	ck_assert_int_eq(how, SB_CLOSE_FLUSH);
	ck_assert_int_eq(sb_test_close_hooks(b), 1);
	ck_assert_uint_eq(sb_test_limit_count(b, SB_LIMIT_MAX_CLIENTS), 1);
	ck_assert_ptr_null(sb_test_read(a));
	sb_test_hangup(a);
	b = join("127.0.0.1:1003");
	ck_assert_ptr_null(sb_test_closed(b, NULL));
}
END_TEST

/* /quit and hang-ups: one leave notice each, with the reason. */
START_TEST(test_leave)
{
	struct sb_conn	*a, *b, *c;
	struct sb_conn	*list[4] = { NULL, NULL, NULL, NULL };
	enum sb_close	 how;

	lobby(NULL);
	list[0] = a = member("127.0.0.1:1001", "alice", NULL);
	list[1] = b = member("127.0.0.1:1002", "bob", list);
	list[2] = c = member("127.0.0.1:1003", "carol", list);
	sb_test_line(a, "/quit see you\x1b");
	ck_assert_str_eq(sb_test_read(a), "* bye");
	ck_assert_ptr_null(sb_test_read(a));
	ck_assert_str_eq(sb_test_closed(a, &how), "quit: see you");
	ck_assert_int_eq(how, SB_CLOSE_FLUSH);
	ck_assert_str_eq(sb_test_read(b), "* alice has left (quit: see you)");
	ck_assert_ptr_null(sb_test_read(b));
	sb_test_line(c, "/quit");
	ck_assert_str_eq(sb_test_read(b), "* carol has left (quit)");
	/* A closed member's later lines are not read. */
	sb_test_line(a, "ghost");
	ck_assert_ptr_null(sb_test_read(b));
	ck_assert_int_eq(sb_test_close_hooks(a), 1);
	ck_assert_int_eq(sb_test_close_hooks(c), 1);
	sb_test_hangup(b);
	ck_assert_int_eq(sb_test_close_hooks(b), 1);
	ck_assert_uint_eq(sb_test_timers(svc), 0);
}
END_TEST

/*
 * The operator's view: a member is described by its nick, a newcomer by
 * its guest nick; a kicked member is told why and the room hears it go.
 */
START_TEST(test_operator)
{
	struct sb_conn	*a, *b, *c;
	struct sb_conn	*list[3] = { NULL, NULL, NULL };
	enum sb_close	 how;

	lobby(NULL);
	list[0] = a = member("127.0.0.1:1001", "alice", NULL);
	list[1] = b = member("127.0.0.1:1002", "bob", list);
	ck_assert_str_eq(sb_test_describe(a), "alice");
	ck_assert_str_eq(sb_test_describe(b), "bob");
	c = join("127.0.0.1:1003");
	ck_assert_str_eq(sb_test_describe(c), "guest3");
	while (sb_test_read(a) != NULL || sb_test_read(b) != NULL)
		;
	sb_test_kick(a, "flooding");
	ck_assert_str_eq(sb_test_read(a), "* disconnected by the operator: "
	    "flooding");
	ck_assert_ptr_null(sb_test_read(a));
	ck_assert_str_eq(sb_test_closed(a, &how),
	    "disconnected by the operator");
	ck_assert_int_eq(how, SB_CLOSE_FLUSH);
	ck_assert_str_eq(sb_test_read(b), "* alice has left (disconnected by "
	    "the operator)");
	ck_assert_ptr_null(sb_test_describe(a));	/* left the room */
	sb_test_kick(b, "");
	ck_assert_str_eq(sb_test_read(b), "* disconnected by the operator");
	sb_test_kick(b, "again");			/* already going */
	ck_assert_ptr_null(sb_test_read(b));
	ck_assert_int_eq(sb_test_close_hooks(b), 1);
}
END_TEST

/* At shutdown each member is told why, and no one hears farewells. */
START_TEST(test_shutdown)
{
	struct sb_conn	*a, *b;
	struct sb_conn	*list[3] = { NULL, NULL, NULL };

	lobby(NULL);
	list[0] = a = member("127.0.0.1:1001", "alice", NULL);
	list[1] = b = member("127.0.0.1:1002", "bob", list);
	sb_test_stop(svc, "server shutting down");
	ck_assert_str_eq(sb_test_read(a), "* server shutting down");
	ck_assert_ptr_null(sb_test_read(a));
	ck_assert_str_eq(sb_test_read(b), "* server shutting down");
	ck_assert_ptr_null(sb_test_read(b));
	ck_assert_str_eq(sb_test_closed(a, NULL), "server shutting down");
	ck_assert_int_eq(sb_test_close_hooks(b), 1);
}
END_TEST

/* /help and a line over max_line, in the room's own words. */
START_TEST(test_help_too_long)
{
	struct sb_conn	*a;
	int		 n = 0;

	lobby("max_line = 16;");
	a = join("127.0.0.1:1001");
	sb_test_line(a, "/help");
	ck_assert_str_eq(sb_test_read(a), "* commands:");
	while (sb_test_read(a) != NULL)
		n++;
	ck_assert_int_eq(n, 7);
	sb_test_line(a, "this line is much too long");
	ck_assert_str_eq(sb_test_read(a), "* line too long (max 16 bytes), "
	    "not sent");
	ck_assert_ptr_null(sb_test_closed(a, NULL));
}
END_TEST

/* Options are checked as the daemon checks them. */
START_TEST(test_options)
{
	ck_assert_ptr_null(sb_test_service(&chat_relay_handler, "x",
	    "burst = 0;"));
	ck_assert_str_eq(sb_test_error(), "burst: 0 is out of range (use 1 to "
	    "100000: lines a member may send at once before rate applies)");
	ck_assert_ptr_null(sb_test_service(&chat_relay_handler, "x",
	    "rate = \"fast\";"));
	ck_assert_str_eq(sb_test_error(), "rate: expected a whole number, as "
	    "in rate = 0;");
	ck_assert_ptr_null(sb_test_service(&chat_relay_handler, "x",
	    "max_line = 4096; max_output = 8192;"));
	ck_assert_ptr_nonnull(strstr(sb_test_error(), "max_output (8192) "
	    "must be at least twice max_line (4096) plus 1024"));
}
END_TEST

/*
 * A shared room (relay set), on the harness's relay: nicks come from the
 * relay, lines are delivered as they come back, the sender's excepted,
 * and fill the history; the room's names answer /who.
 */
START_TEST(test_shared_room)
{
	struct sb_conn	*a, *b, *c;
	const char	*line;

	lobby("relay = \"127.0.0.1:6379\"; history = 5;");
	a = sb_test_open(svc, "127.0.0.1:1001");
	ck_assert_str_eq(sb_test_read(a), "* welcome to lobby, you are "
	    "guest1; online (1): guest1; /help lists commands");
	b = sb_test_open(svc, "127.0.0.1:1002");
	ck_assert_str_eq(sb_test_read(b), "* welcome to lobby, you are "
	    "guest2; online (2): guest1, guest2; /help lists commands");
	ck_assert_str_eq(sb_test_read(a), "* guest2 has joined");
	ck_assert_ptr_null(sb_test_read(b));	/* not its own notice */
	sb_test_line(a, "hi");
	ck_assert_str_eq(sb_test_read(b), "<guest1> hi");
	ck_assert_ptr_null(sb_test_read(a));	/* no copy of its own */
	sb_test_line(b, "/nick Guest1");
	ck_assert_str_eq(sb_test_read(b), "* nick Guest1 is already taken");
	sb_test_line(b, "/nick bob");
	ck_assert_str_eq(sb_test_read(b), "* you are now known as bob");
	ck_assert_str_eq(sb_test_read(a), "* guest2 is now known as bob");
	sb_test_line(a, "/who");
	ck_assert_str_eq(sb_test_read(a), "* online (2): guest1, bob");
	sb_test_line(a, "/msg BOB psst");
	ck_assert_str_eq(sb_test_read(b), "[private] <guest1> psst");
	ck_assert_str_eq(sb_test_read(a), "* to bob: psst");
	c = sb_test_open(svc, "127.0.0.1:1003");
	ck_assert_ptr_nonnull(sb_test_read(c));
	ck_assert_str_eq(sb_test_read(c), "* last 1 messages:");
	line = sb_test_read(c);
	ck_assert(line != NULL && strstr(line, "] <guest1> hi") != NULL);
	sb_test_hangup(b);
	ck_assert_str_eq(sb_test_read(a), "* guest3 has joined");
	ck_assert_str_eq(sb_test_read(a), "* bob has left (client closed the "
	    "connection)");
}
END_TEST

/*
 * A shared room with options, and two members in it, guest1 (a) and
 * guest2 (b), their welcomes and the join notice read.
 */
static void
shared_pair(const char *options, struct sb_conn **a, struct sb_conn **b)
{
	lobby(options);
	*a = sb_test_open(svc, "127.0.0.1:1001");
	ck_assert_ptr_nonnull(sb_test_read(*a));
	*b = sb_test_open(svc, "127.0.0.1:1002");
	ck_assert_ptr_nonnull(sb_test_read(*b));
	ck_assert_str_eq(sb_test_read(*a), "* guest2 has joined");
}

/*
 * "/nick bob" and a line in one read, in a shared room: the line waits
 * until the relay has given the nick, so it is said as bob, as in a room
 * of one daemon.
 */
START_TEST(test_shared_nick_then_line)
{
	struct sb_conn	*a, *b;

	shared_pair("relay = \"127.0.0.1:6379\";", &a, &b);
	sb_test_input(b, "/nick bob\nhi\n/who\n", 19);
	ck_assert_str_eq(sb_test_read(b), "* you are now known as bob");
	ck_assert_str_eq(sb_test_read(b), "* online (2): guest1, bob");
	ck_assert_str_eq(sb_test_read(a), "* guest2 is now known as bob");
	ck_assert_str_eq(sb_test_read(a), "<bob> hi");
	ck_assert_uint_eq(sb_test_throttle_left(b), 0);
}
END_TEST

/*
 * The wait for the relay's answer to /nick does not cut short the rate
 * budget's pause: the line after it still waits its turn.
 */
START_TEST(test_shared_nick_keeps_budget)
{
	struct sb_conn	*a, *b;

	shared_pair("relay = \"127.0.0.1:6379\"; rate = 1; burst = 1;", &a, &b);
	sb_test_input(b, "/nick bob\nhi\n", 13);
	ck_assert_str_eq(sb_test_read(b), "* you are now known as bob");
	ck_assert_str_eq(sb_test_read(a), "* guest2 is now known as bob");
	ck_assert_ptr_null(sb_test_read(a));	/* "hi" waits */
	ck_assert_uint_gt(sb_test_throttle_left(b), 900);
	sb_test_advance(1001);
	ck_assert_str_eq(sb_test_read(a), "<bob> hi");
}
END_TEST

/*
 * Questions to the relay (/who, /msg) are answered in the order asked,
 * before what the member sent after them: one in flight at a time.
 */
START_TEST(test_shared_answers_in_order)
{
	struct sb_conn	*a, *b;

	shared_pair("relay = \"127.0.0.1:6379\";", &a, &b);
	sb_test_input(b, "/who\n/msg guest1 psst\n/help\n", 29);
	ck_assert_str_eq(sb_test_read(b), "* online (2): guest1, guest2");
	ck_assert_str_eq(sb_test_read(b), "* to guest1: psst");
	ck_assert_str_eq(sb_test_read(b), "* commands:");
}
END_TEST

/* A relay address must be an IP and port or a unix socket. */
START_TEST(test_relay_address)
{
	ck_assert_ptr_null(sb_test_service(&chat_relay_handler, "lobby",
	    "relay = \"redis.example:6379\";"));
	ck_assert_ptr_nonnull(strstr(sb_test_error(), "relay must be an IP "
	    "address and port"));
	svc = sb_test_service(&chat_relay_handler, "lobby",
	    "relay = \"unix:/run/redis/redis.sock\";");
	ck_assert_ptr_nonnull(svc);
	sb_test_service_free(svc);
	svc = NULL;
	ck_assert_ptr_null(sb_test_service(&chat_relay_handler, "lobby",
	    "relay = \"127.0.0.1:6379\"; room = \"lobby:names\";"));
	ck_assert_ptr_nonnull(strstr(sb_test_error(), "room may have only"));
	ck_assert_ptr_null(sb_test_service(&chat_relay_handler, "lobby",
	    "relay = \"127.0.0.1:6379\"; relay_timeout = 3000; "
	    "relay_lease = 5999;"));
	ck_assert_ptr_nonnull(strstr(sb_test_error(), "relay_lease must be "
	    "at least twice relay_timeout"));
	svc = sb_test_service(&chat_relay_handler, "lobby",
	    "relay = \"127.0.0.1:6379\"; relay_timeout = 3000; "
	    "relay_lease = 6000; room = \"a-room_1.x\";");
	ck_assert_ptr_nonnull(svc);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("handler_chat");
	TCase	*tc = tcase_create("chat");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_join);
	tcase_add_test(tc, test_say);
	tcase_add_test(tc, test_line_endings);
	tcase_add_test(tc, test_nick);
	tcase_add_test(tc, test_who);
	tcase_add_test(tc, test_msg);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_reconfigure_history);
	tcase_add_test(tc, test_rate);
	tcase_add_test(tc, test_slow_member);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_leave);
	tcase_add_test(tc, test_operator);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_help_too_long);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_shared_room);
	tcase_add_test(tc, test_shared_nick_then_line);
	tcase_add_test(tc, test_shared_nick_keeps_budget);
	tcase_add_test(tc, test_shared_answers_in_order);
	tcase_add_test(tc, test_relay_address);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_handler_chat"));
}

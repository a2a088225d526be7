/*
 * switchboard integration tests: chat-relay over real sockets.
 */
#include <sys/socket.h>
#include <netinet/in.h>

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

static const char conf_chat[] =
    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
    "  listen = [ \"127.0.0.1:0\" ]; history = 2; max_clients = 3;\n"
    "  max_output = 65536; byte_rate = 0;\n"
    "  room_byte_rate = 0; } );\n";

/*
 * The next line is a replayed one: "[HH:MM] " (UTC, now or a minute ago)
 * and then text.
 */
static void
expect_stamped(struct client *c, const char *text)
{
	char		*line = cl_line(c, T_WAIT_MS), now[16], before[16];
	time_t		 t = time(NULL);
	struct tm	 tm;

	ck_assert_msg(line != NULL, "no line; wanted \"%.60s\"", text);
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "[%H:%M] ", &tm);
	t -= 60;
	gmtime_r(&t, &tm);
	strftime(before, sizeof(before), "[%H:%M] ", &tm);
	ck_assert_msg(strncmp(line, now, 8) == 0 ||
	    strncmp(line, before, 8) == 0, "\"%s\" is not stamped %s", line,
	    now);
	ck_assert_str_eq(line + 8, text);
}

/* Join and take the welcome line. */
static struct client *
join(struct sbd *d, const char *welcome_prefix)
{
	struct client	*c = cl_tcp(sbd_port(d, "lobby"));
	char		*line = cl_line(c, T_WAIT_MS);

	ck_assert_msg(line != NULL, "no welcome");
	ck_assert_msg(strncmp(line, welcome_prefix, strlen(welcome_prefix)) == 0,
	    "welcome \"%s\" does not start \"%s\"", line, welcome_prefix);
	return (c);
}

START_TEST(test_join_and_relay)
{
	struct sbd	 d;
	struct client	*a, *b;

	sbd_start(&d, conf_chat);
	a = join(&d, "* welcome to lobby, you are guest1; online (1): guest1;");
	b = join(&d, "* welcome to lobby, you are guest2; online (2): guest1, "
	    "guest2;");
	cl_expect(a, "* guest2 has joined");
	cl_send(a, "hello room\n");
	cl_expect(b, "<guest1> hello room");
	ck_assert(cl_quiet(a, 200));		/* the sender gets no copy */
	cl_send(b, "hi\r\n");
	cl_expect(a, "<guest2> hi");		/* a's own line ending: LF */
	cl_close(b);
	cl_expect(a, "* guest2 has left (client closed the connection)");
	cl_close(a);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * Short and long lines (long ones are shared between members' buffers,
 * not copied) reach each member whole, each with its own line ending, in
 * order, however many are relayed at once.
 */
START_TEST(test_relay_short_and_long_lines)
{
	static const char conf_long[] =
	    "services = ( { name = \"lobby\"; handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:0\" ]; history = 0;\n"
	    "  max_line = 16384; } );\n";
	struct sbd	 d;
	struct client	*a, *b, *c;
	char		*text, *line, *want;
	size_t		 sizes[] = { 10, 2040, 2048, 5000, 16000 }, i, n;

	sbd_start(&d, conf_long);
	a = join(&d, "* welcome");
	b = join(&d, "* welcome");
	c = join(&d, "* welcome");
	cl_expect(a, "* guest2 has joined");
	cl_expect(a, "* guest3 has joined");
	cl_expect(b, "* guest3 has joined");
	cl_send(b, "/who\r\n");		/* b now ends its lines CRLF */
	cl_expect(b, "* online (3): guest1, guest2, guest3\r");
	cl_send(c, "/who\n");
	cl_expect(c, "* online (3): guest1, guest2, guest3");
	text = malloc(16001);
	want = malloc(16100);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(want);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (n = 0; n < sizes[i]; n++)
			text[n] = (char)('a' + (i + n) % 26);
		text[n++] = '\n';
		cl_sendn(a, text, n);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (n = 0; n < sizes[i]; n++)
			text[n] = (char)('a' + (i + n) % 26);
		text[n] = '\0';
		snprintf(want, 16100, "<guest1> %s", text);
		line = cl_line(b, T_WAIT_MS);
		ck_assert_ptr_nonnull(line);
		ck_assert_uint_eq(strlen(line), strlen(want) + 1);
		ck_assert_int_eq(line[strlen(want)], '\r');
		line[strlen(want)] = '\0';
		ck_assert_str_eq(line, want);
		cl_expect(c, want);
	}
	ck_assert(cl_quiet(a, 200));
	free(text);
	free(want);
	cl_close(a);
	cl_close(b);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_commands)
{
	struct sbd	 d;
	struct client	*a, *b, *c;

	sbd_start(&d, conf_chat);
	a = join(&d, "* welcome");
	b = join(&d, "* welcome");
	c = join(&d, "* welcome");
	cl_expect(a, "* guest2 has joined");
	cl_expect(a, "* guest3 has joined");
	cl_expect(b, "* guest3 has joined");
	cl_send(a, "/nick alice\n");
	cl_expect(a, "* you are now known as alice");
	cl_expect(b, "* guest1 is now known as alice");
	cl_expect(c, "* guest1 is now known as alice");
	cl_send(b, "/nick ALICE\n/nick bad nick\n/nick bob\n");
	cl_expect(b, "* nick ALICE is already taken");
	cl_expect(b, "* invalid nick: ' ' is not allowed; a nick is 1-32 of "
	    "A-Z a-z 0-9 _ -");
	cl_expect(b, "* you are now known as bob");
	cl_expect(a, "* guest2 is now known as bob");
	cl_expect(c, "* guest2 is now known as bob");
	cl_send(b, "/who\n");
	cl_expect(b, "* online (3): alice, bob, guest3");
	cl_send(a, "/me waves\n");
	cl_expect(b, "* alice waves");
	cl_expect(c, "* alice waves");
	cl_send(a, "/msg BOB psst\n/msg nobody x\n");
	cl_expect(b, "[private] <alice> psst");
	cl_expect(a, "* to bob: psst");
	cl_expect(a, "* no such nick: nobody");
	ck_assert(cl_quiet(c, 200));		/* c never saw the message */
	cl_send(c, "/dance\n//slash\n");
	cl_expect(c, "* unknown command /dance; /help lists commands");
	cl_expect(a, "<guest3> /slash");
	cl_expect(b, "<guest3> /slash");
	cl_send(c, "/help\n");
	cl_expect(c, "* commands:");
	ck_assert_ptr_nonnull(strstr(cl_line(c, T_WAIT_MS), "/nick NAME"));
	cl_send(b, "/quit see you\n");
	cl_expect(b, "* bye");
	ck_assert(cl_eof(b, T_WAIT_MS));
	cl_expect(a, "* bob has left (quit: see you)");
	cl_close(a);
	cl_close(b);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_history_and_full_room)
{
	struct sbd	 d;
	struct client	*a, *b, *c, *x;

	sbd_start(&d, conf_chat);
	a = join(&d, "* welcome");
	cl_send(a, "one\ntwo\n/me three\n/who\n");
	cl_expect(a, "* online (1): guest1");	/* so the lines were handled */
	b = join(&d, "* welcome");
	cl_expect(b, "* last 2 messages:");	/* history = 2 */
	expect_stamped(b, "<guest1> two");
	expect_stamped(b, "* guest1 three");
	cl_expect(b, "* end of history");
	c = join(&d, "* welcome");
	x = cl_tcp(sbd_port(&d, "lobby"));	/* max_clients = 3 */
	cl_expect(x, "* room is full (3 clients)");
	ck_assert(cl_eof(x, T_WAIT_MS));
	cl_expect(a, "* guest2 has joined");
	cl_expect(a, "* guest3 has joined");
	ck_assert(cl_quiet(a, 200));		/* no join for the refused one */
	cl_close(a);
	cl_close(b);
	cl_close(c);
	cl_close(x);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_control_chars_stripped)
{
	struct sbd	 d;
	struct client	*a, *b;

	sbd_start(&d, conf_chat);
	a = join(&d, "* welcome");
	b = join(&d, "* welcome");
	cl_expect(a, "* guest2 has joined");
	cl_send(a, "\x1b]0;pwned\x07\x1b[2Jclear\xc2\x9b" "1m \xff\xff\tend\n");
	cl_expect(b, "<guest1> ]0;pwned[2Jclear1m ? end");
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A member that never reads while another floods the room is cut off
 * (the room is told); a member that reads gets every line; the daemon's
 * memory stays bounded.
 */
START_TEST(test_slow_consumer_cut_off)
{
	struct sbd	 d;
	struct client	*flood, *reader, *slow;
	char		 line[1001], want[1100], *got;
	long		 rss0, rss1;
	int		 i, j, sent = 0, cut = 0;

	sbd_start(&d, conf_chat);
	flood = join(&d, "* welcome");
	reader = join(&d, "* welcome");
	slow = cl_tcp_rcvbuf(sbd_port(&d, "lobby"), 4096);
	cl_expect(flood, "* guest2 has joined");
	cl_expect(reader, "* guest3 has joined");
	cl_expect(flood, "* guest3 has joined");
	rss0 = sbd_rss_kb(&d);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	/* Up to 40 MB; the cut should come after a few MB of kernel buffer. */
	for (i = 0; i < 40000 && !cut; i += 50) {
		for (j = 0; j < 50; j++, sent++) {
			snprintf(line, 12, "%010d", sent);
			line[10] = ' ';
			cl_send(flood, line);
			cl_send(flood, "\n");
		}
		for (j = 0; j < 50; j++) {
			got = cl_line(reader, T_WAIT_MS);
			ck_assert_msg(got != NULL, "reader starved at %d", i + j);
			if (strncmp(got, "* guest3 has left", 17) == 0) {
				ck_assert_str_eq(got,
				    "* guest3 has left (slow consumer)");
				cut = 1;
				j--;
				continue;
			}
			snprintf(want, 12, "%010d", i + j);
			ck_assert_msg(strncmp(got + 9, want, 10) == 0,
			    "line %d lost or out of order: %.30s", i + j, got);
		}
	}
	ck_assert_msg(cut, "slow consumer never cut off after %d lines", sent);
	ck_assert(sbd_log_has(&d, "limit max_output: output over 65536 bytes, "
	    "disconnecting a slow consumer"));
	ck_assert(cl_eof(slow, T_WAIT_MS));
	/* Keep flooding: memory does not grow with it. */
	for (i = 0; i < 5000; i++) {
		cl_send(flood, "after the cut\n");
		cl_expect(reader, "<guest1> after the cut");
	}
	rss1 = sbd_rss_kb(&d);
	printf("slow consumer: RSS %ld -> %ld KiB\n", rss0, rss1);
	if (sbd_rss_meaningful())
		ck_assert_msg(rss1 - rss0 < 16 * 1024, "RSS grew from %ld to "
		    "%ld KiB", rss0, rss1);
	cl_close(flood);
	cl_close(reader);
	cl_close(slow);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A member flooding the room cannot starve another: the core reads a
 * bounded amount from each client per loop round. The flood and a ping are
 * queued while the daemon is stopped, so when it resumes both are waiting;
 * the ping must come through long before the flood does.
 */
START_TEST(test_flood_does_not_starve)
{
	struct pollfd	 pfd;
	struct sbd	 d;
	struct client	*obs, *talk, *flood;
	char		*got, line[32];
	int		 total = 0, before = 0, after = 0, pinged = 0, n;

	sbd_start(&d, "services = ( { name = \"lobby\"; handler = "
	    "\"chat-relay\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  history = 0; max_output = 67108864; byte_rate = 0;\n"
	    "  room_byte_rate = 0; } );\n");
	obs = join(&d, "* welcome");
	talk = join(&d, "* welcome");
	flood = join(&d, "* welcome");		/* guest3 */
	cl_expect(obs, "* guest2 has joined");
	cl_expect(obs, "* guest3 has joined");
	ck_assert_int_eq(kill(d.pid, SIGSTOP), 0);
	fcntl(flood->fd, F_SETFL, O_NONBLOCK);
	pfd.fd = flood->fd;
	pfd.events = POLLOUT;
	while (poll(&pfd, 1, 200) == 1) {	/* fill every buffer */
		n = snprintf(line, sizeof(line), "flood %08d\n", total);
		if (send(flood->fd, line, (size_t)n, MSG_NOSIGNAL) != n)
			break;
		total++;
	}
	cl_send(talk, "ping\n");
	ck_assert_int_eq(kill(d.pid, SIGCONT), 0);
	ck_assert_int_gt(total, 5000);
	while (before + after < total || !pinged) {
		got = cl_line(obs, T_WAIT_MS);
		ck_assert_msg(got != NULL, "observer starved after %d lines",
		    before + after);
		if (strcmp(got, "<guest2> ping") == 0) {
			pinged = 1;
			continue;
		}
		ck_assert_msg(strncmp(got, "<guest3> flood ", 15) == 0, "%s", got);
		if (pinged)
			after++;
		else
			before++;
	}
	printf("fairness: ping after %d of %d flood lines\n", before, total);
	ck_assert_msg(before < total / 4, "ping relayed only after %d of %d "
	    "queued flood lines", before, total);
	cl_close(obs);
	cl_close(talk);
	cl_close(flood);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * The notices a member gets: which nick rule a name breaks, an over-long
 * line (not relayed), a /msg confirmation, and the framed, time-stamped
 * history (none when there is no history).
 */
START_TEST(test_notices)
{
	struct sbd	 d;
	struct client	*a, *b, *c;
	char		 longline[102];

	sbd_start(&d, "services = ( { name = \"lobby\"; handler = "
	    "\"chat-relay\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  history = 2; max_line = 64; } );\n");
	a = join(&d, "* welcome");
	b = join(&d, "* welcome");
	cl_expect(a, "* guest2 has joined");
	cl_send(b, "/who\n");			/* no history, no frame */
	cl_expect(b, "* online (2): guest1, guest2");
	cl_send(a, "/nick bad name!\n/nick x!\n"
	    "/nick abcdefghijabcdefghijabcdefghij123\n/nick caf\xc3\xa9\n"
	    "/nick a\x1b\n");
	cl_expect(a, "* invalid nick: ' ' is not allowed; a nick is 1-32 of "
	    "A-Z a-z 0-9 _ -");
	cl_expect(a, "* invalid nick: '!' is not allowed; a nick is 1-32 of "
	    "A-Z a-z 0-9 _ -");
	cl_expect(a, "* invalid nick: too long (33 bytes); a nick is 1-32 of "
	    "A-Z a-z 0-9 _ -");
	cl_expect(a, "* invalid nick: '\xc3\xa9' is not allowed; a nick is "
	    "1-32 of A-Z a-z 0-9 _ -");
	cl_expect(a, "* invalid nick: byte 0x1b is not allowed; a nick is "
	    "1-32 of A-Z a-z 0-9 _ -");
	memset(longline, 'y', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	cl_send(a, longline);
	cl_expect(a, "* line too long (max 64 bytes), not sent");
	cl_send(a, "short\n");
	cl_expect(b, "<guest1> short");		/* not the long one */
	cl_send(a, "/msg GUEST2 hi there\n");
	cl_expect(b, "[private] <guest1> hi there");
	cl_expect(a, "* to guest2: hi there");
	c = join(&d, "* welcome");
	cl_expect(c, "* last 1 messages:");
	expect_stamped(c, "<guest1> short");
	cl_expect(c, "* end of history");
	cl_send(c, "/who\n");
	cl_expect(c, "* online (3): guest1, guest2, guest3");
	cl_close(a);
	cl_close(b);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A history far bigger than max_output (300 lines of 4,000 bytes against
 * 64 KiB) reaches a newcomer whole: it is the newcomer's own reply, not a
 * sign of a slow consumer. The newcomer stays in the room.
 */
START_TEST(test_history_bigger_than_max_output)
{
	struct sbd	 d;
	struct client	*a, *b;
	char		 line[4002], want[4100];
	int		 i;

	sbd_start(&d, "services = ( { name = \"lobby\"; handler = "
	    "\"chat-relay\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  history = 1000; max_output = 65536; byte_rate = 0;\n"
	    "  room_byte_rate = 0; } );\n");
	a = join(&d, "* welcome");
	memset(line, 'x', 4000);
	line[4000] = '\n';
	line[4001] = '\0';
	for (i = 0; i < 300; i++) {
		snprintf(line, 6, "%05d", i);
		line[5] = ' ';
		cl_send(a, line);
	}
	cl_send(a, "/who\n");
	cl_expect(a, "* online (1): guest1");	/* all 300 were said */
	b = join(&d, "* welcome");
	cl_expect(b, "* last 300 messages:");
	line[4000] = '\0';
	for (i = 0; i < 300; i++) {
		snprintf(line, 6, "%05d", i);
		line[5] = ' ';
		snprintf(want, sizeof(want), "<guest1> %s", line);
		expect_stamped(b, want);
	}
	cl_expect(b, "* end of history");
	cl_expect(a, "* guest2 has joined");
	cl_send(a, "still here\n");
	cl_expect(b, "<guest1> still here");
	ck_assert(!sbd_log_has(&d, "slow consumer"));
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * A history replay is the newcomer's own reply, so it never cuts it off,
 * but it may not cost the daemon a copy per newcomer either: with 1000
 * lines of 4000 bytes kept, 50 members with small receive buffers join
 * and never read, and the daemon grows by far less than the 200 MB that
 * 50 copies of the history would take.
 */
#define RSS_JOINERS	50
START_TEST(test_replay_to_nonreaders_is_shared)
{
	struct sbd	 d;
	struct client	*a, *j[RSS_JOINERS];
	char		 line[4002], want[4100], *got;
	long		 rss0, rss1;
	int		 i;

	sbd_start(&d, "services = ( { name = \"lobby\"; handler = "
	    "\"chat-relay\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  history = 1000; max_output = 65536; byte_rate = 0;\n"
	    "  room_byte_rate = 0; sndbuf = 16384; } );\n");
	a = join(&d, "* welcome");
	memset(line, 'x', 4000);
	line[4000] = '\n';
	line[4001] = '\0';
	for (i = 0; i < 1000; i++) {
		snprintf(line, 6, "%05d", i);
		line[5] = ' ';
		cl_send(a, line);
	}
	cl_send(a, "/who\n");
	cl_expect(a, "* online (1): guest1");	/* all 1000 were said */
	rss0 = sbd_rss_kb(&d);
	for (i = 0; i < RSS_JOINERS; i++) {
		j[i] = cl_tcp_rcvbuf(sbd_port(&d, "lobby"), 4096);
		snprintf(want, sizeof(want), "* guest%d has joined", i + 2);
		cl_expect(a, want);
	}
	cl_send(a, "/who\n");
	ck_assert_ptr_nonnull(cl_line(a, T_WAIT_MS));	/* all queued */
	rss1 = sbd_rss_kb(&d);
	printf("replay to %d non-readers: RSS %ld -> %ld KiB\n", RSS_JOINERS,
	    rss0, rss1);
	if (sbd_rss_meaningful())
		ck_assert_msg(rss1 - rss0 < 4 * 1024, "RSS grew from %ld to "
		    "%ld KiB for %d joiners", rss0, rss1, RSS_JOINERS);
	ck_assert(!sbd_log_has(&d, "slow consumer"));
	/* A joiner that does read gets the whole history after all. */
	got = cl_line(j[0], T_WAIT_MS);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strncmp(got, "* welcome", 9) == 0, "got %.60s", got);
	cl_expect(j[0], "* last 1000 messages:");
	line[4000] = '\0';
	for (i = 0; i < 1000; i++) {
		snprintf(line, 6, "%05d", i);
		line[5] = ' ';
		snprintf(want, sizeof(want), "<guest1> %s", line);
		expect_stamped(j[0], want);
	}
	cl_expect(j[0], "* end of history");
	for (i = 0; i < RSS_JOINERS; i++)
		cl_close(j[i]);
	cl_close(a);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * With max_output = 4096, 130 members with 32-character nicks all join
 * and stay: the welcome and /who list more than max_output of nicks, and
 * they are each member's own reply.
 */
START_TEST(test_many_long_nicks_small_output)
{
	struct sbd	 d;
	struct client	*c[130];
	char		 cmd[64], want[64], *got;
	int		 i;

	sbd_start(&d, "services = ( { name = \"lobby\"; handler = "
	    "\"chat-relay\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  history = 0; max_output = 4096; max_line = 512; } );\n");
	for (i = 0; i < 130; i++) {
		c[i] = join(&d, "* welcome");
		snprintf(cmd, sizeof(cmd), "/nick n%031d\n", i);
		cl_send(c[i], cmd);
		snprintf(want, sizeof(want), "* you are now known as "
		    "n%031d", i);
		cl_expect(c[i], want);
	}
	for (i = 0; i < 130; i++) {
		cl_send(c[i], "/who\n");
		do {
			got = cl_line(c[i], T_WAIT_MS);
			ck_assert_msg(got != NULL, "member %d cut off", i);
			ck_assert_msg(strstr(got, "slow consumer") == NULL,
			    "member %d: %s", i, got);
		} while (strncmp(got, "* online (130): ", 16) != 0);
		ck_assert_uint_gt(strlen(got), 4096);
	}
	ck_assert(!sbd_log_has(&d, "slow consumer"));
	for (i = 0; i < 130; i++)
		cl_close(c[i]);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

#define FLOOD_READERS	16
#define FLOOD_TEXT	1000		/* bytes a flood line carries */

/* Monotonic milliseconds. */
static long
flood_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* A member reading at most 10,000 bytes each 100 ms, checking each line. */
struct flood_reader {
	struct client	*c;
	char		 part[FLOOD_TEXT + 64];
	size_t		 plen;
	int		 next;		/* the next flood line */
	int		 from[8];	/* ... from each of several flooders */
	int		 closed;
	char		 bad[128];	/* the first wrong line */
};

/* Check one line a reader got: the next flood line, whole. */
static void
flood_check(struct flood_reader *r, const char *line, size_t len)
{
	char	want[32];
	int	n, who;

	if (r->from[0] != 0) {		/* several: guest9, guest10, ... */
		who = atoi(line + 6) - 9;
		if (strncmp(line, "<guest", 6) != 0 || who < 0 || who >= 8) {
			if (r->bad[0] == '\0')
				snprintf(r->bad, sizeof(r->bad), "%.*s",
				    (int)(len > 60 ? 60 : len), line);
			return;
		}
		n = snprintf(want, sizeof(want), "<guest%d> %08d ", who + 9,
		    r->from[who] - 1);
		if (r->bad[0] == '\0' && (len != (size_t)n + FLOOD_TEXT - 9 ||
		    memcmp(line, want, (size_t)n) != 0))
			snprintf(r->bad, sizeof(r->bad), "line %d from guest%d:"
			    " %.*s", r->from[who] - 1, who + 9,
			    (int)(len > 60 ? 60 : len), line);
		r->from[who]++;
		r->next++;
		return;
	}
	n = snprintf(want, sizeof(want), "<guest17> %08d ", r->next);
	if (r->bad[0] == '\0' && (len != (size_t)n + FLOOD_TEXT - 9 ||
	    memcmp(line, want, (size_t)n) != 0))
		snprintf(r->bad, sizeof(r->bad), "line %d: %.*s", r->next,
		    (int)(len > 60 ? 60 : len), line);
	r->next++;
}

/* Read what is there, at most budget bytes, and check the lines. */
static void
flood_read(struct flood_reader *r, size_t budget)
{
	char	buf[16384];
	ssize_t	n, i;

	while (budget > 0 && !r->closed) {
		n = recv(r->c->fd, buf, budget < sizeof(buf) ? budget :
		    sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			r->closed = 1;
			return;
		}
		budget -= (size_t)n;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				flood_check(r, r->part, r->plen);
				r->plen = 0;
			} else if (r->plen < sizeof(r->part))
				r->part[r->plen++] = buf[i];
		}
	}
}

/*
 * With the built-in budget, one member flooding at full speed cannot cut
 * off members who read at 100 KB/s (each with a small receive buffer):
 * for 3 seconds nobody is cut, every reader gets the flood lines in order
 * with none missing, and the flooder is slowed (paused), not disconnected.
 */
START_TEST(test_flooder_cannot_empty_room)
{
	static struct flood_reader	 rd[FLOOD_READERS];
	struct pollfd			 pfd;
	struct sbd			 d;
	struct client			*flood;
	char				 chunk[64 * (FLOOD_TEXT + 1)], *got;
	size_t				 off = 0, len = 0;
	long				 start, tick, now;
	ssize_t				 n;
	int				 i, j, port, sent = 0, least;

	sbd_start(&d, "services = ( { name = \"lobby\"; handler = "
	    "\"chat-relay\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  history = 0; } );\n");
	port = sbd_port(&d, "lobby");
	memset(rd, 0, sizeof(rd));
	for (i = 0; i < FLOOD_READERS; i++) {
		rd[i].c = cl_tcp_rcvbuf(port, 8192);
		ck_assert_ptr_nonnull(cl_line(rd[i].c, T_WAIT_MS));
	}
	flood = join(&d, "* welcome");		/* guest17 */
	for (i = 0; i < FLOOD_READERS; i++) {
		do {
			got = cl_line(rd[i].c, T_WAIT_MS);
			ck_assert_ptr_nonnull(got);
		} while (strcmp(got, "* guest17 has joined") != 0);
		ck_assert_uint_eq(rd[i].c->off, rd[i].c->len);
	}
	fcntl(flood->fd, F_SETFL, O_NONBLOCK);
	pfd.fd = flood->fd;
	pfd.events = POLLOUT;
	start = tick = flood_now_ms();
	while ((now = flood_now_ms()) < start + 3000) {
		for (j = 0; j < 16; j++) {	/* as fast as it is taken */
			if (off == len) {
				for (len = 0, off = 0; len < sizeof(chunk);
				    sent++) {
					snprintf(chunk + len, 10, "%08u ",
					    (unsigned)sent % 100000000u);
					memset(chunk + len + 9, 'f',
					    FLOOD_TEXT - 9);
					len += FLOOD_TEXT;
					chunk[len++] = '\n';
				}
			}
			n = send(flood->fd, chunk + off, len - off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			ck_assert_msg(n > 0, "flooder disconnected: %s",
			    strerror(errno));
			off += (size_t)n;
		}
		if (now >= tick) {
			for (i = 0; i < FLOOD_READERS; i++)
				flood_read(&rd[i], 10000);
			tick += 100;
		}
		poll(&pfd, 1, (int)(tick > now ? tick - now : 0));
	}
	ck_assert_msg(!sbd_log_has(&d, "slow consumer"), "a reader was cut "
	    "off as a slow consumer");
	least = rd[0].next;
	for (i = 0; i < FLOOD_READERS; i++) {
		ck_assert_msg(!rd[i].closed, "reader %d cut off after %d lines",
		    i, rd[i].next);
		ck_assert_msg(rd[i].bad[0] == '\0', "reader %d: %s", i,
		    rd[i].bad);
		if (rd[i].next < least)
			least = rd[i].next;
	}
	printf("flood: %d lines sent, readers got at least %d\n", sent, least);
	ck_assert_int_gt(least, 10);
	n = recv(flood->fd, chunk, sizeof(chunk) - 1, MSG_DONTWAIT);
	chunk[n > 0 ? n : 0] = '\0';
	ck_assert_msg(n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK),
	    "flooder got %zd: %.80s", n, chunk);	/* on, told nothing */
	ck_assert(sbd_log_has(&d, "over 65536 bytes per second, pausing"));
	for (i = 0; i < FLOOD_READERS; i++)
		cl_close(rd[i].c);
	cl_close(flood);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

#define FLOODERS	6
#define FLOOD_MANY_READERS 8

/* A member sending flood lines as fast as the daemon takes them. */
struct flooder {
	struct client	*c;
	char		 chunk[64 * (FLOOD_TEXT + 1)];
	size_t		 off;
	size_t		 len;
	int		 sent;
};

/*
 * Send what the socket takes now, the lines numbered from 0, and throw
 * away what the others sent (a flooder that reads is not slowed by its
 * own output backing up).
 */
static void
flooder_send(struct flooder *f)
{
	char	junk[65536];
	ssize_t	n;
	int	j;

	while (recv(f->c->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	for (j = 0; j < 16; j++) {
		if (f->off == f->len) {
			for (f->len = 0, f->off = 0; f->len <
			    sizeof(f->chunk); f->sent++) {
				snprintf(f->chunk + f->len, 10, "%08u ",
				    (unsigned)f->sent % 100000000u);
				memset(f->chunk + f->len + 9, 'f',
				    FLOOD_TEXT - 9);
				f->len += FLOOD_TEXT;
				f->chunk[f->len++] = '\n';
			}
		}
		n = send(f->c->fd, f->chunk + f->off, f->len - f->off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		ck_assert_msg(n > 0, "flooder disconnected: %s",
		    strerror(errno));
		f->off += (size_t)n;
	}
}

/*
 * Several flooders add up: with the built-in budgets (and the shipped
 * sndbuf), 6 members flooding at full speed for 6 seconds cannot cut off
 * 8 members who each read 100 KB/s, because the room's byte budget
 * (room_byte_rate) bounds them together. Every reader gets each
 * flooder's lines in order with none missing, and the flooders are
 * slowed (paused), not disconnected. Without the room budget the readers
 * fall 280 KB/s behind and pass max_output within about 4 seconds.
 */
START_TEST(test_flooders_cannot_empty_room)
{
	static struct flood_reader	 rd[FLOOD_MANY_READERS];
	static struct flooder		 fl[FLOODERS];
	struct pollfd			 pfd[FLOODERS];
	struct sbd			 d;
	char				*got, buf[256];
	long				 start, tick, now;
	ssize_t				 n;
	int				 i, k, port, least, sent = 0;

	sbd_start(&d, "services = ( { name = \"lobby\"; handler = "
	    "\"chat-relay\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  history = 0; sndbuf = 65536; } );\n");
	port = sbd_port(&d, "lobby");
	memset(rd, 0, sizeof(rd));
	memset(fl, 0, sizeof(fl));
	for (i = 0; i < FLOOD_MANY_READERS; i++) {
		rd[i].c = cl_tcp_rcvbuf(port, 8192);
		ck_assert_ptr_nonnull(cl_line(rd[i].c, T_WAIT_MS));
	}
	for (i = 0; i < FLOODERS; i++) {
		fl[i].c = join(&d, "* welcome");	/* guest9 ... */
		fcntl(fl[i].c->fd, F_SETFL, O_NONBLOCK);
		pfd[i].fd = fl[i].c->fd;
		pfd[i].events = POLLOUT;
	}
	snprintf(buf, sizeof(buf), "* guest%d has joined", 8 + FLOODERS);
	for (i = 0; i < FLOODERS - 1; i++) {
		do {
			got = cl_line(fl[i].c, T_WAIT_MS);
			ck_assert_ptr_nonnull(got);
		} while (strcmp(got, buf) != 0);
	}
	for (i = 0; i < FLOOD_MANY_READERS; i++) {
		do {
			got = cl_line(rd[i].c, T_WAIT_MS);
			ck_assert_ptr_nonnull(got);
		} while (strcmp(got, buf) != 0);
		ck_assert_uint_eq(rd[i].c->off, rd[i].c->len);
		/* from[k] - 1 is the next line wanted from guest(9 + k) */
		for (k = 0; k < 8; k++)
			rd[i].from[k] = 1;
	}
	start = tick = flood_now_ms();
	while ((now = flood_now_ms()) < start + 6000) {
		for (i = 0; i < FLOODERS; i++)
			flooder_send(&fl[i]);
		if (now >= tick) {
			for (i = 0; i < FLOOD_MANY_READERS; i++)
				flood_read(&rd[i], 10000);
			tick += 100;
		}
		poll(pfd, FLOODERS, (int)(tick > now ? tick - now : 0));
	}
	ck_assert_msg(!sbd_log_has(&d, "slow consumer"), "a reader was cut "
	    "off as a slow consumer");
	least = rd[0].next;
	for (i = 0; i < FLOOD_MANY_READERS; i++) {
		ck_assert_msg(!rd[i].closed, "reader %d cut off after %d lines",
		    i, rd[i].next);
		ck_assert_msg(rd[i].bad[0] == '\0', "reader %d: %s", i,
		    rd[i].bad);
		if (rd[i].next < least)
			least = rd[i].next;
	}
	for (i = 0; i < FLOODERS; i++) {
		sent += fl[i].sent;
		/* Still connected (it gets the others' lines). */
		while ((n = recv(fl[i].c->fd, buf, sizeof(buf),
		    MSG_DONTWAIT)) > 0)
			;
		ck_assert_msg(n == -1 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK), "flooder %d disconnected", i);
	}
	printf("%d flooders: %d lines made, readers got at least %d\n",
	    FLOODERS, sent, least);
	ck_assert_int_gt(least, 10);
	ck_assert(sbd_log_has(&d, "room over 65536 bytes per second, "
	    "pausing"));
	for (i = 0; i < FLOOD_MANY_READERS; i++)
		cl_close(rd[i].c);
	for (i = 0; i < FLOODERS; i++)
		cl_close(fl[i].c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_chat");
	TCase	*tc = tcase_create("chat-relay");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_join_and_relay);
	tcase_add_test(tc, test_relay_short_and_long_lines);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_history_and_full_room);
	tcase_add_test(tc, test_control_chars_stripped);
	tcase_add_test(tc, test_slow_consumer_cut_off);
	tcase_add_test(tc, test_flood_does_not_starve);
	tcase_add_test(tc, test_notices);
	tcase_add_test(tc, test_history_bigger_than_max_output);
	tcase_add_test(tc, test_many_long_nicks_small_output);
	tcase_add_test(tc, test_replay_to_nonreaders_is_shared);
	tcase_add_test(tc, test_flooder_cannot_empty_room);
	tcase_add_test(tc, test_flooders_cannot_empty_room);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_chat"));
}

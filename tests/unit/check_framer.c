/*
 * switchboard tests: line framing on an evbuffer, fed in arbitrary pieces.
 */
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "../check_common.h"
#include "framer.h"

#define MAXLINE	16

struct feed {
	struct framer	 f;
	struct evbuffer	*in;
	char		 got[32][64];	/* lines, or "!" for too long */
	int		 crlf[32];
	int		 n;
	unsigned char	 rep[256];	/* telnet answers */
	size_t		 nrep;
};

/* Take every line now available. */
static void
drain(struct feed *t, int eof)
{
	enum framer_status	 st;
	char			*line, rest[MAXLINE + 3];
	size_t			 len;

	for (;;) {
		st = framer_next(&t->f, t->in, MAXLINE, &line, &len);
		t->nrep += framer_replies(&t->f, t->rep + t->nrep,
		    sizeof(t->rep) - t->nrep);
		ck_assert(!t->f.reply);
		if (st == FRAMER_NONE && eof) {
			st = framer_rest(&t->f, t->in, MAXLINE, rest, &line,
			    &len);
			eof = 0;
		}
		if (st == FRAMER_NONE)
			return;
		ck_assert_int_lt(t->n, 32);
		if (st == FRAMER_TOO_LONG)
			strcpy(t->got[t->n], "!");
		else {
			ck_assert_uint_le(len, MAXLINE);
			ck_assert_int_eq(line[len], '\0');
			memcpy(t->got[t->n], line, len);
			t->got[t->n][len] = '\0';
		}
		t->crlf[t->n] = t->f.crlf;
		t->n++;
	}
}

/* Feed data in chunks of `step` bytes, taking lines after each. */
static void
feed(struct feed *t, const char *data, size_t len, size_t step)
{
	size_t	i, n;

	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		evbuffer_unfreeze(t->in, 0);
		ck_assert_int_eq(evbuffer_add(t->in, data + i, n), 0);
		evbuffer_freeze(t->in, 0);
		drain(t, 0);
	}
}

/*
 * Like a bufferevent's input: only the front may change, except while
 * feed() adds data, so the framer cannot write past the end.
 */
static void
setup(struct feed *t)
{
	memset(t, 0, sizeof(*t));
	t->in = evbuffer_new();
	evbuffer_freeze(t->in, 0);
}

static void
teardown(struct feed *t)
{
	framer_free(&t->f);
	evbuffer_free(t->in);
}

START_TEST(test_lf_crlf_any_split)
{
	static const char	data[] = "one\ntwo\r\n\nthree\r\n";
	struct feed		t;

	setup(&t);
	feed(&t, data, sizeof(data) - 1, (size_t)_i);
	ck_assert_int_eq(t.n, 4);
	ck_assert_str_eq(t.got[0], "one");
	ck_assert_int_eq(t.crlf[0], 0);
	ck_assert_str_eq(t.got[1], "two");
	ck_assert_int_eq(t.crlf[1], 1);
	ck_assert_str_eq(t.got[2], "");
	ck_assert_str_eq(t.got[3], "three");
	ck_assert_int_eq(t.crlf[3], 1);
	ck_assert_uint_eq(evbuffer_get_length(t.in), 0 + t.f.pending);
	teardown(&t);
}
END_TEST

START_TEST(test_iac_any_split)
{
	/* WILL ECHO, NOP, IAC IAC, a subnegotiation holding an LF. */
	static const char	data[] = "\xff\xfb\x01hi\xff\xf1!\r\n"
	    "a\xff\xff" "b\n\xff\xfa\x18\n\x01\xff\xf0z\n";
	struct feed		t;

	setup(&t);
	feed(&t, data, sizeof(data) - 1, (size_t)_i);
	ck_assert_int_eq(t.n, 3);
	ck_assert_str_eq(t.got[0], "hi!");
	ck_assert_str_eq(t.got[1], "a\xff" "b");
	ck_assert_str_eq(t.got[2], "z");
	teardown(&t);
}
END_TEST

/* Telnet commands in a later line of a batch than the first. */
START_TEST(test_iac_later_in_batch)
{
	static const char	data[] = "plain\nhi\xff\xf1!\nok\n"
	    "x\xff\xfa\n\xff\xf0y\n";
	struct feed		t;

	setup(&t);
	feed(&t, data, sizeof(data) - 1, (size_t)_i);
	ck_assert_int_eq(t.n, 4);
	ck_assert_str_eq(t.got[0], "plain");
	ck_assert_str_eq(t.got[1], "hi!");
	ck_assert_str_eq(t.got[2], "ok");
	ck_assert_str_eq(t.got[3], "xy");
	teardown(&t);
}
END_TEST

START_TEST(test_too_long_then_recovers)
{
	char		big[100];
	struct feed	t;

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	setup(&t);
	feed(&t, big, sizeof(big), (size_t)_i);
	feed(&t, "ok\n", 3, 1);
	ck_assert_int_eq(t.n, 2);
	ck_assert_str_eq(t.got[0], "!");
	ck_assert_str_eq(t.got[1], "ok");
	/* Never more than max_line + 2 bytes held for a partial line. */
	ck_assert_uint_le(evbuffer_get_length(t.in), MAXLINE + 2);
	teardown(&t);
}
END_TEST

START_TEST(test_exact_limit)
{
	struct feed	t;

	setup(&t);
	feed(&t, "0123456789abcdef\r\n", 18, 100);		/* 16: fits */
	feed(&t, "0123456789abcdefg\n", 18, 100);		/* 17: too long */
	feed(&t, "0123456789abcdefgh\r\n", 20, 100);
	ck_assert_int_eq(t.n, 3);
	ck_assert_str_eq(t.got[0], "0123456789abcdef");
	ck_assert_str_eq(t.got[1], "!");
	ck_assert_str_eq(t.got[2], "!");
	teardown(&t);
}
END_TEST

START_TEST(test_unfinished_is_bounded)
{
	char		chunk[7];
	struct feed	t;
	int		i;

	memset(chunk, 'y', sizeof(chunk));
	setup(&t);
	for (i = 0; i < 1000; i++) {
		feed(&t, chunk, sizeof(chunk), sizeof(chunk));
		ck_assert_uint_le(evbuffer_get_length(t.in), MAXLINE + 2 +
		    sizeof(chunk));
	}
	ck_assert_int_eq(t.n, 0);	/* reported at its end, once */
	feed(&t, "\r\nafter\n", 8, 8);
	ck_assert_int_eq(t.n, 2);
	ck_assert_str_eq(t.got[0], "!");
	ck_assert_int_eq(t.crlf[0], 1);
	ck_assert_str_eq(t.got[1], "after");
	teardown(&t);
}
END_TEST

START_TEST(test_rest_at_eof)
{
	struct feed	t;

	setup(&t);
	feed(&t, "a\nlast\r", 7, 3);
	drain(&t, 1);
	ck_assert_int_eq(t.n, 2);
	ck_assert_str_eq(t.got[0], "a");
	ck_assert_str_eq(t.got[1], "last");
	drain(&t, 1);
	ck_assert_int_eq(t.n, 2);
	ck_assert_uint_eq(evbuffer_get_length(t.in), 0);
	teardown(&t);
}
END_TEST

START_TEST(test_rest_discarding)
{
	char		big[40];
	struct feed	t;

	memset(big, 'z', sizeof(big));
	setup(&t);
	feed(&t, big, sizeof(big), 40);
	drain(&t, 1);
	ck_assert_int_eq(t.n, 1);
	ck_assert_str_eq(t.got[0], "!");
	ck_assert_uint_eq(evbuffer_get_length(t.in), 0);
	teardown(&t);
}
END_TEST

/*
 * One stream and what it must give at MAXLINE: lines ("!" for too long),
 * each with its line-ending flag, and the telnet answers.
 */
struct fcase {
	const char	*in;
	size_t		 inlen;
	const char	*want[4];
	int		 crlf[4];
	const char	*rep;
};
#define S(s)	s, sizeof(s) - 1

static const struct fcase fcases[] = {
	/* Exactly max_line, with either ending. */
	{ S("0123456789abcdef\r\n0123456789abcdef\n"),
	  { "0123456789abcdef", "0123456789abcdef" }, { 1, 0 }, "" },
	/* One over, each ending: too long, answered with that ending. */
	{ S("ok\n0123456789abcdefg\r\n"), { "ok", "!" }, { 0, 1 }, "" },
	{ S("ok\r\n0123456789abcdefg\n"), { "ok", "!" }, { 1, 0 }, "" },
	/* Over the window: the CR is the last byte of the window. */
	{ S("ok\n0123456789abcdefgh\r\nz\n"), { "ok", "!", "z" },
	  { 0, 1, 0 }, "" },
	/* ... and the CR just past it. */
	{ S("ok\n0123456789abcdefghi\r\n"), { "ok", "!" }, { 0, 1 }, "" },
	/* Max bytes and two CRs: one CR is data, so one over. */
	{ S("0123456789abcdef\r\r\n"), { "!" }, { 1 }, "" },
	/* A CR before an IAC NOP before the LF still ends CRLF. */
	{ S("0123456789abcdefghij\r\xff\xf1\n"), { "!" }, { 1 }, "" },
	/* IAC and a byte below 240: the byte is data, LF included. */
	{ S("x\xffy\na\xff\nb\n"), { "xy", "a", "b" }, { 0, 0, 0 }, "" },
	/* IAC IAC is 255; IAC EC and IAC AO are ignored. */
	{ S("\xff\xff\xff\xf7" "a\xff\xf5\r\n"), { "\xff" "a" }, { 1 },
	  "" },
	/* IP and EL discard the line typed so far. */
	{ S("ab\xff\xf4" "cd\r\nef\xff\xf8gh\n"), { "cd", "gh" }, { 1, 0 },
	  "" },
	/* IP ends an over-long line without a report. */
	{ S("0123456789abcdefghijklmnop\xff\xf4ok\n"), { "ok" }, { 0 }, "" },
	/* Commands do not count against max_line. */
	{ S("0123\xff\xf1\xff\xf1\xff\xf1\xff\xf1" "4567\xff\xfb\x01"
	    "89ab\xff\xfa\x18\x01\xff\xf0" "cdef\r\n"),
	  { "0123456789abcdef" }, { 1 }, "\xff\xfe\x01" },
	/* Ctrl-C: TIMING-MARK answered each time it is read. */
	{ S("abc\xff\xf4\xff\xfd\x06"), { NULL }, { 0 },
	  "\xff\xfb\x06" },
	/* Refusals once per option and direction; none for WONT, DONT. */
	{ S("\xff\xfd\x01\xff\xfd\x01\xff\xfb\x01\xff\xfb\x01"
	    "\xff\xfc\x03\xff\xfe\x03x\n"),
	  { "x" }, { 0 }, "\xff\xfc\x01\xff\xfe\x01" },
	/* The option byte of DO is no LF, even when it is 10. */
	{ S("a\xff\xfd\nb\n"), { "ab" }, { 0 }, "\xff\xfc\n" },
	/* An unterminated subnegotiation ends after 64 bytes. */
	{ S("\xff\xfa" "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef" "tail\nok\n"),
	  { "tail", "ok" }, { 0, 0 }, "" },
	/* 62 bytes, IAC SE: the 64th is SE, it ends there. */
	{ S("\xff\xfa" "0123456789\n123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123\xff\xf0ok\n"),
	  { "ok" }, { 0 }, "" },
	/* 63 bytes, IAC SE: the IAC is the 64th, the SE is data. */
	{ S("\xff\xfa" "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcde\xff\xf0ok\n"),
	  { "\xf0ok" }, { 0 }, "" },
	/* At EOF: a last line keeps the previous ending, its CR dropped. */
	{ S("a\r\nlast\r"), { "a", "last" }, { 1, 1 }, "" },
	{ S("a\nlast\xff\xfd"), { "a", "last" }, { 0, 0 }, "" },
	/* ... and an over-long one is reported. */
	{ S("a\r\n0123456789abcdefghijkl"), { "a", "!" }, { 1, 1 }, "" },
	/* Exactly max_line + 1 and a CR at EOF: fits. */
	{ S("0123456789abcdef\r"), { "0123456789abcdef" }, { 0 }, "" },
};

/* Each case above, cut into reads of every size. */
START_TEST(test_cases_any_split)
{
	const struct fcase	*fc;
	struct feed		 t;
	size_t			 i, k;

	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		fc = &fcases[i];
		setup(&t);
		feed(&t, fc->in, fc->inlen, (size_t)_i);
		drain(&t, 1);
		for (k = 0; k < 4 && fc->want[k] != NULL; k++) {
			ck_assert_msg(k < (size_t)t.n, "case %zu: %zu lines, "
			    "got %d", i, k + 1, t.n);
			ck_assert_msg(strcmp(t.got[k], fc->want[k]) == 0,
			    "case %zu line %zu: got \"%s\"", i, k, t.got[k]);
			ck_assert_msg(t.crlf[k] == fc->crlf[k],
			    "case %zu line %zu: crlf %d", i, k, t.crlf[k]);
		}
		ck_assert_msg((size_t)t.n == k, "case %zu: %d lines", i, t.n);
		ck_assert_msg(t.nrep == strlen(fc->rep) &&
		    memcmp(t.rep, fc->rep, t.nrep) == 0,
		    "case %zu: %zu answer bytes", i, t.nrep);
		teardown(&t);
	}
}
END_TEST

/* Take one line and compare it. */
static void
expect_line(struct framer *f, struct evbuffer *in, size_t max,
    const char *want)
{
	char	*line;
	size_t	 len;

	ck_assert_int_eq(framer_next(f, in, max, &line, &len), FRAMER_LINE);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(line, want);
}

/*
 * The connection stops taking lines in the middle of a batch (its output
 * backed up) and reads more: the append may move the bytes already in the
 * buffer (libevent realigns a chain to make room, as here), and the lines
 * must still come out whole and in order.
 */
START_TEST(test_append_mid_batch)
{
	struct framer	 f;
	struct evbuffer	*in;
	char		 head[604], more[700], big[601], *line;
	size_t		 len, i;

	memset(&f, 0, sizeof(f));
	in = evbuffer_new();
	memset(head, 'a', 600);
	memcpy(head + 600, "\nb\nc", 4);
	ck_assert_int_eq(evbuffer_add(in, head, sizeof(head)), 0);
	memset(big, 'a', 600);
	big[600] = '\0';
	expect_line(&f, in, 1000, big);
	expect_line(&f, in, 1000, "b");
	ck_assert_int_eq(framer_next(&f, in, 1000, &line, &len), FRAMER_NONE);
	ck_assert_int_eq(evbuffer_add(in, "\nd\ne\n", 5), 0);
	expect_line(&f, in, 1000, "c");
	for (i = 0; i < sizeof(more); i += 2)
		memcpy(more + i, "g\n", 2);
	ck_assert_int_eq(evbuffer_add(in, more, sizeof(more)), 0);
	expect_line(&f, in, 1000, "d");
	expect_line(&f, in, 1000, "e");
	for (i = 0; i < sizeof(more) / 2; i++)
		expect_line(&f, in, 1000, "g");
	ck_assert_int_eq(framer_next(&f, in, 1000, &line, &len), FRAMER_NONE);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	evbuffer_free(in);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("framer");
	TCase	*tc = tcase_create("framing");

	tcase_add_loop_test(tc, test_lf_crlf_any_split, 1, 20);
	tcase_add_loop_test(tc, test_iac_any_split, 1, 40);
	tcase_add_loop_test(tc, test_iac_later_in_batch, 1, 30);
	tcase_add_loop_test(tc, test_too_long_then_recovers, 1, 30);
	tcase_add_test(tc, test_exact_limit);
	tcase_add_loop_test(tc, test_cases_any_split, 1, 40);
	tcase_add_test(tc, test_unfinished_is_bounded);
	tcase_add_test(tc, test_rest_at_eof);
	tcase_add_test(tc, test_rest_discarding);
	tcase_add_test(tc, test_append_mid_batch);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_framer"));
}

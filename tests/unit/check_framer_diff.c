/*
 * switchboard tests: the real framer against the reference one
 * (framer_ref.c), on random streams cut into random reads. The streams are
 * made of the pieces the boundaries care about: runs of data around
 * max_line, CR, LF, CRLF, and telnet commands of every kind, whole,
 * unfinished or malformed. Seeds are fixed, so a failure repeats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "../check_common.h"
#include "framer.h"
#include "framer_ref.h"

#define STREAMS	4000
#define STREAM_MAX 4096

static const size_t	maxes[] = { 16, 17, 23, 64 };

/* A small deterministic generator (xorshift64). */
static unsigned
rnd(unsigned long long *s, unsigned n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return ((unsigned)(*s >> 32) % n);
}

/* Append one random piece to p at *len (room for STREAM_MAX). */
static void
piece(unsigned long long *s, size_t max, unsigned char *p, size_t *len)
{
	static const unsigned char	cmds[] = { 240, 241, 242, 243, 244,
	    245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255 };
	static const unsigned char	opts[] = { 0, 1, 3, 6, 10, 24, 31,
	    255 };
	unsigned char			 tmp[300];
	size_t				 n = 0, k, i;

	switch (rnd(s, 14)) {
	case 0:
	case 1:
	case 2:		/* a run of data near max_line */
		k = max + 3 - rnd(s, 6);
		if (rnd(s, 4) == 0)
			k = rnd(s, 4);
		else if (rnd(s, 8) == 0)
			k = max * 2 + rnd(s, 3 * max);
		if (k > 250)
			k = 250;
		for (i = 0; i < k; i++)
			tmp[n++] = (unsigned char)('a' + rnd(s, 26));
		break;
	case 3:
		tmp[n++] = '\n';
		break;
	case 4:
		tmp[n++] = '\r';
		tmp[n++] = '\n';
		break;
	case 5:
		tmp[n++] = '\r';
		break;
	case 6:		/* IAC and a command byte, and maybe an option */
		tmp[n++] = 255;
		tmp[n++] = cmds[rnd(s, sizeof(cmds))];
		if (tmp[n - 1] >= 251 && tmp[n - 1] != 255)
			tmp[n++] = opts[rnd(s, sizeof(opts))];
		break;
	case 7:		/* IAC and a byte that is no command */
		tmp[n++] = 255;
		tmp[n++] = rnd(s, 3) == 0 ? '\n' : (unsigned char)rnd(s, 240);
		break;
	case 8:		/* a subnegotiation, maybe unterminated */
		tmp[n++] = 255;
		tmp[n++] = 250;
		k = rnd(s, 4) == 0 ? 50 + rnd(s, 30) : rnd(s, 8);
		for (i = 0; i < k; i++) {
			tmp[n++] = "\n\r\xff" "ab"[rnd(s, 5)];
		}
		if (rnd(s, 3) != 0) {
			tmp[n++] = 255;
			tmp[n++] = 240;
		}
		break;
	case 9:		/* ^C in telnet */
		memcpy(tmp, "\xff\xf4\xff\xfd\x06", 5);
		n = 5;
		break;
	case 10:
		tmp[n++] = 255;
		tmp[n++] = 255;
		break;
	case 11:
		tmp[n++] = 255;
		break;
	default:	/* any byte */
		tmp[n++] = (unsigned char)rnd(s, 256);
		break;
	}
	if (*len + n > STREAM_MAX)
		n = STREAM_MAX - *len;
	memcpy(p + *len, tmp, n);
	*len += n;
}

/* What the real framer gives, taking at most `most` results (-1: all). */
static void
take(struct framer *f, struct evbuffer *in, size_t max, int most,
    struct ref_log *log, struct ref_log *replies)
{
	enum framer_status	 st;
	unsigned char		 buf[64];
	char			*line;
	size_t			 len, n;

	while (most-- != 0) {
		st = framer_next(f, in, max, &line, &len);
		while ((n = framer_replies(f, buf, sizeof(buf))) > 0)
			ref_log_add(replies, FRAMER_LINE, buf, n, 0);
		if (st == FRAMER_NONE) {
			ck_assert_uint_le(evbuffer_get_length(in), max + 1);
			return;
		}
		if (st == FRAMER_LINE) {
			ck_assert_uint_le(len, max);
			ck_assert_int_eq(line[len], '\0');
		}
		ref_log_add(log, st, line, len, f->crlf);
	}
}

/* The reply bytes of a log made of replies only. */
static size_t
reply_bytes(struct ref_log *l, unsigned char *out, size_t size)
{
	size_t	i = 0, o = 0, len;

	while (i < l->len) {
		memcpy(&len, l->buf + i + 2, sizeof(len));
		ck_assert_uint_le(o + len, size);
		memcpy(out + o, l->buf + i + 2 + sizeof(len), len);
		o += len;
		i += 2 + sizeof(len) + len + 1;
	}
	return (o);
}

/* Print a log, one result a line. */
static void
dump(struct ref_log *l)
{
	size_t	i = 0, len, k;

	while (i < l->len) {
		memcpy(&len, l->buf + i + 2, sizeof(len));
		fprintf(stderr, "  %s crlf %d len %zu: ", l->buf[i] ==
		    FRAMER_LINE ? "line" : "too long", l->buf[i + 1], len);
		i += 2 + sizeof(len);
		if (l->buf[i - 2 - sizeof(len)] == FRAMER_LINE) {
			for (k = 0; k < len; k++)
				fprintf(stderr, "%02x ", l->buf[i + k]);
			i += len;
		}
		fprintf(stderr, "\n");
		i++;
	}
}

/* Run one stream through both framers and compare. */
static void
compare(unsigned long long seed)
{
	static unsigned char	 data[STREAM_MAX], got_replies[3 * 600];
	unsigned long long	 s = seed;
	struct framer_ref	 r;
	struct ref_log		 want = { 0 }, got = { 0 }, replies = { 0 };
	struct framer		 f;
	struct evbuffer		*in;
	char			*line, rest[64 + 3];
	size_t			 max, len = 0, i, n, maxstep;
	enum framer_status	 st;

	max = maxes[rnd(&s, sizeof(maxes) / sizeof(maxes[0]))];
	n = 5 + rnd(&s, 60);
	for (i = 0; i < n; i++)
		piece(&s, max, data, &len);

	ref_init(&r, max, &want);
	ref_feed(&r, data, len);
	ref_eof(&r);

	memset(&f, 0, sizeof(f));
	in = evbuffer_new();
	evbuffer_freeze(in, 0);
	maxstep = 1 + rnd(&s, 3) * 40;
	for (i = 0; i < len; i += n) {
		n = 1 + rnd(&s, (unsigned)maxstep);
		if (n > len - i)
			n = len - i;
		evbuffer_unfreeze(in, 0);
		ck_assert_int_eq(evbuffer_add(in, data + i, n), 0);
		evbuffer_freeze(in, 0);
		/* Now and then stop mid-batch, as under backpressure. */
		take(&f, in, max, rnd(&s, 4) == 0 ? (int)rnd(&s, 3) : -1,
		    &got, &replies);
	}
	take(&f, in, max, -1, &got, &replies);
	st = framer_rest(&f, in, max, rest, &line, &n);
	if (st != FRAMER_NONE)
		ref_log_add(&got, st, line, n, f.crlf);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);

	if (got.len != want.len || (got.len > 0 &&
	    memcmp(got.buf, want.buf, got.len) != 0)) {
		fprintf(stderr, "seed %llu max %zu: stream of %zu bytes:\n",
		    seed, max, len);
		for (i = 0; i < len; i++)
			fprintf(stderr, "%02x%s", data[i],
			    i % 32 == 31 ? "\n" : " ");
		fprintf(stderr, "\nwant:\n");
		dump(&want);
		fprintf(stderr, "got:\n");
		dump(&got);
		ck_abort_msg("framer and reference differ (seed %llu)", seed);
	}
	n = reply_bytes(&replies, got_replies, sizeof(got_replies));
	ck_assert_msg(ref_check_replies(&r, got_replies, n) == 0,
	    "wrong telnet answers (seed %llu)", seed);
	ref_log_free(&want);
	ref_log_free(&got);
	ref_log_free(&replies);
	ref_free(&r);
	framer_free(&f);
	evbuffer_free(in);
}

START_TEST(test_random_streams)
{
	unsigned long long	seed;

	for (seed = 1; seed <= STREAMS; seed++)
		compare(seed * 0x9e3779b97f4a7c15ULL);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("framer_diff");
	TCase	*tc = tcase_create("against the reference");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_streams);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_framer_diff"));
}

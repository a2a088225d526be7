/*
 * switchboard fuzzing: the line framer. The first bytes choose max_line
 * and how the rest is cut into reads; the framer must hand out only lines
 * within max_line, NUL-terminated, without an LF, never hold more than
 * max_line + 1 bytes of an unfinished line once it has taken every line,
 * and give exactly what the byte-at-a-time reference framer
 * (tests/unit/framer_ref.c) gives: the same lines, over-long reports and
 * line endings, and the telnet answers it asks for.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "framer.h"
#include "../tests/unit/framer_ref.c"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Take every line now available (at most `most` of them if not -1). */
static void
take(struct framer *f, struct evbuffer *in, size_t max, int most,
    struct ref_log *log, struct ref_log *replies)
{
	enum framer_status	 st;
	uint8_t			 buf[64];
	char			*line;
	size_t			 len, n;

	while (most-- != 0) {
		st = framer_next(f, in, max, &line, &len);
		while ((n = framer_replies(f, buf, sizeof(buf))) > 0) {
			/* Raw bytes: one entry's text is read back below. */
			if (replies->len + n > replies->size) {
				replies->size = (replies->len + n) * 2;
				replies->buf = realloc(replies->buf,
				    replies->size);
				assert(replies->buf != NULL);
			}
			memcpy(replies->buf + replies->len, buf, n);
			replies->len += n;
		}
		if (st == FRAMER_NONE) {
			assert(evbuffer_get_length(in) <= max + 1);
			return;
		}
		if (st == FRAMER_LINE) {
			assert(len <= max);
			assert(line[len] == '\0');
			assert(memchr(line, '\n', len) == NULL);
		}
		ref_log_add(log, st, line, len, f->crlf);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct framer		 f;
	struct framer_ref	 r;
	struct ref_log		 want = { 0 }, got = { 0 }, replies = { 0 };
	struct evbuffer		*in;
	enum framer_status	 st;
	char			*line, rest[300 + 3];
	size_t			 max, step, i, n, len;
	int			 partial;

	if (size < 2)
		return (0);
	max = 16 + data[0] % 285;		/* 16 .. 300 */
	step = 1 + data[1] % 64;
	partial = data[1] >= 128;	/* stop mid-batch now and then */
	data += 2;
	size -= 2;

	ref_init(&r, max, &want);
	ref_feed(&r, data, size);
	ref_eof(&r);

	memset(&f, 0, sizeof(f));
	in = evbuffer_new();
	for (i = 0; i < size; i += n) {
		n = size - i < step ? size - i : step;
		evbuffer_add(in, data + i, n);
		take(&f, in, max, partial && i % 3 == 0 ? 1 : -1, &got,
		    &replies);
		assert(evbuffer_get_length(in) <= max + 2 + 2 * step ||
		    partial);
	}
	take(&f, in, max, -1, &got, &replies);
	st = framer_rest(&f, in, max, rest, &line, &len);
	if (st != FRAMER_NONE)
		ref_log_add(&got, st, line, len, f.crlf);
	assert(evbuffer_get_length(in) == 0);

	assert(got.len == want.len && (got.len == 0 ||
	    memcmp(got.buf, want.buf, got.len) == 0));
	assert(ref_check_replies(&r, replies.buf, replies.len) == 0);

	ref_log_free(&want);
	ref_log_free(&got);
	ref_log_free(&replies);
	ref_free(&r);
	framer_free(&f);
	evbuffer_free(in);
	return (0);
}

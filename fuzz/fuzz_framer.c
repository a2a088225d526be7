/*
 * switchboard fuzzing: the line framer. The first bytes choose max_line
 * and how the rest is cut into reads; the framer must hand out only lines
 * within max_line, NUL-terminated, without an LF, and never hold more than
 * max_line + 2 bytes of an unfinished line plus the read in progress.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "framer.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
take(struct framer *f, struct evbuffer *in, size_t max, int eof)
{
	enum framer_status	 st;
	char			*line, rest[300 + 3];
	size_t			 len;

	while ((st = framer_next(f, in, max, &line, &len)) != FRAMER_NONE) {
		if (st == FRAMER_LINE) {
			assert(len <= max);
			assert(line[len] == '\0');
			assert(memchr(line, '\n', len) == NULL);
		}
	}
	if (eof) {
		st = framer_rest(f, in, max, rest, &line, &len);
		if (st == FRAMER_LINE)
			assert(len <= max && line[len] == '\0');
		assert(evbuffer_get_length(in) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct framer	 f;
	struct evbuffer	*in;
	size_t		 max, step, i, n;

	if (size < 2)
		return (0);
	max = 16 + data[0] % 285;		/* 16 .. 300 */
	step = 1 + data[1] % 64;
	data += 2;
	size -= 2;
	memset(&f, 0, sizeof(f));
	in = evbuffer_new();
	for (i = 0; i < size; i += n) {
		n = size - i < step ? size - i : step;
		evbuffer_add(in, data + i, n);
		take(&f, in, max, 0);
		assert(evbuffer_get_length(in) <= max + 2 + step);
	}
	take(&f, in, max, 1);
	evbuffer_free(in);
	return (0);
}

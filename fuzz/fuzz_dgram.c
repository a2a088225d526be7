/*
 * switchboard fuzzing: a datagram split into lines and an answer cut to
 * fit. The lines, with the endings the splitter took away, must give the
 * datagram back byte for byte, each NUL-terminated and without LF; the
 * cut must keep whole lines and stay within its bound with the trailer.
 * The first two bytes choose the cap and the trailer's length.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dgram.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Split the request and check the pieces add up to it. */
static void
check_split(const uint8_t *data, size_t size)
{
	char	*buf, *line, *again;
	size_t	 off = 0, prev = 0, len, pos = 0;
	bool	 crlf;

	buf = malloc(size + 1);
	again = malloc(size + 3);
	assert(buf != NULL && again != NULL);
	memcpy(buf, data, size);
	while (dgram_next(buf, size, &off, &line, &len, &crlf)) {
		assert(line == buf + prev && line[len] == '\0');
		assert(memchr(line, '\n', len) == NULL);
		assert(off > prev || (len == 0 && off == size));
		memcpy(again + pos, data + prev, len);
		pos += len;
		if (crlf)
			again[pos++] = '\r';
		if (off - prev == len + crlf + 1)
			again[pos++] = '\n';	/* it ended with one */
		else
			assert(off == size && off - prev == len && !crlf);
		assert(pos == off);
		prev = off;
	}
	assert(off == size || size == 0);
	assert(pos == size && memcmp(again, data, size) == 0);
	free(again);
	free(buf);
}

/* Cut an answer made of the data (given whole lines) and check it. */
static void
check_cut(const uint8_t *data, size_t size, size_t cap, size_t tlen)
{
	char	*out;
	size_t	 keep;

	out = malloc(size + 1);
	assert(out != NULL);
	memcpy(out, data, size);
	out[size] = '\n';		/* answers end with a line ending */
	keep = dgram_cut(out, size + 1, cap, tlen);
	if (size + 1 <= cap)
		assert(keep == size + 1);
	else if (tlen > cap)
		assert(keep == DGRAM_NOTHING);
	else {
		assert(keep + tlen <= cap);
		assert(keep == 0 || out[keep - 1] == '\n');
		/* The longest: no later line ending fits. */
		assert(memchr(out + keep, '\n', cap - tlen - keep) == NULL);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	cap, tlen, amp;

	check_split(data, size);
	if (size < 2)
		return (0);
	cap = (size_t)data[0] * 4;
	tlen = data[1] % 40;
	amp = (size_t)(data[1] % 12) + 1;
	check_cut(data + 2, size - 2, cap, tlen);
	assert(dgram_cap(size, cap, amp) <= cap);
	assert(dgram_cap(size, cap, amp) <= size * amp);
	assert(dgram_cap(size, cap, amp) == cap ||
	    dgram_cap(size, cap, amp) == size * amp);
	return (0);
}

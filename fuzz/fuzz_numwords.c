/*
 * switchboard fuzzing: number parsing and wording. A number the parser
 * accepts must be what strtoll reads from the same digits, and its words
 * (both styles) must fit and use only lowercase letters, spaces and
 * hyphens.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numwords.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_words(int64_t v, enum numwords_style style)
{
	char	buf[NUMWORDS_MAX];
	size_t	n, i;

	n = numwords_format(v, style, buf, sizeof(buf));
	assert(n > 0 && n < sizeof(buf) - 1 && buf[n] == '\0');
	for (i = 0; i < n; i++)
		assert((buf[i] >= 'a' && buf[i] <= 'z') || buf[i] == ' ' ||
		    buf[i] == '-');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	copy[64];
	int64_t	v, w;

	switch (numwords_parse((const char *)data, size, &v)) {
	case NUMWORDS_OK:
		assert(size < sizeof(copy) || memchr(data, 0, size) == NULL);
		if (size < sizeof(copy)) {
			memcpy(copy, data, size);
			copy[size] = '\0';
			errno = 0;
			w = strtoll(copy, NULL, 10);
			assert(errno == 0 && w == v);
		}
		check_words(v, NUMWORDS_AMERICAN);
		check_words(v, NUMWORDS_BRITISH);
		break;
	default:
		break;
	}
	if (size >= 8) {
		memcpy(&v, data, 8);		/* any int64 can be worded */
		check_words(v, NUMWORDS_AMERICAN);
		check_words(v, NUMWORDS_BRITISH);
	}
	return (0);
}

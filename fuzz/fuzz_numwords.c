/*
 * switchboard fuzzing: number parsing and wording. The parser's verdict
 * must be the one a plain byte-by-byte reading gives, a number it accepts
 * must be what strtoll reads from the same digits, and its words (both
 * styles) must fit and use only lowercase letters, spaces and hyphens.
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

/*
 * The verdict, from the rules as written, one byte at a time; OK stands
 * for any number of up to 19 significant digits, in int64 range or not.
 */
static enum numwords_parse_result
reference(const uint8_t *d, size_t n)
{
	size_t	i = 0, end = n, k;

	while (i < end && (d[i] == ' ' || d[i] == '\t'))
		i++;
	while (end > i && (d[end - 1] == ' ' || d[end - 1] == '\t'))
		end--;
	if (i == end)
		return (NUMWORDS_BLANK);
	if (d[i] == '+' || d[i] == '-')
		i++;
	if (i == end)
		return (NUMWORDS_INVALID);
	for (k = i; k < end; k++)
		if (d[k] < '0' || d[k] > '9')
			return (NUMWORDS_INVALID);
	while (i < end - 1 && d[i] == '0')
		i++;
	return (end - i > 19 ? NUMWORDS_RANGE : NUMWORDS_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum numwords_parse_result	r, ref;
	char				copy[64];
	int64_t				v, w;

	r = numwords_parse((const char *)data, size, &v);
	ref = reference(data, size);
	assert(r == ref || (ref == NUMWORDS_OK && r == NUMWORDS_RANGE));
	if (ref == NUMWORDS_OK && size < sizeof(copy)) {
		/* The reference has only digits and blanks: no NUL inside. */
		memcpy(copy, data, size);
		copy[size] = '\0';
		errno = 0;
		w = strtoll(copy, NULL, 10);
		assert(r == NUMWORDS_OK ? errno == 0 && w == v :
		    errno == ERANGE);
	}
	switch (r) {
	case NUMWORDS_OK:
		assert(memchr(data, 0, size) == NULL);
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

/*
 * switchboard fuzzing: upper-casing, into a small buffer (the general
 * path, growing) and a large one (the ASCII fast path first). Valid UTF-8
 * must stay valid UTF-8; no ASCII lowercase letter may survive; invalid
 * bytes pass through; ASCII input comes out exactly as toupper makes it.
 */
#include <assert.h>
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <unistr.h>

#include "casemap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const uint8_t *data, size_t size, char *buf, size_t bufsize)
{
	char	*out;
	size_t	 n, i;
	int	 ascii = 1;

	out = casemap_upper((const char *)data, size, buf, bufsize, &n);
	assert(out[n] == '\0');
	if (u8_check(data, size) == NULL)
		assert(u8_check((const uint8_t *)out, n) == NULL);
	for (i = 0; i < n; i++)
		assert(!(out[i] >= 'a' && out[i] <= 'z') ||
		    u8_check(data, size) == NULL);
	for (i = 0; i < size; i++)
		ascii &= data[i] < 0x80;
	if (ascii) {
		assert(n == size);
		for (i = 0; i < size; i++)
			assert(out[i] == (char)toupper(data[i]));
	}
	if (out != buf)
		free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	big[8192];
	char		small[16];

	check(data, size, small, sizeof(small));
	check(data, size, big, sizeof(big));
	return (0);
}

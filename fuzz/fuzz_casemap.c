/*
 * switchboard fuzzing: upper-casing. Valid UTF-8 must stay valid UTF-8;
 * no ASCII lowercase letter may survive; invalid bytes pass through.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <unistr.h>

#include "casemap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 buf[16], *out;
	size_t	 n, i;

	out = casemap_upper((const char *)data, size, buf, sizeof(buf), &n);
	assert(out[n] == '\0');
	if (u8_check(data, size) == NULL)
		assert(u8_check((const uint8_t *)out, n) == NULL);
	for (i = 0; i < n; i++)
		assert(!(out[i] >= 'a' && out[i] <= 'z') ||
		    u8_check(data, size) == NULL);
	if (out != buf)
		free(out);
	return (0);
}

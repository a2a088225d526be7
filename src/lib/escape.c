/*
 * switchboard: escape untrusted bytes.
 *
 * Peer input ends up in log lines and in error replies. Printable ASCII is
 * kept; backslash, double quote and every other byte become \xNN, so the
 * result can never carry a terminal escape, a newline or a NUL. At most
 * ESCAPE_MAX input bytes are shown, then "...".
 */
#include <string.h>

#include "escape.h"

/* Render len bytes of data into buf (size bytes); returns buf. */
const char *
escape_bytes(const void *data, size_t len, char *buf, size_t size)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = data;
	size_t			 i, o = 0, n = len;

	if (size == 0)
		return (buf);
	if (n > ESCAPE_MAX)
		n = ESCAPE_MAX;
	for (i = 0; i < n && o + 5 < size; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' &&
		    p[i] != '"') {
			buf[o++] = (char)p[i];
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[p[i] >> 4];
		buf[o++] = hex[p[i] & 0xf];
	}
	if (i < len && o + 4 <= size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return (buf);
}

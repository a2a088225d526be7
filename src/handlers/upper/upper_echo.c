/*
 * switchboard: the uppercase-echo handler. Every line, blank ones too,
 * comes back in capitals.
 */
#include <stdlib.h>

#include <switchboard/handler.h>

#include "casemap.h"

static enum sb_verdict	upper_echo_line(struct sb_conn *, const char *,
			    size_t);

/* Echo one line upper-cased. */
static enum sb_verdict
upper_echo_line(struct sb_conn *c, const char *line, size_t len)
{
	char	 buf[8192];
	char	*out;
	size_t	 n;

	out = casemap_upper(line, len, buf, sizeof(buf), &n);
	sb_conn_write(c, out, n);
	if (out != buf)
		free(out);
	return (SB_CONTINUE);
}

const struct sb_handler upper_echo_handler = {
	.name = "uppercase-echo",
	.line = upper_echo_line,
};

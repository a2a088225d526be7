/*
 * switchboard: the uppercase-echo handler. Every line, blank ones too,
 * comes back in capitals.
 */
#include <stdlib.h>

#include <switchboard/handler.h>

#include "casemap.h"

static void	upper_echo_line(struct sb_conn *, const char *,
			    size_t);

/* Echo one line upper-cased. */
static void
upper_echo_line(struct sb_conn *c, const char *line, size_t len)
{
	char	 buf[8192];
	char	*out;
	size_t	 n;

	out = casemap_upper(line, len, buf, sizeof(buf), &n);
	sb_conn_write(c, out, n);
	if (out != buf)
		free(out);
}

const struct sb_handler upper_echo_handler = {
	.name = "uppercase-echo",
	.line = upper_echo_line,
	.flags = SB_HANDLER_DATAGRAMS,	/* each answer is the request's alone */
};

/*
 * switchboard: safe rendering of untrusted bytes for logs and replies.
 */
#ifndef SB_ESCAPE_H
#define SB_ESCAPE_H

#include <stddef.h>

#define ESCAPE_MAX	64			/* input bytes shown */
#define ESCAPE_BUFSZ	(ESCAPE_MAX * 4 + 4)	/* worst-case output */

const char	*escape_bytes(const void *, size_t, char *, size_t);

#endif

/*
 * switchboard: the handler API's utilities (handler.h): memory that cannot
 * run out, a fatal exit, and escaping untrusted bytes. Handlers reach the
 * daemon's own helpers only through these.
 */
#include <stdarg.h>
#include <stdio.h>

#include <switchboard/handler.h>

#include "escape.h"
#include "log.h"
#include "xmalloc.h"

void *
sb_malloc(size_t n)
{
	return (xmalloc(n));
}

void *
sb_calloc(size_t n, size_t size)
{
	return (xcalloc(n, size));
}

void *
sb_reallocarray(void *p, size_t n, size_t size)
{
	return (xreallocarray(p, n, size));
}

int
sb_asprintf(char **out, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = xvasprintf(out, fmt, ap);
	va_end(ap);
	return (n);
}

/* Log the message and exit. */
void
sb_fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfatalx(fmt, ap);
}

const char *
sb_escape(const void *data, size_t len, char *buf, size_t size)
{
	return (escape_bytes(data, len, buf, size));
}

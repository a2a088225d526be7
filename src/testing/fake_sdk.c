/*
 * switchboard test harness: the rest of the handler API, the service's
 * calls and the utilities, as the core has them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/testing.h>

#include "escape.h"
#include "fake.h"

const char *
sb_service_name(struct sb_service *svc)
{
	return (svc->name);
}

const void *
sb_service_conf(struct sb_service *svc)
{
	return (svc->conf);
}

void *
sb_service_data(struct sb_service *svc)
{
	return (svc->data);
}

void
sb_service_set_data(struct sb_service *svc, void *data)
{
	svc->data = data;
}

bool
sb_service_is_stopping(struct sb_service *svc)
{
	return (svc->stop_reason != NULL);
}

const char *
sb_service_stop_reason(struct sb_service *svc)
{
	return (svc->stop_reason);
}

void
sb_service_log(struct sb_service *svc, int level, const char *fmt, ...)
{
	char	*msg;
	va_list	 ap;

	va_start(ap, fmt);
	fake_vasprintf(&msg, fmt, ap);
	va_end(ap);
	fake_log_add(svc, level, "%s: %s", svc->name, msg);
	free(msg);
}

void *
sb_malloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fake_abort("out of memory");
	return (p);
}

void *
sb_calloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fake_abort("out of memory");
	return (p);
}

void *
sb_reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		fake_abort("reallocarray: %zu * %zu overflows", n, size);
	if ((p = realloc(p, n * size == 0 ? 1 : n * size)) == NULL)
		fake_abort("out of memory");
	return (p);
}

/* vasprintf without _GNU_SOURCE, never failing. */
int
fake_vasprintf(char **out, const char *fmt, va_list ap)
{
	va_list	ap2;
	int	n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fake_abort("bad format \"%s\"", fmt);
	*out = sb_malloc((size_t)n + 1);
	vsnprintf(*out, (size_t)n + 1, fmt, ap);
	return (n);
}

int
sb_asprintf(char **out, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = fake_vasprintf(out, fmt, ap);
	va_end(ap);
	return (n);
}

/* The daemon would exit: the test stops here. */
void
sb_fatal(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fake_abort("sb_fatal: %s", msg);
}

const char *
sb_escape(const void *data, size_t len, char *buf, size_t size)
{
	return (escape_bytes(data, len, buf, size));
}

/*
 * switchboard: upper-case a line.
 *
 * Runs of valid UTF-8 get full Unicode case mapping from libunistring
 * (so "straße" becomes "STRASSE"); a byte that is not part of valid UTF-8
 * is passed through, upper-cased only if it is an ASCII letter. A line is
 * never rejected for its encoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unistr.h>

#include "casemap.h"
#include "log.h"
#include "xmalloc.h"

struct casemap_out {
	char	*buf;
	size_t	 size;
	size_t	 len;
	char	*given;		/* the caller's buffer, never freed here */
};

static void	casemap_reserve(struct casemap_out *, size_t);
static void	casemap_run(struct casemap_out *, const uint8_t *, size_t);

/* Make room for n more bytes, moving off the caller's buffer if needed. */
static void
casemap_reserve(struct casemap_out *o, size_t n)
{
	size_t	 want = o->len + n + 1;
	char	*p;

	if (want <= o->size)
		return;
	if (want < o->size * 2)
		want = o->size * 2;
	if (o->buf == o->given) {
		p = xmalloc(want);
		memcpy(p, o->buf, o->len);
	} else
		p = xreallocarray(o->buf, want, 1);
	o->buf = p;
	o->size = want;
}

/* Append the upper-case form of a run of valid UTF-8. */
static void
casemap_run(struct casemap_out *o, const uint8_t *p, size_t run)
{
	uint8_t	*dst, *mapped;
	size_t	 i, mlen;

	casemap_reserve(o, run);
	dst = (uint8_t *)o->buf + o->len;
	for (i = 0; i < run && p[i] < 0x80; i++)
		dst[i] = (p[i] >= 'a' && p[i] <= 'z') ? p[i] - 'a' + 'A' : p[i];
	if (i == run) {			/* all ASCII: the common case */
		o->len += run;
		return;
	}
	mlen = o->size - o->len - 1;
	mapped = u8_toupper(p, run, NULL, NULL, dst, &mlen);
	if (mapped == NULL)
		fatal("u8_toupper");
	if (mapped != dst) {		/* did not fit: libunistring allocated */
		casemap_reserve(o, mlen);
		memcpy(o->buf + o->len, mapped, mlen);
		free(mapped);
	}
	o->len += mlen;
}

/*
 * Upper-case len bytes of s. The result goes into buf (size bytes, at
 * least 1) if it fits, otherwise into a new allocation that the caller
 * frees when the returned pointer differs from buf. The result is
 * NUL-terminated; *outlen is its length without the NUL.
 */
char *
casemap_upper(const char *s, size_t len, char *buf, size_t size,
    size_t *outlen)
{
	struct casemap_out	 o = { buf, size, 0, buf };
	const uint8_t		*p = (const uint8_t *)s, *end = p + len;
	const uint8_t		*bad;
	size_t			 i;

	/*
	 * An ASCII prefix that fits (often the whole line) needs no UTF-8
	 * check; the rest goes the general way.
	 */
	if (len < size) {
		for (i = 0; i < len && p[i] < 0x80; i++)
			buf[i] = (char)(p[i] ^
			    (((unsigned)p[i] - 'a' < 26u) << 5));
		o.len = i;
		p += i;
	}
	while (p < end) {
		bad = u8_check(p, (size_t)(end - p));
		if (bad == NULL)
			bad = end;
		if (bad > p) {
			casemap_run(&o, p, (size_t)(bad - p));
			p = bad;
		}
		if (p < end) {
			casemap_reserve(&o, 1);
			o.buf[o.len++] = (*p >= 'a' && *p <= 'z') ?
			    (char)(*p - 'a' + 'A') : (char)*p;
			p++;
		}
	}
	o.buf[o.len] = '\0';
	*outlen = o.len;
	return (o.buf);
}

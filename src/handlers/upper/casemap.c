/*
 * switchboard: upper-case a line.
 *
 * Runs of valid UTF-8 get full Unicode case mapping from libunistring
 * (so "straße" becomes "STRASSE"); a byte that is not part of valid UTF-8
 * is passed through, upper-cased only if it is an ASCII letter. A line is
 * never rejected for its encoding.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unistr.h>

#include <switchboard/handler.h>

#include "casemap.h"

struct casemap_out {
	char	*buf;
	size_t	 size;
	size_t	 len;
	char	*given;		/* the caller's buffer, never freed here */
};

static void	casemap_reserve(struct casemap_out *, size_t);
static void	casemap_run(struct casemap_out *, const uint8_t *, size_t);
static size_t	casemap_ascii(const uint8_t *, size_t, char *);

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
		p = sb_malloc(want);
		memcpy(p, o->buf, o->len);
	} else
		p = sb_reallocarray(o->buf, want, 1);
	o->buf = p;
	o->size = want;
}

/* Append the upper-case form of a run of valid UTF-8. */
static void
casemap_run(struct casemap_out *o, const uint8_t *p, size_t run)
{
	uint8_t	*dst, *mapped;
	size_t	 mlen;

	casemap_reserve(o, run);
	dst = (uint8_t *)o->buf + o->len;
	if (casemap_ascii(p, run, (char *)dst) == run) {
		o->len += run;		/* all ASCII: the common case */
		return;
	}
	mlen = o->size - o->len - 1;
	mapped = u8_toupper(p, run, NULL, NULL, dst, &mlen);
	if (mapped == NULL)
		sb_fatal("u8_toupper: %s", strerror(errno));
	if (mapped != dst) {		/* did not fit: libunistring allocated */
		casemap_reserve(o, mlen);
		memcpy(o->buf + o->len, mapped, mlen);
		free(mapped);
	}
	o->len += mlen;
}

/*
 * Upper-case eight ASCII bytes in a word: a byte b < 0x80 is a lowercase
 * letter when b + 0x1f has its high bit set (b >= 'a') and b + 0x05 has
 * not (b <= 'z'); its bit 0x20 is then cleared.
 */
static inline uint64_t
casemap_word(uint64_t w)
{
	const uint64_t	ones = 0x0101010101010101ULL;

	return (w ^ (((w + 0x1f * ones) & ~(w + 0x05 * ones) & 0x80 * ones) >>
	    2));
}

/*
 * Upper-case the ASCII prefix of s[0..len) into buf; returns its length.
 * Words of eight bytes, then the last eight bytes of a longer line again
 * (overlapping), or four bytes of a shorter one; single bytes for the
 * rest, and from a word that holds a non-ASCII byte.
 */
static size_t
casemap_ascii(const uint8_t *s, size_t len, char *buf)
{
	const uint64_t	high = 0x8080808080808080ULL;
	uint64_t	w;
	uint32_t	h;
	size_t		i = 0;
	uint8_t		c;

	for (; len - i >= 8; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		if (w & high)
			break;
		w = casemap_word(w);
		memcpy(buf + i, &w, sizeof(w));
	}
	if (len - i < 8) {		/* no stop at a non-ASCII byte */
		if (i == len)
			return (len);
		if (len >= 8) {
			memcpy(&w, s + len - 8, sizeof(w));
			if (!(w & high)) {
				w = casemap_word(w);
				memcpy(buf + len - 8, &w, sizeof(w));
				return (len);
			}
		} else if (len >= 4) {
			memcpy(&h, s, sizeof(h));
			if (!(h & (uint32_t)high)) {
				h = (uint32_t)casemap_word(h);
				memcpy(buf, &h, sizeof(h));
				i = 4;
			}
		}
	}
	for (; i < len; i++) {
		if ((c = s[i]) >= 0x80)
			break;
		buf[i] = (char)(c ^ (((unsigned)c - 'a' < 26u) << 5));
	}
	return (i);
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

	/*
	 * An ASCII prefix that fits (often the whole line) needs no UTF-8
	 * check; the rest goes the general way.
	 */
	if (len < size) {
		o.len = casemap_ascii(p, len, buf);
		p += o.len;
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

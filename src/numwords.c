/*
 * switchboard: numbers to words.
 *
 * Short scale (a billion is 10^9), lowercase, tens hyphenated ("forty-two").
 * The American style writes "one hundred one"; the British style puts "and"
 * after a hundred and before a final group below one hundred
 * ("one thousand and one").
 */
#include <stdbool.h>
#include <string.h>

#include "numwords.h"

/*
 * A word and its length, padded to a fixed size so that copying one is a
 * single fixed-size move while the output has room for the padding.
 */
#define NUMWORDS_WORD	16
struct numwords_word {
	char	s[NUMWORDS_WORD];
	size_t	n;
};
#define W(s)	{ s, sizeof(s) - 1 }

static const struct numwords_word numwords_ones[20] = {
	W("zero"), W("one"), W("two"), W("three"), W("four"), W("five"),
	W("six"), W("seven"), W("eight"), W("nine"), W("ten"), W("eleven"),
	W("twelve"), W("thirteen"), W("fourteen"), W("fifteen"),
	W("sixteen"), W("seventeen"), W("eighteen"), W("nineteen")
};

static const struct numwords_word numwords_tens[10] = {
	W(""), W(""), W("twenty"), W("thirty"), W("forty"), W("fifty"),
	W("sixty"), W("seventy"), W("eighty"), W("ninety")
};

/* Scale words for groups of three digits, lowest first. */
static const struct numwords_word numwords_scales[7] = {
	W(""), W(" thousand"), W(" million"), W(" billion"), W(" trillion"),
	W(" quadrillion"), W(" quintillion")
};

static const struct numwords_word numwords_zero = W("zero");
static const struct numwords_word numwords_minus = W("minus ");
static const struct numwords_word numwords_hundred = W(" hundred");
static const struct numwords_word numwords_and = W(" and ");
static const struct numwords_word numwords_space = W(" ");
static const struct numwords_word numwords_hyphen = W("-");
#undef W

/* The output: buf[size], len bytes written; the NUL is added at the end. */
struct numwords_out {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

/*
 * The words for every group 1..999 in each style, made on first use, so
 * that a number is at most seven table copies.
 */
#define NUMWORDS_GROUP	32	/* "seven hundred and seventy-seven" fits */
static char	numwords_groups[2][1000][NUMWORDS_GROUP];
static uint8_t	numwords_group_len[2][1000];
static bool	numwords_groups_made;

static void	numwords_copy(struct numwords_out *, const char *, size_t,
		    size_t);
static void	numwords_put(struct numwords_out *,
		    const struct numwords_word *);
static void	numwords_make_groups(void);
static void	numwords_group(struct numwords_out *, unsigned,
		    enum numwords_style);
static bool	numwords_is_blank(char);

/*
 * Append n bytes of s, which is readable for pad bytes: while the output
 * has room, all pad bytes are copied (one fixed-size move) and the excess
 * is overwritten later. Truncates to leave room for the NUL.
 */
static inline void
numwords_copy(struct numwords_out *o, const char *s, size_t n, size_t pad)
{
	if (o->len + pad < o->size)
		memcpy(o->buf + o->len, s, pad);
	else {
		if (o->len + n >= o->size)
			n = o->size - 1 - o->len;
		memcpy(o->buf + o->len, s, n);
	}
	o->len += n;
}

/* Append a word. */
static void
numwords_put(struct numwords_out *o, const struct numwords_word *w)
{
	numwords_copy(o, w->s, w->n, NUMWORDS_WORD);
}

/* Fill the group table. */
static void
numwords_make_groups(void)
{
	char			 tmp[NUMWORDS_GROUP + 1];
	struct numwords_out	 o;
	unsigned		 n;
	int			 style;

	for (style = 0; style < 2; style++) {
		for (n = 1; n < 1000; n++) {
			o = (struct numwords_out){ tmp, sizeof(tmp), 0 };
			numwords_group(&o, n, (enum numwords_style)style);
			memcpy(numwords_groups[style][n], tmp, o.len);
			numwords_group_len[style][n] = (uint8_t)o.len;
		}
	}
	numwords_groups_made = true;
}

/* Append the words for 1..999. */
static void
numwords_group(struct numwords_out *o, unsigned n, enum numwords_style style)
{
	unsigned	rest = n % 100;

	if (n >= 100) {
		numwords_put(o, &numwords_ones[n / 100]);
		numwords_put(o, &numwords_hundred);
		if (rest == 0)
			return;
		numwords_put(o, style == NUMWORDS_BRITISH ? &numwords_and :
		    &numwords_space);
	}
	if (rest < 20) {
		numwords_put(o, &numwords_ones[rest]);
		return;
	}
	numwords_put(o, &numwords_tens[rest / 10]);
	if (rest % 10 != 0) {
		numwords_put(o, &numwords_hyphen);
		numwords_put(o, &numwords_ones[rest % 10]);
	}
}

/*
 * Write v in words into buf (NUL-terminated, truncated to size) and return
 * the length written. NUMWORDS_MAX bytes always suffice.
 */
size_t
numwords_format(int64_t v, enum numwords_style style, char *buf, size_t size)
{
	struct numwords_out	 o = { buf, size, 0 };
	unsigned		 groups[7];
	uint64_t		 mag;
	int			 i, top = 0;
	int			 british = style == NUMWORDS_BRITISH;
	bool			 first = true;

	if (size == 0)
		return (0);
	if (!numwords_groups_made)
		numwords_make_groups();
	if (v == 0) {
		numwords_put(&o, &numwords_zero);
		goto done;
	}
	if (v < 0) {
		numwords_put(&o, &numwords_minus);
		mag = (uint64_t)0 - (uint64_t)v;	/* INT64_MIN safe */
	} else
		mag = (uint64_t)v;
	for (i = 0; mag != 0; i++) {
		groups[i] = (unsigned)(mag % 1000);
		mag /= 1000;
		top = i;
	}
	for (i = top; i >= 0; i--) {
		if (groups[i] == 0)
			continue;
		if (!first) {
			if (i == 0 && groups[0] < 100 && british)
				numwords_put(&o, &numwords_and);
			else
				numwords_put(&o, &numwords_space);
		}
		numwords_copy(&o, numwords_groups[british][groups[i]],
		    numwords_group_len[british][groups[i]], NUMWORDS_GROUP);
		numwords_put(&o, &numwords_scales[i]);
		first = false;
	}
done:
	buf[o.len] = '\0';
	return (o.len);
}

/* Blanks around a number: spaces and tabs. */
static bool
numwords_is_blank(char c)
{
	return (c == ' ' || c == '\t');
}

/*
 * Parse a request line: optional blanks, an optional sign, decimal digits
 * (leading zeros allowed), optional blanks. Anything else is invalid; a
 * well-formed number outside the int64 range is NUMWORDS_RANGE.
 */
enum numwords_parse_result
numwords_parse(const char *s, size_t len, int64_t *out)
{
	size_t		 i = 0, end = len;
	bool		 neg = false, overflow = false;
	uint64_t	 mag = 0, limit;
	unsigned	 d, ndigits = 0;

	while (i < end && numwords_is_blank(s[i]))
		i++;
	while (end > i && numwords_is_blank(s[end - 1]))
		end--;
	if (i == end)
		return (NUMWORDS_BLANK);
	if (s[i] == '+' || s[i] == '-') {
		neg = (s[i] == '-');
		i++;
	}
	if (i == end)
		return (NUMWORDS_INVALID);
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < end; i++) {
		d = (unsigned)(unsigned char)s[i] - '0';
		if (d > 9)
			return (NUMWORDS_INVALID);
		/* 18 digits cannot overflow; check only past that. */
		if (++ndigits > 18 && !overflow &&
		    (__builtin_mul_overflow(mag, 10, &mag) ||
		    __builtin_add_overflow(mag, d, &mag) || mag > limit))
			overflow = true;
		else if (ndigits <= 18)
			mag = mag * 10 + d;
	}
	if (overflow)
		return (NUMWORDS_RANGE);
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return (NUMWORDS_OK);
}

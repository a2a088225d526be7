/*
 * switchboard: numbers to words.
 *
 * Short scale (a billion is 10^9), lowercase, tens hyphenated ("forty-two").
 * The American style writes "one hundred one"; the British style puts "and"
 * after a hundred and before a final group below one hundred
 * ("one thousand and one").
 */
#include <endian.h>
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

/*
 * The words for every group 1..999 in each style, made on first use, so
 * that a number is at most seven table copies.
 */
#define NUMWORDS_GROUP	32	/* "seven hundred and seventy-seven" fits */
static char	numwords_groups[2][1000][NUMWORDS_GROUP];
static uint8_t	numwords_group_len[2][1000];
static bool	numwords_groups_made;

/*
 * Formatting writes whole padded words (fixed-size moves) and then steps
 * over the real length, so it may write up to NUMWORDS_GROUP bytes past
 * the end of its result: it needs a buffer of NUMWORDS_MAX bytes, which
 * holds the longest result (seven groups, under 350 bytes) with that
 * margin.
 */
#define NUMWORDS_PUT(p, w)	do {					\
	memcpy((p), (w)->s, NUMWORDS_WORD);				\
	(p) += (w)->n;							\
} while (0)

static char	*numwords_group(char *, unsigned, enum numwords_style);
static void	 numwords_make_groups(void);
static size_t	 numwords_write(int64_t, enum numwords_style, char *);
static bool	 numwords_is_blank(char);

/* Write the words for 1..999 at p; returns the end. */
static char *
numwords_group(char *p, unsigned n, enum numwords_style style)
{
	unsigned	rest = n % 100;

	if (n >= 100) {
		NUMWORDS_PUT(p, &numwords_ones[n / 100]);
		NUMWORDS_PUT(p, &numwords_hundred);
		if (rest == 0)
			return (p);
		if (style == NUMWORDS_BRITISH)
			NUMWORDS_PUT(p, &numwords_and);
		else
			NUMWORDS_PUT(p, &numwords_space);
	}
	if (rest < 20) {
		NUMWORDS_PUT(p, &numwords_ones[rest]);
		return (p);
	}
	NUMWORDS_PUT(p, &numwords_tens[rest / 10]);
	if (rest % 10 != 0) {
		NUMWORDS_PUT(p, &numwords_hyphen);
		NUMWORDS_PUT(p, &numwords_ones[rest % 10]);
	}
	return (p);
}

/* Fill the group table. */
static void
numwords_make_groups(void)
{
	char		 tmp[NUMWORDS_GROUP + NUMWORDS_WORD * 5];
	unsigned	 n;
	size_t		 len;
	int		 style;

	for (style = 0; style < 2; style++) {
		for (n = 1; n < 1000; n++) {
			len = (size_t)(numwords_group(tmp, n,
			    (enum numwords_style)style) - tmp);
			memcpy(numwords_groups[style][n], tmp, len);
			numwords_group_len[style][n] = (uint8_t)len;
		}
	}
	numwords_groups_made = true;
}

/*
 * Write v in words into buf, which has NUMWORDS_MAX bytes, NUL-terminated;
 * returns the length.
 */
static size_t
numwords_write(int64_t v, enum numwords_style style, char *buf)
{
	const int	 british = style == NUMWORDS_BRITISH;
	unsigned	 groups[7], g;
	uint64_t	 mag;
	char		*p = buf, *words;
	int		 i, top;

	if (v == 0) {
		NUMWORDS_PUT(p, &numwords_zero);
		*p = '\0';
		return ((size_t)(p - buf));
	}
	if (v < 0) {
		NUMWORDS_PUT(p, &numwords_minus);
		mag = (uint64_t)0 - (uint64_t)v;	/* INT64_MIN safe */
	} else
		mag = (uint64_t)v;
	for (top = 0; mag >= 1000; top++) {
		groups[top] = (unsigned)(mag % 1000);
		mag /= 1000;
	}
	groups[top] = (unsigned)mag;
	words = p;
	for (i = top; i >= 0; i--) {
		if ((g = groups[i]) == 0)
			continue;
		if (p != words) {
			if (i == 0 && g < 100 && british)
				NUMWORDS_PUT(p, &numwords_and);
			else
				NUMWORDS_PUT(p, &numwords_space);
		}
		memcpy(p, numwords_groups[british][g], NUMWORDS_GROUP);
		p += numwords_group_len[british][g];
		NUMWORDS_PUT(p, &numwords_scales[i]);
	}
	*p = '\0';
	return ((size_t)(p - buf));
}

/*
 * Write v in words into buf (NUL-terminated, truncated to size) and return
 * the length written. NUMWORDS_MAX bytes always suffice.
 */
size_t
numwords_format(int64_t v, enum numwords_style style, char *buf, size_t size)
{
	char	tmp[NUMWORDS_MAX];
	size_t	n;

	if (!numwords_groups_made)
		numwords_make_groups();
	if (size >= NUMWORDS_MAX)
		return (numwords_write(v, style, buf));
	if (size == 0)
		return (0);
	n = numwords_write(v, style, tmp);
	if (n >= size)
		n = size - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return (n);
}

/* Blanks around a number: spaces and tabs. */
static bool
numwords_is_blank(char c)
{
	return (c == ' ' || c == '\t');
}

/*
 * Read eight ASCII digits at p into *v, eight bytes at a time: returns
 * false if any of them is not a digit. A byte is a digit if its high
 * nibble is 3 and adding 6 leaves it 3 (0x30..0x39).
 */
static inline bool
numwords_eight_digits(const char *p, uint32_t *v)
{
	const uint64_t	ones = 0x0101010101010101ULL;
	uint64_t	w;

	memcpy(&w, p, sizeof(w));
	w = le64toh(w);			/* p[0] in the lowest byte */
	if (((w & 0xf0 * ones) | (((w + 0x06 * ones) & 0xf0 * ones) >> 4)) !=
	    0x33 * ones)
		return (false);
	w -= '0' * ones;
	/* Byte 2k becomes the two-digit number p[2k] p[2k+1]. */
	w = w * 10 + (w >> 8);
	/*
	 * With those four in 16-bit lanes, multiplying by 1 + (100 << 16)
	 * leaves p[0..3] as a number in bits 16..31 and p[4..7] in 48..63.
	 */
	w = (w & 0x00ff00ff00ff00ffULL) * (1 + (100ULL << 16));
	*v = (uint32_t)((w >> 16) & 0xffff) * 10000 +
	    (uint32_t)((w >> 48) & 0xffff);
	return (true);
}

/*
 * Parse a request line: optional blanks, an optional sign, decimal digits
 * (leading zeros allowed), optional blanks. Anything else is invalid; a
 * well-formed number outside the int64 range is NUMWORDS_RANGE.
 */
enum numwords_parse_result
numwords_parse(const char *s, size_t len, int64_t *out)
{
	size_t		 i = 0, end = len, first;
	bool		 neg = false;
	uint64_t	 mag = 0, limit;
	uint32_t	 eight;
	unsigned	 d;
	char		 pad[9] = "00000000";	/* eight used */

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
	while (i < end - 1 && s[i] == '0')
		i++;
	first = i;
	if (end - i <= 8) {
		/* The common case: one step, on the digits after '0's. */
		memcpy(pad + 8 - (end - i), s + i, end - i);
		if (!numwords_eight_digits(pad, &eight))
			return (NUMWORDS_INVALID);
		i = end;
		mag = eight;
	}
	/*
	 * Up to 19 significant digits fit in 64 bits unsigned; more are out
	 * of range, but every byte is still checked (an invalid line says
	 * so). Past 19 digits mag wraps, harmlessly.
	 */
	for (; end - i >= 8 && numwords_eight_digits(s + i, &eight); i += 8)
		mag = mag * 100000000 + eight;
	for (; i < end; i++) {
		d = (unsigned)(unsigned char)s[i] - '0';
		if (d > 9)
			return (NUMWORDS_INVALID);
		mag = mag * 10 + d;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (end - first > 19 || mag > limit)
		return (NUMWORDS_RANGE);
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return (NUMWORDS_OK);
}

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

static const char *const numwords_ones[20] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven",
	"eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
	"fifteen", "sixteen", "seventeen", "eighteen", "nineteen"
};

static const char *const numwords_tens[10] = {
	"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
	"eighty", "ninety"
};

/* Scale words for groups of three digits, lowest first. */
static const char *const numwords_scales[7] = {
	"", " thousand", " million", " billion", " trillion", " quadrillion",
	" quintillion"
};

struct numwords_out {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static void	numwords_put(struct numwords_out *, const char *);
static void	numwords_group(struct numwords_out *, unsigned,
		    enum numwords_style);
static bool	numwords_is_blank(char);

/* Append a string, truncating at the end of the buffer. */
static void
numwords_put(struct numwords_out *o, const char *s)
{
	size_t	n = strlen(s);

	if (o->size == 0)
		return;
	if (o->len + n >= o->size)
		n = o->size - 1 - o->len;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* Append the words for 1..999. */
static void
numwords_group(struct numwords_out *o, unsigned n, enum numwords_style style)
{
	unsigned	rest = n % 100;

	if (n >= 100) {
		numwords_put(o, numwords_ones[n / 100]);
		numwords_put(o, " hundred");
		if (rest == 0)
			return;
		numwords_put(o, style == NUMWORDS_BRITISH ? " and " : " ");
	}
	if (rest < 20) {
		numwords_put(o, numwords_ones[rest]);
		return;
	}
	numwords_put(o, numwords_tens[rest / 10]);
	if (rest % 10 != 0) {
		numwords_put(o, "-");
		numwords_put(o, numwords_ones[rest % 10]);
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
	bool			 first = true;

	if (size > 0)
		buf[0] = '\0';
	if (v == 0) {
		numwords_put(&o, "zero");
		return (o.len);
	}
	if (v < 0) {
		numwords_put(&o, "minus ");
		mag = (uint64_t)0 - (uint64_t)v;	/* INT64_MIN safe */
	} else
		mag = (uint64_t)v;
	for (i = 0; i < 7; i++) {
		groups[i] = (unsigned)(mag % 1000);
		mag /= 1000;
		if (groups[i] != 0)
			top = i;
	}
	for (i = top; i >= 0; i--) {
		if (groups[i] == 0)
			continue;
		if (!first) {
			if (i == 0 && groups[0] < 100 &&
			    style == NUMWORDS_BRITISH)
				numwords_put(&o, " and ");
			else
				numwords_put(&o, " ");
		}
		numwords_group(&o, groups[i], style);
		numwords_put(&o, numwords_scales[i]);
		first = false;
	}
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
	unsigned	 d;

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
		if (s[i] < '0' || s[i] > '9')
			return (NUMWORDS_INVALID);
		d = (unsigned)(s[i] - '0');
		if (mag > (limit - d) / 10)
			overflow = true;
		else
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

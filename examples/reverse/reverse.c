/*
 * reverse: an example switchboard plugin. Every line comes back with its
 * characters in reverse order ("héllo" becomes "olléh"), after the
 * service's prefix option. A character is a valid UTF-8 sequence; a byte
 * that is not part of one is reversed as a byte of its own.
 *
 * Build it against the installed SDK alone:
 *	cc -shared -fPIC $(pkg-config --cflags switchboard-plugin) \
 *	    -o reverse.so reverse.c
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/handler.h>
#include <switchboard/plugin.h>

/* The per-service options, filled in by the daemon from the config. */
struct reverse_conf {
	char	*prefix;		/* put before every reply */
};

static const struct sb_option reverse_options[] = {
	SB_OPTION_STRING(struct reverse_conf, prefix, 0, 32, "",
	    "text put before every reply"),
	SB_OPTION_END
};

/*
 * The length of the UTF-8 character at s (n bytes left): 2 to 4 for a
 * valid multi-byte sequence, 1 for ASCII and for any byte that does not
 * start a valid sequence (a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF, a cut sequence).
 */
static size_t
reverse_charlen(const unsigned char *s, size_t n)
{
	size_t	len, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return (1);
	if (n < len)
		return (1);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (1);
	}
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return (1);
	return (len);
}

/* Write the n bytes of in, character by character reversed, to out. */
static void
reverse_utf8(const char *in, size_t n, char *out)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i = 0, len;

	while (i < n) {
		len = reverse_charlen(s + i, n - i);
		memcpy(out + n - i - len, s + i, len);
		i += len;
	}
}

/* Send one line back reversed, after the prefix. */
static void
reverse_line(struct sb_conn *c, const char *line, size_t len)
{
	const struct reverse_conf	*conf;
	size_t				 plen;
	char				*out;

	conf = sb_service_conf(sb_conn_service(c));
	plen = strlen(conf->prefix);
	out = sb_malloc(plen + len + 1);
	memcpy(out, conf->prefix, plen);
	reverse_utf8(line, len, out + plen);
	sb_conn_write(c, out, plen + len);
	free(out);
}

static const struct sb_handler reverse_handler = {
	.name = "reverse",
	.options = reverse_options,
	.conf_size = sizeof(struct reverse_conf),
	.line = reverse_line,
};

SB_PLUGIN(&reverse_handler);

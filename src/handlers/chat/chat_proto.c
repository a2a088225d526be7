/*
 * switchboard: chat-relay protocol logic.
 *
 * A line starting with "/" is a command; "//" escapes a literal slash.
 * Anything else is a message for the room. Relayed text is cleaned so no
 * client can send control sequences to another client's terminal.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <unistr.h>

#include "chat_proto.h"

struct chat_verb {
	const char		*name;
	enum chat_cmd_kind	 kind;
	int			 need;		/* words required before text */
	const char		*usage;
};

static const struct chat_verb chat_verbs[] = {
	{ "nick", CHAT_CMD_NICK, 1, "usage: /nick NAME" },
	{ "who", CHAT_CMD_WHO, 0, "usage: /who" },
	{ "me", CHAT_CMD_ME, 1, "usage: /me ACTION" },
	{ "msg", CHAT_CMD_MSG, 2, "usage: /msg NICK TEXT" },
	{ "quit", CHAT_CMD_QUIT, 0, "usage: /quit [REASON]" },
	{ "help", CHAT_CMD_HELP, 0, "usage: /help" },
	{ NULL, 0, 0, NULL }
};

static size_t	chat_skip_blanks(const char *, size_t, size_t);
static size_t	chat_word_end(const char *, size_t, size_t);
static void	chat_parse_args(const struct chat_verb *, const char *,
		    size_t, size_t, struct chat_cmd *);

/* Index of the first non-blank at or after i. */
static size_t
chat_skip_blanks(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return (i);
}

/* Index just past the word starting at i. */
static size_t
chat_word_end(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != ' ' && s[i] != '\t')
		i++;
	return (i);
}

/* Fill in the arguments of a known command starting at index i. */
static void
chat_parse_args(const struct chat_verb *v, const char *s, size_t len,
    size_t i, struct chat_cmd *cmd)
{
	size_t	end = len, w;

	while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	cmd->kind = v->kind;
	if (v->kind == CHAT_CMD_MSG && i < end) {
		w = chat_word_end(s, end, i);
		cmd->target = s + i;
		cmd->target_len = w - i;
		i = chat_skip_blanks(s, end, w);
	}
	cmd->arg = s + i;
	cmd->arg_len = end - i;
	if ((v->need >= 1 && cmd->arg_len == 0) ||
	    (v->need == 0 && v->kind != CHAT_CMD_QUIT && cmd->arg_len != 0)) {
		cmd->kind = CHAT_CMD_USAGE;
		cmd->usage = v->usage;
	}
}

/* Parse one line of chat input. */
void
chat_parse(const char *s, size_t len, struct chat_cmd *cmd)
{
	const struct chat_verb	*v;
	size_t			 w;

	memset(cmd, 0, sizeof(*cmd));
	if (len == 0 || chat_skip_blanks(s, len, 0) == len) {
		cmd->kind = CHAT_CMD_EMPTY;
		return;
	}
	if (s[0] != '/' || (len > 1 && s[1] == '/')) {
		cmd->kind = CHAT_CMD_TEXT;
		cmd->arg = s[0] == '/' ? s + 1 : s;
		cmd->arg_len = s[0] == '/' ? len - 1 : len;
		return;
	}
	w = chat_word_end(s, len, 1);
	for (v = chat_verbs; v->name != NULL; v++) {
		if (w - 1 == strlen(v->name) &&
		    strncasecmp(s + 1, v->name, w - 1) == 0) {
			chat_parse_args(v, s, len, chat_skip_blanks(s, len, w),
			    cmd);
			return;
		}
	}
	cmd->kind = CHAT_CMD_UNKNOWN;
	cmd->target = s;
	cmd->target_len = w;
}

/* A nick is 1 to 32 of A-Z a-z 0-9 _ -. */
bool
chat_nick_valid(const char *s, size_t len)
{
	char	buf[CHAT_NICK_REASON];

	return (chat_nick_check(s, len, buf, sizeof(buf)) == NULL);
}

/*
 * Which nick rule s breaks, in buf: "empty", "'!' is not allowed" (the
 * first character not allowed; "byte 0xff" if it is not a printable
 * character), or "too long (33 bytes)". NULL if the nick is valid.
 */
const char *
chat_nick_check(const char *s, size_t len, char *buf, size_t size)
{
	const uint8_t	*p = (const uint8_t *)s;
	ucs4_t		 uc;
	size_t		 i;
	int		 n;

	if (len == 0)
		return ("empty");
	for (i = 0; i < len; i++) {
		if ((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '-')
			continue;
		n = p[i] < 0x80 ? 1 : u8_mbtoucr(&uc, p + i, len - i);
		if ((p[i] < 0x80 && (p[i] < 0x20 || p[i] == 0x7f)) ||
		    (p[i] >= 0x80 && (n < 0 || uc < 0xa0)))
			snprintf(buf, size, "byte 0x%02x is not allowed", p[i]);
		else
			snprintf(buf, size, "'%.*s' is not allowed", n, s + i);
		return (buf);
	}
	if (len > CHAT_NICK_MAX) {
		snprintf(buf, size, "too long (%zu bytes)", len);
		return (buf);
	}
	return (NULL);
}

/*
 * Copy text into out (at least len bytes) without control characters:
 * C0 controls and DEL are removed (a tab becomes a space), C1 controls
 * (U+0080..U+009F) are removed, and a byte that is not valid UTF-8 becomes
 * "?". The result is valid UTF-8 and never longer than the input; its
 * length is returned.
 */
size_t
chat_sanitize(const char *in, size_t len, char *out)
{
	const uint8_t	*p = (const uint8_t *)in;
	size_t		 i = 0, o = 0, start;
	ucs4_t		 uc;
	int		 n;

	while (i < len) {
		/* A run of printable ASCII, the bulk of most lines: as is. */
		for (start = i; i < len && (uint8_t)(p[i] - 0x20) < 0x5f; i++)
			;
		if (i > start) {
			memcpy(out + o, p + start, i - start);
			o += i - start;
			continue;
		}
		if (p[i] < 0x80) {
			if (p[i] == '\t')
				out[o++] = ' ';
			else if (p[i] >= 0x20 && p[i] != 0x7f)
				out[o++] = (char)p[i];
			i++;
			continue;
		}
		n = u8_mbtoucr(&uc, p + i, len - i);
		if (n < 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (uc >= 0x80 && uc <= 0x9f) {
			i += (size_t)n;
			continue;
		}
		memcpy(out + o, p + i, (size_t)n);
		o += (size_t)n;
		i += (size_t)n;
	}
	return (o);
}

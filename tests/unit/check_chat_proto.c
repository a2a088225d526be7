/*
 * switchboard tests: chat command parsing, nicks, text cleaning, history.
 */
#include <stdbool.h>
#include <string.h>

#include <check.h>

#include "../check_common.h"
#include <switchboard/handler.h>

#include "../../src/core/line.h"
#include "chat_history.h"
#include "chat_proto.h"

static const struct {
	const char		*in;
	enum chat_cmd_kind	 kind;
	const char		*target;
	const char		*arg;
} parses[] = {
	{ "hello world", CHAT_CMD_TEXT, NULL, "hello world" },
	{ "", CHAT_CMD_EMPTY, NULL, NULL },
	{ "   ", CHAT_CMD_EMPTY, NULL, NULL },
	{ "//etc/passwd", CHAT_CMD_TEXT, NULL, "/etc/passwd" },
	{ "/nick alice", CHAT_CMD_NICK, NULL, "alice" },
	{ "/NICK  alice  ", CHAT_CMD_NICK, NULL, "alice" },
	{ "/nick", CHAT_CMD_USAGE, NULL, NULL },
	{ "/nick a b! ", CHAT_CMD_NICK, NULL, "a b!" },	/* see below */
	{ "/who", CHAT_CMD_WHO, NULL, "" },
	{ "/who x", CHAT_CMD_USAGE, NULL, NULL },
	{ "/me waves hello", CHAT_CMD_ME, NULL, "waves hello" },
	{ "/me", CHAT_CMD_USAGE, NULL, NULL },
	{ "/msg bob hi there", CHAT_CMD_MSG, "bob", "hi there" },
	{ "/msg bob", CHAT_CMD_USAGE, NULL, NULL },
	{ "/msg", CHAT_CMD_USAGE, NULL, NULL },
	{ "/quit", CHAT_CMD_QUIT, NULL, "" },
	{ "/quit see you", CHAT_CMD_QUIT, NULL, "see you" },
	{ "/help", CHAT_CMD_HELP, NULL, "" },
	{ "/dance now", CHAT_CMD_UNKNOWN, "/dance", NULL },
	{ "/", CHAT_CMD_UNKNOWN, "/", NULL },
	{ "/nickname x", CHAT_CMD_UNKNOWN, "/nickname", NULL },
};

START_TEST(test_parse)
{
	struct chat_cmd	cmd;

	chat_parse(parses[_i].in, strlen(parses[_i].in), &cmd);
	ck_assert_int_eq(cmd.kind, parses[_i].kind);
	if (parses[_i].target != NULL) {
		ck_assert_uint_eq(cmd.target_len, strlen(parses[_i].target));
		ck_assert_mem_eq(cmd.target, parses[_i].target, cmd.target_len);
	}
	if (parses[_i].arg != NULL) {
		ck_assert_uint_eq(cmd.arg_len, strlen(parses[_i].arg));
		ck_assert_mem_eq(cmd.arg, parses[_i].arg, cmd.arg_len);
	}
	if (cmd.kind == CHAT_CMD_USAGE)
		ck_assert_ptr_nonnull(strstr(cmd.usage, "usage: /"));
}
END_TEST

START_TEST(test_nick)
{
	ck_assert(chat_nick_valid("alice", 5));
	ck_assert(chat_nick_valid("A_b-9", 5));
	ck_assert(chat_nick_valid("abcdefghijabcdefghijabcdefghij12", 32));
	ck_assert(!chat_nick_valid("abcdefghijabcdefghijabcdefghij123", 33));
	ck_assert(!chat_nick_valid("", 0));
	ck_assert(!chat_nick_valid("a b", 3));
	ck_assert(!chat_nick_valid("al\xc3\xaf" "ce", 6));
	ck_assert(!chat_nick_valid("a*", 2));
}
END_TEST

/* Which rule a bad nick breaks, as the client is told. */
static const struct {
	const char	*in;
	size_t		 len;
	const char	*why;
} nick_reasons[] = {
	{ "alice", 5, NULL },
	{ "", 0, "empty" },
	{ "bad name!", 9, "' ' is not allowed" },
	{ "bad!", 4, "'!' is not allowed" },
	{ "al\xc3\xaf" "ce", 6, "'\xc3\xaf' is not allowed" },
	{ "a\x1b[", 3, "byte 0x1b is not allowed" },
	{ "a\xff", 2, "byte 0xff is not allowed" },
	{ "a\xc2\x9b", 3, "byte 0xc2 is not allowed" },	/* C1 CSI */
	{ "abcdefghijabcdefghijabcdefghij123", 33, "too long (33 bytes)" },
	{ "abcdefghijabcdefghijabcdefghij12*", 33, "'*' is not allowed" },
};

START_TEST(test_nick_reason)
{
	char		 buf[CHAT_NICK_REASON];
	const char	*why;

	why = chat_nick_check(nick_reasons[_i].in, nick_reasons[_i].len, buf,
	    sizeof(buf));
	if (nick_reasons[_i].why == NULL)
		ck_assert_ptr_null(why);
	else
		ck_assert_str_eq(why, nick_reasons[_i].why);
}
END_TEST

static const struct {
	const char	*in;
	const char	*out;
} cleans[] = {
	{ "plain text", "plain text" },
	{ "\x1b[2J\x1b[31mred", "[2J[31mred" },		/* ESC removed */
	{ "bell\x07 back\x08 del\x7f", "bell back del" },
	{ "tab\there", "tab here" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },			/* UTF-8 kept */
	{ "csi\xc2\x9b" "2J", "csi2J" },			/* C1 CSI */
	{ "raw\x9b" "x", "raw?x" },				/* invalid byte */
	{ "cut\xe2\x82", "cut??" },				/* truncated */
	{ "nul\0in", "nulin" },
};

/* Every ASCII byte in one line: printable kept, tab a space, no controls. */
START_TEST(test_sanitize_ascii)
{
	char	in[128], out[128], want[128];
	size_t	i, n, w = 0;

	for (i = 0; i < 128; i++) {
		in[i] = (char)i;
		if (i == '\t')
			want[w++] = ' ';
		else if (i >= 0x20 && i != 0x7f)
			want[w++] = (char)i;
	}
	n = chat_sanitize(in, sizeof(in), out);
	ck_assert_uint_eq(n, w);
	ck_assert_mem_eq(out, want, n);
}
END_TEST

START_TEST(test_sanitize)
{
	char	out[64];
	size_t	len = strlen(cleans[_i].in), n;

	if (_i == 8)
		len = 6;	/* the NUL case */
	n = chat_sanitize(cleans[_i].in, len, out);
	ck_assert_uint_le(n, len);
	ck_assert_uint_eq(n, strlen(cleans[_i].out));
	ck_assert_mem_eq(out, cleans[_i].out, n);
}
END_TEST

/* A history line's text, without its line ending, in a static buffer. */
static const char *
hline(struct chat_history *h, size_t i)
{
	static char	 buf[64];
	const char	*p;
	size_t		 n;

	p = line_text(chat_history_get(h, i), false, &n);
	ck_assert_uint_lt(n, sizeof(buf));
	memcpy(buf, p, n - 1);
	buf[n - 1] = '\0';
	return (buf);
}

/* Add a line made from a string. */
static void
hadd(struct chat_history *h, const char *s)
{
	chat_history_add(h, sb_line_new(s, strlen(s)));
}

START_TEST(test_history)
{
	struct chat_history	h;

	chat_history_init(&h, 3);
	ck_assert_uint_eq(h.n, 0);
	hadd(&h, "one");
	hadd(&h, "two");
	ck_assert_uint_eq(h.n, 2);
	ck_assert_str_eq(hline(&h, 0), "one");
	hadd(&h, "three");
	hadd(&h, "four");
	ck_assert_uint_eq(h.n, 3);
	ck_assert_str_eq(hline(&h, 0), "two");
	ck_assert_str_eq(hline(&h, 2), "four");
	chat_history_free(&h);
}
END_TEST

START_TEST(test_history_resize)
{
	struct chat_history	h;

	chat_history_init(&h, 4);
	hadd(&h, "a");
	hadd(&h, "b");
	hadd(&h, "c");
	chat_history_resize(&h, 2);		/* keeps the newest */
	ck_assert_uint_eq(h.n, 2);
	ck_assert_str_eq(hline(&h, 0), "b");
	ck_assert_str_eq(hline(&h, 1), "c");
	chat_history_resize(&h, 5);
	hadd(&h, "d");
	ck_assert_uint_eq(h.n, 3);
	ck_assert_str_eq(hline(&h, 2), "d");
	chat_history_resize(&h, 0);
	ck_assert_uint_eq(h.n, 0);
	chat_history_free(&h);
}
END_TEST

START_TEST(test_history_off)
{
	struct chat_history	h;

	chat_history_init(&h, 0);
	hadd(&h, "lost");
	ck_assert_uint_eq(h.n, 0);
	chat_history_free(&h);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("chat_proto");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(parses) / sizeof(parses[0]));
	tcase_add_test(tc, test_nick);
	tcase_add_loop_test(tc, test_nick_reason, 0,
	    sizeof(nick_reasons) / sizeof(nick_reasons[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("sanitize");
	tcase_add_test(tc, test_sanitize_ascii);
	tcase_add_loop_test(tc, test_sanitize, 0,
	    sizeof(cleans) / sizeof(cleans[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("history");
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_history_off);
	tcase_add_test(tc, test_history_resize);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_chat_proto"));
}

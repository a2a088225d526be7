/*
 * switchboard tests: splitting a datagram into lines and cutting an
 * answer to its bounds (dgram.c); and the source ports a UDP listener
 * never answers (udp.c).
 */
#include <stdbool.h>
#include <string.h>

#include <check.h>

#include "../check_common.h"
#include "dgram.h"
#include "udp.h"

/* Split req (len bytes) and join the lines with "|" into out. */
static void
split(const char *req, size_t len, char *out, size_t size)
{
	char	 buf[256], *line;
	size_t	 off = 0, n, pos = 0;
	bool	 crlf;

	ck_assert_int_lt(len, sizeof(buf));
	memcpy(buf, req, len);
	buf[len] = 'X';			/* must become the NUL */
	out[0] = '\0';
	while (dgram_next(buf, len, &off, &line, &n, &crlf)) {
		ck_assert_int_eq(line[n], '\0');
		ck_assert_int_lt(pos + n + 3, size);
		memcpy(out + pos, line, n);
		pos += n;
		if (crlf)
			out[pos++] = '^';
		out[pos++] = '|';
		out[pos] = '\0';
	}
	ck_assert_int_eq(off, len);
}

START_TEST(test_split)
{
	char	out[256];

	split("", 0, out, sizeof(out));
	ck_assert_str_eq(out, "");
	split("\n", 1, out, sizeof(out));
	ck_assert_str_eq(out, "|");
	split("hello\n", 6, out, sizeof(out));
	ck_assert_str_eq(out, "hello|");
	split("hello", 5, out, sizeof(out));	/* no LF: still a line */
	ck_assert_str_eq(out, "hello|");
	split("a\nb\r\n\nc", 7, out, sizeof(out));
	ck_assert_str_eq(out, "a|b^||c|");
	split("\r\n", 2, out, sizeof(out));
	ck_assert_str_eq(out, "^|");
	split("cr only\r", 8, out, sizeof(out));	/* a CR alone stays */
	ck_assert_str_eq(out, "cr only\r|");
	split("x\ry\n", 4, out, sizeof(out));
	ck_assert_str_eq(out, "x\ry|");
}
END_TEST

/* NUL bytes are part of a line; the line's own NUL comes after it. */
START_TEST(test_split_nul)
{
	char	 buf[8] = { 'a', '\0', 'b', '\n', '\0', 'c' };
	char	*line;
	size_t	 off = 0, n;
	bool	 crlf;

	ck_assert(dgram_next(buf, 6, &off, &line, &n, &crlf));
	ck_assert_int_eq(n, 3);
	ck_assert(memcmp(line, "a\0b", 4) == 0);
	ck_assert(dgram_next(buf, 6, &off, &line, &n, &crlf));
	ck_assert_int_eq(n, 2);
	ck_assert(memcmp(line, "\0c", 3) == 0);
	ck_assert(!dgram_next(buf, 6, &off, &line, &n, &crlf));
}
END_TEST

START_TEST(test_cap)
{
	ck_assert_int_eq(dgram_cap(21, 1232, 10), 210);
	ck_assert_int_eq(dgram_cap(200, 1232, 10), 1232);
	ck_assert_int_eq(dgram_cap(123, 1232, 10), 1230);
	ck_assert_int_eq(dgram_cap(124, 1232, 10), 1232);
	ck_assert_int_eq(dgram_cap(15, 1232, 3), 45);
	ck_assert_int_eq(dgram_cap((size_t)-1 / 2, 1232, 100), 1232);
	ck_assert_int_eq(dgram_cap(0, 1232, 10), 0);
}
END_TEST

START_TEST(test_cut)
{
	static const char	out[] = "one\ntwo\nthree\n";	/* 14 B */

	/* fits */
	ck_assert_int_eq(dgram_cut(out, 14, 14, 5), 14);
	ck_assert_int_eq(dgram_cut(out, 14, 100, 50), 14);
	/* 8 + 5 */
	ck_assert_int_eq(dgram_cut(out, 14, 13, 5), 8);
	ck_assert_int_eq(dgram_cut(out, 14, 12, 4), 8);
	/* 4 + 5 */
	ck_assert_int_eq(dgram_cut(out, 14, 12, 5), 4);
	ck_assert_int_eq(dgram_cut(out, 14, 8, 4), 4);
	/* trailer only */
	ck_assert_int_eq(dgram_cut(out, 14, 7, 4), 0);
	ck_assert_int_eq(dgram_cut(out, 14, 4, 4), 0);
	ck_assert_int_eq(dgram_cut(out, 14, 3, 4), DGRAM_NOTHING);
	/* One line longer than the room: nothing of it, never half. */
	ck_assert_int_eq(dgram_cut("abcdefghij\n", 11, 10, 2), 0);
}
END_TEST

START_TEST(test_source_ports)
{
	static const uint16_t	refused[] = { 0, 7, 13, 17, 19, 37, 53, 123,
				    161 };
	size_t			i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert(udp_source_refused(refused[i], 7001));
	ck_assert(udp_source_refused(7001, 7001));	/* a peer like us */
	ck_assert(!udp_source_refused(7001, 7002));
	ck_assert(!udp_source_refused(40000, 7001));
	ck_assert(!udp_source_refused(1024, 7001));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("dgram");
	TCase	*tc = tcase_create("dgram");

	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_split_nul);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_source_ports);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_dgram"));
}

/*
 * switchboard tests: upper-casing lines.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../check_common.h"
#include "casemap.h"

static const struct {
	const char	*in;
	const char	*out;
} cases[] = {
	{ "hello", "HELLO" },
	{ "", "" },
	{ "MiXeD 123 !?", "MIXED 123 !?" },
	{ "h\xc3\xa9llo stra\xc3\x9f" "e", "H\xc3\x89LLO STRASSE" },
	{ "\xce\xb1\xce\xb2\xce\xb3", "\xce\x91\xce\x92\xce\x93" },	/* greek */
	{ "\xef\xac\x81", "FI" },				/* fi ligature */
	{ "caf\xe9 ok", "CAF\xe9 OK" },			/* latin-1 e-acute */
	{ "a\xff" "b\xc3", "A\xff" "B\xc3" },			/* invalid bytes */
	{ "\xc3\xa9\xff\xc3\xa9", "\xc3\x89\xff\xc3\x89" },	/* both */
	{ "\xed\xa0\x80x", "\xed\xa0\x80X" },			/* surrogate */
};

START_TEST(test_upper)
{
	char	 buf[64], *out;
	size_t	 n;

	out = casemap_upper(cases[_i].in, strlen(cases[_i].in), buf,
	    sizeof(buf), &n);
	ck_assert_ptr_eq(out, buf);
	ck_assert_uint_eq(n, strlen(cases[_i].out));
	ck_assert_mem_eq(out, cases[_i].out, n);
	ck_assert_int_eq(out[n], '\0');
}
END_TEST

/* Every ASCII byte, through the fast path: only a-z change. */
START_TEST(test_every_ascii_byte)
{
	char	 in[128], buf[256], *out;
	size_t	 i, n;

	for (i = 0; i < 128; i++)
		in[i] = (char)i;
	out = casemap_upper(in, sizeof(in), buf, sizeof(buf), &n);
	ck_assert_ptr_eq(out, buf);
	ck_assert_uint_eq(n, 128);
	for (i = 0; i < 128; i++)
		ck_assert_int_eq(out[i], toupper((int)i));
}
END_TEST

/*
 * Every length and every position of a non-ASCII letter: words, the
 * overlapping tail, the four-byte step and single bytes all agree.
 */
START_TEST(test_lengths_and_positions)
{
	char	 in[48], want[48], buf[64], *out;
	size_t	 len, pos, i, n;

	for (len = 1; len <= 40; len++) {
		for (i = 0; i < len; i++) {
			in[i] = (char)(' ' + (i * 7 + len) % 95);
			want[i] = (char)toupper((unsigned char)in[i]);
		}
		out = casemap_upper(in, len, buf, sizeof(buf), &n);
		ck_assert_uint_eq(n, len);
		ck_assert_mem_eq(out, want, len);
		/* "\xc3\xa9" (e acute) becomes "\xc3\x89". */
		for (pos = 0; pos + 2 <= len; pos++) {
			memcpy(in + pos, "\xc3\xa9", 2);
			memcpy(want + pos, "\xc3\x89", 2);
			out = casemap_upper(in, len, buf, sizeof(buf), &n);
			ck_assert_uint_eq(n, len);
			ck_assert_mem_eq(out, want, len);
			in[pos] = in[pos + 1] = 'q';
			want[pos] = want[pos + 1] = 'Q';
		}
	}
}
END_TEST

START_TEST(test_nul_kept)
{
	char	buf[16], *out;
	size_t	n;

	out = casemap_upper("a\0b", 3, buf, sizeof(buf), &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(out, "A\0B", 3);
}
END_TEST

START_TEST(test_grows_past_buffer)
{
	char	 in[3000], buf[8], *out;
	size_t	 i, n;

	/* Each sharp s becomes two bytes "SS"; 1000 of them need 2000. */
	for (i = 0; i < 1000; i++)
		memcpy(in + i * 2, "\xc3\x9f", 2);
	out = casemap_upper(in, 2000, buf, sizeof(buf), &n);
	ck_assert_ptr_ne(out, buf);
	ck_assert_uint_eq(n, 2000);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(out[i], 'S');
	free(out);
}
END_TEST

START_TEST(test_mixed_grows)
{
	char	 in[200], buf[16], *out;
	size_t	 n;

	/* ASCII run, invalid byte, then a run that needs libunistring. */
	memset(in, 'a', 100);
	in[100] = (char)0xff;
	memcpy(in + 101, "\xc3\xa9\xc3\xa9", 4);
	out = casemap_upper(in, 105, buf, sizeof(buf), &n);
	ck_assert_uint_eq(n, 105);
	ck_assert_int_eq(out[0], 'A');
	ck_assert_int_eq(out[99], 'A');
	ck_assert_int_eq((unsigned char)out[100], 0xff);
	ck_assert_mem_eq(out + 101, "\xc3\x89\xc3\x89", 4);
	if (out != buf)
		free(out);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("casemap");
	TCase	*tc = tcase_create("upper");

	tcase_add_loop_test(tc, test_upper, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_every_ascii_byte);
	tcase_add_test(tc, test_lengths_and_positions);
	tcase_add_test(tc, test_nul_kept);
	tcase_add_test(tc, test_grows_past_buffer);
	tcase_add_test(tc, test_mixed_grows);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_casemap"));
}

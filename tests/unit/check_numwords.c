/*
 * switchboard tests: numbers to words, and request parsing.
 */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "../check_common.h"
#include "numwords.h"

static const struct {
	int64_t		 v;
	const char	*american;
	const char	*british;
} words[] = {
	{ 0, "zero", "zero" },
	{ 7, "seven", "seven" },
	{ 13, "thirteen", "thirteen" },
	{ 20, "twenty", "twenty" },
	{ 21, "twenty-one", "twenty-one" },
	{ 42, "forty-two", "forty-two" },
	{ 99, "ninety-nine", "ninety-nine" },
	{ 100, "one hundred", "one hundred" },
	{ 101, "one hundred one", "one hundred and one" },
	{ 110, "one hundred ten", "one hundred and ten" },
	{ 999, "nine hundred ninety-nine", "nine hundred and ninety-nine" },
	{ 1000, "one thousand", "one thousand" },
	{ 1001, "one thousand one", "one thousand and one" },
	{ 1100, "one thousand one hundred", "one thousand one hundred" },
	{ 101000, "one hundred one thousand", "one hundred and one thousand" },
	{ 1000001, "one million one", "one million and one" },
	{ 2000042, "two million forty-two", "two million and forty-two" },
	{ 1000000000, "one billion", "one billion" },
	{ -7, "minus seven", "minus seven" },
	{ -1000001, "minus one million one", "minus one million and one" },
	{ INT64_MAX, "nine quintillion two hundred twenty-three quadrillion "
	  "three hundred seventy-two trillion thirty-six billion eight hundred "
	  "fifty-four million seven hundred seventy-five thousand eight "
	  "hundred seven", NULL },
	{ INT64_MIN, "minus nine quintillion two hundred twenty-three "
	  "quadrillion three hundred seventy-two trillion thirty-six billion "
	  "eight hundred fifty-four million seven hundred seventy-five "
	  "thousand eight hundred eight", "minus nine quintillion two hundred "
	  "and twenty-three quadrillion three hundred and seventy-two trillion "
	  "thirty-six billion eight hundred and fifty-four million seven "
	  "hundred and seventy-five thousand eight hundred and eight" },
};

static const struct {
	const char			*in;
	enum numwords_parse_result	 r;
	int64_t				 v;
} parses[] = {
	{ "42", NUMWORDS_OK, 42 },
	{ "  42\t", NUMWORDS_OK, 42 },
	{ "+007", NUMWORDS_OK, 7 },
	{ "-0", NUMWORDS_OK, 0 },
	{ "0000000000000000000000000001", NUMWORDS_OK, 1 },
	{ "9223372036854775807", NUMWORDS_OK, INT64_MAX },
	{ "-9223372036854775808", NUMWORDS_OK, INT64_MIN },
	{ "9223372036854775808", NUMWORDS_RANGE, 0 },
	{ "-9223372036854775809", NUMWORDS_RANGE, 0 },
	{ "99999999999999999999999", NUMWORDS_RANGE, 0 },
	{ "", NUMWORDS_BLANK, 0 },
	{ " \t ", NUMWORDS_BLANK, 0 },
	{ "12a", NUMWORDS_INVALID, 0 },
	{ "+", NUMWORDS_INVALID, 0 },
	{ "-", NUMWORDS_INVALID, 0 },
	{ "--1", NUMWORDS_INVALID, 0 },
	{ "4 2", NUMWORDS_INVALID, 0 },
	{ "0x10", NUMWORDS_INVALID, 0 },
	{ "1e3", NUMWORDS_INVALID, 0 },
	{ "forty", NUMWORDS_INVALID, 0 },
	/* Eight digits at a time: every position, and near-digit bytes. */
	{ "12345678", NUMWORDS_OK, 12345678 },
	{ "1234567890123456", NUMWORDS_OK, 1234567890123456 },
	{ "123456789012345678", NUMWORDS_OK, 123456789012345678 },
	{ "-00000000987654321", NUMWORDS_OK, -987654321 },
	{ "00000000", NUMWORDS_OK, 0 },
	{ "9999999999999999999", NUMWORDS_RANGE, 0 },
	{ "18446744073709551616", NUMWORDS_RANGE, 0 },
	{ "18446744073709551617x", NUMWORDS_INVALID, 0 },
	{ "a2345678", NUMWORDS_INVALID, 0 },
	{ "1234567:", NUMWORDS_INVALID, 0 },
	{ "123/5678", NUMWORDS_INVALID, 0 },
	{ "1234\xb5" "678", NUMWORDS_INVALID, 0 },
	{ "12345678 9", NUMWORDS_INVALID, 0 },
	{ "1234567812345678\x40", NUMWORDS_INVALID, 0 },
};

START_TEST(test_words_american)
{
	char	buf[NUMWORDS_MAX];
	size_t	n;

	n = numwords_format(words[_i].v, NUMWORDS_AMERICAN, buf, sizeof(buf));
	ck_assert_str_eq(buf, words[_i].american);
	ck_assert_uint_eq(n, strlen(words[_i].american));
}
END_TEST

START_TEST(test_words_british)
{
	char	buf[NUMWORDS_MAX];

	if (words[_i].british == NULL)
		return;
	numwords_format(words[_i].v, NUMWORDS_BRITISH, buf, sizeof(buf));
	ck_assert_str_eq(buf, words[_i].british);
}
END_TEST

START_TEST(test_words_truncate)
{
	char	buf[10];
	size_t	n;

	n = numwords_format(INT64_MIN, NUMWORDS_AMERICAN, buf, sizeof(buf));
	ck_assert_uint_eq(n, 9);
	ck_assert_str_eq(buf, "minus nin");
}
END_TEST

START_TEST(test_words_fit)
{
	char	buf[NUMWORDS_MAX];
	int64_t	v;
	size_t	n;

	/* The longest wordings: every group 777 or 373, British style. */
	for (v = 777777777777777777; v > 0; v /= 10) {
		n = numwords_format(-v, NUMWORDS_BRITISH, buf, sizeof(buf));
		ck_assert_uint_lt(n, sizeof(buf) - 1);
	}
	n = numwords_format(-7373737373737373737, NUMWORDS_BRITISH, buf,
	    sizeof(buf));
	ck_assert_uint_lt(n, sizeof(buf) - 1);
}
END_TEST

START_TEST(test_parse)
{
	int64_t	v = -1;

	ck_assert_int_eq(numwords_parse(parses[_i].in, strlen(parses[_i].in),
	    &v), parses[_i].r);
	if (parses[_i].r == NUMWORDS_OK)
		ck_assert(v == parses[_i].v);
}
END_TEST

START_TEST(test_parse_nul)
{
	int64_t	v;

	ck_assert_int_eq(numwords_parse("4\0" "2", 3, &v), NUMWORDS_INVALID);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("numwords");
	TCase	*tc;

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_words_american, 0,
	    sizeof(words) / sizeof(words[0]));
	tcase_add_loop_test(tc, test_words_british, 0,
	    sizeof(words) / sizeof(words[0]));
	tcase_add_test(tc, test_words_truncate);
	tcase_add_test(tc, test_words_fit);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(parses) / sizeof(parses[0]));
	tcase_add_test(tc, test_parse_nul);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_numwords"));
}

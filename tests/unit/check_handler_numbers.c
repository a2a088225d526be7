/*
 * switchboard unit tests: the number-to-text handler through the test
 * harness (switchboard-testing(3)), without sockets or the core.
 */
#include <string.h>

#include <check.h>

#include <switchboard/handler.h>
#include <switchboard/testing.h>

#include "../check_common.h"

extern const struct sb_handler number_text_handler;

/* A started service with options, and one client. */
static struct sb_conn *
numbers_client(const char *options, struct sb_service **svc)
{
	*svc = sb_test_service(&number_text_handler, "numbers", options);
	ck_assert_msg(*svc != NULL, "refused: %s", sb_test_error());
	ck_assert_int_eq(sb_test_start(*svc), 0);
	return (sb_test_open(*svc, "127.0.0.1:5555"));
}

START_TEST(test_words)
{
	struct sb_service	*svc;
	struct sb_conn		*c = numbers_client(NULL, &svc);

	sb_test_line(c, "42");
	sb_test_line(c, " -7 ");
	sb_test_line(c, "1000001");
	ck_assert_str_eq(sb_test_read(c), "forty-two");
	ck_assert_str_eq(sb_test_read(c), "minus seven");
	ck_assert_str_eq(sb_test_read(c), "one million one");
	ck_assert_ptr_null(sb_test_read(c));
	sb_test_service_free(svc);
}
END_TEST

/* Blank lines get no answer; bad ones an error, and it stays open. */
START_TEST(test_errors)
{
	struct sb_service	*svc;
	struct sb_conn		*c = numbers_client(NULL, &svc);

	sb_test_line(c, "");
	sb_test_line(c, "   ");
	ck_assert_uint_eq(sb_test_pending(c), 0);
	sb_test_line(c, "12a");
	ck_assert_str_eq(sb_test_read(c), "error: not a number: \"12a\"");
	sb_test_line(c, "\x1b[2J");
	ck_assert_str_eq(sb_test_read(c), "error: not a number: \"\\x1b[2J\"");
	sb_test_line(c, "9223372036854775808");
	ck_assert_str_eq(sb_test_read(c), "error: out of range: "
	    "\"9223372036854775808\" (allowed -9223372036854775808 to "
	    "9223372036854775807)");
	ck_assert_ptr_null(sb_test_closed(c, NULL));
	sb_test_line(c, "13");
	ck_assert_str_eq(sb_test_read(c), "thirteen");
	sb_test_service_free(svc);
}
END_TEST

/* The style option, checked by the core's rules. */
START_TEST(test_style)
{
	struct sb_service	*svc;
	struct sb_conn		*c = numbers_client("style = \"british\";",
				    &svc);

	sb_test_line(c, "101");
	ck_assert_str_eq(sb_test_read(c), "one hundred and one");
	sb_test_service_free(svc);

	ck_assert_ptr_null(sb_test_service(&number_text_handler, "n",
	    "style = \"french\";"));
	ck_assert_str_eq(sb_test_error(), "style: \"french\" is not a choice "
	    "(use one of \"american\", \"british\")");
	ck_assert_ptr_null(sb_test_service(&number_text_handler, "n",
	    "style = 1;"));
	ck_assert_str_eq(sb_test_error(), "style: expected a string in double "
	    "quotes, as in style = \"american\";");
	ck_assert_ptr_null(sb_test_service(&number_text_handler, "n",
	    "colour = \"red\";"));
	ck_assert_str_eq(sb_test_error(), "unknown key \"colour\" (known for "
	    "number-to-text services: max_line, max_output, style)");
}
END_TEST

/*
 * The answer is built in place (sb_conn_line_space) and still ends as the
 * client's line does: CRLF after a CRLF line, LF after an LF one.
 */
START_TEST(test_line_endings)
{
	struct sb_service	*svc;
	struct sb_conn		*c = numbers_client(NULL, &svc);
	const char		*raw;
	size_t			 len;

	sb_test_input(c, "5\r\n", 3);
	raw = sb_test_read_raw(c, &len);
	ck_assert_uint_eq(len, 6);
	ck_assert_mem_eq(raw, "five\r\n", 6);
	sb_test_input(c, "6\n", 2);
	raw = sb_test_read_raw(c, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(raw, "six\n", 4);
	/* A line in pieces is answered once it ends. */
	sb_test_input(c, "1", 1);
	ck_assert_uint_eq(sb_test_pending(c), 0);
	sb_test_input(c, "2\r\n", 3);
	ck_assert_str_eq(sb_test_read(c), "twelve");
	sb_test_service_free(svc);
}
END_TEST

/* Without a too_long hook, the core's own answer; still open. */
START_TEST(test_too_long)
{
	struct sb_service	*svc;
	struct sb_conn		*c = numbers_client("max_line = 16;", &svc);
	const char		*log;

	sb_test_line(c, "11111111111111111111");
	ck_assert_str_eq(sb_test_read(c), "error: line too long (max 16 "
	    "bytes)");
	sb_test_line(c, "3");
	ck_assert_str_eq(sb_test_read(c), "three");
	log = sb_test_log(svc, NULL);
	ck_assert_ptr_nonnull(log);
	ck_assert_str_eq(log, "numbers[127.0.0.1:5555]: limit max_line: line "
	    "over 16 bytes discarded");
	sb_test_service_free(svc);
}
END_TEST

/* Shutdown: a handler without a close hook has the core say why. */
START_TEST(test_shutdown)
{
	struct sb_service	*svc;
	struct sb_conn		*c = numbers_client(NULL, &svc);
	enum sb_close		 how;

	sb_test_stop(svc, "server shutting down");
	ck_assert_str_eq(sb_test_read(c), "error: server shutting down");
	ck_assert_str_eq(sb_test_closed(c, &how), "server shutting down");
	ck_assert_int_eq(how, SB_CLOSE_FLUSH);
	sb_test_service_free(svc);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("handler_numbers");
	TCase	*tc = tcase_create("numbers");

	tcase_add_test(tc, test_words);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_style);
	tcase_add_test(tc, test_line_endings);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_shutdown);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_handler_numbers"));
}

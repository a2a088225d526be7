/*
 * switchboard unit tests: the uppercase-echo handler through the test
 * harness (switchboard-testing(3)).
 */
#include <string.h>

#include <check.h>

#include <switchboard/handler.h>
#include <switchboard/testing.h>

#include "../check_common.h"

extern const struct sb_handler upper_echo_handler;

static struct sb_service	*svc;
static struct sb_conn		*c;

static void
setup(void)
{
	svc = sb_test_service(&upper_echo_handler, "upper", NULL);
	ck_assert_ptr_nonnull(svc);
	ck_assert_int_eq(sb_test_start(svc), 0);
	c = sb_test_open(svc, "[::1]:4000");
}

static void
teardown(void)
{
	sb_test_service_free(svc);
}

/* Every line comes back in capitals, blank ones too, in order. */
START_TEST(test_echo)
{
	sb_test_line(c, "hello, world");
	sb_test_line(c, "");
	sb_test_line(c, "straße");
	ck_assert_str_eq(sb_test_read(c), "HELLO, WORLD");
	ck_assert_str_eq(sb_test_read(c), "");
	ck_assert_str_eq(sb_test_read(c), "STRASSE");
	ck_assert_ptr_null(sb_test_read(c));
}
END_TEST

/* Bytes that are not UTF-8 and NUL bytes come back as they were. */
START_TEST(test_bytes)
{
	const char	*raw;
	size_t		 len;

	sb_test_input(c, "a\0\xff" "b\r\n", 6);
	raw = sb_test_read_raw(c, &len);
	ck_assert_uint_eq(len, 6);
	ck_assert_mem_eq(raw, "A\0\xff" "B\r\n", 6);
}
END_TEST

/* The handler has no options: any key is unknown. */
START_TEST(test_no_options)
{
	ck_assert_ptr_null(sb_test_service(&upper_echo_handler, "u",
	    "prefix = \"x\";"));
	ck_assert_str_eq(sb_test_error(), "unknown key \"prefix\" (known for "
	    "uppercase-echo services: max_line, max_output)");
}
END_TEST

/* A client that hangs up is closed at once, and says nothing more. */
START_TEST(test_hangup)
{
	enum sb_close	how;

	sb_test_hangup(c);
	ck_assert_str_eq(sb_test_closed(c, &how),
	    "client closed the connection");
	ck_assert_int_eq(how, SB_CLOSE_NOW);
	sb_test_line(c, "late");
	ck_assert_ptr_null(sb_test_read(c));
}
END_TEST

/* A handler without the operator hooks: the core's words, no description. */
START_TEST(test_kick)
{
	enum sb_close	how;

	ck_assert_ptr_null(sb_test_describe(c));
	sb_test_kick(c, "why");
	ck_assert_str_eq(sb_test_read(c), "error: disconnected by the operator");
	ck_assert_str_eq(sb_test_closed(c, &how),
	    "disconnected by the operator");
	ck_assert_int_eq(how, SB_CLOSE_FLUSH);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("handler_upper");
	TCase	*tc = tcase_create("upper");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_echo);
	tcase_add_test(tc, test_bytes);
	tcase_add_test(tc, test_no_options);
	tcase_add_test(tc, test_hangup);
	tcase_add_test(tc, test_kick);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_handler_upper"));
}

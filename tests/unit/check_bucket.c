/*
 * switchboard tests: the token bucket of <switchboard/bucket.h>, which
 * the core's max_accept_rate and chat-relay's budgets share.
 */
#include <check.h>

#include <switchboard/bucket.h>

#include "../check_common.h"

/* A zeroed bucket is full; take refuses past empty and refills in time. */
START_TEST(test_take)
{
	struct sb_bucket	b = { 0, 0 };
	int			i;

	for (i = 0; i < 3; i++)
		ck_assert(sb_bucket_take(&b, 3, 3, 1, 1000));
	ck_assert(!sb_bucket_take(&b, 3, 3, 1, 1000));	/* burst spent */
	ck_assert(!sb_bucket_take(&b, 3, 3, 1, 1200));	/* 0.6 refilled */
	ck_assert(sb_bucket_take(&b, 3, 3, 1, 1400));	/* 1.2 */
	ck_assert(b.tokens > 0.19 && b.tokens < 0.21);
	ck_assert(sb_bucket_take(&b, 3, 3, 3, 60000));	/* capped at 3 */
	ck_assert(!sb_bucket_take(&b, 3, 3, 0.5, 60000));
}
END_TEST

/* A charge goes into debt; the wait says when the level is back. */
START_TEST(test_charge_and_wait)
{
	struct sb_bucket	b = { 0, 0 };

	sb_bucket_charge(&b, 100, 100, 150, 5000);	/* 100 - 150 */
	ck_assert(b.tokens > -50.01 && b.tokens < -49.99);
	ck_assert(sb_bucket_wait_ms(&b, 100, 0) > 499.9);
	ck_assert(sb_bucket_wait_ms(&b, 100, 0) < 500.1);
	ck_assert(sb_bucket_wait_ms(&b, 100, 1) > 509.9);
	sb_bucket_charge(&b, 100, 100, 0, 5500);	/* 0.5 s: +50 */
	ck_assert(sb_bucket_wait_ms(&b, 100, 0) == 0.0);
	ck_assert(sb_bucket_wait_ms(&b, 0, 1000) == 0.0);	/* no rate */
}
END_TEST

/* Time that runs backwards (or stands) adds nothing. */
START_TEST(test_no_refill_backwards)
{
	struct sb_bucket	b = { 0, 0 };

	ck_assert(sb_bucket_take(&b, 10, 1, 1, 2000));
	ck_assert(!sb_bucket_take(&b, 10, 1, 1, 1000));
	ck_assert(!sb_bucket_take(&b, 10, 1, 1, 1000));
	ck_assert(sb_bucket_take(&b, 10, 1, 1, 1100));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("bucket");
	TCase	*tc = tcase_create("bucket");

	tcase_add_test(tc, test_take);
	tcase_add_test(tc, test_charge_and_wait);
	tcase_add_test(tc, test_no_refill_backwards);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_bucket"));
}

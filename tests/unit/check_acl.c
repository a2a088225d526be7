/*
 * switchboard tests: address lists and the per-address table.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include <check.h>

#include "../check_common.h"
#include "acl.h"
#include "iptable.h"

static const struct {
	const char	*entry;
	const char	*addr;
	int		 match;		/* -1: the entry must be rejected */
} cases[] = {
	{ "10.0.0.0/8", "10.200.3.4", 1 },
	{ "10.0.0.0/8", "11.0.0.1", 0 },
	{ "192.0.2.7", "192.0.2.7", 1 },
	{ "192.0.2.7", "192.0.2.8", 0 },
	{ "192.0.2.0/25", "192.0.2.127", 1 },
	{ "192.0.2.0/25", "192.0.2.128", 0 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "::1", 0 },		/* families differ */
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "::1", "::1", 1 },
	{ "::/0", "fe80::1", 1 },
	/* Entries in the mapped block are the IPv4 entries they spell. */
	{ "::ffff:127.0.0.1", "127.0.0.1", 1 },
	{ "::ffff:127.0.0.1", "127.0.0.2", 0 },
	{ "::ffff:0:0/96", "203.0.113.9", 1 },
	{ "::ffff:127.0.0.0/104", "127.9.9.9", 1 },
	{ "::ffff:127.0.0.0/104", "128.0.0.1", 0 },
	{ "::FFFF:7f00:1", "127.0.0.1", 1 },
	{ "::ffff:127.0.0.1/127", NULL, -1 },	/* host bits set */
	/* A shorter IPv6 prefix matches IPv6 clients only. */
	{ "::/0", "127.0.0.1", 0 },
	{ "::/80", "10.0.0.1", 0 },
	{ "10.1.0.0/8", NULL, -1 },		/* host bits set */
	{ "10.0.0.0/33", NULL, -1 },
	{ "::/129", NULL, -1 },
	{ "10.0.0.0/", NULL, -1 },
	{ "10.0.0.0/8x", NULL, -1 },
	{ "example.com", NULL, -1 },
	{ "", NULL, -1 },
};

START_TEST(test_entry)
{
	struct acl_entry	 e;
	struct acl		 a = { &e, 1 };
	const char		*why = NULL;
	uint8_t			 addr[16] = { 0 };
	int			 family;

	if (cases[_i].match == -1) {
		ck_assert_int_eq(acl_parse(cases[_i].entry, &e, &why), -1);
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert_int_eq(acl_parse(cases[_i].entry, &e, &why), 0);
	family = strchr(cases[_i].addr, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(family, cases[_i].addr, addr), 1);
	ck_assert_int_eq(acl_match(&a, family, addr), cases[_i].match);
}
END_TEST

START_TEST(test_mapped_peer)
{
	struct sockaddr_in6	sin6;
	struct acl_entry	e;
	struct acl		a = { &e, 1 };
	const char		*why;
	uint8_t			addr[16];
	int			family;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	acl_peer((struct sockaddr *)&sin6, &family, addr);
	ck_assert_int_eq(family, AF_INET);	/* a v4 rule applies */
	acl_parse("127.0.0.0/8", &e, &why);
	ck_assert(acl_match(&a, family, addr));
}
END_TEST

/* One canonical form: entries print as what they match. */
static const struct {
	const char	*entry;
	const char	*text;
	int		 covers_mapped;
} forms[] = {
	{ "::ffff:192.0.2.7", "192.0.2.7", 0 },
	{ "::ffff:10.0.0.0/104", "10.0.0.0/8", 0 },
	{ "::ffff:0:0/96", "0.0.0.0/0", 0 },
	{ "::ffff:7f00:0/120", "127.0.0.0/24", 0 },
	{ "10.0.0.0/8", "10.0.0.0/8", 0 },
	{ "2001:db8::/32", "2001:db8::/32", 0 },
	{ "::1", "::1", 0 },
	{ "::/96", "::/96", 0 },
	{ "::/0", "::/0", 1 },
	{ "::/80", "::/80", 1 },
	{ "::fffe:0:0/95", "::fffe:0:0/95", 1 },
};

START_TEST(test_canonical_form)
{
	struct acl_entry	 e;
	const char		*why;
	char			 buf[ACL_TEXT];

	ck_assert_int_eq(acl_parse(forms[_i].entry, &e, &why), 0);
	ck_assert_str_eq(acl_format(&e, buf, sizeof(buf)), forms[_i].text);
	ck_assert_int_eq(acl_covers_mapped(&e), forms[_i].covers_mapped);
}
END_TEST

/* A mapped entry against a mapped peer, the way the daemon sees both. */
START_TEST(test_mapped_entry_mapped_peer)
{
	struct sockaddr_in6	 sin6;
	struct acl_entry	 e[2];
	struct acl		 a = { e, 2 };
	const char		*why;
	uint8_t			 addr[16];
	int			 family;

	ck_assert_int_eq(acl_parse("2001:db8::/32", &e[0], &why), 0);
	ck_assert_int_eq(acl_parse("::ffff:127.0.0.1", &e[1], &why), 0);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	acl_peer((struct sockaddr *)&sin6, &family, addr);
	ck_assert_ptr_eq(acl_find(&a, family, addr), &e[1]);
	inet_pton(AF_INET6, "::ffff:127.0.0.2", &sin6.sin6_addr);
	acl_peer((struct sockaddr *)&sin6, &family, addr);
	ck_assert(!acl_match(&a, family, addr));
}
END_TEST

START_TEST(test_iptable_counts_and_sweeps)
{
	struct iptable	 t;
	struct ipentry	*e;
	uint8_t		 addr[16] = { 0 };
	int		 i;

	iptable_init(&t);
	for (i = 0; i < 1000; i++) {		/* grows past its buckets */
		addr[0] = (uint8_t)i;
		addr[1] = (uint8_t)(i >> 8);
		iptable_get(&t, AF_INET, addr)->conns = i % 2;
	}
	ck_assert_uint_eq(t.n, 1000);
	addr[0] = 3;
	addr[1] = 0;
	e = iptable_get(&t, AF_INET, addr);
	ck_assert_uint_eq(e->conns, 1);		/* found, not new */
	ck_assert_uint_eq(t.n, 1000);
	iptable_sweep(&t, 1.0, 5000);
	ck_assert_uint_eq(t.n, 500);		/* the idle ones went */
	iptable_free(&t);
}
END_TEST

START_TEST(test_iptable_tokens)
{
	struct iptable	 t;
	struct ipentry	*e;
	uint8_t		 addr[16] = { 1 };
	int		 i;

	iptable_init(&t);
	e = iptable_get(&t, AF_INET, addr);
	for (i = 0; i < 3; i++)
		ck_assert(iptable_take_token(e, 3, 3, 1000));
	ck_assert(!iptable_take_token(e, 3, 3, 1000));	/* burst spent */
	ck_assert(!iptable_take_token(e, 3, 3, 1200));	/* 0.6 refilled */
	ck_assert(iptable_take_token(e, 3, 3, 1400));	/* 1.2 */
	iptable_sweep(&t, 1.0, 1500);
	ck_assert_uint_eq(t.n, 1);		/* still refilling */
	iptable_sweep(&t, 1.0, 2500);
	ck_assert_uint_eq(t.n, 0);
	iptable_free(&t);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("acl");
	TCase	*tc = tcase_create("acl");

	tcase_add_loop_test(tc, test_entry, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_mapped_peer);
	tcase_add_loop_test(tc, test_canonical_form, 0,
	    sizeof(forms) / sizeof(forms[0]));
	tcase_add_test(tc, test_mapped_entry_mapped_peer);
	tcase_add_test(tc, test_iptable_counts_and_sweeps);
	tcase_add_test(tc, test_iptable_tokens);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_acl"));
}

/*
 * switchboard tests: listen address parsing and printing.
 */
#include <sys/socket.h>

#include <string.h>

#include <check.h>

#include "../check_common.h"
#include "listen_addr.h"

static const struct {
	const char	*in;
	const char	*printed;	/* NULL: must be rejected */
	const char	*why;		/* part of the reason */
} addrs[] = {
	{ "7001", "[::]:7001", NULL },
	{ "0", "[::]:0", NULL },
	{ "127.0.0.1:7002", "127.0.0.1:7002", NULL },
	{ "[::1]:7003", "[::1]:7003", NULL },
	{ "[fe80::1]:1", "[fe80::1]:1", NULL },
	{ "unix:/run/sb.sock", "unix:/run/sb.sock", NULL },
	{ "65536", NULL, "0 to 65535" },
	{ "-1", NULL, "0 to 65535" },
	{ "70x1", NULL, "0 to 65535" },
	{ "", NULL, "0 to 65535" },
	{ "localhost:7001", NULL, "numeric IPv4" },
	{ "1.2.3:7001", NULL, "numeric IPv4" },
	{ "127.0.0.1:", NULL, "0 to 65535" },
	{ "::1:7001", NULL, "brackets" },
	{ "[::1]7001", NULL, "[IPV6]:PORT" },
	{ "[nope]:7001", NULL, "numeric IPv6" },
	{ "unix:relative.sock", NULL, "absolute path" },
	{ "udp:7001", "[::]:7001", NULL },
	{ "udp:127.0.0.1:7002", "127.0.0.1:7002", NULL },
	{ "udp:[::1]:7003", "[::1]:7003", NULL },
	{ "udp:0", "[::]:0", NULL },
	{ "udp:", NULL, "udp:127.0.0.1:7001" },
	{ "udp:unix:/run/sb.sock", NULL, "IP address and port" },
	{ "udp:udp:7001", NULL, "IP address and port" },
	{ "udp:localhost:7001", NULL, "numeric IPv4" },
	{ "udp:70000", NULL, "0 to 65535" },
	{ "udp:::1:7001", NULL, "brackets" },
	{ "tls:7443", "[::]:7443", NULL },
	{ "tls:127.0.0.1:7443", "127.0.0.1:7443", NULL },
	{ "tls:[::1]:7443", "[::1]:7443", NULL },
	{ "tls:unix:/run/sb.sock", NULL, "IP address and port" },
	{ "tls:tls:7443", NULL, "IP address and port" },
	{ "tls:", NULL, "0 to 65535" },
	{ "tls:localhost:7443", NULL, "numeric IPv4" },
	{ "TLS:7443", NULL, "numeric IPv4" },
	{ "tls:udp:7443", NULL, "IP address and port" },
	{ "udp:tls:7443", NULL, "IP address and port" },
};

START_TEST(test_parse)
{
	struct listen_addr	 a;
	const char		*why = NULL, *bare;
	char			 buf[LISTEN_ADDR_TEXT];
	int			 r;

	r = listen_addr_parse(addrs[_i].in, &a, &why);
	if (addrs[_i].printed == NULL) {
		ck_assert_int_eq(r, -1);
		ck_assert_ptr_nonnull(strstr(why, addrs[_i].why));
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert(a.udp == (strncmp(addrs[_i].in, "udp:", 4) == 0));
	ck_assert(a.any == (strncmp(addrs[_i].printed, "[::]:", 5) == 0));
	listen_addr_format((struct sockaddr *)&a.ss, a.len, buf, sizeof(buf));
	ck_assert_str_eq(buf, addrs[_i].printed);
	/* TLS exactly when written with tls:, the rest as without a prefix. */
	ck_assert_int_eq(a.tls, strncmp(addrs[_i].in, "tls:", 4) == 0);
	bare = a.tls || a.udp ? addrs[_i].in + 4 : addrs[_i].in;
	ck_assert_int_eq(a.any, strchr(bare, ':') == NULL);
}
END_TEST

START_TEST(test_unix_too_long)
{
	struct listen_addr	 a;
	const char		*why;
	char			 path[200];

	memset(path, 'a', sizeof(path));
	memcpy(path, "unix:/", 6);
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(listen_addr_parse(path, &a, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "too long"));
}
END_TEST

START_TEST(test_same)
{
	struct listen_addr	a, b;
	const char		*why;

	listen_addr_parse("127.0.0.1:7001", &a, &why);
	listen_addr_parse("127.0.0.1:7001", &b, &why);
	ck_assert(listen_addr_same(&a, &b));
	listen_addr_parse("7001", &b, &why);		/* wildcard overlaps */
	ck_assert(listen_addr_same(&a, &b));
	listen_addr_parse("127.0.0.2:7001", &b, &why);
	ck_assert(!listen_addr_same(&a, &b));
	listen_addr_parse("127.0.0.1:7002", &b, &why);
	ck_assert(!listen_addr_same(&a, &b));
	listen_addr_parse("127.0.0.1:0", &a, &why);	/* port 0 never clashes */
	listen_addr_parse("127.0.0.1:0", &b, &why);
	ck_assert(!listen_addr_same(&a, &b));
	listen_addr_parse("unix:/x", &a, &why);
	listen_addr_parse("unix:/x", &b, &why);
	ck_assert(listen_addr_same(&a, &b));
	listen_addr_parse("7001", &b, &why);
	ck_assert(!listen_addr_same(&a, &b));
	/* A TLS entry binds the same socket as a plain one would. */
	listen_addr_parse("tls:127.0.0.1:7001", &a, &why);
	listen_addr_parse("127.0.0.1:7001", &b, &why);
	ck_assert(listen_addr_same(&a, &b));
	listen_addr_parse("tls:7001", &b, &why);
	ck_assert(listen_addr_same(&a, &b));
	listen_addr_parse("tls:127.0.0.1:7002", &b, &why);
	ck_assert(!listen_addr_same(&a, &b));
}
END_TEST

/* TCP and UDP on one port are two sockets; two UDP entries may clash. */
START_TEST(test_same_udp)
{
	struct listen_addr	a, b;
	const char		*why;

	listen_addr_parse("127.0.0.1:7001", &a, &why);
	listen_addr_parse("udp:127.0.0.1:7001", &b, &why);
	ck_assert(!listen_addr_same(&a, &b));
	listen_addr_parse("udp:7001", &a, &why);
	ck_assert(listen_addr_same(&a, &b));		/* wildcard overlaps */
	listen_addr_parse("7001", &a, &why);
	ck_assert(!listen_addr_same(&a, &b));
	listen_addr_parse("udp:[::1]:7001", &a, &why);
	listen_addr_parse("udp:[::1]:7001", &b, &why);
	ck_assert(listen_addr_same(&a, &b));
	listen_addr_parse("udp:[::1]:7002", &b, &why);
	ck_assert(!listen_addr_same(&a, &b));
}
END_TEST

START_TEST(test_matches_bound)
{
	struct listen_addr	 a, bound;
	const char		*why;

	/* What getsockname reports, against what the config asks for. */
	listen_addr_parse("127.0.0.1:7001", &bound, &why);
	listen_addr_parse("127.0.0.1:7001", &a, &why);
	ck_assert(listen_addr_matches(&a, (struct sockaddr *)&bound.ss,
	    bound.len));
	listen_addr_parse("127.0.0.1:0", &a, &why);	/* any port */
	ck_assert(listen_addr_matches(&a, (struct sockaddr *)&bound.ss,
	    bound.len));
	listen_addr_parse("127.0.0.2:7001", &a, &why);
	ck_assert(!listen_addr_matches(&a, (struct sockaddr *)&bound.ss,
	    bound.len));
	listen_addr_parse("[::1]:7001", &a, &why);
	ck_assert(!listen_addr_matches(&a, (struct sockaddr *)&bound.ss,
	    bound.len));
	listen_addr_parse("7001", &a, &why);		/* [::]:7001 */
	listen_addr_parse("[::]:7001", &bound, &why);
	ck_assert(listen_addr_matches(&a, (struct sockaddr *)&bound.ss,
	    bound.len));
	listen_addr_parse("unix:/run/a.sock", &a, &why);
	listen_addr_parse("unix:/run/a.sock", &bound, &why);
	ck_assert(listen_addr_matches(&a, (struct sockaddr *)&bound.ss,
	    bound.len));
	listen_addr_parse("unix:/run/a.so", &a, &why);
	ck_assert(!listen_addr_matches(&a, (struct sockaddr *)&bound.ss,
	    bound.len));
	/* A passed socket may be a TLS entry's: the address decides. */
	listen_addr_parse("127.0.0.1:7443", &bound, &why);
	listen_addr_parse("tls:127.0.0.1:7443", &a, &why);
	ck_assert(listen_addr_matches(&a, (struct sockaddr *)&bound.ss,
	    bound.len));
	listen_addr_parse("tls:127.0.0.1:7444", &a, &why);
	ck_assert(!listen_addr_matches(&a, (struct sockaddr *)&bound.ss,
	    bound.len));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("listen_addr");
	TCase	*tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse, 0, sizeof(addrs) / sizeof(addrs[0]));
	tcase_add_test(tc, test_unix_too_long);
	tcase_add_test(tc, test_same);
	tcase_add_test(tc, test_same_udp);
	tcase_add_test(tc, test_matches_bound);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_listen_addr"));
}

/*
 * switchboard tests: the files shipped beside the daemon. systemd-analyze
 * rates the units' sandboxing (the figures are promised in the units'
 * comments) and verifies them with ExecStart= pointed at the daemon just
 * built; the man pages render without a single groff warning, and the
 * example in switchboard.conf(5) is a valid configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

static const struct {
	const char	*unit;
	const char	*threshold;	/* exposure x 10 */
	const char	*rating;
} units[] = {
	{ "switchboard.service", "14", "switchboard.service: 1.4 OK" },
	{ "switchboard-activated.service", "5",
	  "switchboard-activated.service: 0.5 SAFE" },
	{ "switchboard@.service", "14", "switchboard@i.service: 1.4 OK" },
};

START_TEST(test_exposure)
{
	char	cmd[1024], out[65536];

	snprintf(cmd, sizeof(cmd), "cd '%s' && systemd-analyze security "
	    "--offline=true --threshold=%s '%s' 2>&1", SB_UNITS,
	    units[_i].threshold, units[_i].unit);
	ck_assert_msg(run_shell(cmd, out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(strstr(out, units[_i].rating) != NULL, "%s", out);
}
END_TEST

START_TEST(test_keeps_bind_capability)
{
	char	cmd[1024], out[4096];

	snprintf(cmd, sizeof(cmd), "grep -E '^(AmbientCapabilities|"
	    "CapabilityBoundingSet)=' '%s/switchboard.service'", SB_UNITS);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "AmbientCapabilities=CAP_NET_BIND_SERVICE\n"
	    "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n");
}
END_TEST

START_TEST(test_verify)
{
	char	dir[64], cmd[2048], out[8192];

	ck_assert_int_eq(sb_tmpdir(dir, sizeof(dir), "sbunits"), 0);
	snprintf(cmd, sizeof(cmd), "for u in switchboard.service "
	    "switchboard-activated.service switchboard.socket "
	    "switchboard@.service; do "
	    "sed 's|/usr/sbin/switchboardd|%s|g' '%s'/$u > '%s'/$u; done && "
	    "cd '%s' && systemd-analyze verify --man=no switchboard.service "
	    "switchboard-activated.service switchboard.socket "
	    "switchboard@a.service 2>&1; "
	    "rc=$?; rm -rf '%s'; exit $rc", SB_DAEMON, SB_UNITS, dir, dir, dir);
	ck_assert_msg(run_shell(cmd, out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(out[0] == '\0', "verify says:\n%s", out);
}
END_TEST

/*
 * The sample config's control socket is in the directory both daemon
 * units make (RuntimeDirectory=, writable under ProtectSystem=strict),
 * and both let the daemon make unix sockets.
 */
START_TEST(test_control_socket_dir)
{
	char	cmd[2048], out[4096];

	snprintf(cmd, sizeof(cmd), "grep '^control_socket = ' '%s'",
	    SB_SAMPLE_CONFIG);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	ck_assert_str_eq(out,
	    "control_socket = \"/run/switchboard/control.sock\";\n");
	snprintf(cmd, sizeof(cmd), "cd '%s' && for u in switchboard.service "
	    "switchboard-activated.service; do grep -c "
	    "'^RuntimeDirectory=switchboard$' $u; grep -c "
	    "'^RestrictAddressFamilies=.*AF_UNIX' $u; grep -c "
	    "'^ProtectSystem=strict$' $u; grep -c '^ReadOnlyPaths=\\|"
	    "^InaccessiblePaths=\\|^RuntimeDirectoryMode=' $u; done",
	    SB_UNITS);
	run_shell(cmd, out, sizeof(out));
	ck_assert_str_eq(out, "1\n1\n1\n0\n1\n1\n1\n0\n");
}
END_TEST

START_TEST(test_man_pages_clean)
{
	static const char *const pages[] = { "switchboardd.8",
	    "switchboardctl.8", "switchboard.conf.5", "switchboard-bench.1",
	    "switchboard-handler.3", "switchboard-testing.3" };
	char	cmd[1024], out[8192];
	size_t	i;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		snprintf(cmd, sizeof(cmd), "groff -t -man -ww -z '%s/%s' 2>&1",
		    SB_MAN, pages[i]);
		ck_assert_msg(run_shell(cmd, out, sizeof(out)) == 0, "%s", out);
		ck_assert_msg(out[0] == '\0', "%s: %s", pages[i], out);
	}
}
END_TEST

START_TEST(test_man_example_is_valid)
{
	char	cmd[2048], out[8192];

	snprintf(cmd, sizeof(cmd), "f=$(mktemp) && sed -n '/^\\.SH EXAMPLE/,"
	    "/^\\.SH FILES/p' '%s/switchboard.conf.5' | sed -e '1,3d' "
	    "-e '/^\\.fi/,$d' -e 's/\\\\-/-/g' > $f && '%s' -t -c $f "
	    ">$f.out 2>&1; rc=$?; sed \"s|^$f:|FILE:|\" $f.out; "
	    "rm -f $f $f.out; exit $rc", SB_MAN, SB_DAEMON);
	ck_assert_msg(run_shell(cmd, out, sizeof(out)) == 0, "%s", out);
	ck_assert_str_eq(out, "FILE: configuration OK\n");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("units");
	TCase	*tc = tcase_create("systemd");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_exposure, 0, sizeof(units) /
	    sizeof(units[0]));
	tcase_add_test(tc, test_keeps_bind_capability);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_control_socket_dir);
	tcase_add_test(tc, test_man_pages_clean);
	tcase_add_test(tc, test_man_example_is_valid);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_units"));
}

/*
 * switchboard tests: the installed package. Run by .ci/run after
 * "dpkg -i", with SWITCHBOARDD=/usr/sbin/switchboardd: the installed
 * daemon on the installed config (its default), answering on the sample
 * ports with real nc, and the installed switchboard-bench. Not part of
 * "make check", which tests the build tree.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

#define INSTALLED_CONF	"/etc/switchboard/switchboard.conf"
#define INSTALLED_BENCH	"/usr/bin/switchboard-bench"
#define INSTALLED_CTL	"/usr/sbin/switchboardctl"
#define CONTROL_DIR	"/run/switchboard"

START_TEST(test_installed_services)
{
	const char	*args[] = { "-c", INSTALLED_CONF, NULL };
	const char	*check[] = { "-t", "-c", INSTALLED_CONF, NULL };
	const char	*check_default[] = { "-t", NULL };
	struct sbd	 d;
	struct client	*member;
	char		 out[4096];

	ck_assert_int_eq(sbd_run(check, out, sizeof(out)), 0);
	ck_assert_str_eq(out, INSTALLED_CONF ": configuration OK\n");
	/* The package's default -c is the conffile it installs. */
	ck_assert_int_eq(sbd_run(check_default, out, sizeof(out)), 0);
	ck_assert_str_eq(out, INSTALLED_CONF ": configuration OK\n");
	ck_assert_int_eq(run_shell(INSTALLED_BENCH " --version", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "switchboard-bench " PACKAGE_VERSION "\n");
	/*
	 * The config's control socket is in /run/switchboard, which the
	 * unit's RuntimeDirectory= makes; run by hand (as root, here), the
	 * directory is made first, as README.md says.
	 */
	ck_assert(mkdir(CONTROL_DIR, 0755) == 0 || errno == EEXIST);
	sbd_start_args(&d, "", args);	/* the last -c wins */
	ck_assert(sbd_log_has(&d, "starting with " INSTALLED_CONF));

	ck_assert_int_eq(run_shell("echo 42 | timeout 10 nc -N 127.0.0.1 7001",
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "forty-two\n");
	ck_assert_int_eq(run_shell("printf 'h\\303\\251llo stra\\303\\237e\\r\\n' "
	    "| timeout 10 nc -N 127.0.0.1 7002", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "H\xc3\x89LLO STRASSE\r\n");

	member = cl_tcp(7003);
	ck_assert_ptr_nonnull(strstr(cl_line(member, T_WAIT_MS),
	    "welcome to lobby"));
	ck_assert_int_eq(run_shell("printf '/nick ncuser\\nhello from nc\\n' "
	    "| timeout 10 nc -N 127.0.0.1 7003", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "* you are now known as ncuser\n"));
	cl_expect(member, "* guest2 has joined");
	cl_expect(member, "* guest2 is now known as ncuser");
	cl_expect(member, "<ncuser> hello from nc");
	/* The installed switchboardctl, on the default socket. */
	ck_assert_int_eq(run_shell(INSTALLED_CTL " who lobby", out,
	    sizeof(out)), 0);
	/* Ids count every connection: 7001's, 7002's, then this member. */
	ck_assert_str_eq(out, "ID  NICK\n 3  guest1\n");
	ck_assert_int_eq(run_shell(INSTALLED_CTL " --json stats | python3 -c "
	    "'import json,sys; print(len(json.load(sys.stdin)[\"services\"]))'",
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "3\n");
	ck_assert_int_eq(run_shell("stat -c %a " CONTROL_DIR "/control.sock",
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "600\n");
	cl_close(member);
	ck_assert_int_eq(sbd_stop(&d), 0);
	ck_assert_int_eq(run_shell(INSTALLED_CTL " stats 2>&1", out,
	    sizeof(out)), 69);
	ck_assert_ptr_nonnull(strstr(out, CONTROL_DIR "/control.sock"));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("installed");
	TCase	*tc = tcase_create("package");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_installed_services);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_installed"));
}

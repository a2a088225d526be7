/*
 * switchboard tests: the common main. Check prints its summary into the
 * test's log; the same line also goes to fd 9 when the harness has opened
 * it (AM_TESTS_FD_REDIRECT), so "make check" shows how many checks each
 * suite ran, and a suite that ran none stands out.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>

#include "check_common.h"

int
sb_check_run(Suite *s, const char *name)
{
	SRunner		*sr = srunner_create(s);
	TestResult	**results;
	int		 run, failures = 0, errors = 0, i;

	srunner_run_all(sr, CK_NORMAL);
	run = srunner_ntests_run(sr);
	results = srunner_failures(sr);
	for (i = 0; i < srunner_ntests_failed(sr); i++) {
		if (tr_rtype(results[i]) == CK_ERROR)
			errors++;
		else
			failures++;
	}
	free(results);
	if (fcntl(9, F_GETFD) != -1)
		dprintf(9, "%s: %d%%: Checks: %d, Failures: %d, Errors: %d\n",
		    name, run ? (run - failures - errors) * 100 / run : 0, run,
		    failures, errors);
	srunner_free(sr);
	return (run > 0 && failures + errors == 0 ? EXIT_SUCCESS :
	    EXIT_FAILURE);
}

/*
 * A private directory for a test's files. Always under /tmp, not $TMPDIR:
 * unix socket paths in it must fit the 108 bytes of sun_path.
 */
int
sb_tmpdir(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/%s.XXXXXX", name);
	return (mkdtemp(dir) != NULL ? 0 : -1);
}

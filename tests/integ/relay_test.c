/*
 * switchboard integration tests: what the relay suites (check_relay,
 * check_relay_deploy) share.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "../check_common.h"

#include "harness.h"
#include "relay_test.h"

/* The relay's timeout in the tests: short, longer under valgrind. */
int
relay_timeout(void)
{
	return (300 * sbd_wait_scale());
}

/* Wait until the daemon's log has needle; the test fails if it does not. */
void
wait_log(struct sbd *d, const char *needle)
{
	if (!sbd_wait_log(d, needle, T_WAIT_MS))
		ck_abort_msg("log never said \"%s\":\n%s", needle,
		    sbd_log_text(d));
}

/*
 * Read lines until one is want, skipping others; fail if none comes,
 * naming the last line skipped.
 */
void
wait_line(struct client *c, const char *want)
{
	char	*line, last[256] = "(none)";

	for (;;) {
		line = cl_line(c, T_WAIT_MS);
		ck_assert_msg(line != NULL, "never got \"%s\" (last: %s)",
		    want, last);
		if (strcmp(line, want) == 0)
			return;
		snprintf(last, sizeof(last), "%s", line);
	}
}

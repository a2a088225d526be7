/*
 * switchboard tests: running a Check suite under automake's harness.
 */
#ifndef SB_CHECK_COMMON_H
#define SB_CHECK_COMMON_H

#include <check.h>

/* Run every test in a suite; returns the exit status for main. */
int	sb_check_run(Suite *, const char *);
/* Make a private directory /tmp/NAME.XXXXXX: 0, or -1 with errno set. */
int	sb_tmpdir(char *, size_t, const char *);

#endif

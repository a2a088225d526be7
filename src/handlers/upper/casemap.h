/*
 * switchboard: upper-casing of a line of bytes. Pure: no I/O.
 */
#ifndef SB_CASEMAP_H
#define SB_CASEMAP_H

#include <stddef.h>

char	*casemap_upper(const char *, size_t, char *, size_t, size_t *);

#endif

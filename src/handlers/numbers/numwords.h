/*
 * switchboard: signed 64-bit integers to English words, and the parser
 * for the number-to-text protocol's request lines. Pure: no I/O.
 */
#ifndef SB_NUMWORDS_H
#define SB_NUMWORDS_H

#include <stddef.h>
#include <stdint.h>

enum numwords_style {
	NUMWORDS_AMERICAN,	/* one hundred one */
	NUMWORDS_BRITISH	/* one hundred and one */
};

enum numwords_parse_result {
	NUMWORDS_OK,
	NUMWORDS_BLANK,		/* nothing but blanks */
	NUMWORDS_INVALID,	/* not a number */
	NUMWORDS_RANGE		/* a number, outside int64 */
};

/* A buffer that always holds a result of numwords_format whole. */
#define NUMWORDS_MAX	512

enum numwords_parse_result numwords_parse(const char *, size_t, int64_t *);
size_t	numwords_format(int64_t, enum numwords_style, char *, size_t);

#endif

/*
 * switchboard: datagram requests and replies, pure. A request is one
 * datagram of lines, the last of which may lack its line ending; the
 * reply is the handler's answers, cut at a line boundary to fit.
 */
#ifndef SB_DGRAM_H
#define SB_DGRAM_H

#include <stdbool.h>
#include <stddef.h>

/* dgram_cut: not even the trailer fits, send nothing. */
#define DGRAM_NOTHING	((size_t)-1)

bool	dgram_next(char *, size_t, size_t *, char **, size_t *, bool *);
size_t	dgram_cap(size_t, size_t, size_t);
size_t	dgram_cut(const char *, size_t, size_t, size_t);

#endif

/*
 * switchboard: splitting a byte stream into lines. Works on an evbuffer
 * but does no I/O, so tests and fuzzers drive it directly.
 */
#ifndef SB_FRAMER_H
#define SB_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct framer_telnet;

struct framer {
	uint32_t	scanned;	/* bytes already searched for an EOL */
	uint32_t	kept;		/* ... and the data among them */
	uint32_t	pending;	/* bytes handed out, to drain */
	uint8_t		iac;		/* telnet command state at scanned */
	uint8_t		sb;		/* bytes of subnegotiation so far */
	bool		discarding;	/* skipping an over-long line */
	bool		cr;		/* ... whose last data byte was CR */
	bool		crlf;		/* the client's last line ended CRLF */
	bool		telnet;		/* a telnet command byte was scanned */
	bool		reply;		/* telnet answers wait */
	/*
	 * The contiguous block the last pullup made: blk[0..blklen) is the
	 * start of the buffer while it holds buflen bytes. Lines found in it
	 * need no further evbuffer calls. blk[blkiac] is its first IAC at or
	 * after pending (blklen if none).
	 */
	uint32_t	 blklen;
	uint8_t		*blk;
	uint32_t	 buflen;
	uint32_t	 blkiac;
	struct framer_telnet *tn;	/* options answered, made when needed */
};

enum framer_status {
	FRAMER_NONE,		/* no complete line yet */
	FRAMER_LINE,		/* *line holds one line */
	FRAMER_TOO_LONG		/* a line over max_line was dropped */
};

/* The longest subnegotiation, from after IAC SB to IAC SE included. */
#define FRAMER_SB_MAX	64

enum framer_status framer_next(struct framer *, struct evbuffer *, size_t,
		    char **, size_t *);
enum framer_status framer_rest(struct framer *, struct evbuffer *, size_t,
		    char *, char **, size_t *);
size_t	framer_replies(struct framer *, uint8_t *, size_t);
void	framer_free(struct framer *);

#endif

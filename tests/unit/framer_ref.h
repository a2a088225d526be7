/*
 * switchboard tests: a reference line framer, one byte at a time, written
 * from the rules in switchboard.conf(5) and nothing else, to compare the
 * real framer with (check_framer_diff, fuzz_framer).
 */
#ifndef SB_FRAMER_REF_H
#define SB_FRAMER_REF_H

#include <stddef.h>

/* What a framer made of a stream, in a form two framers can compare. */
struct ref_log {
	unsigned char	*buf;
	size_t		 len;
	size_t		 size;
};

struct framer_ref {
	size_t		 max;
	int		 state;
	int		 verb;		/* after IAC WILL/WONT/DO/DONT */
	int		 sb;		/* bytes after IAC SB */
	unsigned char	*line;		/* max + 2 bytes */
	size_t		 n;		/* data bytes of the line kept */
	int		 over;		/* the line is over-long */
	int		 last;		/* its last data byte, -1 if none */
	int		 crlf;		/* how the last line ended */
	unsigned char	 refused[2][256];	/* DO x, WILL x answered */
	unsigned	 tm;		/* DO TIMING-MARK seen */
	struct ref_log	*log;
};

void	ref_log_add(struct ref_log *, int, const void *, size_t, int);
void	ref_log_free(struct ref_log *);
void	ref_init(struct framer_ref *, size_t, struct ref_log *);
void	ref_feed(struct framer_ref *, const void *, size_t);
void	ref_eof(struct framer_ref *);
int	ref_check_replies(struct framer_ref *, const unsigned char *, size_t);
void	ref_free(struct framer_ref *);

#endif

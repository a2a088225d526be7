/*
 * switchboard: line framing.
 *
 * Lines end in LF or CRLF. Telnet IAC command sequences are removed, and
 * an LF inside one (in a subnegotiation, say) does not end a line. A line
 * is handed out in place: the bytes stay in the evbuffer, made contiguous,
 * filtered and NUL-terminated, until the next call drains them. So a line
 * costs no copy, and an unfinished line never takes more than about
 * max_line bytes: past that it is drained and skipped up to its EOL.
 */
#include <string.h>

#include <event2/buffer.h>

#include "framer.h"

#define IAC	255
#define SB	250
#define SE	240
#define WILL	251		/* WILL, WONT, DO and DONT take an option */

enum framer_iac {
	FRAMER_DATA,		/* ordinary bytes */
	FRAMER_IAC,		/* after IAC */
	FRAMER_OPTION,		/* after IAC WILL/WONT/DO/DONT */
	FRAMER_SUB,		/* inside IAC SB ... */
	FRAMER_SUB_IAC		/* IAC inside a subnegotiation */
};

static int	framer_step(uint8_t *, uint8_t);
static size_t	framer_filter(uint8_t *, size_t);
static long	framer_scan(struct framer *, const uint8_t *, size_t);
static void	framer_drain_pending(struct framer *, struct evbuffer *);
static long	framer_in_block(struct framer *, struct evbuffer *, size_t,
		    uint8_t **);
static long	framer_search(struct framer *, struct evbuffer *, size_t,
		    uint8_t **, enum framer_status *);

/*
 * Advance the telnet state by one byte. Returns 1 if the byte is data,
 * 0 if it belongs to a command.
 */
static int
framer_step(uint8_t *state, uint8_t b)
{
	switch (*state) {
	case FRAMER_DATA:
		if (b != IAC)
			return (1);
		*state = FRAMER_IAC;
		return (0);
	case FRAMER_IAC:
		if (b == IAC) {			/* IAC IAC: a literal 255 */
			*state = FRAMER_DATA;
			return (1);
		}
		*state = b == SB ? FRAMER_SUB :
		    b >= WILL ? FRAMER_OPTION : FRAMER_DATA;
		return (0);
	case FRAMER_OPTION:
		*state = FRAMER_DATA;
		return (0);
	case FRAMER_SUB:
		if (b == IAC)
			*state = FRAMER_SUB_IAC;
		return (0);
	default:			/* FRAMER_SUB_IAC */
		*state = b == SE ? FRAMER_DATA : FRAMER_SUB;
		return (0);
	}
}

/* Remove telnet commands from a line in place; returns the new length. */
static size_t
framer_filter(uint8_t *p, size_t len)
{
	uint8_t	*first, state = FRAMER_DATA;
	size_t	 i, o;

	if ((first = memchr(p, IAC, len)) == NULL)
		return (len);
	for (i = o = (size_t)(first - p); i < len; i++) {
		if (framer_step(&state, p[i]))
			p[o++] = p[i];
	}
	return (o);
}

/*
 * Search p[f->scanned..len) for an LF that is data. Returns its index, or
 * -1 with f->scanned and f->iac advanced to len.
 */
static long
framer_scan(struct framer *f, const uint8_t *p, size_t len)
{
	const uint8_t	*lf, *iac;
	size_t		 i = f->scanned;

	if (f->iac == FRAMER_DATA) {
		/* Fast path: no telnet command before the next LF. */
		lf = memchr(p + i, '\n', len - i);
		iac = memchr(p + i, IAC, (lf != NULL ? (size_t)(lf - p) : len) - i);
		if (iac == NULL) {
			if (lf != NULL)
				return (lf - p);
			f->scanned = (uint32_t)len;
			return (-1);
		}
		i = (size_t)(iac - p);
	}
	f->telnet = true;
	for (; i < len; i++) {
		if (framer_step(&f->iac, p[i]) && p[i] == '\n')
			return ((long)i);
	}
	f->scanned = (uint32_t)len;
	return (-1);
}

/* Drain the bytes of lines already handed out. */
static void
framer_drain_pending(struct framer *f, struct evbuffer *in)
{
	if (f->pending > 0) {
		evbuffer_drain(in, f->pending);
		f->pending = 0;
	}
	f->blk = NULL;
}

/*
 * The next line, if it lies whole (EOL included, before the block's next
 * telnet command) in the block the last pullup made contiguous and the
 * buffer has not changed since: one evbuffer call instead of four, and no
 * search for IAC (made once for the block). Returns the EOL's offset from
 * *pp, or -1 for the general path. Any append changes the length, and only
 * an append can move the bytes (libevent realigns a chain to make room).
 */
static long
framer_in_block(struct framer *f, struct evbuffer *in, size_t max_line,
    uint8_t **pp)
{
	uint8_t	*p, *lf;
	size_t	 room;

	if (f->blk == NULL || f->scanned != 0 || f->discarding ||
	    evbuffer_get_length(in) != f->buflen)
		return (-1);
	p = f->blk + f->pending;
	room = f->blklen - f->pending;
	if (room > max_line + 2)
		room = max_line + 2;
	if ((lf = memchr(p, '\n', room)) == NULL ||
	    lf > f->blk + f->blkiac)
		return (-1);
	*pp = p;
	return (lf - p);
}

/*
 * The general path: make the pending bytes and up to max_line + 2 more
 * contiguous, and search those. Returns the EOL's offset from *pp, or -1
 * with *st saying why there is no line.
 */
static long
framer_search(struct framer *f, struct evbuffer *in, size_t max_line,
    uint8_t **pp, enum framer_status *st)
{
	uint8_t	*p, *iac;
	size_t	 avail, window;
	long	 eol;

	for (;;) {
		avail = evbuffer_get_length(in) - f->pending;
		*st = FRAMER_NONE;
		if (avail == 0 || avail <= f->scanned) {
			framer_drain_pending(f, in);
			return (-1);
		}
		/* Room for max_line bytes, a CR and the LF. */
		window = avail < max_line + 2 ? avail : max_line + 2;
		if (evbuffer_get_contiguous_space(in) < f->pending + window)
			framer_drain_pending(f, in);
		if ((p = evbuffer_pullup(in, (ev_ssize_t)(f->pending +
		    window))) == NULL)
			return (-1);
		f->blk = p;
		f->blklen = f->pending + (uint32_t)window;
		f->buflen = f->pending + (uint32_t)avail;
		p += f->pending;
		iac = memchr(p, IAC, window);
		f->blkiac = iac != NULL ? (uint32_t)(iac - f->blk) : f->blklen;
		if ((eol = framer_scan(f, p, window)) >= 0) {
			*pp = p;
			return (eol);
		}
		if (window < max_line + 2 && !f->discarding) {
			framer_drain_pending(f, in);
			return (-1);
		}
		/* A window without an EOL: drop it, and the rest up to one. */
		f->pending += (uint32_t)window;
		framer_drain_pending(f, in);
		f->scanned = 0;
		if (!f->discarding) {
			f->discarding = true;
			*st = FRAMER_TOO_LONG;
			return (-1);
		}
	}
}

/*
 * Return the next complete line from in, at most max_line bytes without
 * its EOL. On FRAMER_LINE, *line points into in and stays valid until the
 * next call. On FRAMER_TOO_LONG one over-long line (or the start of one)
 * has been dropped; the caller reports it once.
 *
 * Lines handed out stay in the buffer (f->pending bytes) while the next
 * one lies in the same contiguous block, so a batch of lines costs one
 * drain, made when no complete line is left.
 */
enum framer_status
framer_next(struct framer *f, struct evbuffer *in, size_t max_line,
    char **line, size_t *len)
{
	enum framer_status	 st;
	uint8_t			*p;
	size_t			 n;
	long			 eol;

	for (;;) {
		if ((eol = framer_in_block(f, in, max_line, &p)) < 0 &&
		    (eol = framer_search(f, in, max_line, &p, &st)) < 0)
			return (st);
		f->scanned = 0;
		f->iac = FRAMER_DATA;
		if (f->discarding) {
			f->pending += (uint32_t)eol + 1;
			f->discarding = false;
			f->telnet = false;
			continue;
		}
		n = f->telnet ? framer_filter(p, (size_t)eol) : (size_t)eol;
		f->telnet = false;
		f->crlf = n > 0 && p[n - 1] == '\r';
		if (f->crlf)
			n--;
		f->pending += (uint32_t)eol + 1;
		if (n > max_line)
			return (FRAMER_TOO_LONG);
		p[n] = '\0';
		*line = (char *)p;
		*len = n;
		return (FRAMER_LINE);
	}
}

/*
 * At end of input, after framer_next has taken every complete line:
 * return what is left as a final line, copied into buf (max_line + 3
 * bytes, room for the NUL that the input buffer may have no room for
 * after its last byte). Everything left in `in` is
 * consumed. FRAMER_NONE if nothing is left, or it was part of an
 * over-long line.
 */
enum framer_status
framer_rest(struct framer *f, struct evbuffer *in, size_t max_line,
    char *buf, char **line, size_t *len)
{
	size_t	avail, n;

	framer_drain_pending(f, in);
	avail = evbuffer_get_length(in);
	f->scanned = 0;
	if (avail == 0 || f->discarding || avail > max_line + 2) {
		evbuffer_drain(in, avail);
		f->discarding = false;
		return (FRAMER_NONE);
	}
	evbuffer_remove(in, buf, avail);
	n = framer_filter((uint8_t *)buf, avail);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > max_line)
		return (FRAMER_TOO_LONG);
	buf[n] = '\0';
	*line = buf;
	*len = n;
	return (FRAMER_LINE);
}

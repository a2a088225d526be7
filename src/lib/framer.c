/*
 * switchboard: line framing.
 *
 * Lines end in LF or CRLF. Telnet commands (RFC 854) are taken out of the
 * stream as it is searched: only IAC followed by a command byte (240 to
 * 255) is one, IAC IAC is a data byte 255, and IAC followed by any other
 * byte is that byte as data. IP and EL discard the line typed so far.
 * DO TIMING-MARK is answered WILL TIMING-MARK (RFC 860), and every other
 * option asked for is refused (DO x: WONT x, WILL x: DONT x), once per
 * option and connection; the answers wait for framer_replies. A
 * subnegotiation ends at IAC SE or after FRAMER_SB_MAX bytes.
 *
 * A line is handed out in place: the bytes stay in the evbuffer, made
 * contiguous, filtered and NUL-terminated, until the next call drains them.
 * So a line costs no copy, and an unfinished line never takes more than
 * about max_line bytes: past that it is drained and skipped up to its EOL,
 * and reported there, so that the report can end as the line did.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "framer.h"
#include "xmalloc.h"

#define IAC	255
#define DONT	254
#define DO	253
#define WONT	252
#define WILL	251
#define SB	250
#define EL	248
#define IP	244
#define SE	240
#define TELOPT_TM 6		/* TIMING-MARK, RFC 860 */

/* Telnet command states; after IAC WILL/WONT/DO/DONT it is that byte. */
enum framer_iac {
	FRAMER_DATA,		/* ordinary bytes */
	FRAMER_IAC,		/* after IAC */
	FRAMER_SUB,		/* inside IAC SB ... */
	FRAMER_SUB_IAC		/* IAC inside a subnegotiation */
};

/* What framer_step makes of a byte that is not data. */
#define FRAMER_SKIP	-1	/* part of a command */
#define FRAMER_ERASE	-2	/* IP or EL: drop the line so far */

/* Options a client asked for, answered once each. */
struct framer_telnet {
	uint8_t	done[64];	/* refused: DO x at bit x, WILL x at 256 + x */
	uint8_t	todo[64];	/* ... and not yet taken by framer_replies */
	bool	tm;		/* a WILL TIMING-MARK to send */
};

static void	framer_answer(struct framer *, uint8_t, uint8_t);
static int	framer_step(struct framer *, uint8_t);
static long	framer_scan(struct framer *, uint8_t *, size_t);
static void	framer_drain_pending(struct framer *, struct evbuffer *);
static void	framer_compact(struct framer *, struct evbuffer *, uint8_t *);
static void	framer_drop(struct framer *, struct evbuffer *, uint8_t *);
static long	framer_in_block(struct framer *, struct evbuffer *, size_t,
		    uint8_t **);
static long	framer_search(struct framer *, struct evbuffer *, size_t,
		    uint8_t **);

/*
 * Note the answer to IAC verb opt. WONT and DONT agree with what we do
 * already and get none, so no answer is ever answered in turn. TIMING-MARK
 * is answered each time (several read at once get one answer); a refusal
 * is made once per option and direction.
 */
static void
framer_answer(struct framer *f, uint8_t verb, uint8_t opt)
{
	struct framer_telnet	*tn;
	unsigned		 bit;

	if (verb == WONT || verb == DONT)
		return;
	if ((tn = f->tn) == NULL)
		tn = f->tn = xcalloc(1, sizeof(*f->tn));
	if (verb == DO && opt == TELOPT_TM)
		tn->tm = true;
	else {
		bit = (verb == WILL ? 256 : 0) + opt;
		if (tn->done[bit / 8] & (1 << (bit % 8)))
			return;
		tn->done[bit / 8] |= 1 << (bit % 8);
		tn->todo[bit / 8] |= 1 << (bit % 8);
	}
	f->reply = true;
}

/*
 * Advance the telnet state by one byte. Returns the byte if it is data
 * (IAC IAC gives 255), or FRAMER_SKIP or FRAMER_ERASE.
 */
static int
framer_step(struct framer *f, uint8_t b)
{
	switch (f->iac) {
	case FRAMER_DATA:
		if (b != IAC)
			return (b);
		f->iac = FRAMER_IAC;
		return (FRAMER_SKIP);
	case FRAMER_IAC:
		f->iac = FRAMER_DATA;
		if (b < SE || b == IAC)
			return (b);	/* not a command, or IAC IAC */
		if (b == SB) {
			f->iac = FRAMER_SUB;
			f->sb = 0;
		} else if (b >= WILL)
			f->iac = b;
		else if (b == IP || b == EL)
			return (FRAMER_ERASE);
		return (FRAMER_SKIP);
	case WILL:
	case WONT:
	case DO:
	case DONT:
		framer_answer(f, f->iac, b);
		f->iac = FRAMER_DATA;
		return (FRAMER_SKIP);
	default:			/* FRAMER_SUB, FRAMER_SUB_IAC */
		if (f->iac == FRAMER_SUB_IAC && b == SE) {
			f->iac = FRAMER_DATA;
			return (FRAMER_SKIP);
		}
		f->iac = f->iac == FRAMER_SUB && b == IAC ? FRAMER_SUB_IAC :
		    FRAMER_SUB;
		if (++f->sb >= FRAMER_SB_MAX)
			f->iac = FRAMER_DATA;	/* unterminated: give up */
		return (FRAMER_SKIP);
	}
}

/*
 * Search p[f->scanned..len) for an LF that is data. Returns its index, with
 * f->kept the length of the line's data before it, or -1 with f->scanned,
 * f->kept and f->iac advanced to len. On entry the bytes before scanned
 * are all data (f->kept == f->scanned: framer_search compacts). From the
 * first telnet command on, the data is moved down over the commands in
 * place, so p[0..f->kept) is always the line so far.
 */
static long
framer_scan(struct framer *f, uint8_t *p, size_t len)
{
	const uint8_t	*lf, *iac;
	size_t		 i = f->scanned, o;
	int		 c;

	if (f->iac == FRAMER_DATA) {
		/* Fast path: no telnet command before the next LF. */
		lf = memchr(p + i, '\n', len - i);
		iac = memchr(p + i, IAC, (lf != NULL ? (size_t)(lf - p) : len) - i);
		if (iac == NULL) {
			if (lf != NULL) {
				f->kept = (uint32_t)(lf - p);
				return (lf - p);
			}
			f->scanned = f->kept = (uint32_t)len;
			return (-1);
		}
		i = (size_t)(iac - p);
	}
	f->telnet = true;
	for (o = i; i < len; i++) {
		if ((c = framer_step(f, p[i])) >= 0) {
			if (c == '\n') {
				f->kept = (uint32_t)o;
				return ((long)i);
			}
			p[o++] = (uint8_t)c;
		} else if (c == FRAMER_ERASE) {
			o = 0;			/* a new line starts here */
			f->discarding = false;
		}
	}
	f->scanned = (uint32_t)len;
	f->kept = (uint32_t)o;
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
 * An unfinished line at p held telnet commands: move its data up against
 * the bytes not yet scanned and drain the commands (and the lines handed
 * out), so they take no room in the buffer or the line's window.
 */
static void
framer_compact(struct framer *f, struct evbuffer *in, uint8_t *p)
{
	uint32_t	gap = f->scanned - f->kept;

	memmove(p + gap, p, f->kept);
	f->pending += gap;
	framer_drain_pending(f, in);
	f->scanned = f->kept;
}

/*
 * Drain the scanned part of an over-long line at p, noting whether its
 * last data byte was CR: the line is reported at its LF, ending as it did.
 */
static void
framer_drop(struct framer *f, struct evbuffer *in, uint8_t *p)
{
	if (f->kept > 0)
		f->cr = p[f->kept - 1] == '\r';
	f->discarding = true;
	f->pending += f->scanned;
	framer_drain_pending(f, in);
	f->scanned = f->kept = 0;
	f->telnet = false;
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
 * if no line is complete. A window of max_line + 2 data bytes without an
 * EOL (room for max_line bytes, a CR and the LF) is over-long: it is
 * dropped, and so is the rest up to the EOL. Telnet commands are drained
 * as they are found, so they never count against the window.
 */
static long
framer_search(struct framer *f, struct evbuffer *in, size_t max_line,
    uint8_t **pp)
{
	uint8_t	*p, *iac;
	size_t	 avail, window;
	long	 eol;

	for (;;) {
		avail = evbuffer_get_length(in) - f->pending;
		if (avail <= f->scanned) {
			framer_drain_pending(f, in);
			return (-1);
		}
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
		iac = memchr(p + f->scanned, IAC, window - f->scanned);
		f->blkiac = iac != NULL ? (uint32_t)(iac - f->blk) : f->blklen;
		if ((eol = framer_scan(f, p, window)) >= 0) {
			*pp = p;
			return (eol);
		}
		if (f->discarding || f->kept >= max_line + 2)
			framer_drop(f, in, p);
		else if (f->scanned > f->kept)
			framer_compact(f, in, p);
		else {
			framer_drain_pending(f, in);
			return (-1);
		}
	}
}

/*
 * Return the next complete line from in, at most max_line bytes without
 * its EOL. On FRAMER_LINE, *line points into in and stays valid until the
 * next call. On FRAMER_TOO_LONG an over-long line has been dropped, up to
 * and including its EOL; the caller reports it once. Either way f->crlf
 * says how the line ended.
 *
 * Lines handed out stay in the buffer (f->pending bytes) while the next
 * one lies in the same contiguous block, so a batch of lines costs one
 * drain, made when no complete line is left.
 */
enum framer_status
framer_next(struct framer *f, struct evbuffer *in, size_t max_line,
    char **line, size_t *len)
{
	uint8_t	*p;
	size_t	 n;
	long	 eol;

	if ((eol = framer_in_block(f, in, max_line, &p)) < 0 &&
	    (eol = framer_search(f, in, max_line, &p)) < 0)
		return (FRAMER_NONE);
	n = f->telnet ? f->kept : (size_t)eol;
	f->scanned = 0;
	f->telnet = false;
	f->pending += (uint32_t)eol + 1;
	if (f->discarding) {
		f->discarding = false;
		f->crlf = n > 0 ? p[n - 1] == '\r' : f->cr;
		return (FRAMER_TOO_LONG);
	}
	f->crlf = n > 0 && p[n - 1] == '\r';
	if (f->crlf)
		n--;
	if (n > max_line)
		return (FRAMER_TOO_LONG);
	p[n] = '\0';
	*line = (char *)p;
	*len = n;
	return (FRAMER_LINE);
}

/*
 * At end of input, after framer_next has taken every complete line:
 * return what is left as a final line, copied into buf (max_line + 3
 * bytes, room for the NUL that the input buffer may have no room for
 * after its last byte). What is left is data already: framer_next took
 * the telnet commands out. A final CR is dropped and f->crlf is left as
 * it was (the line has no ending of its own). Everything left in `in` is
 * consumed. FRAMER_NONE if nothing is left.
 */
enum framer_status
framer_rest(struct framer *f, struct evbuffer *in, size_t max_line,
    char *buf, char **line, size_t *len)
{
	size_t	avail, n;
	bool	over = f->discarding;

	framer_drain_pending(f, in);
	avail = evbuffer_get_length(in);
	f->scanned = f->kept = 0;
	f->discarding = f->telnet = false;
	f->iac = FRAMER_DATA;
	if (over || avail > max_line + 1) {
		evbuffer_drain(in, avail);
		return (FRAMER_TOO_LONG);
	}
	if (avail == 0)
		return (FRAMER_NONE);
	evbuffer_remove(in, buf, avail);
	n = avail;
	if (buf[n - 1] == '\r')
		n--;
	if (n > max_line)
		return (FRAMER_TOO_LONG);
	buf[n] = '\0';
	*line = buf;
	*len = n;
	return (FRAMER_LINE);
}

/*
 * Take the telnet answers waiting, as many whole ones as fit in buf: the
 * bytes to write to the client as they are. Returns their length; call
 * again while f->reply is set.
 */
size_t
framer_replies(struct framer *f, uint8_t *buf, size_t size)
{
	struct framer_telnet	*tn = f->tn;
	size_t			 n = 0;
	unsigned		 bit, i;

	if (!f->reply || tn == NULL)
		return (0);
	if (tn->tm && size >= 3) {
		buf[n++] = IAC;
		buf[n++] = WILL;
		buf[n++] = TELOPT_TM;
		tn->tm = false;
	}
	for (bit = 0; bit < 512 && n + 3 <= size; bit++) {
		if (!(tn->todo[bit / 8] & (1 << (bit % 8))))
			continue;
		tn->todo[bit / 8] &= ~(1 << (bit % 8));
		buf[n++] = IAC;
		buf[n++] = bit < 256 ? WONT : DONT;
		buf[n++] = bit % 256;
	}
	f->reply = tn->tm;
	for (i = 0; i < sizeof(tn->todo) && !f->reply; i++)
		f->reply = tn->todo[i] != 0;
	return (n);
}

/* Free what the framer allocated; it may be used again afterwards. */
void
framer_free(struct framer *f)
{
	free(f->tn);
	f->tn = NULL;
	f->reply = false;
}

/*
 * switchboard: queuing output to a client.
 *
 * A round's small lines are copied into space reserved at the end of the
 * output buffer, one reservation for many lines, and committed when the
 * connection is written (or before anything else touches the buffer).
 * An evbuffer_add per line cost more than the copy it makes: measured
 * with callgrind on uppercase-echo, about 110 instructions a line.
 * Lines too big to stage are added as they are; large shared lines go by
 * reference (line.c).
 *
 * When a round's output is all staged and the socket takes it whole, it
 * is written straight from the reserved space and the reservation is kept
 * for the next round: no chain is allocated, committed, drained and freed
 * each round (about 350 instructions, most of it malloc). A connection
 * that gets no output for a sweep interval (a second) gives the space
 * back.
 *
 * Replies a handler builds itself (a welcome, a listing, a history replay)
 * are queued between sb_conn_reply_begin and sb_conn_reply_end, and their
 * size is a credit on top of max_output: the client asked for them, so
 * they never make it a slow consumer. The credit shrinks by what is
 * written, so what others send the client is still cut off at max_output
 * plus the replies it asked for, and a client that sends no more requests
 * (reading pauses at the high-water mark) cannot raise it further.
 *
 * The credit bounds what is queued, not what it costs: a history replay
 * of shared lines is the same text for every newcomer, and even by
 * reference each line in an evbuffer costs a chain (about 1 KiB with
 * libevent 2.1). So once CONN_HELD_FEED bytes are queued, a reply's shared
 * lines, and everything queued after them, wait in a list of pointers
 * (held) and go into the buffer as it drains. A newcomer that never reads
 * then pins a pointer per line of its replay, not a chain or a copy.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "conn.h"
#include <switchboard/handler.h>
#include "line.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "xmalloc.h"

/* Space reserved at a time, and the largest line copied into it. */
#define CONN_STAGE_MIN	1024
#define CONN_STAGE_MAX	4096
/* Past this many bytes in the buffer, a reply's shared lines are held. */
#define CONN_HELD_FEED	(16 * 1024)

/* Lines queued to a client but not yet in its buffer, oldest first. */
struct conn_held {
	struct sb_line	**v;		/* v[head] to v[head + n - 1] */
	size_t		  head;
	size_t		  n;
	size_t		  cap;
};

/* A line built in place while lines are held (sb_conn_line_space). */
static char	conn_scratch[CONN_STAGE_MAX];

static struct evbuffer *conn_out_buffer(struct sb_conn *);
static void	conn_out_commit(struct sb_conn *);
static char	*conn_out_room(struct sb_conn *, size_t);
static void	conn_out_add(struct sb_conn *, const void *, size_t, size_t);
static bool	conn_writable(struct sb_conn *);
static void	conn_queued(struct sb_conn *);
static void	conn_check_output(struct sb_conn *);
static ssize_t	conn_out_write_some(struct sb_conn *);
static inline size_t conn_out_line(struct sb_conn *, struct sb_line *);
static void	conn_hold(struct sb_conn *, struct sb_line *);
static void	conn_hold_copy(struct sb_conn *, const void *, size_t)
		    __attribute__((noinline, cold));
static void	conn_out_feed(struct sb_conn *);

/*
 * The output buffer, made when first needed: an idle connection has none.
 */
static struct evbuffer *
conn_out_buffer(struct sb_conn *c)
{
	if (c->out == NULL && (c->out = evbuffer_new()) == NULL)
		fatalx("cannot make a client's output buffer");
	return (c->out);
}

/* Make the staged bytes part of the output buffer; end the reservation. */
static void
conn_out_commit(struct sb_conn *c)
{
	struct evbuffer_iovec	v;

	if (c->stage == NULL)
		return;
	v.iov_base = c->stage;
	v.iov_len = c->stage_len;
	if (c->stage_len > 0 && evbuffer_commit_space(c->out, &v, 1) == -1)
		fatalx("cannot commit a client's output");
	c->out_len += c->stage_len;
	c->stage = NULL;
	c->stage_len = c->stage_room = 0;
}

/*
 * Write what is queued, like evbuffer_write: the bytes written, or -1 with
 * errno set. What is written uses up the credit of own replies first.
 */
ssize_t
conn_out_write(struct sb_conn *c)
{
	ssize_t	n;

	conn_out_feed(c);
	n = conn_out_write_some(c);
	if (n > 0 && c->reply_credit > 0)
		c->reply_credit -= c->reply_credit < (size_t)n ?
		    c->reply_credit : (uint32_t)n;
	return (n);
}

/*
 * Write for conn_out_write. Output that is all staged goes out straight
 * from the kept space.
 */
static ssize_t
conn_out_write_some(struct sb_conn *c)
{
	ssize_t	n;
	int	err;

	if (c->out == NULL)
		return (0);			/* never had output */
	if (__builtin_expect((c->flags & CONN_TLS) != 0, 0)) {
		conn_out_commit(c);
		n = conn_tls_write(c);
		c->out_len = evbuffer_get_length(c->out);
		return (n);
	}
	if (c->out_len == 0 && c->stage_len > 0) {
		n = write(c->fd, c->stage, c->stage_len);
		if (n == (ssize_t)c->stage_len) {
			c->stage_len = 0;
			if (!(c->flags & CONN_KEPT))
				TAILQ_INSERT_TAIL(&c->svc->srv->queues->kept, c,
				    kept_entry);
			c->flags |= CONN_KEPT | CONN_KEPT_USED;
			return (n);
		}
		err = errno;		/* the caller looks at it */
		conn_out_commit(c);
		if (n > 0) {
			evbuffer_drain(c->out, (size_t)n);
			c->out_len -= (size_t)n;
		}
		errno = err;
		return (n);
	}
	conn_out_commit(c);
	n = evbuffer_write(c->out, c->fd);
	c->out_len = evbuffer_get_length(c->out);
	return (n);
}

/* Off the kept list (the connection is going). */
void
conn_out_forget(struct sb_conn *c)
{
	if (c->flags & CONN_KEPT)
		TAILQ_REMOVE(&c->svc->srv->queues->kept, c, kept_entry);
	c->flags &= ~(CONN_KEPT | CONN_KEPT_USED);
}

/*
 * Once a second: connections that kept output space and have not used it
 * since the last sweep give it back. An empty evbuffer keeps its last
 * chain, so the buffer goes (made again when needed).
 */
void
conn_sweep_kept(struct server *srv)
{
	struct sb_conn	*c, *next;

	for (c = TAILQ_FIRST(&srv->queues->kept); c != NULL; c = next) {
		next = TAILQ_NEXT(c, kept_entry);
		if (c->flags & CONN_KEPT_USED) {
			c->flags &= ~CONN_KEPT_USED;
			continue;
		}
		conn_out_forget(c);
		if (c->stage == NULL || c->stage_len > 0 || c->out_len > 0)
			continue;		/* in use after all */
		evbuffer_free(c->out);
		c->out = NULL;
		c->stage = NULL;
		c->stage_room = 0;
	}
}

/*
 * Room for n bytes at the end of the staged space, reserving more if
 * needed; NULL (with what was staged committed) if n is too big to stage.
 */
static char *
conn_out_room(struct sb_conn *c, size_t n)
{
	struct evbuffer_iovec	v;

	if (c->stage != NULL && c->stage_room - c->stage_len >= n)
		return (c->stage + c->stage_len);
	conn_out_commit(c);
	conn_out_buffer(c);
	if (n > CONN_STAGE_MAX)
		return (NULL);
	if (evbuffer_reserve_space(c->out, n > CONN_STAGE_MIN ? n :
	    CONN_STAGE_MIN, &v, 1) != 1)
		fatalx("cannot grow a client's output buffer");
	c->stage = v.iov_base;
	c->stage_room = v.iov_len > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)v.iov_len;
	return (c->stage);
}

/*
 * Queue len bytes of data, then a line ending of eol bytes: 0 (the data
 * has its own), 1 (LF) or 2 (CRLF).
 */
static void
conn_out_add(struct sb_conn *c, const void *data, size_t len, size_t eol)
{
	char	*dst;

	if ((dst = conn_out_room(c, len + eol)) == NULL) {
		if (evbuffer_add(c->out, data, len) == -1 ||
		    evbuffer_add(c->out, &"\r\n"[2 - eol], eol) == -1)
			fatalx("cannot queue output");
		c->out_len += len + eol;
		return;
	}
	memcpy(dst, data, len);
	if (eol == 2)
		dst[len++] = '\r';
	if (eol > 0)
		dst[len++] = '\n';
	c->stage_len += (uint32_t)len;
}

/* Can output still be queued? Not once closing without a flush. */
static bool
conn_writable(struct sb_conn *c)
{
	return (!(c->flags & CONN_CLOSED) &&
	    (c->flags & (CONN_CLOSING | CONN_FLUSH)) != CONN_CLOSING);
}

/*
 * Output was queued: write it this round. A client whose queue passes
 * max_output (plus the credit of its own replies) is dropped as a slow
 * consumer; not while a reply is being queued (reply_credit is not a
 * credit then, see sb_conn_reply_begin).
 */
static void
conn_queued(struct sb_conn *c)
{
	if (!(c->flags & CONN_DIRTY)) {
		c->flags |= CONN_DIRTY;
		TAILQ_INSERT_TAIL(&c->svc->srv->queues->dirty, c, dirty_entry);
		server_schedule_flush(c->svc->srv);
	}
	if (conn_outlen(c) > (size_t)c->max_output + c->reply_credit &&
	    !(c->flags & (CONN_CLOSING | CONN_REPLY)))
		conn_check_output(c);
}

/* Drop a client whose output passed its bound, as a slow consumer. */
static void
conn_check_output(struct sb_conn *c)
{
	if (conn_outlen(c) <= (size_t)c->max_output + c->reply_credit ||
	    (c->flags & (CONN_CLOSING | CONN_REPLY)))
		return;
	service_limit(c->svc, LIMIT_SLOW_CONSUMER, sb_conn_peer(c),
	    "output over %u bytes, disconnecting a slow consumer",
	    c->max_output);
	conn_close(c, "slow consumer", 0);
}

/*
 * Start queuing a reply of the handler's own (handler.h). Until
 * sb_conn_reply_end, reply_credit holds the credit minus the bytes queued
 * before the reply (wrapping, as uint32_t does: a reply is far below 4
 * GiB, history times max_line at most), so that adding the bytes
 * queued after it leaves the credit raised by the reply's size.
 */
void
sb_conn_reply_begin(struct sb_conn *c)
{
	if (c->flags & CONN_REPLY)
		return;
	c->flags |= CONN_REPLY;
	c->reply_credit -= (uint32_t)conn_outlen(c);
}

/* The reply is queued: count it as credit, and check the bound again. */
void
sb_conn_reply_end(struct sb_conn *c)
{
	if (!(c->flags & CONN_REPLY))
		return;
	c->flags &= ~CONN_REPLY;
	c->reply_credit += (uint32_t)conn_outlen(c);
	conn_check_output(c);
}

/* Queue one line and the client's line ending. */
void
sb_conn_write(struct sb_conn *c, const void *data, size_t len)
{
	if (!conn_writable(c))
		return;
	c->svc->count.lines_out++;
	if (__builtin_expect((c->flags & CONN_HELD) != 0, 0))
		conn_hold_copy(c, data, len);	/* behind the held lines */
	else
		conn_out_add(c, data, len, c->fr.crlf ? 2 : 1);
	conn_queued(c);
}

/*
 * Queue bytes as they are, with no line ending (telnet answers). They
 * never wait behind held lines: what is in the buffer ends with a whole
 * line, and a telnet answer may come between two.
 */
void
conn_write_raw(struct sb_conn *c, const void *data, size_t len)
{
	if (!conn_writable(c))
		return;
	conn_out_add(c, data, len, 0);
	conn_queued(c);
}

/* Room to build a line in place (handler.h). */
char *
sb_conn_line_space(struct sb_conn *c, size_t max)
{
	if (!conn_writable(c) || max > CONN_STAGE_MAX - 2)
		return (NULL);
	if (conn_held_len(c) > 0)
		return (conn_scratch);
	return (conn_out_room(c, max + 2));
}

/* Queue the line built in place, with the client's line ending. */
void
sb_conn_line_done(struct sb_conn *c, size_t len)
{
	char	*dst = c->stage + c->stage_len;

	c->svc->count.lines_out++;
	if (conn_held_len(c) > 0) {
		conn_hold_copy(c, conn_scratch, len);
		conn_queued(c);
		return;
	}
	if (c->fr.crlf)
		dst[len++] = '\r';
	dst[len++] = '\n';
	c->stage_len += (uint32_t)len;
	conn_queued(c);
}

/*
 * Queue a line made once for many clients. Within a reply, past
 * CONN_HELD_FEED bytes queued, it is held instead; and once lines are
 * held, the rest waits behind them.
 */
void
sb_conn_write_line(struct sb_conn *c, struct sb_line *l)
{
	if (!conn_writable(c))
		return;
	c->svc->count.lines_out++;
	if ((c->flags & (CONN_HELD | CONN_REPLY)) != 0 &&
	    ((c->flags & CONN_HELD) || conn_outlen(c) >= CONN_HELD_FEED))
		conn_hold(c, l);
	else
		conn_out_line(c, l);
	conn_queued(c);
}

/*
 * Put a shared line in the buffer, copied if small, by reference if
 * large; returns its length with the client's line ending.
 */
static inline __attribute__((always_inline)) size_t
conn_out_line(struct sb_conn *c, struct sb_line *l)
{
	const char	*text;
	size_t		 n;

	text = line_text(l, c->fr.crlf, &n);
	if (n < LINE_SHARE_MIN)
		conn_out_add(c, text, n, 0);
	else {
		conn_out_commit(c);
		line_add_reference(l, conn_out_buffer(c), c->fr.crlf);
		c->out_len += n;
	}
	return (n);
}

/*
 * Hold a reference to a line at the end of the held list. Held bytes are
 * counted with an LF, whatever ending the client gets when it is fed.
 */
static void
conn_hold(struct sb_conn *c, struct sb_line *l)
{
	struct conn_extra	*ex = conn_extra(c);
	struct conn_held	*h = ex->held;
	size_t			 n;

	if (h == NULL)
		h = ex->held = xcalloc(1, sizeof(*h));
	if (h->head + h->n == h->cap) {
		if (h->cap > 0 && h->head >= h->cap / 2) {
			memmove(h->v, h->v + h->head, h->n * sizeof(*h->v));
			h->head = 0;
		} else {
			h->cap = h->cap == 0 ? 64 : h->cap * 2;
			h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
		}
	}
	line_hold(l);
	h->v[h->head + h->n++] = l;
	line_text(l, false, &n);
	ex->held_len += n;
	c->flags |= CONN_HELD;
}

/* Hold a line of the client's alone, behind those already held. */
static void
conn_hold_copy(struct sb_conn *c, const void *data, size_t len)
{
	struct sb_line	*l;

	l = sb_line_new(data, len);
	conn_hold(c, l);
	sb_line_free(l);
}

/* Move held lines into the buffer while it has less than CONN_HELD_FEED. */
static void
conn_out_feed(struct sb_conn *c)
{
	struct conn_held	*h = c->ex != NULL ? c->ex->held : NULL;
	struct sb_line		*l;
	size_t			 n;

	while (h != NULL && h->n > 0 &&
	    c->out_len + c->stage_len < CONN_HELD_FEED) {
		l = h->v[h->head++];
		if (--h->n == 0)
			h->head = 0;
		line_text(l, false, &n);
		if ((c->ex->held_len -= n) == 0)
			c->flags &= ~CONN_HELD;
		conn_out_line(c, l);
		sb_line_free(l);
	}
}

/*
 * Everything queued to a pseudo-connection, as one run of bytes (its
 * datagram's answer): *len bytes, or NULL and 0 if nothing was queued.
 */
const char *
conn_out_bytes(struct sb_conn *c, size_t *len)
{
	conn_out_feed(c);
	conn_out_commit(c);
	if (c->out == NULL || (*len = evbuffer_get_length(c->out)) == 0) {
		*len = 0;
		return (NULL);
	}
	return ((const char *)evbuffer_pullup(c->out, -1));
}

/* Let go of the held lines (the connection is being freed). */
void
conn_out_release(struct sb_conn *c)
{
	struct conn_held	*h = c->ex != NULL ? c->ex->held : NULL;

	if (h == NULL)
		return;
	while (h->n > 0) {
		sb_line_free(h->v[h->head++]);
		h->n--;
	}
	free(h->v);
	free(h);
	c->ex->held = NULL;
	c->ex->held_len = 0;
	c->flags &= ~CONN_HELD;
}

/* Queue one formatted line. */
void
sb_conn_send(struct sb_conn *c, const char *fmt, ...)
{
	char	 buf[1024], *big = NULL;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		va_start(ap, fmt);
		n = vasprintf(&big, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatal("vasprintf");
	}
	sb_conn_write(c, big != NULL ? big : buf, (size_t)n);
	free(big);
}

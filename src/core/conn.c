/*
 * switchboard: client connections.
 *
 * Life of a connection:
 *   conn_accept -> open hook -> lines ... -> close requested (finish or
 *   drop) -> reaper runs the close hook -> output flushed (finish only)
 *   -> write side shut, input drained until the peer closes -> freed.
 *
 * A drop resets the connection (RST): whatever the kernel still holds for
 * a client that was cut off is discarded at once instead of sitting in
 * an orphaned socket. A finish has CONN_CLOSE_SECONDS in all, fixed when
 * the close hook runs, to flush and linger, however the peer behaves;
 * output still unsent then is discarded the same way.
 *
 * Time limits: idle_timeout (nothing received) rides on the read event;
 * send_timeout (output left and none of it taken) on the write event for
 * our own queue, and on one timer for what the kernel holds: a client
 * that never reads while its replies fit in an autotuned send buffer
 * (megabytes) leaves our queue empty, so the timer asks the kernel
 * (TIOCOUTQ) whether the peer has taken anything since the last look.
 * line_timeout (a line begun and not ended) and the close deadline use
 * the same timer, made when first needed and armed lazily: it is moved
 * only to an earlier deadline, and works out the real ones when it
 * fires. A busy connection costs one check per send_timeout, not one a
 * write.
 *
 * Closes are deferred: sb_conn_close (conn_close) only marks the
 * connection and queue it for the server's reaper, so a handler may close
 * any connection, itself included, in the middle of a broadcast.
 *
 * I/O is two plain events on the socket and two evbuffers without
 * callbacks, each made when first needed (an idle connection has only its
 * read event): a read is one readv into the input buffer's free space,
 * and queuing output (conn_out.c) costs a copy, nothing more.
 *
 * Output is written once per loop round: sb_conn_write only queues it and
 * marks the connection dirty, and conn_flush_dirty writes each dirty
 * connection once after the round's callbacks (a chat line to 200 members
 * is 200 writes, however many lines were relayed). Write interest is
 * registered with the event loop only when a write comes up short.
 *
 * A connection accepted on a tls: listener is the same connection with
 * another transport (CONN_TLS, conn_tls.c): its bytes go through a TLS
 * bufferevent instead of readv and write, its read and write events are
 * timers only, and the open hook waits for the handshake. conn.c asks
 * for the flag on its slow paths only; conn_out.c once per write.
 *
 * Output is bounded two ways with one mechanism: above CONN_HIGH_WATER
 * queued bytes (or half of max_output, if that is less, so a client that
 * pipelines honestly is never cut off) the core stops reading from that
 * client until it catches
 * up (request/response backpressure); above max_output the client is
 * dropped as a slow consumer (broadcast protection).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/uio.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "acl.h"
#include "conf.h"
#include "conn.h"
#include "escape.h"
#include <switchboard/handler.h>
#include "listen_addr.h"
#include "log.h"
#include "relay.h"
#include "server.h"
#include "service.h"
#include "xmalloc.h"

/* Queued output above which reading from the client pauses (or half of
 * max_output, if that is less), and half of which it resumes. */
#define CONN_HIGH_WATER		(64 * 1024)
#define conn_high_water(c)	((c)->max_output / 2 < CONN_HIGH_WATER ?	\
				    (c)->max_output / 2 : CONN_HIGH_WATER)
/* Bytes asked of the kernel per read: one chain of 4 KiB with its header,
 * and a bound that keeps one busy client from starving the others. */
#define CONN_READ_SIZE		4000
/* Time a closing connection has to flush its last output and linger,
 * and the most of it spent lingering. */
#define CONN_CLOSE_SECONDS	5
#define CONN_LINGER_SECONDS	2

static void	conn_frame(struct sb_conn *, enum framer_status, char *,
		    size_t);
static void	conn_telnet_reply(struct sb_conn *);
static void	conn_process(struct sb_conn *);
static void	conn_pause(struct sb_conn *);
static void	conn_flush(struct sb_conn *);
static void	conn_linger(struct sb_conn *);
static void	conn_read_cb(evutil_socket_t, short, void *);
static void	conn_write_cb(evutil_socket_t, short, void *);
static void	conn_set_peer(struct sb_conn *, const struct sockaddr *);
static void	conn_resume(struct sb_conn *);
static void	conn_read(struct sb_conn *);
static void	conn_discard(struct sb_conn *, short);
static int	conn_write_out(struct sb_conn *);
static void	conn_wrote(struct sb_conn *);
static void	conn_want_read(struct sb_conn *);
static void	conn_want_write(struct sb_conn *);
static struct event *conn_wev(struct sb_conn *);
static void	conn_throttle_cb(evutil_socket_t, short, void *);
static void	conn_free_io(struct sb_conn *);
static void	conn_watch_line(struct sb_conn *);
static void	conn_timer_add(struct sb_conn *, uint64_t);
static void	conn_timer_cb(evutil_socket_t, short, void *);
static void	conn_line_expired(struct sb_conn *, uint64_t);
static void	conn_timer_at(struct sb_conn *, uint64_t, uint64_t);
static void	conn_watch_send(struct sb_conn *, uint32_t);
static void	conn_send_check(struct sb_conn *, uint64_t);
static void	conn_reset(struct sb_conn *);

/* The queues of a new server: all empty. */
struct conn_queues *
conn_queues_new(void)
{
	struct conn_queues	*q;

	q = xcalloc(1, sizeof(*q));
	TAILQ_INIT(&q->reap);
	TAILQ_INIT(&q->dirty);
	TAILQ_INIT(&q->kept);
	return (q);
}

/* Free the queues; the connections on them are gone by now. */
void
conn_queues_free(struct conn_queues *q)
{
	free(q);
}

/* Watch for input, with the idle timeout. */
static void
conn_want_read(struct sb_conn *c)
{
	struct timeval	tv = { (time_t)c->idle_timeout, 0 };

	event_add(c->rev, c->idle_timeout > 0 ? &tv : NULL);
}

/*
 * Watch for room to write: output is left over. A client that takes none
 * of it for send_timeout is not reading (each write that makes progress
 * starts the time again).
 */
static void
conn_want_write(struct sb_conn *c)
{
	long long	t = c->svc->conf->limits.send_timeout;
	struct timeval	tv = { (time_t)t, 0 };

	/* EV_TIMEOUT: a TLS connection's write event is a timer only. */
	if (!event_pending(conn_wev(c), EV_WRITE | EV_TIMEOUT, NULL))
		event_add(c->wev, t > 0 ? &tv : NULL);
}

/*
 * The write event, made when first needed: most connections never have a
 * short write, and an idle one should cost little. A TLS connection's is
 * a timer: its session says when it has room (conn_output_room).
 */
static struct event *
conn_wev(struct sb_conn *c)
{
	int	tls = (c->flags & CONN_TLS) != 0;

	if (c->wev == NULL && (c->wev = event_new(c->svc->srv->base,
	    tls ? -1 : c->fd, tls ? EV_PERSIST : EV_WRITE | EV_PERSIST,
	    conn_write_cb, c)) == NULL)
		fatalx("cannot make a client's write event");
	return (c->wev);
}

/*
 * Remember the peer address compactly (the fd may be gone at close), an
 * IPv4-mapped IPv6 address as the IPv4 address it is.
 */
static void
conn_set_peer(struct sb_conn *c, const struct sockaddr *sa)
{
	int	family;

	acl_peer(sa, &family, c->peer_addr);
	c->peer_family = (uint8_t)family;
	if (sa->sa_family == AF_INET)
		c->peer_port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	else if (sa->sa_family == AF_INET6)
		c->peer_port = ntohs(((const struct sockaddr_in6 *)sa)->
		    sin6_port);
}

/*
 * A new client on one of the service's listeners, over TLS with the
 * context tls if that is not NULL. Returns the connection (it may already
 * be closing, if the handler refused it), or NULL.
 */
struct sb_conn *
conn_accept(struct sb_service *svc, int fd, const struct sockaddr *sa,
    struct ssl_ctx_st *tls)
{
	const struct conf_limits *lim = &svc->conf->limits;
	struct sb_conn		*c;
	int			 one = 1;

	int			 sndbuf = (int)lim->sndbuf;

	if (sa->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* What a client that stops reading can pin in the kernel. */
	if (sndbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	c = xcalloc(1, sizeof(*c) + svc->conf->handler->conn_size);
	c->fd = fd;
	/* Over TLS, the session reads: the event is the idle timer. */
	c->rev = event_new(svc->srv->base, tls != NULL ? -1 : fd,
	    tls != NULL ? EV_PERSIST : EV_READ | EV_PERSIST, conn_read_cb, c);
	if (c->rev == NULL) {
		log_warnx("%s: cannot set up a client", svc->conf->name);
		conn_free_io(c);
		free(c);
		return (NULL);
	}
	c->svc = svc;
	c->id = ++svc->srv->next_conn_id;
	c->since = c->last_in = server_clock(svc->srv);
	c->max_line = (uint32_t)lim->max_line;
	c->max_output = (uint32_t)lim->max_output;
	c->idle_timeout = (uint32_t)lim->idle_timeout;
	conn_set_peer(c, sa);
	service_attach(svc, c);
	if (tls == NULL)
		conn_opened(c);
	else if (conn_tls_start(c, tls) == -1) {
		conn_destroy(c);
		return (NULL);
	}
	return (c);
}

/*
 * The client is connected (over TLS: the handshake is done): read, and
 * let the handler open the connection.
 */
void
conn_opened(struct sb_conn *c)
{
	const struct sb_handler	*h = c->svc->conf->handler;

	conn_want_read(c);			/* writes: conn_flush_dirty */
	sb_conn_log(c, SB_LOG_DEBUG, "connected");
	c->flags |= CONN_OPENED;
	if (h->open != NULL)
		h->open(c);
}

/*
 * Input arrived in c->in by another way than conn_read (a TLS session):
 * the idle time starts again and the lines are handed over.
 */
void
conn_received(struct sb_conn *c)
{
	conn_want_read(c);
	conn_process(c);
}

/* The client has sent EOF: what is left is its last line. */
void
conn_input_end(struct sb_conn *c)
{
	c->flags |= CONN_EOF;
	event_del(c->rev);
	if (!(c->flags & (CONN_PAUSED | CONN_CLOSING)))
		conn_process(c);
}

/*
 * The connection failed under a transport that reports it itself (TLS):
 * drop it, or free it if it was already closed.
 */
void
conn_broke(struct sb_conn *c, const char *reason)
{
	if (c->flags & CONN_CLOSED)
		conn_destroy(c);
	else
		conn_close(c, reason, 0);
}

/*
 * The transport has written all it was given (TLS): progress, so the send
 * timeout starts again, and the rest of the queue can go.
 */
void
conn_output_room(struct sb_conn *c)
{
	if (c->flags & CONN_LINGER)
		return;
	if (c->wev != NULL)
		event_del(c->wev);
	if (conn_write_out(c) == 0)
		conn_wrote(c);
}

/*
 * The operator disconnects the client (control socket "kill"): the
 * handler says so in its words, or the core does, and the client is
 * closed after its output. Returns -1 if it is already closing.
 */
int
conn_kick(struct sb_conn *c, const char *reason)
{
	const struct sb_handler	*h = c->svc->conf->handler;

	if (c->flags & (CONN_CLOSING | CONN_CLOSED))
		return (-1);
	/* Not open yet (a TLS handshake): the handler has not met it. */
	if (!(c->flags & CONN_OPENED)) {
		conn_close(c, "disconnected by the operator", 0);
		return (0);
	}
	if (h->kicked != NULL)
		h->kicked(c, reason);
	else
		sb_conn_send(c, "error: disconnected by the operator");
	conn_close(c, "disconnected by the operator", 1);
	return (0);
}

/*
 * What the handler's describe hook says of the client, into buf (size
 * bytes): its length, or 0 (buf "") if it says nothing, has no such hook,
 * or has not met the client (before its open hook, after its close hook).
 */
size_t
conn_describe(struct sb_conn *c, char *buf, size_t size)
{
	const struct sb_handler	*h = c->svc->conf->handler;
	size_t			 n;

	buf[0] = '\0';
	if (h->describe == NULL || (c->flags & CONN_OPENED) == 0 ||
	    (c->flags & CONN_CLOSED) != 0)
		return (0);
	if ((n = h->describe(c, buf, size)) == 0)
		buf[0] = '\0';
	return (n);
}

/*
 * Ask for a close. flush: send what is queued first. A drop overrides an
 * earlier finish; the first reason given is kept.
 */
void
conn_close(struct sb_conn *c, const char *reason, int flush)
{
	if (c->flags & CONN_CLOSING) {
		if (!flush)
			c->flags &= ~CONN_FLUSH;
		return;
	}
	c->flags |= CONN_CLOSING | (flush ? CONN_FLUSH : 0);
	conn_extra(c)->reason = xstrdup(reason);
	if (c->flags & CONN_DGRAM)
		return;			/* its datagram's answer ends it */
	event_del(c->rev);
	TAILQ_INSERT_TAIL(&c->svc->srv->queues->reap, c, reap_entry);
	server_schedule_reap(c->svc->srv);
}

/* Send the framer's telnet answers to the client. */
static void
conn_telnet_reply(struct sb_conn *c)
{
	uint8_t	buf[96];
	size_t	n;

	while ((n = framer_replies(&c->fr, buf, sizeof(buf))) > 0)
		conn_write_raw(c, buf, n);
}

/* Handle one framer result. */
static void
conn_frame(struct sb_conn *c, enum framer_status st, char *line, size_t len)
{
	const struct conf_service	*conf = c->svc->conf;
	char				 quoted[ESCAPE_BUFSZ];

	c->svc->count.lines_in++;
	if (st == FRAMER_TOO_LONG) {
		service_limit(c->svc, LIMIT_LINE_TOO_LONG, sb_conn_peer(c),
		    "line over %u bytes discarded", c->max_line);
		if (conf->handler->too_long != NULL)
			conf->handler->too_long(c, c->max_line);
		else
			sb_conn_send(c, "error: line too long (max %u bytes)",
			    c->max_line);
		return;
	}
	if (log_enabled(LOG_LEVEL_DEBUG))
		sb_conn_log(c, SB_LOG_DEBUG, "line \"%s\"",
		    escape_bytes(line, len, quoted, sizeof(quoted)));
	conf->handler->line(c, line, len);
}

/*
 * Hand complete lines to the handler until none is left, the output backs
 * up, or the connection starts closing. After EOF, what follows the last
 * EOL is a final line, and then the connection finishes.
 */
static void
conn_process(struct sb_conn *c)
{
	struct evbuffer		*in = c->in;
	size_t			 max = c->max_line;
	enum framer_status	 st;
	char			*line, *rest;
	size_t			 len;

	while (in != NULL) {		/* none before the first read */
		if (c->flags & (CONN_CLOSING | CONN_THROTTLED))
			return;
		if (conn_outlen(c) > conn_high_water(c)) {
			conn_pause(c);
			return;
		}
		st = framer_next(&c->fr, in, max, &line, &len);
		if (c->fr.reply)
			conn_telnet_reply(c);
		if (st == FRAMER_NONE) {
			conn_watch_line(c);
			break;
		}
		conn_frame(c, st, line, len);
	}
	if (!(c->flags & CONN_EOF))
		return;
	if (in != NULL && evbuffer_get_length(in) > 0) {
		rest = xmalloc(max + 3);
		st = framer_rest(&c->fr, in, max, rest, &line, &len);
		if (st != FRAMER_NONE)
			conn_frame(c, st, line, len);
		free(rest);
	}
	conn_close(c, "client closed the connection", 1);
}

/* Stop reading until the client has taken most of its output. */
static void
conn_pause(struct sb_conn *c)
{
	if (c->flags & CONN_PAUSED)
		return;
	c->flags |= CONN_PAUSED;
	event_del(c->rev);
}

/*
 * Write what is queued. Returns 0, or -1 if the connection broke (it is
 * then closing, or freed if it was already closed).
 */
static int
conn_write_out(struct sb_conn *c)
{
	uint32_t	before = c->written;
	ssize_t		n;
	int		err;

	if ((n = conn_out_write(c)) >= 0) {
		c->written += (uint32_t)n;
		c->svc->count.bytes_out += (uint64_t)n;
		if (n > 0 && (c->ex == NULL || c->ex->send_since == 0) &&
		    !(c->flags & CONN_CLOSED))
			conn_watch_send(c, before);
		return (0);
	}
	err = EVUTIL_SOCKET_ERROR();
	if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
		return (0);
	if (c->flags & CONN_CLOSED) {
		conn_destroy(c);
		return (-1);
	}
	conn_close(c, err == EPIPE || err == ECONNRESET ?
	    "connection reset by the client" : "write error", 0);
	return (-1);
}

/*
 * After a write: watch for room while output is left, resume reading once
 * a paused client has taken most of it, and move a closed one on to
 * lingering once it has all gone.
 */
static void
conn_wrote(struct sb_conn *c)
{
	size_t	left = conn_outlen(c);

	if (left > 0)
		conn_want_write(c);
	else if (c->wev != NULL)
		event_del(c->wev);
	if (c->flags & CONN_CLOSED) {
		if (left == 0)
			conn_linger(c);
		return;
	}
	if ((c->flags & CONN_PAUSED) && left <= conn_high_water(c) / 2) {
		c->flags &= ~CONN_PAUSED;
		conn_resume(c);
	}
}

/*
 * The socket has room (after a short write), or the client took none of
 * its output for send_timeout.
 */
static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_conn	*c = arg;
	long long	 t = c->svc->conf->limits.send_timeout;

	if (what & EV_TIMEOUT) {
		if (c->flags & CONN_CLOSED) {
			conn_reset(c);
			conn_destroy(c);
			return;
		}
		service_limit(c->svc, LIMIT_SEND_TIMEOUT, sb_conn_peer(c),
		    "took none of its output for %lld s, disconnecting", t);
		conn_close(c, "send timeout", 0);
		return;
	}
	if (conn_write_out(c) == 0)
		conn_wrote(c);
}

/*
 * Write what is queued now, without waiting for the loop to say the
 * socket is writable (it almost always is). What the kernel does not take
 * waits for the write event.
 */
static void
conn_write_now(struct sb_conn *c)
{
	if (c->flags & CONN_CLOSED)
		return;			/* conn_flush has it */
	if (conn_write_out(c) == 0)
		conn_wrote(c);
}

/* This round's writes: each dirty connection once. */
void
conn_flush_dirty(struct server *srv)
{
	struct sb_conn	*c;

	while ((c = TAILQ_FIRST(&srv->queues->dirty)) != NULL) {
		TAILQ_REMOVE(&srv->queues->dirty, c, dirty_entry);
		c->flags &= ~CONN_DIRTY;
		conn_write_now(c);
	}
}

/*
 * Read and hand over lines again, unless something else still holds the
 * connection back.
 */
static void
conn_resume(struct sb_conn *c)
{
	if (c->flags & (CONN_PAUSED | CONN_THROTTLED | CONN_CLOSING))
		return;
	if (!(c->flags & CONN_EOF))
		conn_want_read(c);
	if (c->flags & CONN_TLS)
		conn_tls_pull(c);	/* held in the session meanwhile */
	conn_process(c);
}

/* A throttle has run out. */
static void
conn_throttle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_conn	*c = arg;

	c->flags &= ~CONN_THROTTLED;
	conn_resume(c);
}

/*
 * Stop reading from the client for a while (a handler's rate budget). A
 * datagram's pseudo-connection has nothing to stop: udp_rate budgets
 * datagrams.
 */
void
sb_conn_throttle(struct sb_conn *c, unsigned ms)
{
	struct timeval		 tv = { ms / 1000,
				    (suseconds_t)(ms % 1000) * 1000 };
	struct conn_extra	*ex;

	if (c->flags & (CONN_CLOSING | CONN_DGRAM))
		return;
	ex = conn_extra(c);
	if (ex->throttle == NULL &&
	    (ex->throttle = evtimer_new(c->svc->srv->base, conn_throttle_cb,
	    c)) == NULL)
		fatalx("cannot make a throttle timer");
	c->flags |= CONN_THROTTLED;
	event_del(c->rev);
	evtimer_add(ex->throttle, &tv);
}

/* A handler's limit fired: count and log it like the core's. */
void
sb_conn_limit(struct sb_conn *c, enum sb_limit what, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	service_limit(c->svc, what == SB_LIMIT_RATE ? LIMIT_RATE :
	    LIMIT_MAX_CLIENTS, sb_conn_peer(c), "%s", msg);
}

/* Monotonic milliseconds. */
uint64_t
sb_now_ms(void)
{
	return (now_ms());
}

/*
 * Read once (a bounded amount, so one busy client cannot starve the
 * others) into the input buffer's free space, and hand over the lines.
 */
static void
conn_read(struct sb_conn *c)
{
	struct evbuffer_iovec	vec[2];
	struct iovec		iov[2];
	char			reason[128];
	ssize_t			n;
	size_t			left;
	int			i, nvec;

	if (c->in == NULL && (c->in = evbuffer_new()) == NULL)
		fatalx("cannot make a client's input buffer");
	nvec = evbuffer_reserve_space(c->in, CONN_READ_SIZE, vec, 2);
	if (nvec <= 0)
		fatalx("cannot grow a client's input buffer");
	for (i = 0; i < nvec; i++) {
		iov[i].iov_base = vec[i].iov_base;
		iov[i].iov_len = vec[i].iov_len;
	}
	n = readv(c->fd, iov, nvec);
	if (n > 0) {
		c->svc->count.bytes_in += (uint64_t)n;
		c->last_in = c->svc->srv->clock_s;
		left = (size_t)n;
		for (i = 0; i < nvec && left > 0; i++) {
			if (vec[i].iov_len > left)
				vec[i].iov_len = left;
			left -= vec[i].iov_len;
		}
		evbuffer_commit_space(c->in, vec, i);
		conn_process(c);
	} else if (n == 0)
		conn_input_end(c);
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		snprintf(reason, sizeof(reason), "connection error: %s",
		    strerror(errno));
		conn_close(c, reason, 0);
	}
}

/*
 * The bytes after the last complete line are the start of a line (or the
 * rest of an over-long one being skipped): it has line_timeout to end.
 * No partial line, no deadline (conn_timer_cb then finds none).
 */
static void
conn_watch_line(struct sb_conn *c)
{
	long long		 t = c->svc->conf->limits.line_timeout;
	struct conn_extra	*ex = c->ex;

	if (!c->fr.discarding && evbuffer_get_length(c->in) <= c->fr.pending) {
		if (ex != NULL)
			ex->since_ms = 0;
		return;
	}
	if ((ex != NULL && ex->since_ms != 0) || t == 0)
		return;
	ex = conn_extra(c);
	ex->since_ms = now_ms();
	conn_timer_at(c, ex->since_ms + (uint64_t)t * 1000, ex->since_ms);
}

/*
 * The connection's less used state, made when first needed. The core's
 * timers and deadlines (and handlers' timers, timer.c) live there.
 */
struct conn_extra *
conn_extra(struct sb_conn *c)
{
	if (c->ex == NULL) {
		c->ex = xcalloc(1, sizeof(*c->ex));
		LIST_INIT(&c->ex->timers);
	}
	return (c->ex);
}

/* Make sure the timer fires by at (ms), as it is lazily armed. */
static void
conn_timer_at(struct sb_conn *c, uint64_t at, uint64_t now)
{
	struct conn_extra	*ex = conn_extra(c);

	if (ex->timer_at != 0 && ex->timer_at <= at)
		return;
	ex->timer_at = at;
	conn_timer_add(c, at > now ? at - now : 0);
}

/*
 * Output went to the kernel: from now on the peer has send_timeout to
 * take some of it. Everything written before was taken, as far as we
 * know; the timer asks the kernel.
 */
static void
conn_watch_send(struct sb_conn *c, uint32_t before)
{
	long long		 t = c->svc->conf->limits.send_timeout;
	struct conn_extra	*ex;

	if (t == 0)
		return;
	ex = conn_extra(c);
	ex->acked = before;
	ex->send_since = now_ms();
	conn_timer_at(c, ex->send_since + (uint64_t)t * 1000, ex->send_since);
}

/*
 * Has the peer taken any output since send_since? The kernel holds
 * TIOCOUTQ bytes not yet acknowledged (for a unix socket, not yet read).
 * All taken: stop watching until the next write. Some taken: watch from
 * now. None for send_timeout: cut the client off with a reset, as when
 * our own queue stops draining.
 */
static void
conn_send_check(struct sb_conn *c, uint64_t now)
{
	long long		 t = c->svc->conf->limits.send_timeout;
	struct conn_extra	*ex = c->ex;
	uint32_t		 taken;
	int			 queued;

	if (t == 0 || ioctl(c->fd, TIOCOUTQ, &queued) == -1) {
		ex->send_since = 0;
		return;
	}
	/*
	 * Over TLS, what the session still holds counts too. The kernel's
	 * bytes are then ciphertext, the session's plaintext: their sum does
	 * not measure anything, but it stays the same exactly while the
	 * client takes nothing, and that is all this needs.
	 */
	if (c->flags & CONN_TLS)
		queued += (int)conn_tls_queued(c);
	if (queued <= 0) {
		ex->send_since = 0;
		return;
	}
	taken = c->written - (uint32_t)queued;
	if (taken != ex->acked) {
		ex->acked = taken;
		ex->send_since = now;
	} else if (now - ex->send_since >= (uint64_t)t * 1000) {
		ex->send_since = 0;
		service_limit(c->svc, LIMIT_SEND_TIMEOUT, sb_conn_peer(c),
		    "took none of its output for %lld s, disconnecting", t);
		conn_close(c, "send timeout", 0);
		return;
	}
	conn_timer_at(c, ex->send_since + (uint64_t)t * 1000, now);
}

/* (Re)arm the connection's timer ms from now, making it if needed. */
static void
conn_timer_add(struct sb_conn *c, uint64_t ms)
{
	struct timeval		 tv = { (time_t)(ms / 1000),
				    (suseconds_t)(ms % 1000) * 1000 };
	struct conn_extra	*ex = conn_extra(c);

	if (ex->timer == NULL && (ex->timer = evtimer_new(c->svc->srv->base,
	    conn_timer_cb, c)) == NULL)
		fatalx("cannot make a client's timer");
	evtimer_add(ex->timer, &tv);
}

/*
 * The timer: a line may have taken too long, or a closing connection's
 * time is up (its output, if any is left, is discarded with a reset).
 */
static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_conn		*c = arg;
	struct conn_extra	*ex = c->ex;
	uint64_t		 now = now_ms();

	ex->timer_at = 0;
	if (c->flags & CONN_CLOSED) {
		conn_reset(c);
		conn_destroy(c);
		return;
	}
	if (c->flags & CONN_CLOSING)
		return;
	if (ex->since_ms != 0)
		conn_line_expired(c, now);
	if (ex->send_since != 0 && !(c->flags & CONN_CLOSING))
		conn_send_check(c, now);
}

/*
 * The timer fired with a line begun at since_ms. Time spent with reading
 * paused by the daemon (backpressure, a rate budget) is not the client's:
 * the line's time starts again. Otherwise close it once line_timeout has
 * passed, or wait for the rest.
 */
static void
conn_line_expired(struct sb_conn *c, uint64_t now)
{
	long long		 t = c->svc->conf->limits.line_timeout;
	struct conn_extra	*ex = c->ex;
	uint64_t		 limit = (uint64_t)t * 1000;

	if (t == 0) {			/* a reload turned it off */
		ex->since_ms = 0;
		return;
	}
	if (c->flags & (CONN_PAUSED | CONN_THROTTLED))
		ex->since_ms = now;
	if (now - ex->since_ms < limit) {
		conn_timer_at(c, ex->since_ms + limit, now);
		return;
	}
	service_limit(c->svc, LIMIT_LINE_TIMEOUT, sb_conn_peer(c),
	    "a line not ended within %lld s", t);
	sb_conn_send(c, "error: line timeout (%lld s)", t);
	conn_close(c, "line timeout", 1);
}

/*
 * Close abortively: the kernel discards what it still holds for the
 * client and sends a reset, instead of keeping an orphaned socket (and
 * its send buffer) for a peer that does not read. Takes effect at close.
 */
static void
conn_reset(struct sb_conn *c)
{
	struct linger	l = { 1, 0 };
	int		unsent = 0;

	if ((c->flags & CONN_LINGER) && conn_outlen(c) == 0 &&
	    ioctl(c->fd, TIOCOUTQ, &unsent) == 0 && unsent == 0)
		return;			/* everything was sent */
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/*
 * Lingering: discard what the client still sends; free the connection
 * once it closes or fails (the close timer bounds the rest).
 */
static void
conn_discard(struct sb_conn *c, short what)
{
	char	junk[4096];
	ssize_t	n;

	if (!(what & EV_TIMEOUT)) {
		n = recv(c->fd, junk, sizeof(junk), 0);
		if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EINTR)))
			return;
	}
	conn_destroy(c);
}

/*
 * Input or the idle timeout; while lingering, input to discard or the
 * end of the linger time.
 */
static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_conn	*c = arg;

	if (c->flags & CONN_LINGER) {
		conn_discard(c, what);
		return;
	}
	if ((what & EV_TIMEOUT) && !(c->flags & CONN_OPENED)) {
		service_limit(c->svc, LIMIT_IDLE_TIMEOUT, sb_conn_peer(c),
		    "TLS handshake not finished in time, disconnecting");
		conn_close(c, "TLS handshake timeout", 0);
		return;
	}
	if (what & EV_TIMEOUT) {
		service_limit(c->svc, LIMIT_IDLE_TIMEOUT, sb_conn_peer(c),
		    "nothing received for %u s", c->idle_timeout);
		sb_conn_send(c, "error: idle timeout (%u s)", c->idle_timeout);
		conn_close(c, "idle timeout", 1);
		return;
	}
	conn_read(c);
}

/*
 * The close hook has run; send what is queued, within CONN_CLOSE_SECONDS
 * from now, progress or not. The write callback lingers once the output
 * is empty.
 */
static void
conn_flush(struct sb_conn *c)
{
	struct conn_extra	*ex = conn_extra(c);

	ex->since_ms = now_ms();
	ex->timer_at = ex->since_ms + CONN_CLOSE_SECONDS * 1000;
	conn_timer_add(c, CONN_CLOSE_SECONDS * 1000);
	if (conn_outlen(c) == 0) {
		conn_linger(c);
		return;
	}
	event_del(c->rev);
	event_add(conn_wev(c), NULL);
	if (c->flags & CONN_TLS)	/* a timer: write now instead */
		event_active(c->wev, EV_WRITE, 1);
}

/*
 * All output is sent. Closing now with unread input would make the kernel
 * send a reset that can destroy our last replies in flight, so shut the
 * write side and read (and discard) until the client closes, briefly.
 */
static void
conn_linger(struct sb_conn *c)
{
	uint64_t	now = now_ms();

	if ((c->flags & CONN_TLS) && conn_tls_close_notify(c) == 1)
		return;			/* the session still writes */
	if ((c->flags & CONN_EOF) || shutdown(c->fd, SHUT_WR) == -1) {
		conn_destroy(c);
		return;
	}
	c->flags |= CONN_LINGER;
	if (c->in != NULL)
		evbuffer_drain(c->in, evbuffer_get_length(c->in));
	if (c->wev != NULL)
		event_del(c->wev);
	/*
	 * Incoming bytes do not move the end: the timer, not the event,
	 * ends it, at the close deadline or sooner.
	 */
	event_add(c->rev, NULL);
	conn_timer_at(c, now + CONN_LINGER_SECONDS * 1000, now);
}

/* Run queued closes: the handler's close hook, then flush or free. */
void
conn_reap(struct server *srv)
{
	struct sb_conn	*c;

	/* Every queued connection has its extra state: conn_close made it. */
	while ((c = TAILQ_FIRST(&srv->queues->reap)) != NULL) {
		TAILQ_REMOVE(&srv->queues->reap, c, reap_entry);
		if (c->svc->conf->handler->close != NULL &&
		    (c->flags & CONN_OPENED))
			c->svc->conf->handler->close(c, c->ex->reason);
		relay_conn_gone(c);
		timer_cancel_all(&c->ex->timers);
		c->flags |= CONN_CLOSED;
		sb_conn_log(c, SB_LOG_DEBUG, "closing: %s", c->ex->reason);
		/* A TLS client still in its handshake has nothing to flush. */
		if ((c->flags & (CONN_FLUSH | CONN_OPENED)) ==
		    (CONN_FLUSH | CONN_OPENED))
			conn_flush(c);
		else {
			conn_reset(c);
			conn_destroy(c);
		}
	}
}

/*
 * The service is stopping: tell the client why (a handler with a close
 * hook says it its own way) and finish it.
 */
void
conn_shutdown(struct sb_conn *c, const char *reason)
{
	if (c->svc->conf->handler->close == NULL)
		sb_conn_send(c, "error: %s", reason);
	conn_close(c, reason, 1);
}

/* Free the events and buffers, and close the socket. */
static void
conn_free_io(struct sb_conn *c)
{
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	framer_free(&c->fr);
	if (!(c->flags & CONN_TLS))
		close(c->fd);		/* a TLS session closes its own */
}

/* Free a connection now. Only safe from a callback of its own. */
void
conn_destroy(struct sb_conn *c)
{
	struct sb_service	*svc = c->svc;
	struct conn_extra	*ex;

	if (!(c->flags & CONN_CLOSED)) {
		/* Never reaped: unqueue it and run the close hook here. */
		if (c->flags & CONN_CLOSING)
			TAILQ_REMOVE(&svc->srv->queues->reap, c, reap_entry);
		c->flags |= CONN_CLOSING | CONN_CLOSED;
		if (svc->conf->handler->close != NULL &&
		    (c->flags & CONN_OPENED))
			svc->conf->handler->close(c, c->ex != NULL &&
			    c->ex->reason != NULL ? c->ex->reason :
			    svc->stop_reason);
		relay_conn_gone(c);
	}
	if ((ex = c->ex) != NULL)	/* some added after the close hook */
		timer_cancel_all(&ex->timers);
	sb_conn_log(c, SB_LOG_DEBUG, "closed");
	if (c->flags & CONN_DIRTY)
		TAILQ_REMOVE(&svc->srv->queues->dirty, c, dirty_entry);
	conn_out_forget(c);
	conn_out_release(c);
	service_detach(svc, c);
	if (c->flags & CONN_TLS)
		conn_tls_free(c);
	if (ex != NULL) {
		if (ex->throttle != NULL)
			event_free(ex->throttle);
		if (ex->timer != NULL)
			event_free(ex->timer);
		free(ex->reason);
		free(ex);
	}
	conn_free_io(c);
	free(c);
	server_conn_gone(svc->srv);
}

/* The handler's per-connection state. */
void *
sb_conn_state(struct sb_conn *c)
{
	return (c->state);
}

/* The service a connection belongs to. */
struct sb_service *
sb_conn_service(struct sb_conn *c)
{
	return (c->svc);
}

/* The client's address as text (valid until the next call). */
const char *
sb_conn_peer(struct sb_conn *c)
{
	static char		buf[LISTEN_ADDR_TEXT];
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (c->peer_family == AF_INET) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(c->peer_port);
		memcpy(&sin.sin_addr, c->peer_addr, 4);
		return (listen_addr_format((struct sockaddr *)&sin,
		    sizeof(sin), buf, sizeof(buf)));
	}
	if (c->peer_family == AF_INET6) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(c->peer_port);
		memcpy(&sin6.sin6_addr, c->peer_addr, 16);
		return (listen_addr_format((struct sockaddr *)&sin6,
		    sizeof(sin6), buf, sizeof(buf)));
	}
	return ("unix");
}

/* A handler closes a connection: after the queued output, or at once. */
void
sb_conn_close(struct sb_conn *c, enum sb_close how, const char *reason)
{
	if (reason == NULL)
		fatalx("%s: a handler closed a connection without a reason",
		    c->svc->conf->name);
	conn_close(c, reason, how == SB_CLOSE_FLUSH);
}

/* Log a line prefixed "service[peer #id]: ". */
void
sb_conn_log(struct sb_conn *c, int level, const char *fmt, ...)
{
	char	prefix[160];
	va_list	ap;

	if (!log_enabled((enum log_level)level))
		return;
	snprintf(prefix, sizeof(prefix), "%s[%s #%llu]", c->svc->conf->name,
	    sb_conn_peer(c), (unsigned long long)c->id);
	va_start(ap, fmt);
	log_vprefixed((enum log_level)level, prefix, fmt, ap);
	va_end(ap);
}

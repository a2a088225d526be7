/*
 * switchboard: the TLS transport of a client connection.
 *
 * A connection accepted on a tls: listener is served through libevent's
 * OpenSSL bufferevent, which owns the socket's events and does the
 * handshake, the reads and the writes. The rest of the connection is as
 * on plain TCP: conn.c frames c->in and conn_out.c queues to c->out, and
 * this file moves bytes between those buffers and the bufferevent's. Its
 * read and write events (c->rev, c->wev) are then pure timers: the idle
 * (and, before it, handshake) timeout and the send timeout. Plain
 * connections never come here: conn.c tests CONN_TLS on its slow paths
 * and in one place on the write path (conn_out.c).
 *
 *   - Input is taken from the bufferevent only while conn.c would read
 *     (not paused, throttled, closing or at EOF); otherwise it stays
 *     there, and the bufferevent stops reading at CONN_TLS_IN_MAX, so
 *     backpressure reaches the client as it does on TCP. OpenSSL reads
 *     ahead (one read a round, as on TCP); the records it has read that
 *     the bufferevent left are decrypted here (conn_tls_decrypt).
 *   - Output is written through the session at once, as a plain write
 *     would be, while the bufferevent holds none; what the kernel does
 *     not take moves to the bufferevent, up to CONN_TLS_OUT_MAX, and the
 *     rest waits in c->out, where max_output and the high-water mark see
 *     it. When the bufferevent has written everything to the kernel,
 *     that is room (conn_output_room).
 *   - The handshake has CONN_TLS_HANDSHAKE_SECONDS (or idle_timeout, if
 *     shorter); the open hook runs only once it is done, so a client
 *     that never finishes one is never seen by the handler.
 *   - A clean close sends close_notify (SSL_shutdown) once all output is
 *     written, then lingers as on TCP; freeing the bufferevent would not
 *     send it. A client that goes without close_notify has simply closed
 *     (SSL_OP_IGNORE_UNEXPECTED_EOF, tls.c).
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "conn.h"
#include <switchboard/handler.h>
#include "log.h"
#include "server.h"
#include "service.h"

/*
 * Decrypted input held in the bufferevent while conn.c does not read: a
 * record's worth (the bufferevent reserves this much for each read).
 */
#define CONN_TLS_IN_MAX		(16 * 1024)
/* Output handed to the bufferevent at a time. */
#define CONN_TLS_OUT_MAX	(64 * 1024)
/* The most given to one SSL_write (a TLS record holds 16 KiB). */
#define CONN_TLS_WRITE_MAX	(16 * 1024)
/* The longest a handshake may take. */
#define CONN_TLS_HANDSHAKE_SECONDS	10

static void	conn_tls_read_cb(struct bufferevent *, void *);
static void	conn_tls_write_cb(struct bufferevent *, void *);
static void	conn_tls_event_cb(struct bufferevent *, short, void *);
static size_t	conn_tls_move(struct sb_conn *);
static size_t	conn_tls_decrypt(struct sb_conn *, int *, char *, size_t);
static ssize_t	conn_tls_write_now(struct sb_conn *);
static const char *conn_tls_why(struct sb_conn *, short, char *, size_t);

/*
 * Start serving a connection over TLS with the context ctx: make its
 * session and bufferevent, and give the handshake its time. Returns 0, or
 * -1 (logged) if it cannot be set up.
 */
int
conn_tls_start(struct sb_conn *c, struct ssl_ctx_st *ctx)
{
	struct conn_extra	*ex = conn_extra(c);
	struct timeval		 tv = { CONN_TLS_HANDSHAKE_SECONDS, 0 };
	SSL			*ssl;

	if (c->idle_timeout > 0 && c->idle_timeout < (uint32_t)tv.tv_sec)
		tv.tv_sec = (time_t)c->idle_timeout;
	if ((ssl = SSL_new(ctx)) == NULL) {
		ERR_clear_error();
		sb_conn_log(c, SB_LOG_WARNING, "cannot make a TLS session");
		return (-1);
	}
	/* On free, the bufferevent frees the session and closes the fd. */
	ex->tls = bufferevent_openssl_socket_new(c->svc->srv->base, c->fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (ex->tls == NULL) {
		SSL_free(ssl);
		sb_conn_log(c, SB_LOG_WARNING, "cannot make a TLS session");
		return (-1);
	}
	c->flags |= CONN_TLS;
	bufferevent_setcb(ex->tls, conn_tls_read_cb, conn_tls_write_cb,
	    conn_tls_event_cb, c);
	bufferevent_setwatermark(ex->tls, EV_READ, 0, CONN_TLS_IN_MAX);
	bufferevent_enable(ex->tls, EV_READ | EV_WRITE);
	event_add(c->rev, &tv);
	return (0);
}

/* Move the bufferevent's input to c->in; returns the bytes moved. */
static size_t
conn_tls_move(struct sb_conn *c)
{
	struct evbuffer	*from = bufferevent_get_input(c->ex->tls);
	size_t		 n = evbuffer_get_length(from);

	if (n == 0)
		return (0);
	if (c->in == NULL && (c->in = evbuffer_new()) == NULL)
		fatalx("cannot make a client's input buffer");
	if (evbuffer_add_buffer(c->in, from) == -1)
		fatalx("cannot take a client's input");
	c->svc->count.bytes_in += n;
	c->last_in = c->svc->srv->clock_s;
	return (n);
}

/*
 * Decrypt the records OpenSSL has read ahead but the bufferevent left:
 * it decrypts only while SSL_pending says a record is half taken, and
 * comes back for the rest only when the socket is readable again, which
 * for a client waiting for its answers it is not. Returns the bytes
 * added to c->in; at close_notify or a failure the client's input has
 * ended (*end 1) or the session failed (*end 2, why says how).
 */
static size_t
conn_tls_decrypt(struct sb_conn *c, int *end, char *why, size_t whylen)
{
	SSL			*ssl = bufferevent_openssl_get_ssl(c->ex->tls);
	struct evbuffer_iovec	 v;
	size_t			 n = 0;
	int			 r, err;

	*end = 0;
	while (SSL_has_pending(ssl)) {
		if (c->in == NULL && (c->in = evbuffer_new()) == NULL)
			fatalx("cannot make a client's input buffer");
		if (evbuffer_reserve_space(c->in, 4096, &v, 1) != 1)
			fatalx("cannot grow a client's input buffer");
		r = SSL_read(ssl, v.iov_base, v.iov_len > INT_MAX ? INT_MAX :
		    (int)v.iov_len);
		if (r > 0) {
			v.iov_len = (size_t)r;
			evbuffer_commit_space(c->in, &v, 1);
			n += (size_t)r;
			continue;
		}
		err = SSL_get_error(ssl, r);
		if (err == SSL_ERROR_ZERO_RETURN)
			*end = 1;
		else if (err != SSL_ERROR_WANT_READ &&
		    err != SSL_ERROR_WANT_WRITE) {
			*end = 2;
			snprintf(why, whylen, "TLS error: %s",
			    ERR_reason_error_string(ERR_peek_last_error()) !=
			    NULL ? ERR_reason_error_string(
			    ERR_peek_last_error()) : "unknown");
		}
		ERR_clear_error();
		break;
	}
	c->svc->count.bytes_in += n;
	if (n > 0)
		c->last_in = c->svc->srv->clock_s;
	return (n);
}

/*
 * Take what the session has decrypted, and what OpenSSL has read ahead,
 * if conn.c reads now. Returns the bytes taken. If the client's input
 * ended or the session failed meanwhile, the connection has been told
 * (and has handled the lines taken).
 */
size_t
conn_tls_pull(struct sb_conn *c)
{
	char	why[160];
	size_t	n;
	int	end;

	if (c->flags & (CONN_PAUSED | CONN_THROTTLED | CONN_CLOSING |
	    CONN_EOF))
		return (0);
	n = conn_tls_move(c);
	n += conn_tls_decrypt(c, &end, why, sizeof(why));
	if (end == 1) {
		conn_input_end(c);
		return (0);
	}
	if (end == 2) {
		if (n > 0)
			conn_received(c);	/* the lines before it */
		conn_broke(c, why);
		return (0);
	}
	return (n);
}

/* Decrypted input: hand it over, or discard it while lingering. */
static void
conn_tls_read_cb(struct bufferevent *bev, void *arg)
{
	struct sb_conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);

	if (c->flags & CONN_LINGER) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (conn_tls_pull(c) > 0)
		conn_received(c);
}

/* The session has written everything it was given: room for more. */
static void
conn_tls_write_cb(struct bufferevent *bev, void *arg)
{
	conn_output_room(arg);
}

/* Why the session failed, for the close reason. */
static const char *
conn_tls_why(struct sb_conn *c, short what, char *buf, size_t size)
{
	unsigned long	 e, last = 0;
	const char	*reason;
	int		 err = EVUTIL_SOCKET_ERROR();

	/* The most recent first: the one that ended the session. */
	while ((e = bufferevent_get_openssl_error(c->ex->tls)) != 0) {
		if (last == 0 && ERR_reason_error_string(e) != NULL)
			last = e;
	}
	ERR_clear_error();
	if (last != 0 && (reason = ERR_reason_error_string(last)) != NULL)
		snprintf(buf, size, "TLS error: %s", reason);
	else if (err == EPIPE || err == ECONNRESET)
		snprintf(buf, size, "connection reset by the client");
	else if (err != 0)
		snprintf(buf, size, "connection error: %s", strerror(err));
	else
		snprintf(buf, size, "TLS error");
	return (buf);
}

/*
 * The handshake is done, the client has closed (with close_notify or
 * without), or the session failed.
 */
static void
conn_tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sb_conn	*c = arg;
	char		 why[160];

	if (what & BEV_EVENT_CONNECTED) {
		/* The handshake's deadline goes; idle_timeout (if any) starts. */
		event_del(c->rev);
		if (c->flags & CONN_CLOSING)
			return;
		conn_opened(c);
		/* Lines that came with the handshake's last flight. */
		if (conn_tls_pull(c) > 0)
			conn_received(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		conn_broke(c, conn_tls_why(c, what, why, sizeof(why)));
		return;
	}
	if (!(what & BEV_EVENT_EOF))
		return;
	if (c->flags & (CONN_LINGER | CONN_CLOSED)) {
		conn_destroy(c);
		return;
	}
	if (!(c->flags & CONN_CLOSING))
		conn_tls_move(c);
	conn_input_end(c);
}

/*
 * Encrypt and write queued output straight to the socket, chain by chain,
 * while the session holds none of its own: one write, where handing it to
 * the bufferevent would cost a round of the event loop and two epoll_ctl
 * calls. Returns the bytes written (what the kernel did not take is left
 * in c->out for the bufferevent), or -1 with errno set if the session
 * failed.
 */
static ssize_t
conn_tls_write_now(struct sb_conn *c)
{
	SSL			*ssl = bufferevent_openssl_get_ssl(c->ex->tls);
	struct evbuffer_iovec	 v;
	ssize_t			 done = 0;
	int			 r, err;

	while (evbuffer_peek(c->out, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
		/*
		 * A write the kernel does not take whole is retried by the
		 * bufferevent from the start of this chain, with at least
		 * these bytes: SSL_write's rule for a retry.
		 */
		r = SSL_write(ssl, v.iov_base, v.iov_len > CONN_TLS_WRITE_MAX ?
		    CONN_TLS_WRITE_MAX : (int)v.iov_len);
		if (r > 0) {
			evbuffer_drain(c->out, (size_t)r);
			done += r;
			continue;
		}
		err = SSL_get_error(ssl, r);
		ERR_clear_error();
		if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ)
			break;
		if (errno == 0 || errno == EAGAIN)
			errno = EPIPE;
		return (done > 0 ? done : -1);
	}
	return (done);
}

/*
 * Write queued output, like a write: straight through the session when it
 * holds nothing, the rest handed to it while it holds under
 * CONN_TLS_OUT_MAX. Returns the bytes written or handed over (the caller
 * has committed c->out), or -1 with errno set.
 */
ssize_t
conn_tls_write(struct sb_conn *c)
{
	struct evbuffer	*to = bufferevent_get_output(c->ex->tls);
	size_t		 have = evbuffer_get_length(to), n;
	ssize_t		 done = 0;

	if (have == 0 && (c->flags & CONN_OPENED) &&
	    (done = conn_tls_write_now(c)) == -1)
		return (-1);
	n = evbuffer_get_length(c->out);
	if (have >= CONN_TLS_OUT_MAX || n == 0)
		return (done);
	if (n > CONN_TLS_OUT_MAX - have)
		n = CONN_TLS_OUT_MAX - have;
	if (evbuffer_remove_buffer(c->out, to, n) != (int)n)
		fatalx("cannot queue a client's output");
	return (done + (ssize_t)n);
}

/* Output the session holds, not yet written to the kernel. */
size_t
conn_tls_queued(struct sb_conn *c)
{
	return (evbuffer_get_length(bufferevent_get_output(c->ex->tls)));
}

/*
 * All output is queued to the session and the connection is to linger:
 * once the session has written it all, send close_notify and drop what
 * the client still sends. Returns 1 while the session still writes (its
 * write callback comes back here through conn_output_room), 0 when done.
 */
int
conn_tls_close_notify(struct sb_conn *c)
{
	struct bufferevent	*bev = c->ex->tls;
	struct evbuffer		*in = bufferevent_get_input(bev);
	SSL			*ssl = bufferevent_openssl_get_ssl(bev);

	if (conn_tls_queued(c) > 0)
		return (1);
	evbuffer_drain(in, evbuffer_get_length(in));
	if ((c->flags & CONN_OPENED) &&
	    !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN)) {
		(void)SSL_shutdown(ssl);	/* straight to the socket */
		ERR_clear_error();
	}
	return (0);
}

/* Free the session; it closes the socket. */
void
conn_tls_free(struct sb_conn *c)
{
	bufferevent_free(c->ex->tls);
	c->ex->tls = NULL;
}

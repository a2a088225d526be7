/*
 * switchboard: the metrics endpoint. evhttp serves GET and HEAD /metrics
 * on every metrics_listen address, in the daemon's own event loop; other
 * paths get 404 and other methods 405.
 *
 * evhttp in libevent 2.1 bounds nothing by itself, so the endpoint does:
 * request heads and bodies are capped (evhttp_set_max_headers_size,
 * _max_body_size), idle connections time out (evhttp_set_timeout), at most
 * METRICS_MAX_CONNS connections are open at once, and a request must be
 * complete within METRICS_REQUEST_SECONDS however slowly it trickles in.
 *
 * Counting connections: libevent 2.1 has no connection cap and does not
 * export the function that turns an accepted socket into a connection, so
 * the endpoint makes each connection's bufferevent itself (the bevcb) and
 * counts it there; at the cap the listening sockets are disabled and new
 * clients wait in the kernel's backlog. The evhttp_connection exists only
 * once the bevcb has returned: a deferred event (adopt) then finds it as
 * the bufferevent's callback argument and sets a close callback, which
 * uncounts it. A reference on the bufferevent keeps it valid until then;
 * should evhttp free the connection first, bufferevent_free has cleared
 * its callbacks, and that is how adopt tells. A one-second tick closes
 * connections past their deadline and resumes accepting after a pause.
 *
 * Sockets are bound as the services' are (listener_bind). A reload
 * prepares first (binds the new addresses; a failure undoes that and fails
 * the reload), then commits (closes addresses no longer listed) or rolls
 * back with the rest of the reload.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "conf.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "server.h"
#include "service.h"
#include "xmalloc.h"

/* One metrics_listen address and its socket. */
struct metrics_sock {
	TAILQ_ENTRY(metrics_sock)	 entry;
	struct listen_addr		 addr;		/* as configured */
	struct evhttp_bound_socket	*bound;
	bool				 fresh;		/* bound by prepare */
	bool				 listed;	/* in the new config */
	char				 name[LISTEN_ADDR_TEXT];
};

/* One scrape connection. */
struct metrics_conn {
	TAILQ_ENTRY(metrics_conn)	 entry;
	struct metrics_http		*mh;
	struct bufferevent		*bev;		/* one reference ours */
	struct evhttp_connection	*evcon;		/* NULL until adopted */
	uint64_t			 since;		/* opened or answered,
							   now_ms() */
};

struct metrics_http {
	struct server			*srv;
	struct evhttp			*http;
	TAILQ_HEAD(, metrics_sock)	 socks;
	TAILQ_HEAD(, metrics_conn)	 conns;
	size_t				 nconns;
	struct event			*adopt;
	struct event			*tick;
	bool				 freeing;
};

static struct metrics_http *metrics_http_new(struct server *);
static int	metrics_same_addr(const struct listen_addr *,
		    const struct listen_addr *);
static int	metrics_sock_open(struct metrics_http *,
		    const struct listen_addr *, const char *);
static void	metrics_sock_free(struct metrics_http *, struct metrics_sock *);
static void	metrics_accepting(struct metrics_http *, bool);
static struct bufferevent *metrics_bev_cb(struct event_base *, void *);
static void	metrics_adopt_cb(evutil_socket_t, short, void *);
static void	metrics_close_cb(struct evhttp_connection *, void *);
static void	metrics_conn_gone(struct metrics_conn *);
static void	metrics_tick_cb(evutil_socket_t, short, void *);
static void	metrics_accept_error_cb(struct evconnlistener *, void *);
static void	metrics_request_cb(struct evhttp_request *, void *);
static void	metrics_reply(struct evhttp_request *, int, const char *,
		    const char *);

/* Set up the HTTP server, with no socket yet. */
static struct metrics_http *
metrics_http_new(struct server *srv)
{
	struct metrics_http	*mh;
	struct timeval		 tv = { 1, 0 };

	mh = xcalloc(1, sizeof(*mh));
	mh->srv = srv;
	TAILQ_INIT(&mh->socks);
	TAILQ_INIT(&mh->conns);
	if ((mh->http = evhttp_new(srv->base)) == NULL ||
	    (mh->adopt = event_new(srv->base, -1, 0, metrics_adopt_cb,
	    mh)) == NULL || (mh->tick = event_new(srv->base, -1, EV_PERSIST,
	    metrics_tick_cb, mh)) == NULL)
		fatalx("metrics: cannot set up the HTTP server");
	evhttp_set_max_headers_size(mh->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(mh->http, METRICS_MAX_BODY);
	evhttp_set_timeout(mh->http, METRICS_IDLE_SECONDS);
	/*
	 * Every method reaches the callback, which answers 405 to those
	 * other than GET and HEAD; a method left out of the mask would get
	 * 501 from evhttp. All bits: libevent 2.1 gives methods it does not
	 * know a bit of their own, so "BREW" gets 405 too.
	 */
	evhttp_set_allowed_methods(mh->http, 0xffff);
	evhttp_set_bevcb(mh->http, metrics_bev_cb, mh);
	evhttp_set_gencb(mh->http, metrics_request_cb, mh);
	event_add(mh->tick, &tv);
	return (mh);
}

/* The same listen entry (port 0 too: the socket is kept). */
static int
metrics_same_addr(const struct listen_addr *a, const struct listen_addr *b)
{
	return (a->len == b->len && a->any == b->any &&
	    memcmp(&a->ss, &b->ss, a->len) == 0);
}

/*
 * Bind one address and hand the socket to evhttp. Returns 0, or -1 with
 * errno set.
 */
static int
metrics_sock_open(struct metrics_http *mh, const struct listen_addr *a,
    const char *text)
{
	struct metrics_sock	*ms;
	struct evconnlistener	*lev;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 fd, saved;

	if ((fd = listener_bind(a, METRICS_BACKLOG)) == -1)
		return (-1);
	/* Backlog 0: the socket listens already, with ours. */
	lev = evconnlistener_new(mh->srv->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	ms = xcalloc(1, sizeof(*ms));
	if (lev == NULL || (ms->bound = evhttp_bind_listener(mh->http,
	    lev)) == NULL) {
		saved = errno != 0 ? errno : ENOMEM;
		if (lev != NULL)
			evconnlistener_free(lev);
		else
			close(fd);
		if (a->ss.ss_family == AF_UNIX)
			unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
		free(ms);
		errno = saved;
		return (-1);
	}
	evconnlistener_set_error_cb(lev, metrics_accept_error_cb);
	if (mh->nconns >= METRICS_MAX_CONNS)
		evconnlistener_disable(lev);
	ms->addr = *a;
	ms->fresh = ms->listed = true;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		len = 0;
	listen_addr_format((struct sockaddr *)&ss, len, ms->name,
	    sizeof(ms->name));
	if (a->ss.ss_family == AF_UNIX)
		snprintf(ms->name, sizeof(ms->name), "%s", text);
	TAILQ_INSERT_TAIL(&mh->socks, ms, entry);
	log_info("metrics: listening on %s", ms->name);
	return (0);
}

/* Stop listening on one address; a unix socket file is removed. */
static void
metrics_sock_free(struct metrics_http *mh, struct metrics_sock *ms)
{
	TAILQ_REMOVE(&mh->socks, ms, entry);
	evhttp_del_accept_socket(mh->http, ms->bound);
	if (ms->addr.ss.ss_family == AF_UNIX)
		unlink(((const struct sockaddr_un *)&ms->addr.ss)->sun_path);
	free(ms);
}

/*
 * Bind every metrics_listen address of conf the endpoint does not have
 * yet; those it has are kept. Returns 0, or a sysexits code with the
 * reason in why and the errno value in *err, with nothing changed.
 */
int
metrics_http_prepare(struct server *srv, const struct conf *conf, char *why,
    size_t len, int *err)
{
	struct metrics_http	*mh = srv->metrics;
	struct metrics_sock	*ms;
	size_t			 i;

	if (mh == NULL && conf->nmetrics_listen == 0)
		return (0);
	if (mh == NULL)
		mh = srv->metrics = metrics_http_new(srv);
	TAILQ_FOREACH(ms, &mh->socks, entry)
		ms->listed = false;
	for (i = 0; i < conf->nmetrics_listen; i++) {
		TAILQ_FOREACH(ms, &mh->socks, entry) {
			if (metrics_same_addr(&ms->addr,
			    &conf->metrics_listen[i]))
				break;
		}
		if (ms != NULL) {
			ms->listed = true;
			continue;
		}
		if (metrics_sock_open(mh, &conf->metrics_listen[i],
		    conf->metrics_listen_text[i]) == 0)
			continue;
		*err = errno;
		snprintf(why, len, "metrics_listen: cannot listen on %s: %s",
		    conf->metrics_listen_text[i], strerror(*err));
		metrics_http_rollback(srv);
		return (*err == EADDRINUSE || *err == EACCES ||
		    *err == EADDRNOTAVAIL ? EX_UNAVAILABLE : EX_OSERR);
	}
	return (0);
}

/*
 * The new configuration is running: close the addresses it no longer
 * lists (with every socket gone, the endpoint and its connections go).
 */
void
metrics_http_commit(struct server *srv)
{
	struct metrics_http	*mh = srv->metrics;
	struct metrics_sock	*ms, *next;

	if (mh == NULL)
		return;
	for (ms = TAILQ_FIRST(&mh->socks); ms != NULL; ms = next) {
		next = TAILQ_NEXT(ms, entry);
		ms->fresh = false;
		if (ms->listed)
			continue;
		log_info("metrics: stopped listening on %s", ms->name);
		metrics_sock_free(mh, ms);
	}
	if (TAILQ_EMPTY(&mh->socks))
		metrics_http_free(srv);
}

/* The reload failed: close what prepare bound. */
void
metrics_http_rollback(struct server *srv)
{
	struct metrics_http	*mh = srv->metrics;
	struct metrics_sock	*ms, *next;

	if (mh == NULL)
		return;
	for (ms = TAILQ_FIRST(&mh->socks); ms != NULL; ms = next) {
		next = TAILQ_NEXT(ms, entry);
		ms->listed = true;
		if (ms->fresh)
			metrics_sock_free(mh, ms);
	}
	if (TAILQ_EMPTY(&mh->socks))
		metrics_http_free(srv);
}

/* Close every socket and connection and free the endpoint. */
void
metrics_http_free(struct server *srv)
{
	struct metrics_http	*mh = srv->metrics;
	struct metrics_conn	*mc;

	if (mh == NULL)
		return;
	mh->freeing = true;
	while (!TAILQ_EMPTY(&mh->socks))
		metrics_sock_free(mh, TAILQ_FIRST(&mh->socks));
	event_free(mh->adopt);
	event_free(mh->tick);
	/* Adopted connections leave through metrics_close_cb. */
	evhttp_free(mh->http);
	while ((mc = TAILQ_FIRST(&mh->conns)) != NULL)
		metrics_conn_gone(mc);
	free(mh);
	srv->metrics = NULL;
}

/* Accept new scrape connections, or stop (at the cap, or paused). */
static void
metrics_accepting(struct metrics_http *mh, bool on)
{
	struct metrics_sock	*ms;
	struct evconnlistener	*lev;

	TAILQ_FOREACH(ms, &mh->socks, entry) {
		lev = evhttp_bound_socket_get_listener(ms->bound);
		if (on)
			evconnlistener_enable(lev);
		else
			evconnlistener_disable(lev);
	}
}

/*
 * evhttp is making a connection for an accepted client: make its
 * bufferevent (as evhttp would) and count it. Adopted once evhttp is done.
 */
static struct bufferevent *
metrics_bev_cb(struct event_base *base, void *arg)
{
	struct metrics_http	*mh = arg;
	struct metrics_conn	*mc;
	struct bufferevent	*bev;

	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return (NULL);
	/*
	 * evhttp keeps reading while it answers, and pipelined requests
	 * would pile up behind the answer without bound: read no further
	 * than one request's worth ahead of what it has parsed.
	 */
	bufferevent_setwatermark(bev, EV_READ, 0, METRICS_MAX_INPUT);
	bufferevent_incref(bev);
	mc = xcalloc(1, sizeof(*mc));
	mc->mh = mh;
	mc->bev = bev;
	mc->since = now_ms();
	TAILQ_INSERT_TAIL(&mh->conns, mc, entry);
	if (++mh->nconns >= METRICS_MAX_CONNS)
		metrics_accepting(mh, false);
	event_active(mh->adopt, 0, 0);
	return (bev);
}

/*
 * After the accepts of this round: each new bufferevent's callback
 * argument is now its evhttp_connection, unless evhttp already freed it.
 */
static void
metrics_adopt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics_http	*mh = arg;
	struct metrics_conn	*mc, *next;
	bufferevent_data_cb	 readcb;
	void			*cbarg;

	for (mc = TAILQ_FIRST(&mh->conns); mc != NULL; mc = next) {
		next = TAILQ_NEXT(mc, entry);
		if (mc->evcon != NULL)
			continue;
		bufferevent_getcb(mc->bev, &readcb, NULL, NULL, &cbarg);
		if (readcb == NULL || cbarg == NULL) {
			metrics_conn_gone(mc);
			continue;
		}
		mc->evcon = cbarg;
		evhttp_connection_set_closecb(mc->evcon, metrics_close_cb, mc);
	}
}

/* evhttp is freeing an adopted connection. */
static void
metrics_close_cb(struct evhttp_connection *evcon, void *arg)
{
	metrics_conn_gone(arg);
}

/*
 * A connection is gone (or going: evhttp still holds its own reference to
 * the bufferevent): uncount it, and accept again below the cap.
 */
static void
metrics_conn_gone(struct metrics_conn *mc)
{
	struct metrics_http	*mh = mc->mh;

	TAILQ_REMOVE(&mh->conns, mc, entry);
	bufferevent_decref(mc->bev);
	free(mc);
	if (mh->nconns-- == METRICS_MAX_CONNS && !mh->freeing)
		metrics_accepting(mh, true);
}

/*
 * Once a second: close connections whose request is overdue (a slow
 * client cannot hold a slot), and accept again after a pause.
 */
static void
metrics_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics_http	*mh = arg;
	struct metrics_conn	*mc, *next;
	struct evhttp_connection *evcon;
	bufferevent_data_cb	 readcb;
	uint64_t		 now = now_ms();

	for (mc = TAILQ_FIRST(&mh->conns); mc != NULL; mc = next) {
		next = TAILQ_NEXT(mc, entry);
		if (mc->evcon == NULL ||
		    now - mc->since < METRICS_REQUEST_SECONDS * 1000)
			continue;
		bufferevent_getcb(mc->bev, &readcb, NULL, NULL, NULL);
		if ((evcon = mc->evcon) != NULL && readcb != NULL) {
			evhttp_connection_set_closecb(evcon, NULL, NULL);
			evhttp_connection_free(evcon);
		}
		metrics_conn_gone(mc);
	}
	if (mh->nconns < METRICS_MAX_CONNS)
		metrics_accepting(mh, true);
}

/*
 * accept failed (the callback's argument is evhttp's, not ours): pause
 * this socket; the tick resumes it within a second, so running out of
 * descriptors does not spin the loop.
 */
static void
metrics_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	log_warnx("metrics: accept: %s; pausing accepts",
	    strerror(EVUTIL_SOCKET_ERROR()));
	evconnlistener_disable(lev);
}

/* A short plain text answer, its status and reason. */
static void
metrics_reply(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer	*body;

	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	evbuffer_add(body, text, strlen(text));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

/* A complete request: the page, 404 or 405. */
static void
metrics_request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics_http	*mh = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct metrics_conn	*mc;
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	struct evbuffer		*body;
	char			 len[32];

	TAILQ_FOREACH(mc, &mh->conns, entry) {
		if (mc->evcon == evcon)
			mc->since = now_ms();
	}
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		metrics_reply(req, HTTP_NOTFOUND, "Not Found",
		    "not found: the metrics are at /metrics\n");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(out, "Allow", "GET, HEAD");
		metrics_reply(req, HTTP_BADMETHOD, "Method Not Allowed",
		    "method not allowed: use GET or HEAD\n");
		return;
	}
	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	metrics_render(mh->srv, body);
	/*
	 * HEAD: the length GET would have, and no body (evhttp 2.1 would
	 * send one).
	 */
	snprintf(len, sizeof(len), "%zu", evbuffer_get_length(body));
	evhttp_add_header(out, "Content-Length", len);
	evhttp_add_header(out, "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", cmd == EVHTTP_REQ_GET ? body :
	    NULL);
	evbuffer_free(body);
}

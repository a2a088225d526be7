/*
 * switchboard: the server: the event loop and everything hung on it.
 *
 * Start-up binds every service before telling systemd it is ready; a port
 * that cannot be bound fails the start. SIGTERM or SIGINT stops accepting,
 * finishes every client (chat rooms are told), waits up to
 * SERVER_STOP_SECONDS for output to drain, and returns from server_run.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conf.h"
#include "conn.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "service.h"

static void	server_reap_cb(evutil_socket_t, short, void *);
static void	server_signal_cb(evutil_socket_t, short, void *);
static void	server_stop_timer_cb(evutil_socket_t, short, void *);
static void	server_stop(struct server *);

/* Set up the event loop and signals; nothing is bound yet. */
int
server_init(struct server *srv, struct conf *conf)
{
	struct event_config	*cfg;

	memset(srv, 0, sizeof(*srv));
	srv->conf = conf;
	TAILQ_INIT(&srv->services);
	TAILQ_INIT(&srv->reap);
	signal(SIGPIPE, SIG_IGN);
	if ((cfg = event_config_new()) == NULL)
		return (-1);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	srv->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (srv->base == NULL)
		return (-1);
	srv->reaper = event_new(srv->base, -1, 0, server_reap_cb, srv);
	srv->stop_timer = evtimer_new(srv->base, server_stop_timer_cb, srv);
	srv->sig_term = evsignal_new(srv->base, SIGTERM, server_signal_cb, srv);
	srv->sig_int = evsignal_new(srv->base, SIGINT, server_signal_cb, srv);
	srv->sig_hup = evsignal_new(srv->base, SIGHUP, server_signal_cb, srv);
	if (srv->reaper == NULL || srv->stop_timer == NULL ||
	    srv->sig_term == NULL || srv->sig_int == NULL ||
	    srv->sig_hup == NULL)
		return (-1);
	if (evsignal_add(srv->sig_term, NULL) == -1 ||
	    evsignal_add(srv->sig_int, NULL) == -1 ||
	    evsignal_add(srv->sig_hup, NULL) == -1)
		return (-1);
	return (0);
}

/*
 * Start every configured service. Returns 0 once all are listening (and
 * systemd has been told), or the sysexits code of the first failure.
 */
int
server_start(struct server *srv)
{
	struct sb_service	*svc;
	char			 status[1024];
	size_t			 i;
	int			 rc;

	for (i = 0; i < srv->conf->nservices; i++) {
		svc = service_new(srv, &srv->conf->services[i]);
		TAILQ_INSERT_TAIL(&srv->services, svc, entry);
		if ((rc = service_start(svc)) != 0)
			return (rc);
	}
	server_status(srv, status, sizeof(status));
	log_info("ready: %s", status);
	notify_ready(status);
	return (0);
}

/* Run until stopped. */
int
server_run(struct server *srv)
{
	return (event_base_dispatch(srv->base) == -1 ? -1 : 0);
}

/* Free everything, closing any clients still there. */
void
server_free(struct server *srv)
{
	struct sb_service	*svc;

	while ((svc = TAILQ_FIRST(&srv->services)) != NULL) {
		TAILQ_REMOVE(&srv->services, svc, entry);
		service_free(svc);
	}
	if (srv->reaper != NULL)
		event_free(srv->reaper);
	if (srv->stop_timer != NULL)
		event_free(srv->stop_timer);
	if (srv->sig_term != NULL)
		event_free(srv->sig_term);
	if (srv->sig_int != NULL)
		event_free(srv->sig_int);
	if (srv->sig_hup != NULL)
		event_free(srv->sig_hup);
	if (srv->base != NULL)
		event_base_free(srv->base);
	memset(srv, 0, sizeof(*srv));
}

/* Run the reaper once the current callbacks are done. */
void
server_schedule_reap(struct server *srv)
{
	event_active(srv->reaper, 0, 0);
}

/* Queued closes. */
static void
server_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_reap(arg);
}

/* A connection was freed: during shutdown, the last one ends the loop. */
void
server_conn_gone(struct server *srv)
{
	if (srv->stopping && srv->nconns == 0)
		event_base_loopexit(srv->base, NULL);
}

/* A one-line summary: services, connections and bound addresses. */
void
server_status(struct server *srv, char *buf, size_t size)
{
	struct sb_service	*svc;
	size_t			 n = 0, i, off;

	TAILQ_FOREACH(svc, &srv->services, entry)
		n++;
	off = (size_t)snprintf(buf, size, "%zu service%s, %zu connection%s;",
	    n, n == 1 ? "" : "s", srv->nconns, srv->nconns == 1 ? "" : "s");
	TAILQ_FOREACH(svc, &srv->services, entry) {
		for (i = 0; i < svc->nlisteners && off < size; i++)
			off += (size_t)snprintf(buf + off, size - off,
			    " %s=%s", svc->conf->name, svc->listeners[i].bound);
	}
}

/* Begin a graceful stop. */
static void
server_stop(struct server *srv)
{
	struct sb_service	*svc;
	struct timeval		 tv = { SERVER_STOP_SECONDS, 0 };

	srv->stopping = true;
	notify_stopping();
	log_info("shutting down: %zu connection%s to finish", srv->nconns,
	    srv->nconns == 1 ? "" : "s");
	TAILQ_FOREACH(svc, &srv->services, entry)
		service_shutdown(svc);
	evtimer_add(srv->stop_timer, &tv);
	if (srv->nconns == 0)
		event_base_loopexit(srv->base, NULL);
}

/* Clients that did not take their last output in time are cut off. */
static void
server_stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;

	log_warnx("shutdown: %zu connection%s did not finish within %d s",
	    srv->nconns, srv->nconns == 1 ? "" : "s", SERVER_STOP_SECONDS);
	event_base_loopexit(srv->base, NULL);
}

/* SIGTERM and SIGINT stop (a second one stops at once); SIGHUP reloads. */
static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server	*srv = arg;

	if (sig == SIGHUP) {
		log_notice("SIGHUP: configuration reload is not available in "
		    "this version; still serving the current configuration");
		return;
	}
	if (srv->stopping) {
		log_warnx("second %s: stopping now", strsignal((int)sig));
		event_base_loopbreak(srv->base);
		return;
	}
	log_info("%s received", strsignal((int)sig));
	server_stop(srv);
}

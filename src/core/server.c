/*
 * switchboard: the server: the event loop and everything hung on it.
 *
 * Start-up binds every service before telling systemd it is ready; a port
 * that cannot be bound fails the start. SIGHUP reloads. Both make a
 * generation with the same transaction (generation.c).
 * SIGTERM or SIGINT stops accepting, finishes every client (chat rooms are
 * told), waits up to SERVER_STOP_SECONDS for output to drain, then up to
 * a second for Redis to take the farewells of relayed rooms' members, and
 * returns from server_run. SIGUSR1 logs a snapshot of every service; SIGUSR2 is
 * logged and ignored, and SIGPIPE and SIGWINCH are ignored, so no signal a
 * package script sends for another daemon's sake stops this one.
 */
#include <signal.h>
#include <stdio.h>
#include <sysexits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "activation.h"
#include "conf.h"
#include "conn.h"
#include "control.h"
#include "generation.h"
#include "listener.h"
#include "log.h"
#include "metrics_http.h"
#include "notify.h"
#include "relay.h"
#include "server.h"
#include "service.h"
#include "stats.h"

static void	server_reap_cb(evutil_socket_t, short, void *);
static void	server_flush_cb(evutil_socket_t, short, void *);
static void	server_signal_cb(evutil_socket_t, short, void *);
static void	server_stop_timer_cb(evutil_socket_t, short, void *);
static void	server_relay_timer_cb(evutil_socket_t, short, void *);
static void	server_status_cb(evutil_socket_t, short, void *);
static void	server_watchdog_cb(evutil_socket_t, short, void *);
static void	server_timers_start(struct server *);
static void	server_stop(struct server *);
static void	server_snapshot(struct server *);
static void	server_status(struct server *, char *, size_t);
static struct event *server_signal(struct server *, int);

/* A persistent signal event. */
static struct event *
server_signal(struct server *srv, int sig)
{
	struct event	*ev;

	ev = evsignal_new(srv->base, sig, server_signal_cb, srv);
	if (ev != NULL && evsignal_add(ev, NULL) == -1) {
		event_free(ev);
		ev = NULL;
	}
	return (ev);
}

/*
 * Set up the event loop and signals; nothing is bound yet. The server
 * takes over the caller's reference to conf.
 */
int
server_init(struct server *srv, struct conf *conf)
{
	struct event_config	*cfg;

	memset(srv, 0, sizeof(*srv));
	srv->conf = conf;
	srv->start_ms = now_ms();
	srv->start_time = srv->reload_time = time(NULL);
	srv->generation = 1;
	TAILQ_INIT(&srv->services);
	TAILQ_INIT(&srv->retired);
	srv->queues = conn_queues_new();
	srv->control = control_new(srv);
	/*
	 * main() has set PIPE, WINCH, USR1 and USR2 to be ignored rather than
	 * left at their default action (for the USR signals, to exit):
	 * libevent puts back what was there when the loop is freed, so a late
	 * one during cleanup is harmless too.
	 */
	if ((cfg = event_config_new()) == NULL)
		return (-1);
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	srv->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (srv->base == NULL)
		return (-1);
	srv->reaper = event_new(srv->base, -1, 0, server_reap_cb, srv);
	srv->flusher = event_new(srv->base, -1, 0, server_flush_cb, srv);
	srv->stop_timer = evtimer_new(srv->base, server_stop_timer_cb, srv);
	srv->relay_timer = evtimer_new(srv->base, server_relay_timer_cb, srv);
	srv->status_timer = event_new(srv->base, -1, EV_PERSIST,
	    server_status_cb, srv);
	srv->sig_term = server_signal(srv, SIGTERM);
	srv->sig_int = server_signal(srv, SIGINT);
	srv->sig_hup = server_signal(srv, SIGHUP);
	srv->sig_usr1 = server_signal(srv, SIGUSR1);
	srv->sig_usr2 = server_signal(srv, SIGUSR2);
	if (srv->reaper == NULL || srv->flusher == NULL ||
	    srv->stop_timer == NULL || srv->relay_timer == NULL ||
	    srv->status_timer == NULL || srv->sig_term == NULL ||
	    srv->sig_int == NULL || srv->sig_hup == NULL ||
	    srv->sig_usr1 == NULL || srv->sig_usr2 == NULL)
		return (-1);
	return (0);
}

/*
 * Start every configured service: the first generation, made by the same
 * transaction as a reload (generation.c), with the sockets systemd passed.
 * Returns 0 once all are listening (and systemd has been told), or the
 * sysexits code of the first failure (systemd is told that too).
 */
int
server_start(struct server *srv)
{
	struct activation	 act;
	char			 why[512];
	size_t			 i;
	int			 rc = 0, err = 0;

	if (activation_collect(&act, why, sizeof(why)) == -1) {
		log_msg(LOG_LEVEL_ERROR, "%s", why);
		notify_failure(why, 0);
		activation_free(&act);
		return (EX_OSERR);
	}
	for (i = 0; i < act.n; i++) {
		if (conf_find_service(srv->conf, act.socks[i].name) != NULL)
			continue;
		snprintf(why, sizeof(why), "socket activation: a socket named "
		    "\"%s\" was passed, but no service has that name (set "
		    "FileDescriptorName= to a service name)", act.socks[i].name);
		rc = EX_CONFIG;
		break;
	}
	if (rc == 0)
		rc = control_prepare(srv->control, srv->conf, why, sizeof(why),
		    &err);
	if (rc == 0 && (rc = generation_apply(srv, conf_ref(srv->conf), &act,
	    why, sizeof(why), &err)) != 0)
		control_abort(srv->control);
	else if (rc == 0)
		control_commit(srv->control);
	activation_free(&act);
	if (rc == 0 && (rc = metrics_http_prepare(srv, srv->conf, why,
	    sizeof(why), &err)) == 0)
		metrics_http_commit(srv);
	if (rc != 0) {
		log_msg(LOG_LEVEL_ERROR, "%s", why);
		notify_failure(why, err);
		return (rc);
	}
	server_status(srv, srv->status, sizeof(srv->status));
	log_info("ready: %s", srv->status);
	notify_ready(srv->status);
	server_timers_start(srv);
	return (0);
}

/*
 * SIGHUP (or the control socket's reload): reload the config file, by the
 * same transaction as the start. Any error leaves the running
 * configuration as it was, and says so in the log and to systemd. Returns
 * 0, or -1 with the reason in why.
 */
int
server_reload(struct server *srv, char *why, size_t len)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	struct conf		*conf;
	char			 status[sizeof(srv->status) + 64];
	size_t			 i;
	int			 err;

	notify_reloading();
	log_info("reloading %s", srv->conf->path);
	if ((conf = conf_load(srv->conf->path, &errs)) == NULL) {
		for (i = 0; i < errs.n; i++)
			log_msg(LOG_LEVEL_ERROR, "%s", errs.msgs[i]);
		snprintf(why, len, "%s", errs.n > 0 ? errs.msgs[0] :
		    "cannot read the configuration");
		conf_errors_free(&errs);
	} else if (metrics_http_prepare(srv, conf, why, len, &err) != 0)
		conf_free(conf);
	else if (control_prepare(srv->control, conf, why, len, &err) != 0) {
		metrics_http_rollback(srv);
		conf_free(conf);
	} else if (generation_apply(srv, conf, NULL, why, len, &err) == 0) {
		control_commit(srv->control);
		metrics_http_commit(srv);
		why[0] = '\0';
	} else {
		control_abort(srv->control);
		metrics_http_rollback(srv);
	}
	server_status(srv, srv->status, sizeof(srv->status));
	if (why[0] != '\0') {
		srv->reloads_failed++;
		log_msg(LOG_LEVEL_ERROR, "reload failed, still serving the "
		    "previous configuration: %s", why);
		snprintf(status, sizeof(status), "reload failed (%s); %s",
		    why, srv->status);
		notify_ready(status);
		return (-1);
	}
	srv->reloads_ok++;
	srv->generation++;
	srv->reload_time = time(NULL);
	log_info("reloaded: %s", srv->status);
	notify_ready(srv->status);
	return (0);
}

/*
 * Seconds since the daemon started, as the clients' times (connected,
 * last read) are kept; refreshed here and once a tick.
 */
uint32_t
server_clock(struct server *srv)
{
	srv->clock_s = (uint32_t)((now_ms() - srv->start_ms) / 1000);
	return (srv->clock_s);
}

/* The status refresh, and the watchdog if systemd asked for one. */
static void
server_timers_start(struct server *srv)
{
	struct timeval	tv = { SERVER_STATUS_TICK_MS / 1000,
	    (SERVER_STATUS_TICK_MS % 1000) * 1000 };
	uint64_t	usec;

	event_add(srv->status_timer, &tv);
	if ((usec = notify_watchdog_usec()) == 0)
		return;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	srv->watchdog_timer = event_new(srv->base, -1, EV_PERSIST,
	    server_watchdog_cb, srv);
	if (srv->watchdog_timer == NULL)
		fatalx("cannot set up the watchdog timer");
	log_info("watchdog: pinging every %llu ms",
	    (unsigned long long)usec / 1000);
	event_add(srv->watchdog_timer, &tv);
	notify_watchdog();
}

/* Send STATUS= when it has changed, and now and then regardless. */
static void
server_status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server		*srv = arg;
	struct sb_service	*svc;
	char			 status[sizeof(srv->status)];
	uint64_t		 now = now_ms();

	server_clock(srv);
	TAILQ_FOREACH(svc, &srv->services, entry)
		service_tick(svc, now);
	TAILQ_FOREACH(svc, &srv->retired, entry)
		service_tick(svc, now);
	conn_sweep_kept(srv);
	server_status(srv, status, sizeof(status));
	if (strcmp(status, srv->status) == 0 &&
	    ++srv->status_ticks < SERVER_STATUS_EVERY)
		return;
	srv->status_ticks = 0;
	memcpy(srv->status, status, sizeof(status));
	notify_status(status);
}

/* The loop is alive: tell the watchdog. */
static void
server_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	notify_watchdog();
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
	struct event		*evs[] = { srv->reaper, srv->flusher,
	    srv->stop_timer, srv->relay_timer,
	    srv->status_timer, srv->watchdog_timer, srv->sig_term,
	    srv->sig_int, srv->sig_hup, srv->sig_usr1, srv->sig_usr2 };
	size_t			 i;

	metrics_http_free(srv);
	control_free(srv->control);
	while ((svc = TAILQ_FIRST(&srv->retired)) != NULL) {
		TAILQ_REMOVE(&srv->retired, svc, entry);
		service_free(svc);
	}
	while ((svc = TAILQ_FIRST(&srv->services)) != NULL) {
		TAILQ_REMOVE(&srv->services, svc, entry);
		service_free(svc);
	}
	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		if (evs[i] != NULL)
			event_free(evs[i]);
	}
	if (srv->base != NULL)
		event_base_free(srv->base);
	conn_queues_free(srv->queues);
	conf_free(srv->conf);
	memset(srv, 0, sizeof(*srv));
}

/* Run the reaper once the current callbacks are done. */
void
server_schedule_reap(struct server *srv)
{
	event_active(srv->reaper, 0, 0);
}

/*
 * Write every connection's new output once, after the callbacks of this
 * loop round have queued it.
 */
void
server_schedule_flush(struct server *srv)
{
	event_active(srv->flusher, 0, 0);
}

/* The writes of this round. */
static void
server_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_flush_dirty(arg);
}

/* Queued closes; then free retired services whose clients are all gone. */
static void
server_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server		*srv = arg;
	struct sb_service	*svc, *next;

	conn_reap(srv);
	for (svc = TAILQ_FIRST(&srv->retired); svc != NULL; svc = next) {
		next = TAILQ_NEXT(svc, entry);
		if (svc->nconns > 0)
			continue;
		TAILQ_REMOVE(&srv->retired, svc, entry);
		log_info("%s: stopped", svc->conf->name);
		service_free(svc);
	}
}

/*
 * A connection was freed. A retired service may now be empty; during
 * shutdown, the last connection ends the loop.
 */
void
server_conn_gone(struct server *srv)
{
	if (!TAILQ_EMPTY(&srv->retired))
		server_schedule_reap(srv);
	server_stop_check(srv);
}

/*
 * During shutdown, once the last client has gone: end the loop, unless a
 * relay still waits for Redis to take its members' farewells (their
 * close hooks asked for them). Then wait for the last answer, which
 * calls here again, or the longest of the relays' bounds (at most a
 * second), whichever comes first.
 */
void
server_stop_check(struct server *srv)
{
	struct sb_service	*svc;
	struct timeval		 tv;
	unsigned		 ms = 0, n;

	if (!srv->stopping || srv->nconns > 0)
		return;
	TAILQ_FOREACH(svc, &srv->services, entry) {
		if ((n = relay_farewell_ms(svc)) > ms)
			ms = n;
	}
	TAILQ_FOREACH(svc, &srv->retired, entry) {
		if ((n = relay_farewell_ms(svc)) > ms)
			ms = n;
	}
	if (ms == 0) {
		event_base_loopexit(srv->base, NULL);
		return;
	}
	if (evtimer_pending(srv->relay_timer, NULL))
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(srv->relay_timer, &tv);
}

/*
 * A one-line summary: services, connections (in all, then per service),
 * limit events and bound addresses, as in "2 services, 3 connections;
 * clients: numbers 1, lobby 2; numbers=127.0.0.1:7001 ...".
 */
static void
server_status(struct server *srv, char *buf, size_t size)
{
	struct sb_service	*svc;
	size_t			 n = 0, i, off;
	uint64_t		 limits = 0;

	TAILQ_FOREACH(svc, &srv->services, entry) {
		n++;
		limits += service_limits_total(svc);
	}
	off = (size_t)snprintf(buf, size, "%zu service%s, %zu connection%s;",
	    n, n == 1 ? "" : "s", srv->nconns, srv->nconns == 1 ? "" : "s");
	if (limits > 0 && off < size)
		off += (size_t)snprintf(buf + off, size - off, " %llu limit "
		    "event%s;", (unsigned long long)limits, limits == 1 ? "" :
		    "s");
	TAILQ_FOREACH(svc, &srv->services, entry) {
		if (off < size)
			off += (size_t)snprintf(buf + off, size - off,
			    "%s %s %zu", svc == TAILQ_FIRST(&srv->services) ?
			    " clients:" : ",", svc->conf->name, svc->nconns);
	}
	if (n > 0 && off < size)
		off += (size_t)snprintf(buf + off, size - off, ";");
	TAILQ_FOREACH(svc, &srv->services, entry) {
		for (i = 0; i < svc->nlisteners && off < size; i++)
			off += (size_t)snprintf(buf + off, size - off,
			    " %s=%s%s", svc->conf->name,
			    svc->listeners[i]->addr != NULL &&
			    svc->listeners[i]->addr->tls ? "tls:" : "",
			    svc->listeners[i]->bound);
	}
	TAILQ_FOREACH(svc, &srv->services, entry) {
		if (off < size)
			off += relay_status(svc, buf + off, size - off);
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
		service_shutdown(svc, "server shutting down");
	evtimer_add(srv->stop_timer, &tv);
	server_stop_check(srv);
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

/* Redis did not take the relays' farewells in time: go without. */
static void
server_relay_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;

	log_warnx("shutdown: Redis did not confirm the members' farewells in "
	    "time; their names are freed when their leases run out");
	event_base_loopexit(srv->base, NULL);
}

/*
 * SIGUSR1: one line per service (and per removed service still finishing
 * its clients) with what it has counted.
 */
static void
server_snapshot(struct server *srv)
{
	struct sb_service	*svc;
	struct evbuffer		*b;

	if ((b = evbuffer_new()) != NULL) {
		stats_daemon(b, srv);
		evbuffer_add(b, "", 1);
	}
	log_notice("SIGUSR1: %zu connection%s; %s", srv->nconns,
	    srv->nconns == 1 ? "" : "s", b != NULL ?
	    (const char *)evbuffer_pullup(b, -1) : "");
	if (b != NULL)
		evbuffer_free(b);
	TAILQ_FOREACH(svc, &srv->services, entry)
		service_log_stats(svc);
	TAILQ_FOREACH(svc, &srv->retired, entry)
		service_log_stats(svc);
}

/*
 * SIGTERM and SIGINT stop (a second one stops at once); SIGHUP reloads;
 * SIGUSR1 logs a snapshot; SIGUSR2 is only logged.
 */
static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server	*srv = arg;
	char		 why[512];

	if (sig == SIGUSR1) {
		server_snapshot(srv);
		return;
	}
	if (sig == SIGUSR2) {
		log_notice("SIGUSR2 ignored (it has no meaning here)");
		return;
	}
	if (sig == SIGHUP) {
		if (srv->stopping)
			log_notice("SIGHUP ignored: shutting down");
		else
			server_reload(srv, why, sizeof(why));
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

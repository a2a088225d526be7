/*
 * switchboard: handlers' timers.
 *
 * A timer is a libevent timer and a callback. It is listed on its
 * connection (if it has one) or its service, and timer_cancel_all frees
 * the list's timers once the close or stop hook has returned, so a
 * handler never has to. A timer cancelled while its own callback runs is
 * freed when the callback returns.
 */
#include <sys/queue.h>

#include <stdbool.h>
#include <stdlib.h>

#include <event2/event.h>

#include <switchboard/handler.h>

#include "conf.h"
#include "conn.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "timer.h"
#include "xmalloc.h"

struct sb_timer {
	LIST_ENTRY(sb_timer)	 entry;		/* on its conn or service */
	struct event		*ev;
	struct sb_conn		*conn;		/* NULL: the service's */
	void			(*cb)(void *);
	void			*arg;
	bool			 periodic;
	bool			 firing;	/* the callback is running */
	bool			 cancelled;	/* ... and cancelled it */
};

static void	timer_cb(evutil_socket_t, short, void *);
static void	timer_free(struct sb_timer *);

/* Off its list and freed, or, inside its own callback, freed after it. */
static void
timer_free(struct sb_timer *t)
{
	LIST_REMOVE(t, entry);
	if (t->firing) {
		t->cancelled = true;
		event_del(t->ev);
		return;
	}
	event_free(t->ev);
	free(t);
}

/*
 * Time is up: run the callback, unless the connection is closing (the
 * timer then waits, silent, for the close hook to return). A one-shot
 * timer is freed after its callback.
 */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sb_timer	*t = arg;

	if (t->conn != NULL && (t->conn->flags & CONN_CLOSING))
		return;
	t->firing = true;
	t->cb(t->arg);
	t->firing = false;
	if (t->cancelled) {
		event_free(t->ev);
		free(t);
	} else if (!t->periodic)
		timer_free(t);
}

/* A handler's timer: for a connection if conn is not NULL. */
struct sb_timer *
sb_timer_add(struct sb_service *svc, struct sb_conn *conn, unsigned ms,
    bool periodic, void (*cb)(void *), void *arg)
{
	struct sb_timer	*t;
	struct timeval	 tv;

	if (conn != NULL && conn->svc != svc)
		fatalx("%s: a timer for a connection of another service",
		    svc->conf->name);
	if (periodic && ms == 0)
		ms = 1;
	t = xcalloc(1, sizeof(*t));
	t->conn = conn;
	t->cb = cb;
	t->arg = arg;
	t->periodic = periodic;
	t->ev = event_new(svc->srv->base, -1, periodic ? EV_PERSIST : 0,
	    timer_cb, t);
	if (t->ev == NULL)
		fatalx("%s: cannot make a timer", svc->conf->name);
	LIST_INSERT_HEAD(conn != NULL ? &conn_extra(conn)->timers :
	    &svc->timers, t, entry);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	event_add(t->ev, &tv);
	return (t);
}

/* A handler cancels a timer; NULL is ignored. */
void
sb_timer_cancel(struct sb_timer *t)
{
	if (t != NULL)
		timer_free(t);
}

/* Cancel every timer on a list: its connection or service is going. */
void
timer_cancel_all(struct sb_timers *timers)
{
	struct sb_timer	*t;

	while ((t = LIST_FIRST(timers)) != NULL)
		timer_free(t);
}

/*
 * switchboard test harness: services, rounds, the fake clock and timers.
 *
 * A round is what one callback of the daemon's event loop does: hooks run,
 * then the closes they asked for run their close hooks, then the output
 * queued in the round reaches every client that reads. Every driving call
 * of testing.h ends with fake_round.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/testing.h>

#include "fake.h"

uint64_t	fake_now = 1000;

static TAILQ_HEAD(, sb_service)	fake_services =
    TAILQ_HEAD_INITIALIZER(fake_services);
static TAILQ_HEAD(, sb_timer)	fake_timers =
    TAILQ_HEAD_INITIALIZER(fake_timers);
static TAILQ_HEAD(, sb_conn)	fake_reap = TAILQ_HEAD_INITIALIZER(fake_reap);
static char			*fake_error;

static void	fake_timer_free(struct sb_timer *);
static bool	fake_next_event(uint64_t, uint64_t *);

/* A misuse the daemon would not survive: say it and stop the test. */
void
fake_abort(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "switchboard-testing: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* Keep a log line of the service. */
void
fake_log_add(struct sb_service *svc, int level, const char *fmt, ...)
{
	struct fake_log	*l;
	va_list		 ap;

	l = sb_calloc(1, sizeof(*l));
	l->level = level;
	va_start(ap, fmt);
	fake_vasprintf(&l->text, fmt, ap);
	va_end(ap);
	TAILQ_INSERT_TAIL(&svc->logs, l, entry);
}

/* Ask for a close (sb_conn_close's rules); its hook runs at round end. */
void
fake_close(struct sb_conn *c, const char *reason, bool flush)
{
	if (c->closing) {
		if (!flush)
			c->flush = false;
		return;
	}
	c->closing = true;
	c->flush = flush;
	c->reason = strdup(reason);
	if (c->reason == NULL)
		fake_abort("out of memory");
	c->reaping = true;
	TAILQ_INSERT_TAIL(&fake_reap, c, reap_entry);
}

/*
 * Hand over the lines of clients whose pause was ended early
 * (sb_conn_throttle(c, 0), as a relay's answer may do), as the daemon does
 * on its next loop turn; what they say may be answered by the relay in
 * turn.
 */
static void
fake_resume(void)
{
	struct sb_service	*svc;
	struct sb_conn		*c;
	bool			 fed;
	int			 rounds = 0;

	do {
		fed = false;
		TAILQ_FOREACH(svc, &fake_services, entry) {
			TAILQ_FOREACH(c, &svc->conns, entry) {
				if (!c->resume)
					continue;
				c->resume = false;
				fake_feed(c);
				fed = true;
			}
		}
		if (fed) {
			TAILQ_FOREACH(svc, &fake_services, entry)
				fake_relay_round(svc);
		}
	} while (fed && ++rounds < 1000);
}

/*
 * The end of a round: run the close hooks asked for (which may ask for
 * more), then hand each client what was queued to it.
 */
void
fake_round(void)
{
	struct sb_service	*svc;
	struct sb_conn		*c;

	TAILQ_FOREACH(svc, &fake_services, entry)
		fake_relay_round(svc);
	fake_resume();
	while ((c = TAILQ_FIRST(&fake_reap)) != NULL) {
		TAILQ_REMOVE(&fake_reap, c, reap_entry);
		c->reaping = false;
		if (c->opened && c->svc->h->close != NULL) {
			c->close_hooks++;
			c->svc->h->close(c, c->reason);
		}
		fake_relay_conn_gone(c);
		fake_timers_cancel(c->svc, c);
		c->closed = true;
		if (c->in_reply)
			fake_abort("%s: the close hook left a reply open "
			    "(sb_conn_reply_begin without sb_conn_reply_end)",
			    c->svc->name);
		if (!c->flush) {
			fake_lines_free(&c->queued);
			c->out_bytes = 0;
		}
		fake_log_add(c->svc, SB_LOG_DEBUG, "%s[%s #%llu]: closing: %s",
		    c->svc->name, c->peer, c->id, c->reason);
	}
	TAILQ_FOREACH(svc, &fake_services, entry)
		fake_relay_round(svc);		/* what close hooks sent */
	TAILQ_FOREACH(svc, &fake_services, entry) {
		TAILQ_FOREACH(c, &svc->conns, entry)
			fake_deliver(c);
	}
}

/* A service with its options checked and configured. */
struct sb_service *
sb_test_service(const struct sb_handler *h, const char *name,
    const char *options)
{
	struct sb_service	*svc;
	void			*conf;
	size_t			 max_line, max_output;

	free(fake_error);
	fake_error = NULL;
	conf = fake_options(h, name, options, &max_line, &max_output,
	    &fake_error);
	if (conf == NULL)
		return (NULL);
	svc = sb_calloc(1, sizeof(*svc));
	svc->h = h;
	svc->name = strdup(name);
	if (svc->name == NULL)
		fake_abort("out of memory");
	svc->conf = conf;
	svc->max_line = max_line;
	svc->max_output = max_output;
	TAILQ_INIT(&svc->conns);
	TAILQ_INIT(&svc->logs);
	TAILQ_INIT(&svc->relay);
	TAILQ_INIT(&svc->claims);
	TAILQ_INSERT_TAIL(&fake_services, svc, entry);
	return (svc);
}

/* Why options were refused. */
const char *
sb_test_error(void)
{
	return (fake_error);
}

/* Run the start hook. */
int
sb_test_start(struct sb_service *svc)
{
	int	rc = 0;

	if (svc->started)
		fake_abort("%s: started twice", svc->name);
	if (svc->h->start != NULL)
		rc = svc->h->start(svc);
	if (rc == 0)
		svc->started = true;
	fake_round();
	return (rc);
}

/* A reload keeping the service with new options. */
int
sb_test_reconfigure(struct sb_service *svc, const char *options)
{
	void	*conf, *old;
	size_t	 max_line, max_output;

	free(fake_error);
	fake_error = NULL;
	conf = fake_options(svc->h, svc->name, options, &max_line,
	    &max_output, &fake_error);
	if (conf == NULL)
		return (-1);
	old = svc->conf;
	svc->conf = conf;
	svc->max_line = max_line;
	svc->max_output = max_output;
	if (svc->h->reconfigure != NULL)
		svc->h->reconfigure(svc, old);
	fake_options_free(svc->h, old);
	fake_round();
	return (0);
}

/* Stop the service: close every client with the reason, then stop. */
void
sb_test_stop(struct sb_service *svc, const char *reason)
{
	struct sb_conn	*c;

	if (!svc->started || svc->stopped)
		fake_abort("%s: stopped without running", svc->name);
	svc->stop_reason = reason;
	TAILQ_FOREACH(c, &svc->conns, entry) {
		if (c->closing)
			continue;
		if (svc->h->close == NULL)
			sb_conn_send(c, "error: %s", reason);
		fake_close(c, reason, true);
	}
	fake_round();
	if (svc->h->stop != NULL)
		svc->h->stop(svc);
	fake_timers_cancel(svc, NULL);
	svc->stopped = true;
	fake_round();
}

/* Free a service and everything it had. */
void
sb_test_service_free(struct sb_service *svc)
{
	struct sb_conn	*c;
	struct fake_log	*l;

	if (svc == NULL)
		return;
	if (svc->started && !svc->stopped)
		sb_test_stop(svc, "server shutting down");
	fake_timers_cancel(svc, NULL);
	while ((c = TAILQ_FIRST(&svc->conns)) != NULL) {
		TAILQ_REMOVE(&svc->conns, c, entry);
		if (c->reaping)
			TAILQ_REMOVE(&fake_reap, c, reap_entry);
		fake_lines_free(&c->queued);
		fake_lines_free(&c->got);
		free(c->in);
		free(c->space);
		free(c->peer);
		free(c->reason);
		free(c->state);
		free(c);
	}
	while ((l = TAILQ_FIRST(&svc->logs)) != NULL) {
		TAILQ_REMOVE(&svc->logs, l, entry);
		free(l->text);
		free(l);
	}
	fake_relay_free(svc);
	TAILQ_REMOVE(&fake_services, svc, entry);
	fake_options_free(svc->h, svc->conf);
	free(svc->log_read);
	free(svc->name);
	free(svc);
}

/* The next log line of the service. */
const char *
sb_test_log(struct sb_service *svc, int *level)
{
	struct fake_log	*l;

	free(svc->log_read);
	svc->log_read = NULL;
	if ((l = TAILQ_FIRST(&svc->logs)) == NULL)
		return (NULL);
	TAILQ_REMOVE(&svc->logs, l, entry);
	if (level != NULL)
		*level = l->level;
	svc->log_read = l->text;
	free(l);
	return (svc->log_read);
}

uint64_t
sb_now_ms(void)
{
	return (fake_now);
}

/*
 * The time of the next thing due by until: a timer, or the end of a
 * client's pause with lines waiting. False if nothing is.
 */
static bool
fake_next_event(uint64_t until, uint64_t *when)
{
	struct sb_timer		*t;
	struct sb_service	*svc;
	struct sb_conn		*c;
	bool			 found = false;

	TAILQ_FOREACH(t, &fake_timers, entry) {
		if (!t->cancelled && !t->firing && t->due <= until &&
		    (!found || t->due < *when)) {
			*when = t->due;
			found = true;
		}
	}
	TAILQ_FOREACH(svc, &fake_services, entry) {
		TAILQ_FOREACH(c, &svc->conns, entry) {
			if (c->closing || c->in_len == 0 ||
			    c->throttle_until <= fake_now ||
			    c->throttle_until > until)
				continue;
			if (!found || c->throttle_until < *when) {
				*when = c->throttle_until;
				found = true;
			}
		}
	}
	return (found);
}

/*
 * Move the clock on by ms: at each due time, in order, fire the timers
 * due (in the order they were added) and resume clients whose pause ends.
 */
void
sb_test_advance(unsigned ms)
{
	struct sb_timer		*t;
	struct sb_service	*svc;
	struct sb_conn		*c;
	uint64_t		 until = fake_now + ms, when = 0;
	unsigned long		 rounds = 0;

	while (fake_next_event(until, &when)) {
		if (++rounds > 10000000)
			fake_abort("timers keep firing at %llu ms",
			    (unsigned long long)fake_now);
		fake_now = when;
		TAILQ_FOREACH(t, &fake_timers, entry) {
			if (!t->cancelled && !t->firing && t->due <= fake_now)
				break;
		}
		if (t != NULL) {
			if (t->conn != NULL && t->conn->closing) {
				/* Not fired once a close was asked for. */
				t->due = t->period ? t->due + t->period :
				    UINT64_MAX;
				continue;
			}
			t->firing = true;
			t->cb(t->arg);
			t->firing = false;
			if (t->cancelled || t->period == 0)
				fake_timer_free(t);
			else
				t->due += t->period;
			fake_round();
			continue;
		}
		TAILQ_FOREACH(svc, &fake_services, entry) {
			TAILQ_FOREACH(c, &svc->conns, entry) {
				if (c->throttle_until == fake_now)
					fake_feed(c);
			}
		}
		fake_round();
	}
	fake_now = until;
	fake_round();
}

/* A handler's timer. */
struct sb_timer *
sb_timer_add(struct sb_service *svc, struct sb_conn *conn, unsigned ms,
    bool periodic, void (*cb)(void *), void *arg)
{
	struct sb_timer	*t;

	if (conn != NULL && conn->svc != svc)
		fake_abort("%s: a timer for a connection of another service",
		    svc->name);
	if (periodic && ms == 0)
		ms = 1;
	t = sb_calloc(1, sizeof(*t));
	t->svc = svc;
	t->conn = conn;
	t->due = fake_now + ms;
	t->period = periodic ? ms : 0;
	t->cb = cb;
	t->arg = arg;
	TAILQ_INSERT_TAIL(&fake_timers, t, entry);
	return (t);
}

/* Free a timer, or mark it if its callback is running. */
static void
fake_timer_free(struct sb_timer *t)
{
	if (t->firing) {
		t->cancelled = true;
		return;
	}
	TAILQ_REMOVE(&fake_timers, t, entry);
	free(t);
}

void
sb_timer_cancel(struct sb_timer *t)
{
	if (t != NULL)
		fake_timer_free(t);
}

/* Cancel a connection's timers, or (conn NULL) all of a service's. */
void
fake_timers_cancel(struct sb_service *svc, struct sb_conn *conn)
{
	struct sb_timer	*t, *next;

	for (t = TAILQ_FIRST(&fake_timers); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		if (t->svc == svc && (conn == NULL || t->conn == conn))
			fake_timer_free(t);
	}
}

/* Pending timers of a service. */
size_t
sb_test_timers(struct sb_service *svc)
{
	struct sb_timer	*t;
	size_t		 n = 0;

	TAILQ_FOREACH(t, &fake_timers, entry) {
		if (t->svc == svc && !t->cancelled && t->due != UINT64_MAX)
			n++;
	}
	return (n);
}

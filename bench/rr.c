/*
 * switchboard-bench rr: request/response. N connections each keep P lines
 * outstanding; every reply is timed from its request, and optionally
 * checked. A fixed message, or rotating numbers for number-to-text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bench.h"

struct rr;

struct rr_conn {
	struct rr		*rr;
	struct bufferevent	*bev;
	uint64_t		*sent;		/* send times, a ring */
	unsigned		 head, tail, outstanding;
	uint64_t		 seq;
	int			 open;
	struct bench_said	 said;		/* the server's last notice */
};

struct rr {
	const struct bench_opts	*o;
	struct event_base	*base;
	struct rr_conn		*c;
	struct event		*timer;
	struct bench_lat	 lat;
	uint64_t		 start, done, sent, errors;
	int			 connected, stopping, outstanding;
};

static void	rr_send(struct rr_conn *);
static void	rr_read_cb(struct bufferevent *, void *);
static void	rr_event_cb(struct bufferevent *, short, void *);
static void	rr_timer_cb(evutil_socket_t, short, void *);
static void	rr_begin(struct rr *);

/* Send one request on a connection. */
static void
rr_send(struct rr_conn *c)
{
	struct rr	*rr = c->rr;
	char		 buf[64];
	int		 n;

	if (rr->o->numbers) {
		n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)
		    bench_number(c->seq, (size_t)(c - rr->c)));
		bufferevent_write(c->bev, buf, (size_t)n);
	} else {
		bufferevent_write(c->bev, rr->o->message,
		    strlen(rr->o->message));
		bufferevent_write(c->bev, "\n", 1);
	}
	c->seq++;
	c->sent[c->head] = bench_now_us();
	c->head = (c->head + 1) % (unsigned)rr->o->inflight;
	c->outstanding++;
	rr->outstanding++;
	rr->sent++;
}

/* Replies: time them, check them, send the next request. */
static void
rr_read_cb(struct bufferevent *bev, void *arg)
{
	struct rr_conn	*c = arg;
	struct rr	*rr = c->rr;
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 avail = evbuffer_get_length(in), off = 0, len;
	const char	*p, *nl;
	uint64_t	 now = bench_now_us();

	p = (const char *)evbuffer_pullup(in, (ev_ssize_t)avail);
	while (off < avail && (nl = memchr(p + off, '\n', avail - off)) !=
	    NULL) {
		len = (size_t)(nl - (p + off));
		if (len > 0 && p[off + len - 1] == '\r')
			len--;
		if (len > 0 && (p[off] == 'e' || p[off] == 'E' ||
		    p[off] == '*'))
			bench_said_note(&c->said, p + off, len);
		if (c->outstanding == 0) {
			rr->errors++;		/* a reply to nothing */
		} else {
			bench_lat_add(&rr->lat, now - c->sent[c->tail]);
			c->tail = (c->tail + 1) % (unsigned)rr->o->inflight;
			c->outstanding--;
			rr->outstanding--;
			rr->done++;
			if (!bench_reply_ok(rr->o, p + off, len))
				rr->errors++;
		}
		off = (size_t)(nl - p) + 1;
		if (!rr->stopping && (rr->o->max_requests == 0 ||
		    rr->sent < rr->o->max_requests))
			rr_send(c);
	}
	evbuffer_drain(in, off);
	if (rr->stopping && rr->outstanding == 0)
		event_base_loopexit(rr->base, NULL);
	if (rr->o->max_requests > 0 && rr->done >= rr->o->max_requests)
		event_base_loopexit(rr->base, NULL);
}

/* Connected (start once all are), or failed or closed (say why once). */
static void
rr_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct rr_conn	*c = arg;
	struct rr	*rr = c->rr;

	if (what & BEV_EVENT_CONNECTED) {
		bench_nodelay(bev);
		c->open = 1;
		if (++rr->connected == rr->o->conns)
			rr_begin(rr);
		return;
	}
	bench_closed(rr->o, &c->said, what, c->open);
	rr->errors++;
	rr->outstanding -= (int)c->outstanding;
	c->outstanding = 0;
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	if (c->open == 0 || --rr->connected == 0)
		event_base_loopexit(rr->base, NULL);
	c->open = 0;
}

/* Everyone is connected: start the clock and the load. */
static void
rr_begin(struct rr *rr)
{
	struct timeval	tv;
	int		i, j;

	tv.tv_sec = (time_t)rr->o->seconds;
	tv.tv_usec = (suseconds_t)((rr->o->seconds - (double)tv.tv_sec) * 1e6);
	rr->start = bench_now_us();
	event_add(rr->timer, &tv);
	for (i = 0; i < rr->o->conns; i++)
		for (j = 0; j < rr->o->inflight; j++)
			rr_send(&rr->c[i]);
}

/* Time is up: stop sending and wait (briefly) for what is outstanding. */
static void
rr_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rr	*rr = arg;

	bench_time_up(rr->base, rr->timer, &rr->stopping, rr->outstanding);
}

/* Run the request/response load. */
int
bench_rr(struct event_base *base, const struct bench_opts *o,
    struct bench_result *res)
{
	struct rr	rr;
	double		cpu0;
	int		i;

	memset(&rr, 0, sizeof(rr));
	rr.o = o;
	rr.base = base;
	rr.c = calloc((size_t)o->conns, sizeof(*rr.c));
	rr.timer = evtimer_new(base, rr_timer_cb, &rr);
	for (i = 0; i < o->conns; i++) {
		rr.c[i].rr = &rr;
		rr.c[i].sent = calloc((size_t)o->inflight, sizeof(uint64_t));
		if ((rr.c[i].bev = bench_connect(base, o)) == NULL) {
			perror("switchboard-bench: connect");
			return (-1);
		}
		bufferevent_setcb(rr.c[i].bev, rr_read_cb, NULL, rr_event_cb,
		    &rr.c[i]);
		bufferevent_enable(rr.c[i].bev, EV_READ | EV_WRITE);
	}
	cpu0 = bench_cpu_all_us(o);
	event_base_dispatch(base);
	res->mode = "rr";
	res->conns = o->conns;
	res->units = rr.done;
	res->errors = rr.errors + (uint64_t)rr.outstanding;
	res->seconds = rr.start ? (double)(bench_now_us() - rr.start) / 1e6 : 0;
	res->cpu_us = cpu0 >= 0 ? bench_cpu_all_us(o) - cpu0 : -1;
	bench_lat_done(&rr.lat, res);
	for (i = 0; i < o->conns; i++) {
		bufferevent_free(rr.c[i].bev);
		free(rr.c[i].sent);
	}
	event_free(rr.timer);
	free(rr.c);
	return (rr.start ? 0 : -1);
}

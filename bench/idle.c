/*
 * switchboard-bench idle: hold N connections open and measure what they
 * cost the server in resident memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bench.h"

struct idle {
	struct event_base	*base;
	struct event		*timer;
	int			 want, connected, failed;
};

static void
idle_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));	/* greetings */
}

static void
idle_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct idle	*id = arg;
	struct timeval	 settle = { 1, 0 };

	if (what & BEV_EVENT_CONNECTED)
		id->connected++;
	else
		id->failed++;
	if (id->connected + id->failed == id->want)
		event_add(id->timer, &settle);
}

static void
idle_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(((struct idle *)arg)->base, NULL);
}

/* Open the connections, let them settle, read the server's RSS. */
int
bench_idle(struct event_base *base, const struct bench_opts *o,
    struct bench_result *res)
{
	struct bufferevent	**bev;
	struct idle		  id;
	uint64_t		  t0;
	int			  i;

	memset(&id, 0, sizeof(id));
	id.base = base;
	id.want = o->conns;
	id.timer = evtimer_new(base, idle_timer_cb, &id);
	bev = calloc((size_t)o->conns, sizeof(*bev));
	res->rss_kb_before = bench_rss_kb(o->pid);
	t0 = bench_now_us();
	for (i = 0; i < o->conns; i++) {
		if ((bev[i] = bench_connect(base, o)) == NULL) {
			perror("switchboard-bench: connect");
			return (-1);
		}
		bufferevent_setcb(bev[i], idle_read_cb, NULL, idle_event_cb, &id);
		bufferevent_enable(bev[i], EV_READ);
	}
	event_base_dispatch(base);
	res->rss_kb_after = bench_rss_kb(o->pid);
	res->mode = "idle";
	res->conns = id.connected;
	res->units = (uint64_t)id.connected;
	res->errors = (uint64_t)id.failed;
	res->seconds = (double)(bench_now_us() - t0) / 1e6;
	res->cpu_us = -1;
	for (i = 0; i < o->conns; i++)
		bufferevent_free(bev[i]);
	free(bev);
	event_free(id.timer);
	return (0);
}

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
	const struct bench_opts	*o;
	struct event_base	*base;
	struct event		*timer;
	int			 want, connected, failed;
};

struct idle_conn {
	struct idle		*id;
	struct bufferevent	*bev;
	int			 open;
	struct bench_said	 said;		/* the server's last notice */
};

/* Greetings and notices: keep the last notice, drop the rest. */
static void
idle_read_cb(struct bufferevent *bev, void *arg)
{
	struct idle_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	char			*line;
	size_t			 len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) !=
	    NULL) {
		bench_said_note(&c->said, line, len);
		free(line);
	}
	if (evbuffer_get_length(in) > 65536)
		evbuffer_drain(in, evbuffer_get_length(in));
}

/*
 * Connected, or failed, or closed by the server (then it no longer counts
 * as held; say why once).
 */
static void
idle_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct idle_conn	*c = arg;
	struct idle		*id = c->id;
	struct timeval		 settle = { 1, 0 };

	if (what & BEV_EVENT_CONNECTED) {
		c->open = 1;
		id->connected++;
	} else {
		bench_closed(id->o, &c->said, what, c->open);
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		if (c->open)
			id->connected--;
		c->open = 0;
		id->failed++;
	}
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
	struct idle_conn	 *c;
	struct idle		  id;
	uint64_t		  t0;
	int			  i;

	memset(&id, 0, sizeof(id));
	id.o = o;
	id.base = base;
	id.want = o->conns;
	id.timer = evtimer_new(base, idle_timer_cb, &id);
	c = calloc((size_t)o->conns, sizeof(*c));
	res->rss_kb_before = bench_rss_kb(o->pid);
	t0 = bench_now_us();
	for (i = 0; i < o->conns; i++) {
		c[i].id = &id;
		if ((c[i].bev = bench_connect(base, o)) == NULL) {
			perror("switchboard-bench: connect");
			return (-1);
		}
		bufferevent_setcb(c[i].bev, idle_read_cb, NULL, idle_event_cb,
		    &c[i]);
		bufferevent_enable(c[i].bev, EV_READ);
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
		bufferevent_free(c[i].bev);
	free(c);
	event_free(id.timer);
	return (0);
}

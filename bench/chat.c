/*
 * switchboard-bench chat: a room of N clients, S of them sending. Closed
 * loop: each sender keeps at most W lines not yet delivered to every
 * reader. Open loop: each sender sends `rate` lines per second. Lines
 * carry their send time, so readers measure fan-out latency; deliveries
 * are counted, and after a short drain what never arrived is lost.
 * Optional clients that never read stand for a stalled terminal.
 *
 * Readers join one at a time (the next connects once the last has had its
 * welcome), so servers with a short accept backlog get a full room too;
 * a room that is not complete within CHAT_JOIN_SECONDS ends the run.
 *
 * With -p given several times (daemons sharing one room through a
 * relay), client i connects to the (i mod n)-th port, so readers and
 * senders are spread over the daemons.
 *
 * With --irc the room is the channel #bench on an IRC server: a client
 * registers (NICK, USER) and joins; the end of the channel's names list
 * (numeric 366) is its welcome; lines go out as PRIVMSG and come back with
 * the sender's prefix; PINGs are answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bench.h"

struct chat;

struct chat_client {
	struct chat		*ch;
	struct bufferevent	*bev;
	int			 index;
	int			 joined;
	int			 slow;
	int			 open;
	struct bench_said	 said;		/* the server's last notice */
};

struct chat_sender {
	uint64_t	 next;		/* next sequence number */
	uint64_t	 oldest;	/* closed loop: oldest not yet complete */
	uint32_t	*count;		/* closed loop: deliveries per seq */
	double		 credit;	/* open loop: lines it may send */
};

struct chat {
	const struct bench_opts	*o;
	struct event_base	*base;
	struct chat_client	*cl;
	struct chat_sender	*snd;
	struct event		*deadline, *tick;
	struct bench_lat	 lat;
	char			*pad;
	uint64_t		 start, deliveries, sent, errors;
	uint64_t		 last_tick;	/* open loop: when credit was given */
	int			 joined, readers, stopping;
	double			 cpu0;		/* server CPU at the start */
};

static void	chat_send(struct chat *, int);
static void	chat_line(struct chat_client *, const char *, size_t, uint64_t);
static void	chat_read_cb(struct bufferevent *, void *);
static void	chat_event_cb(struct bufferevent *, short, void *);
static void	chat_tick_cb(evutil_socket_t, short, void *);
static void	chat_deadline_cb(evutil_socket_t, short, void *);
static void	chat_begin(struct chat *);
static int	chat_connect(struct chat *, int);
static int	chat_irc_line(struct chat_client *, const char *, size_t);

#define CHAT_JOIN_SECONDS	60

/* Each line is delivered to every reader but its sender. */
#define CHAT_FANOUT(ch)	((uint64_t)(ch)->readers - 1)

/* Sender s sends its next line. */
static void
chat_send(struct chat *ch, int s)
{
	char	head[80];
	int	n;

	n = snprintf(head, sizeof(head), "t=%llu s=%d n=%llu ",
	    (unsigned long long)bench_now_us(), s,
	    (unsigned long long)ch->snd[s].next++);
	if (ch->o->irc)
		bufferevent_write(ch->cl[s].bev, "PRIVMSG #bench :", 16);
	bufferevent_write(ch->cl[s].bev, head, (size_t)n);
	if (ch->o->size > n + 1)
		bufferevent_write(ch->cl[s].bev, ch->pad,
		    (size_t)(ch->o->size - n - 1));
	if (ch->o->irc)
		bufferevent_write(ch->cl[s].bev, "\r\n", 2);
	else
		bufferevent_write(ch->cl[s].bev, "\n", 1);
	if (++ch->sent == ch->o->max_requests && !ch->stopping)
		chat_deadline_cb(-1, 0, ch);	/* -n: that many, then drain */
}

/*
 * IRC: answer a PING, and before the welcome (the end of the names list,
 * 366) skip what the server says. Returns 1 if the line is dealt with.
 */
static int
chat_irc_line(struct chat_client *c, const char *p, size_t len)
{
	if (len >= 5 && memcmp(p, "PING ", 5) == 0) {
		bufferevent_write(c->bev, "PONG ", 5);
		bufferevent_write(c->bev, p + 5, len - 5);
		bufferevent_write(c->bev, "\n", 1);
		return (1);
	}
	return (!c->joined && memmem(p, len, " 366 ", 5) == NULL);
}

/* One relayed line reached a reader. */
static void
chat_line(struct chat_client *c, const char *p, size_t len, uint64_t now)
{
	struct chat		*ch = c->ch;
	struct chat_sender	*snd;
	unsigned long long	 t, seq;
	const char		*f;
	char			 buf[96];
	int			 s;

	if (c->slow)			/* read before it stopped reading */
		return;
	if (ch->o->irc && chat_irc_line(c, p, len))
		return;
	if (!c->joined) {		/* the welcome */
		c->joined = 1;
		if (++ch->joined == ch->readers)
			chat_begin(ch);
		else if (chat_connect(ch, ch->joined) == -1)
			event_base_loopexit(ch->base, NULL);
		return;
	}
	if (len == 0 || p[0] == '*' || (f = memmem(p, len, "t=", 2)) == NULL)
		return;			/* notices */
	len -= (size_t)(f - p);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, f, len);
	buf[len] = '\0';
	if (sscanf(buf, "t=%llu s=%d n=%llu", &t, &s, &seq) != 3 ||
	    s < 0 || s >= ch->o->senders) {
		ch->errors++;
		return;
	}
	ch->deliveries++;
	bench_lat_add(&ch->lat, now - t);
	if (ch->o->rate > 0)
		return;
	snd = &ch->snd[s];
	if (seq < snd->oldest)
		return;
	if (++snd->count[seq % (uint64_t)ch->o->window] < CHAT_FANOUT(ch))
		return;
	while (snd->oldest < snd->next &&
	    snd->count[snd->oldest % (uint64_t)ch->o->window] >=
	    CHAT_FANOUT(ch)) {
		snd->count[snd->oldest % (uint64_t)ch->o->window] = 0;
		snd->oldest++;
		if (!ch->stopping)
			chat_send(ch, s);
	}
}

/* Lines arrived for a client. */
static void
chat_read_cb(struct bufferevent *bev, void *arg)
{
	struct chat_client	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	size_t			 avail = evbuffer_get_length(in), off = 0;
	const char		*p, *nl;
	uint64_t		 now = bench_now_us();

	p = (const char *)evbuffer_pullup(in, (ev_ssize_t)avail);
	while (off < avail &&
	    (nl = memchr(p + off, '\n', avail - off)) != NULL) {
		if (p[off] == 'e' || p[off] == 'E' || p[off] == '*')
			bench_said_note(&c->said, p + off,
			    (size_t)(nl - (p + off)));
		chat_line(c, p + off, (size_t)(nl - (p + off)), now);
		off = (size_t)(nl - p) + 1;
	}
	evbuffer_drain(in, off);
}

/*
 * Connected, or cut off (the slow ones are meant to be; for the others,
 * say why once).
 */
static void
chat_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct chat_client	*c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		bench_nodelay(bev);
		c->open = 1;
		if (c->slow)
			bufferevent_disable(bev, EV_READ);
		return;
	}
	if (!c->slow) {
		bench_closed(c->ch->o, &c->said, what, c->open);
		c->ch->errors++;
	}
	bufferevent_disable(bev, EV_READ | EV_WRITE);
}

/*
 * Open loop: about every millisecond, each sender sends what its rate
 * allows for the time since the last tick. The timer fires late as often
 * as not (every 4 ms is usual here), so the credit follows the clock, not
 * the number of ticks.
 */
static void
chat_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chat	*ch = arg;
	uint64_t	 now = bench_now_us();
	double		 elapsed = (double)(now - ch->last_tick) / 1e6;
	int		 s;

	if (ch->stopping)
		return;
	ch->last_tick = now;
	for (s = 0; s < ch->o->senders && !ch->stopping; s++) {
		ch->snd[s].credit += ch->o->rate * elapsed;
		while (ch->snd[s].credit >= 1.0 && !ch->stopping) {
			ch->snd[s].credit -= 1.0;
			chat_send(ch, s);
		}
	}
}

/* Time is up: stop sending, give deliveries two seconds to arrive. */
static void
chat_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct chat	*ch = arg;
	struct timeval	 drain = { 2, 0 };

	if (ch->stopping || ch->start == 0) {	/* drained, or never began */
		event_base_loopexit(ch->base, NULL);
		return;
	}
	ch->stopping = 1;
	event_add(ch->deadline, &drain);
}

/* Everyone has joined: start the clock and the senders. */
static void
chat_begin(struct chat *ch)
{
	struct timeval	tv, ms = { 0, 1000 };
	int		s, i;

	tv.tv_sec = (time_t)ch->o->seconds;
	tv.tv_usec = (suseconds_t)((ch->o->seconds - (double)tv.tv_sec) * 1e6);
	ch->start = bench_now_us();
	ch->cpu0 = bench_cpu_all_us(ch->o);
	ch->deliveries = 0;
	event_add(ch->deadline, &tv);
	if (ch->o->rate > 0) {
		ch->last_tick = ch->start;
		event_add(ch->tick, &ms);
		return;
	}
	for (s = 0; s < ch->o->senders; s++)
		for (i = 0; i < ch->o->window && !ch->stopping; i++)
			chat_send(ch, s);
}

/* Connect client i. */
static int
chat_connect(struct chat *ch, int i)
{
	const struct bench_opts	*o = ch->o;
	int			 port;

	port = o->nports > 1 ? o->ports[i % o->nports] : o->port;
	if ((ch->cl[i].bev = bench_connect_port(ch->base, o, port)) == NULL) {
		perror("switchboard-bench: connect");
		return (-1);
	}
	bufferevent_setcb(ch->cl[i].bev, chat_read_cb, NULL, chat_event_cb,
	    &ch->cl[i]);
	bufferevent_enable(ch->cl[i].bev, EV_READ | EV_WRITE);
	if (ch->o->irc)
		evbuffer_add_printf(bufferevent_get_output(ch->cl[i].bev),
		    "NICK b%d\r\nUSER b%d 0 * :switchboard-bench\r\n"
		    "JOIN #bench\r\n", i, i);
	return (0);
}

/* Run the chat load. */
int
bench_chat(struct event_base *base, const struct bench_opts *o,
    struct bench_result *res)
{
	struct chat	ch;
	struct timeval	join = { CHAT_JOIN_SECONDS, 0 };
	int		i;

	memset(&ch, 0, sizeof(ch));
	ch.o = o;
	ch.base = base;
	ch.readers = o->conns - o->slow;
	ch.cl = calloc((size_t)o->conns, sizeof(*ch.cl));
	ch.snd = calloc((size_t)o->senders, sizeof(*ch.snd));
	ch.pad = malloc((size_t)o->size + 1);
	memset(ch.pad, 'x', (size_t)o->size);
	for (i = 0; i < o->senders; i++)
		ch.snd[i].count = calloc((size_t)o->window, sizeof(uint32_t));
	ch.deadline = evtimer_new(base, chat_deadline_cb, &ch);
	ch.tick = event_new(base, -1, EV_PERSIST, chat_tick_cb, &ch);
	for (i = 0; i < o->conns; i++) {
		ch.cl[i].ch = &ch;
		ch.cl[i].index = i;
		ch.cl[i].slow = i >= o->conns - o->slow;
	}
	/* The silent clients first, then the first reader. */
	for (i = ch.readers; i < o->conns; i++)
		if (chat_connect(&ch, i) == -1)
			return (-1);
	if (chat_connect(&ch, 0) == -1)
		return (-1);
	event_add(ch.deadline, &join);
	event_base_dispatch(base);
	res->mode = "chat";
	res->conns = o->conns;
	res->units = ch.deliveries;
	res->expected = ch.sent * CHAT_FANOUT(&ch);
	res->errors = ch.errors;
	res->seconds = ch.start ? (double)(bench_now_us() - ch.start) / 1e6 -
	    2.0 : 0;
	res->cpu_us = ch.start && ch.cpu0 >= 0 ?
	    bench_cpu_all_us(o) - ch.cpu0 : -1;
	bench_lat_done(&ch.lat, res);
	for (i = 0; i < o->conns; i++)
		if (ch.cl[i].bev != NULL)
			bufferevent_free(ch.cl[i].bev);
	for (i = 0; i < o->senders; i++)
		free(ch.snd[i].count);
	event_free(ch.deadline);
	event_free(ch.tick);
	free(ch.snd);
	free(ch.cl);
	free(ch.pad);
	return (ch.start ? 0 : -1);
}

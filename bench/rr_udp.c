/*
 * switchboard-bench rr --udp: request/response over UDP. N sockets, each
 * connected to the server's UDP port, keep P datagrams of one request
 * line outstanding; each answer (one datagram) is timed from the oldest
 * request of its socket and optionally checked. A datagram can be lost:
 * a socket whose oldest request has had no answer for a second counts it
 * as lost (an error) and sends another, so a run never stalls.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench.h"

/* An answer with no reply for this long is taken as lost. */
#define RRU_LOST_US	1000000
/* Datagrams read per wakeup of a socket. */
#define RRU_READS	64

struct rru;

struct rru_sock {
	struct rru	*rr;
	int		 fd;
	struct event	*ev;
	uint64_t	*sent;		/* send times, a ring */
	unsigned	 head, tail, outstanding;
	uint64_t	 seq;
};

struct rru {
	const struct bench_opts	*o;
	struct event_base	*base;
	struct rru_sock		*s;
	struct event		*timer;
	struct event		*sweep;
	struct bench_lat	 lat;
	uint64_t		 start, done, sent, errors;
	int			 stopping, outstanding;
};

static void	rru_send(struct rru_sock *);
static void	rru_read_cb(evutil_socket_t, short, void *);
static void	rru_timer_cb(evutil_socket_t, short, void *);
static void	rru_sweep_cb(evutil_socket_t, short, void *);
static void	rru_answered(struct rru_sock *, uint64_t);

/* Send one request datagram. */
static void
rru_send(struct rru_sock *s)
{
	struct rru	*rr = s->rr;
	char		 buf[512];
	int		 n;

	if (rr->o->numbers)
		n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)
		    bench_number(s->seq, (size_t)(s - rr->s)));
	else
		n = snprintf(buf, sizeof(buf), "%s\n", rr->o->message);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    send(s->fd, buf, (size_t)n, 0) != n) {
		rr->errors++;		/* not sent: nothing outstanding */
		return;
	}
	s->seq++;
	s->sent[s->head] = bench_now_us();
	s->head = (s->head + 1) % (unsigned)rr->o->inflight;
	s->outstanding++;
	rr->outstanding++;
	rr->sent++;
}

/* The oldest request of a socket is answered (or lost, now == 0). */
static void
rru_answered(struct rru_sock *s, uint64_t now)
{
	struct rru	*rr = s->rr;

	if (now != 0)
		bench_lat_add(&rr->lat, now - s->sent[s->tail]);
	s->tail = (s->tail + 1) % (unsigned)rr->o->inflight;
	s->outstanding--;
	rr->outstanding--;
	if (!rr->stopping && (rr->o->max_requests == 0 ||
	    rr->sent < rr->o->max_requests))
		rru_send(s);
}

/* Answers: time them, check them, send the next requests. */
static void
rru_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rru_sock	*s = arg;
	struct rru	*rr = s->rr;
	char		 buf[2048];
	ssize_t		 n;
	size_t		 len;
	int		 i;

	for (i = 0; i < RRU_READS; i++) {
		if ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) < 0)
			break;
		if (s->outstanding == 0) {
			rr->errors++;		/* an answer to nothing */
			continue;
		}
		rr->done++;
		len = (size_t)n;		/* the answer, less its ending */
		if (len > 0 && buf[len - 1] == '\n')
			len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
		if (!bench_reply_ok(rr->o, buf, len))
			rr->errors++;
		rru_answered(s, bench_now_us());
	}
	if ((rr->stopping && rr->outstanding == 0) ||
	    (rr->o->max_requests > 0 && rr->done >= rr->o->max_requests))
		event_base_loopexit(rr->base, NULL);
}

/* Every 100 ms: a request with no answer for a second is lost. */
static void
rru_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rru	*rr = arg;
	struct rru_sock	*s;
	uint64_t	 now = bench_now_us();
	int		 i;

	for (i = 0; i < rr->o->conns; i++) {
		s = &rr->s[i];
		/* Requests sent from here on are newer than now. */
		while (s->outstanding > 0 &&
		    s->sent[s->tail] + RRU_LOST_US < now) {
			rr->errors++;
			rru_answered(s, 0);
		}
	}
	if (rr->stopping && rr->outstanding == 0)
		event_base_loopexit(rr->base, NULL);
}

/* Time is up: stop sending and wait (briefly) for what is outstanding. */
static void
rru_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rru	*rr = arg;

	bench_time_up(rr->base, rr->timer, &rr->stopping, rr->outstanding);
}

/* Run the request/response load over UDP. */
int
bench_rr_udp(struct event_base *base, const struct bench_opts *o,
    struct bench_result *res)
{
	struct sockaddr_storage	ss;
	struct timeval		tv, every = { 0, 100000 };
	struct rru		rr;
	socklen_t		len;
	double			cpu0;
	int			i, j, fd;

	memset(&rr, 0, sizeof(rr));
	rr.o = o;
	rr.base = base;
	rr.s = calloc((size_t)o->conns, sizeof(*rr.s));
	rr.timer = evtimer_new(base, rru_timer_cb, &rr);
	rr.sweep = event_new(base, -1, EV_PERSIST, rru_sweep_cb, &rr);
	bench_addr(o, &ss, &len);
	for (i = 0; i < o->conns; i++) {
		if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK,
		    0)) == -1 || connect(fd, (struct sockaddr *)&ss, len) ==
		    -1) {
			perror("switchboard-bench: udp socket");
			return (-1);
		}
		rr.s[i].rr = &rr;
		rr.s[i].fd = fd;
		rr.s[i].sent = calloc((size_t)o->inflight, sizeof(uint64_t));
		rr.s[i].ev = event_new(base, fd, EV_READ | EV_PERSIST,
		    rru_read_cb, &rr.s[i]);
		event_add(rr.s[i].ev, NULL);
	}
	tv.tv_sec = (time_t)o->seconds;
	tv.tv_usec = (suseconds_t)((o->seconds - (double)tv.tv_sec) * 1e6);
	event_add(rr.timer, &tv);
	event_add(rr.sweep, &every);
	cpu0 = bench_cpu_all_us(o);
	rr.start = bench_now_us();
	for (i = 0; i < o->conns; i++)
		for (j = 0; j < o->inflight; j++)
			rru_send(&rr.s[i]);
	event_base_dispatch(base);
	res->mode = "rr";
	res->conns = o->conns;
	res->units = rr.done;
	res->errors = rr.errors + (uint64_t)rr.outstanding;
	res->seconds = (double)(bench_now_us() - rr.start) / 1e6;
	res->cpu_us = cpu0 >= 0 ? bench_cpu_all_us(o) - cpu0 : -1;
	bench_lat_done(&rr.lat, res);
	for (i = 0; i < o->conns; i++) {
		event_free(rr.s[i].ev);
		close(rr.s[i].fd);
		free(rr.s[i].sent);
	}
	event_free(rr.timer);
	event_free(rr.sweep);
	free(rr.s);
	return (0);
}

/*
 * switchboard-bench: a load generator for line protocols on loopback.
 * Independent of the daemon's code: it only speaks lines over sockets.
 */
#ifndef SB_BENCH_H
#define SB_BENCH_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct event;
struct event_base;

/* Most ports (-p) and servers (--pid) one run takes. */
#define BENCH_MAX_TARGETS	8

struct bench_opts {
	const char	*host;		/* loopback only */
	int		 port;
	int		 conns;		/* connections (chat: clients) */
	int		 inflight;	/* rr: lines outstanding per conn */
	double		 seconds;	/* how long to load */
	uint64_t	 max_requests;	/* stop after this many (0: time only) */
	const char	*message;	/* rr: the request line */
	int		 numbers;	/* rr: rotate numbers instead */
	int		 check;		/* rr: check every reply */
	const char	*expect;	/* rr: the reply to a fixed message */
	int		 pid;		/* the server, for CPU and RSS */
	int		 senders;	/* chat */
	double		 rate;		/* chat: lines/s per sender, 0: closed */
	int		 window;	/* chat: closed loop, lines in flight */
	int		 size;		/* chat: bytes per line */
	int		 slow;		/* chat: clients that never read */
	const char	*label;		/* for the report */
	int		 irc;		/* chat: speak IRC (NICK, JOIN, PRIVMSG) */
	int		 udp;		/* rr: one datagram per request */
	int		 tls;		/* connect over TLS (any certificate) */
	int		 ports[BENCH_MAX_TARGETS];	/* chat: -p each */
	int		 nports;
	int		 pids[BENCH_MAX_TARGETS];	/* --pid each */
	int		 npids;
};

/* What a run measured. */
struct bench_result {
	const char	*mode;
	uint64_t	 units;		/* requests or deliveries */
	uint64_t	 expected;	/* chat: deliveries offered */
	uint64_t	 errors;
	double		 seconds;
	double		 p50_us, p99_us, p999_us;
	double		 cpu_us;	/* server CPU time over the run */
	long		 rss_kb_before, rss_kb_after;
	int		 conns;
};

/*
 * The last line a connection got that reads like a notice ("error...",
 * "* ..."): when the server closes the connection, it says why.
 */
struct bench_said {
	char		 line[160];
};

/* Latency samples. */
struct bench_lat {
	uint32_t	*us;
	size_t		 n, cap;
};

uint64_t	bench_now_us(void);
void		bench_lat_add(struct bench_lat *, uint64_t);
void		bench_lat_done(struct bench_lat *, struct bench_result *);
double		bench_cpu_us(int);
double		bench_cpu_all_us(const struct bench_opts *);
long		bench_rss_kb(int);
struct bufferevent *bench_connect(struct event_base *,
		    const struct bench_opts *);
void		bench_addr(const struct bench_opts *,
		    struct sockaddr_storage *, socklen_t *);
struct bufferevent *bench_connect_port(struct event_base *,
		    const struct bench_opts *, int);
void		bench_nodelay(struct bufferevent *);
uint64_t	bench_number(uint64_t, size_t);
int		bench_reply_ok(const struct bench_opts *, const char *, size_t);
void		bench_time_up(struct event_base *, struct event *, int *, int);
void		bench_said_note(struct bench_said *, const char *, size_t);
void		bench_closed(const struct bench_opts *,
		    const struct bench_said *, short, int);
void		bench_report(const struct bench_opts *, struct bench_result *);

int		bench_rr(struct event_base *, const struct bench_opts *,
		    struct bench_result *);
int		bench_rr_udp(struct event_base *, const struct bench_opts *,
		    struct bench_result *);
int		bench_idle(struct event_base *, const struct bench_opts *,
		    struct bench_result *);
int		bench_chat(struct event_base *, const struct bench_opts *,
		    struct bench_result *);

#endif

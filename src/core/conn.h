/*
 * switchboard: one client connection: its socket, events and buffers, the
 * line framer, the limits, and the handler's state. Only conn.c creates or frees one.
 */
#ifndef SB_CONN_H
#define SB_CONN_H

#include <sys/queue.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "framer.h"
#include "timer.h"

struct bufferevent;
struct conn_held;
struct event;
struct evbuffer;
struct ssl_ctx_st;
struct sb_service;
struct server;

#define CONN_EOF	0x0001	/* the client has sent EOF */
#define CONN_PAUSED	0x0002	/* reading paused: output backed up */
#define CONN_CLOSING	0x0004	/* close requested; no more lines */
#define CONN_FLUSH	0x0008	/* ... after the output is flushed */
#define CONN_OPENED	0x0010	/* the open hook ran */
#define CONN_CLOSED	0x0020	/* the close hook ran */
#define CONN_LINGER	0x0040	/* write side shut, draining input */
#define CONN_THROTTLED	0x0080	/* reading paused: over a rate budget */
#define CONN_DIRTY	0x0100	/* queued for this round's writes */
#define CONN_KEPT	0x0200	/* output space kept between rounds */
#define CONN_KEPT_USED	0x0400	/* ... and used since the last sweep */
#define CONN_REPLY	0x0800	/* queuing the handler's own reply */
#define CONN_HELD	0x1000	/* lines wait in ex->held */
#define CONN_DGRAM	0x2000	/* one datagram's pseudo-connection:
				   no socket, events or reaping */
#define CONN_TLS	0x4000	/* through ex->tls (conn_tls.c) */

/*
 * What a connection needs only once it is doing more than sitting idle:
 * timers, deadlines, the close reason. Kept apart so that an idle
 * connection costs less (measured with bench/run's 10,000 idle clients).
 */
struct conn_extra {
	struct event		*timer;		/* line, send, close deadlines */
	struct event		*throttle;	/* a handler's rate budget */
	uint64_t		 since_ms;	/* a line began (open) or the
						   close did (closed); 0 = none */
	uint64_t		 send_since;	/* no acknowledged output since;
						   0 = not watched */
	uint64_t		 timer_at;	/* the timer's deadline, 0 = off */
	uint32_t		 acked;		/* output the peer had taken at
						   send_since, modulo 2^32 */
	char			*reason;	/* why it is closing */
	struct sb_timers	 timers;	/* the handler's, for it */
	struct conn_held	*held;		/* lines not yet in out */
	size_t			 held_len;	/* their bytes */
	struct bufferevent	*tls;		/* the TLS session's */
};

struct sb_conn {
	TAILQ_ENTRY(sb_conn)	 entry;		/* in the service's list */
	TAILQ_ENTRY(sb_conn)	 reap_entry;	/* in the reap queue */
	TAILQ_ENTRY(sb_conn)	 dirty_entry;	/* output to write this round */
	TAILQ_ENTRY(sb_conn)	 kept_entry;	/* holds output space */
	struct sb_service	*svc;
	struct event		*rev;		/* readable; the idle timeout */
	struct event		*wev;		/* writable, after a short write */
	struct evbuffer		*in;		/* read, not yet framed */
	struct evbuffer		*out;		/* queued to the client */
	size_t			 out_len;	/* bytes in out (committed) */
	char			*stage;		/* space reserved in out */
	uint32_t		 stage_len;	/* bytes put there */
	uint32_t		 stage_room;	/* its size */
	struct conn_extra	*ex;		/* made when first needed */
	uint32_t		 reply_credit;	/* own replies unsent */
	uint32_t		 written;	/* bytes given to the kernel,
						   modulo 2^32 */
	uint64_t		 id;
	uint32_t		 since;		/* accepted, server clock_s */
	uint32_t		 last_in;	/* last read, server clock_s */
	uint32_t		 max_line;	/* limits when accepted */
	uint32_t		 max_output;
	uint32_t		 idle_timeout;
	int			 fd;
	struct framer		 fr;
	uint16_t		 flags;
	uint16_t		 peer_port;
	uint8_t			 peer_family;	/* AF_INET for v4-mapped */
	uint8_t			 ip_counted;	/* in the service's iptable */
	uint8_t			 peer_addr[16];
	/* The handler's state follows, conn_size bytes. */
	max_align_t		 state[];
};

/*
 * The conn module's own lists of connections, one set per server (which
 * holds it as an opaque pointer): closes for the reaper to run, output to
 * write this round, and output space kept between rounds.
 */
struct conn_queues {
	TAILQ_HEAD(, sb_conn)	reap;
	TAILQ_HEAD(, sb_conn)	dirty;
	TAILQ_HEAD(, sb_conn)	kept;
};

struct conn_extra *conn_extra(struct sb_conn *);
struct conn_queues *conn_queues_new(void);
void	conn_queues_free(struct conn_queues *);
struct sb_conn *conn_accept(struct sb_service *, int, const struct sockaddr *,
	    struct ssl_ctx_st *);
void	conn_opened(struct sb_conn *);
void	conn_received(struct sb_conn *);
void	conn_input_end(struct sb_conn *);
void	conn_broke(struct sb_conn *, const char *);
void	conn_output_room(struct sb_conn *);
void	conn_close(struct sb_conn *, const char *, int);
int	conn_kick(struct sb_conn *, const char *);
size_t	conn_describe(struct sb_conn *, char *, size_t);
void	conn_reap(struct server *);
void	conn_flush_dirty(struct server *);
void	conn_shutdown(struct sb_conn *, const char *);
void	conn_destroy(struct sb_conn *);
void	conn_out_release(struct sb_conn *);
void	conn_write_raw(struct sb_conn *, const void *, size_t);
ssize_t	conn_out_write(struct sb_conn *);
void	conn_out_forget(struct sb_conn *);
void	conn_sweep_kept(struct server *);
const char *conn_out_bytes(struct sb_conn *, size_t *);
struct sb_conn *conn_dgram_new(struct sb_service *, int, const uint8_t *,
	    uint16_t);
bool	conn_dgram_run(struct sb_conn *, char *, size_t);
void	conn_dgram_free(struct sb_conn *);

/* The TLS transport (conn_tls.c). */
int	conn_tls_start(struct sb_conn *, struct ssl_ctx_st *);
size_t	conn_tls_pull(struct sb_conn *);
ssize_t	conn_tls_write(struct sb_conn *);
size_t	conn_tls_queued(struct sb_conn *);
int	conn_tls_close_notify(struct sb_conn *);
void	conn_tls_free(struct sb_conn *);

/* Bytes of the lines held for the client (conn_out.c). */
static inline size_t
conn_held_len(const struct sb_conn *c)
{
	return ((c->flags & CONN_HELD) ? c->ex->held_len : 0);
}

/*
 * Bytes queued to the client, staged and held ones included. Everything
 * that adds to or writes from the output buffer keeps out_len up to date,
 * so this costs no call into libevent (it is asked once or twice a line).
 */
static inline size_t
conn_outlen(const struct sb_conn *c)
{
	return (c->out_len + c->stage_len + conn_held_len(c));
}

#endif

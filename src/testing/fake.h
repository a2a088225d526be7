/*
 * switchboard test harness: the fake core's state, shared by its files.
 * The public side is include/switchboard/testing.h.
 */
#ifndef SB_FAKE_H
#define SB_FAKE_H

#include <sys/queue.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <switchboard/handler.h>

/* Lines queued to a client, or received by it: each with its ending. */
struct fake_lines {
	char		**text;
	size_t		 *len;
	size_t		  first, n, cap;
};

/* One log line of a service. */
struct fake_log {
	TAILQ_ENTRY(fake_log)	 entry;
	int			 level;
	char			*text;
};

struct sb_conn {
	TAILQ_ENTRY(sb_conn)	 entry;
	struct sb_service	*svc;
	unsigned long long	 id;
	char			*peer;
	void			*state;
	size_t			 max_line, max_output;

	char			*in;		/* bytes not yet framed */
	size_t			 in_len;
	bool			 discarding;	/* the rest of a long line */
	bool			 crlf;		/* the client's line ending */

	struct fake_lines	 queued;	/* this round's output */
	struct fake_lines	 got;		/* what the client received */
	size_t			 out_bytes;	/* bytes in queued */
	size_t			 reply_credit;	/* see sb_conn_reply_begin */
	bool			 in_reply;
	char			*space;		/* sb_conn_line_space's room */
	bool			 stalled;

	bool			 opened;	/* the open hook was called */
	bool			 closing;	/* a close was asked for */
	bool			 flush;		/* SB_CLOSE_FLUSH */
	bool			 closed;	/* the close hook has returned */
	bool			 reaping;	/* on the reap list */
	TAILQ_ENTRY(sb_conn)	 reap_entry;
	char			*reason;
	int			 close_hooks;

	unsigned		 throttle_ms;
	uint64_t		 throttle_until;
	bool			 resume;	/* throttle(0): feed next round */
	unsigned		 limits[2];
};
TAILQ_HEAD(fake_conns, sb_conn);

/*
 * A line handed to the fake relay, delivered back at the round's end; or
 * an answer for a client (conn not NULL).
 */
struct fake_relayed {
	TAILQ_ENTRY(fake_relayed) entry;
	struct sb_conn		*conn;		/* an answer for it */
	bool			 answer;	/* not a line */
	struct sb_relay_reply	 rep;
	char			*name;		/* rep.name's */
	size_t			 len;
	char			 data[];
};

/* A name a client holds in the fake relay. */
struct fake_claim {
	TAILQ_ENTRY(fake_claim)	 entry;
	struct sb_conn		*conn;
	char			 name[64];
};

struct sb_service {
	TAILQ_ENTRY(sb_service)	 entry;
	const struct sb_handler	*h;
	char			*name;
	void			*conf;
	void			*data;
	size_t			 max_line, max_output;
	bool			 started, stopped;
	const char		*stop_reason;
	struct fake_conns	 conns;
	unsigned long long	 next_id;
	TAILQ_HEAD(, fake_log)	 logs;
	char			*log_read;	/* the last line read */
	bool			 relay_on;	/* sb_relay_start, an address */
	TAILQ_HEAD(, fake_relayed) relay;	/* sent, not yet delivered */
	TAILQ_HEAD(, fake_claim) claims;
	unsigned long		 guests;
};

struct sb_timer {
	TAILQ_ENTRY(sb_timer)	 entry;
	struct sb_service	*svc;
	struct sb_conn		*conn;
	uint64_t		 due;
	unsigned		 period;	/* 0: one-shot */
	void			(*cb)(void *);
	void			*arg;
	bool			 firing, cancelled;
};

/* fake_core.c */
extern uint64_t	fake_now;
void	fake_round(void);
void	fake_abort(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fake_log_add(struct sb_service *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	fake_close(struct sb_conn *, const char *, bool);
void	fake_timers_cancel(struct sb_service *, struct sb_conn *);

/* fake_conn.c */
void	fake_feed(struct sb_conn *);
void	fake_deliver(struct sb_conn *);
void	fake_lines_free(struct fake_lines *);

/* fake_sdk.c */
int	fake_vasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

/* fake_option.c */
void	*fake_options(const struct sb_handler *, const char *, const char *,
	    size_t *, size_t *, char **);
void	 fake_options_free(const struct sb_handler *, void *);

void	fake_relay_round(struct sb_service *);
void	fake_relay_free(struct sb_service *);
void	fake_relay_conn_gone(struct sb_conn *);

#endif

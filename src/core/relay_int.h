/*
 * switchboard: the relay's insides, shared by relay.c (connections, state,
 * the handler's calls) and relay_stream.c (the room's stream).
 */
#ifndef SB_RELAY_INT_H
#define SB_RELAY_INT_H

#include <sys/queue.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

struct event;
struct event_base;
struct redisAsyncContext;

/* One hiredis connection and the answers it owes. */
struct relay_link {
	struct relay			*r;
	struct redisAsyncContext	*ac;
	const char			*name;		/* for messages */
	bool				 connected;
	unsigned			 pending;	/* commands unanswered */
	uint64_t			 since;		/* connecting, or last
							   answer while pending */
	unsigned			 grace_ms;	/* XREAD's block time */
};

/*
 * A line of ours not yet read back from the stream. text is the entry's
 * one field as appended, "ORIGIN SEQ DATA": the handler's data from off.
 */
struct relay_line {
	TAILQ_ENTRY(relay_line)		 entry;
	uint64_t			 seq;
	bool				 sent;		/* XADD issued */
	size_t				 off;		/* where data starts */
	size_t				 len;		/* of data */
	char				 text[];
};
TAILQ_HEAD(relay_lines, relay_line);

/* The name a client holds, or is to hold once the relay is back. */
struct relay_claim {
	TAILQ_ENTRY(relay_claim)	 entry;
	struct sb_conn			*conn;
	char				*name;
	char				*lc;		/* lower case: the key */
	unsigned long long		 id;		/* in the owner */
	bool				 held;		/* Redis says so */
};
TAILQ_HEAD(relay_claims, relay_claim);

/* A client's question in flight; conn is NULL once the client has gone. */
struct relay_req {
	TAILQ_ENTRY(relay_req)		 entry;
	struct relay			*r;
	struct sb_conn			*conn;
	int				 op;		/* enum sb_relay_op */
	bool				 again;		/* CLAIM: after an outage */
	unsigned long long		 claim;		/* CLAIM: its claim's id */
	uint64_t			 seq;		/* TO: its line's */
	char				*data;		/* TO: a copy */
	size_t				 len;
	char				*name;
};
TAILQ_HEAD(relay_reqs, relay_req);

struct relay {
	struct sb_service	*svc;
	struct event_base	*base;
	char			*addr;
	char			*prefix;
	char			*room;
	char			*password;
	char			*user;		/* "": the default user */
	char			*key;		/* prefix + room */
	size_t			 max_queue;
	unsigned		 timeout_ms;
	unsigned		 history;
	unsigned		 keep;

	char			 origin[17];	/* this daemon's id, hex */
	uint64_t		 next_seq;
	uint64_t		 local_upto;	/* ours handed back locally */
	struct relay_lines	 lines;		/* ours, oldest first */
	struct relay_claims	 claims;
	struct relay_reqs	 reqs;
	unsigned		 lease_ms;
	unsigned		 releasing;	/* releases unanswered */
	struct event		*lease_ev;	/* refresh ours, reap others' */
	char			*names_key;	/* key + ":names" */

	struct relay_link	 cmd;
	struct relay_link	 rd;
	bool			 synced;	/* reading the stream */
	bool			 started;	/* first sync done: have last_id */
	char			 last_id[48];	/* last entry delivered */
	char			*epoch_key;	/* key + ":epoch" */
	char			 epoch[48];	/* the room's at the last sync */
	char			 epoch_now[48];	/* the room's at this sync */

	struct event		*tick;
	struct event		*retry;
	struct event		*fail_ev;
	bool			 failing;
	unsigned		 backoff_ms;
	uint64_t		 up_since;	/* ms; 0 while not up */
	struct relay_stats	 st;
	uint64_t		 oversize_logged;	/* ms, last warning */
};

/*
 * An entry longer than a line this daemon takes, plus this much for what
 * the handler puts around it, is not delivered: another daemon with a
 * larger max_line must not push its members past their max_output.
 */
#define RELAY_ENTRY_SLACK	256

/* The first retry waits this long; each failure doubles it up to max. */
#define RELAY_BACKOFF_MIN_MS	100
#define RELAY_BACKOFF_MAX_MS	2000
/* Up this long, a failure is retried after the shortest wait again. */
#define RELAY_STABLE_MS		10000
/*
 * Entries read for the history at start: this many a line of history,
 * at least MIN, at most READ (and what the stream keeps).
 */
#define RELAY_HISTORY_ENTRIES	4
#define RELAY_HISTORY_MIN	100
#define RELAY_HISTORY_READ	4000
/* Entries one XREAD takes at most. */
#define RELAY_READ_COUNT	256
/* Shutdown waits this long at most (or relay_timeout, if shorter) for
 * Redis to take the farewells of the members. */
#define RELAY_FAREWELL_MS	1000

void	relay_fail(struct relay *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	relay_cmd(struct relay_link *, void (*)(struct redisAsyncContext *,
	    void *, void *), void *, int, const char **, const size_t *);
struct relay_link *relay_answered(struct redisAsyncContext *, void *);
void	relay_synced(struct relay *, const char *);
void	relay_gap(struct relay *, const char *);
void	relay_released(struct relay *);

void	relay_names_init(struct relay *);
void	relay_names_synced(struct relay *);
void	relay_names_down(struct relay *);
void	relay_names_free(struct relay *);
void	relay_names_lease(struct relay *);
struct relay_line *relay_line_new(struct relay *, const void *, size_t);
char	*relay_decimal(char *, size_t);
void	relay_random_hex(char *, size_t);
void	relay_line_drop(struct relay *, uint64_t);

void	relay_stream_sync(struct relay *);
void	relay_stream_read(struct relay *);
void	relay_stream_add(struct relay *, struct relay_line *);

#endif

/*
 * switchboard: the relay, a service's room shared through Redis (the
 * sb_relay_* calls of handler.h). One per service that starts one.
 *
 * Each room is one capped Redis stream. A daemon appends what its members
 * say (XADD) and delivers to them only what it reads back from the stream
 * (XREAD BLOCK from the last id it has seen), its own lines included, so
 * every member on every daemon gets the room's lines in the stream's one
 * order, and a daemon that was cut off resumes from the id it last saw:
 * what the stream still holds is delivered late but in order, and a gap
 * (the entry it last saw is gone: Redis restarted empty, or the cap
 * trimmed past it; or the room's epoch key changed: Redis lost the room,
 * even if this daemon had seen no entry) is detected and announced
 * rather than passed over.
 * Pub/sub would deliver faster by a round trip at most, but would need
 * the stream anyway for order and repair, and two paths to deduplicate.
 *
 * Two connections per relay: one for commands, one that blocks in XREAD.
 * Both are hiredis async contexts on the daemon's event loop; nothing
 * blocks. A command without an answer for timeout ms (an XREAD for its
 * block time more) takes the relay down; it reconnects with backoff.
 */
#ifndef SB_RELAY_H
#define SB_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct relay;
struct sb_service;

enum relay_state {
	RELAY_CONNECTING,	/* first connection, not yet announced */
	RELAY_UP,
	RELAY_DOWN		/* announced down, reconnecting */
};

/*
 * What the operator sees (STATUS=; SIGUSR1 and the control socket's
 * "stats", through stats.c; the metrics page): relay_stats(svc) is NULL
 * for a service without relay.
 */
struct relay_stats {
	enum relay_state state;
	time_t		 down_since;	/* wall clock; 0 while up */
	uint64_t	 relayed;	/* lines appended to the stream */
	uint64_t	 delivered;	/* entries read from it */
	uint64_t	 local;		/* lines delivered locally only */
	uint64_t	 refused;	/* over relay_queue */
	uint64_t	 oversize;	/* entries too long to deliver here */
	uint64_t	 outages;	/* times it went down */
	uint64_t	 gaps_repaired;	/* outages resumed without a gap */
	uint64_t	 gaps_announced;/* outages, and falls behind the
					   trimming, that may have lost
					   lines */
	size_t		 queued_bytes;	/* lines waiting to be relayed */
	char		 error[160];	/* why it is (or was last) down */
};

struct sb_conn;

void	relay_free(struct relay *);
void	relay_conn_gone(struct sb_conn *);
unsigned relay_farewell_ms(const struct sb_service *);
const struct relay_stats *relay_stats(const struct sb_service *);
const char *relay_state_name(enum relay_state);
size_t	relay_status(const struct sb_service *, char *, size_t);

#endif

/*
 * switchboard: a bounded ring of a chat room's recent messages, kept as
 * shared lines (sb_line) ready to replay: a replay queues references to
 * them, never copies.
 */
#ifndef SB_CHAT_HISTORY_H
#define SB_CHAT_HISTORY_H

#include <stddef.h>

struct sb_line;

struct chat_history {
	struct sb_line	**lines;	/* the ring holds one reference each */
	size_t		  cap;		/* most kept; 0 keeps none */
	size_t		  head;		/* next slot written */
	size_t		  n;		/* lines held */
};

void	chat_history_init(struct chat_history *, size_t);
void	chat_history_free(struct chat_history *);
void	chat_history_add(struct chat_history *, struct sb_line *);
void	chat_history_resize(struct chat_history *, size_t);
/* The i-th line held, oldest first (i < h->n). */
struct sb_line *chat_history_get(const struct chat_history *, size_t);

#endif

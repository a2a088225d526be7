/*
 * switchboard: a bounded ring of a chat room's recent messages.
 */
#ifndef SB_CHAT_HISTORY_H
#define SB_CHAT_HISTORY_H

#include <stddef.h>
#include <time.h>

struct chat_history {
	char	**lines;
	size_t	 *lens;
	time_t	 *times;	/* when each line was said */
	size_t	  cap;		/* most kept; 0 keeps none */
	size_t	  head;		/* next slot written */
	size_t	  n;		/* lines held */
};

void	chat_history_init(struct chat_history *, size_t);
void	chat_history_free(struct chat_history *);
void	chat_history_add(struct chat_history *, const char *, size_t,
	    time_t);
void	chat_history_resize(struct chat_history *, size_t);
/* The i-th line held, oldest first (i < h->n). */
const char *chat_history_get(const struct chat_history *, size_t, size_t *);
/* When the i-th line held was said. */
time_t	chat_history_time(const struct chat_history *, size_t);

#endif

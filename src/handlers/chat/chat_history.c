/*
 * switchboard: chat history ring. Holds at most cap lines; adding to a
 * full ring lets go of the oldest. A line leaves memory once the ring and
 * every client buffer still holding it are done with it.
 */
#include <stdlib.h>
#include <string.h>

#include <switchboard/handler.h>

#include "chat_history.h"

/* Prepare an empty ring for cap lines. */
void
chat_history_init(struct chat_history *h, size_t cap)
{
	memset(h, 0, sizeof(*h));
	h->cap = cap;
	if (cap > 0)
		h->lines = sb_calloc(cap, sizeof(*h->lines));
}

/* Let go of every line and free the ring. */
void
chat_history_free(struct chat_history *h)
{
	size_t	i;

	for (i = 0; i < h->cap; i++)
		sb_line_free(h->lines[i]);
	free(h->lines);
	memset(h, 0, sizeof(*h));
}

/*
 * Keep a line, taking over the caller's reference to it, and let go of
 * the oldest if the ring is full.
 */
void
chat_history_add(struct chat_history *h, struct sb_line *l)
{
	if (h->cap == 0) {
		sb_line_free(l);
		return;
	}
	sb_line_free(h->lines[h->head]);
	h->lines[h->head] = l;
	h->head = (h->head + 1) % h->cap;
	if (h->n < h->cap)
		h->n++;
}

/* Change how many lines are kept, keeping the newest ones. */
void
chat_history_resize(struct chat_history *h, size_t cap)
{
	struct chat_history	n;
	size_t			i, slot;

	chat_history_init(&n, cap);
	for (i = 0; i < h->n; i++) {
		slot = (h->head + h->cap - h->n + i) % h->cap;
		if (i + cap >= h->n) {
			chat_history_add(&n, h->lines[slot]);
			h->lines[slot] = NULL;
		}
	}
	chat_history_free(h);
	*h = n;
}

/* The i-th oldest line. */
struct sb_line *
chat_history_get(const struct chat_history *h, size_t i)
{
	return (h->lines[(h->head + h->cap - h->n + i) % h->cap]);
}

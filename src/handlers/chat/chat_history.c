/*
 * switchboard: chat history ring. Holds at most cap lines; adding to a
 * full ring frees the oldest.
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
	if (cap > 0) {
		h->lines = sb_calloc(cap, sizeof(*h->lines));
		h->lens = sb_calloc(cap, sizeof(*h->lens));
		h->times = sb_calloc(cap, sizeof(*h->times));
	}
}

/* Free every line and the ring. */
void
chat_history_free(struct chat_history *h)
{
	size_t	i;

	for (i = 0; i < h->cap; i++)
		free(h->lines[i]);
	free(h->lines);
	free(h->lens);
	free(h->times);
	memset(h, 0, sizeof(*h));
}

/*
 * Keep a copy of a line said at a time, dropping the oldest if the ring
 * is full.
 */
void
chat_history_add(struct chat_history *h, const char *line, size_t len,
    time_t when)
{
	char	*copy;

	if (h->cap == 0)
		return;
	copy = sb_malloc(len + 1);
	memcpy(copy, line, len);
	copy[len] = '\0';
	free(h->lines[h->head]);
	h->lines[h->head] = copy;
	h->lens[h->head] = len;
	h->times[h->head] = when;
	h->head = (h->head + 1) % h->cap;
	if (h->n < h->cap)
		h->n++;
}

/* Change how many lines are kept, keeping the newest ones. */
void
chat_history_resize(struct chat_history *h, size_t cap)
{
	struct chat_history	 n;
	const char		*line;
	size_t			 i, len;

	chat_history_init(&n, cap);
	for (i = h->n > cap ? h->n - cap : 0; i < h->n; i++) {
		line = chat_history_get(h, i, &len);
		chat_history_add(&n, line, len, chat_history_time(h, i));
	}
	chat_history_free(h);
	*h = n;
}

/* The i-th oldest line and its length. */
const char *
chat_history_get(const struct chat_history *h, size_t i, size_t *len)
{
	size_t	slot = (h->head + h->cap - h->n + i) % h->cap;

	*len = h->lens[slot];
	return (h->lines[slot]);
}

/* When the i-th oldest line was said. */
time_t
chat_history_time(const struct chat_history *h, size_t i)
{
	return (h->times[(h->head + h->cap - h->n + i) % h->cap]);
}

/*
 * switchboard: a generation: one configuration's services and the
 * listening sockets they hold. Start-up and reload make the next one with
 * the same transaction.
 */
#ifndef SB_GENERATION_H
#define SB_GENERATION_H

#include <stddef.h>

struct activation;
struct conf;
struct server;

int	generation_apply(struct server *, struct conf *, struct activation *,
	    char *, size_t, int *);

#endif

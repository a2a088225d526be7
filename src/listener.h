/*
 * switchboard: listening sockets, one evconnlistener each.
 */
#ifndef SB_LISTENER_H
#define SB_LISTENER_H

#include <event2/listener.h>

#include "listen_addr.h"

struct event;

/* Called with each accepted client (fd non-blocking, close-on-exec). */
typedef void listener_accept_fn(void *, int, const struct sockaddr *,
    socklen_t);

struct listener {
	struct evconnlistener		*lev;
	struct event			*retry;		/* after EMFILE */
	const struct listen_addr	*addr;
	listener_accept_fn		*accept;
	void				*arg;
	char				 bound[LISTEN_ADDR_TEXT];
};

int	listener_open(struct listener *, struct event_base *,
	    const struct listen_addr *, listener_accept_fn *, void *);
void	listener_close(struct listener *);

#endif

/*
 * switchboard: listening sockets, one evconnlistener each (a UDP socket,
 * udp.c, one read event).
 */
#ifndef SB_LISTENER_H
#define SB_LISTENER_H

#include <event2/listener.h>

#include "listen_addr.h"

struct event;

/*
 * Called with each accepted client (fd non-blocking, close-on-exec), and
 * whether it came to a tls: entry's socket.
 */
typedef void listener_accept_fn(void *, int, const struct sockaddr *,
    socklen_t, int);

struct listener {
	struct evconnlistener		*lev;		/* NULL for UDP */
	struct event			*dgram;		/* UDP: readable */
	uint16_t			 port;		/* UDP: bound port */
	struct event			*retry;		/* after EMFILE */
	const struct listen_addr	*addr;		/* NULL if adopted */
	listener_accept_fn		*accept;
	void				*arg;
	int				 unlink_path;	/* ours to remove */
	int				 backlog;	/* given to listen();
							   -1 if passed */
	char				 bound[LISTEN_ADDR_TEXT];
};

int	listener_bind(const struct listen_addr *, int);
struct listener *listener_open(struct event_base *, const struct listen_addr *,
	    int, listener_accept_fn *, void *);
struct listener *listener_adopt(struct event_base *, int,
	    listener_accept_fn *, void *);
void	listener_set_target(struct listener *, const struct listen_addr *,
	    void *);
void	listener_set_backlog(struct listener *, int);
void	listener_free(struct listener *);

#endif

/*
 * switchboard: one client connection: its socket, events and buffers, the
 * line framer, the limits, and the handler's state. Only conn.c creates or frees one.
 */
#ifndef SB_CONN_H
#define SB_CONN_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "framer.h"

struct event;
struct evbuffer;
struct sb_service;
struct server;

struct sb_conn {
	TAILQ_ENTRY(sb_conn)	 entry;		/* in the service's list */
	TAILQ_ENTRY(sb_conn)	 reap_entry;	/* in the server's reap queue */
	TAILQ_ENTRY(sb_conn)	 dirty_entry;	/* output to write this round */
	struct sb_service	*svc;
	struct event		*rev;		/* readable; the idle timeout */
	struct event		*wev;		/* writable, after a short write */
	struct evbuffer		*in;		/* read, not yet framed */
	struct evbuffer		*out;		/* queued to the client */
	struct event		*throttle;	/* made when first needed */
	char			*reason;	/* why it is closing */
	uint64_t		 id;
	uint32_t		 max_line;	/* limits when accepted */
	uint32_t		 max_output;
	uint32_t		 idle_timeout;
	int			 fd;
	struct framer		 fr;
	uint16_t		 flags;
	uint16_t		 peer_port;
	uint8_t			 peer_family;	/* AF_INET for v4-mapped */
	uint8_t			 ip_counted;	/* in the service's iptable */
	uint8_t			 peer_addr[16];
	/* The handler's state follows, conn_size bytes. */
	max_align_t		 state[];
};

struct sb_conn *conn_accept(struct sb_service *, int, const struct sockaddr *);
void	conn_reap(struct server *);
void	conn_flush_dirty(struct server *);
void	conn_shutdown(struct sb_conn *, const char *);
void	conn_destroy(struct sb_conn *);

#endif

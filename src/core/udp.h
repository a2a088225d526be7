/*
 * switchboard: UDP listeners, for handlers that can answer datagrams.
 */
#ifndef SB_UDP_H
#define SB_UDP_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct listen_addr;
struct listener;

struct listener *udp_open(struct event_base *, const struct listen_addr *,
	    void *);
void	udp_free(struct listener *);
bool	udp_source_refused(uint16_t, uint16_t);

#endif

/*
 * switchboard: per-address state of a service: live connections, an
 * accept-rate budget and a datagram budget.
 */
#ifndef SB_IPTABLE_H
#define SB_IPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include <switchboard/bucket.h>

struct ipentry {
	struct ipentry	*next;
	uint8_t		 family;
	uint8_t		 addr[16];
	uint32_t	 conns;		/* live connections */
	struct sb_bucket accepts;	/* accept budget */
	struct sb_bucket datagrams;	/* UDP budget (udp_rate) */
};

struct iptable {
	struct ipentry	**buckets;
	size_t		  nbuckets;	/* a power of two */
	size_t		  n;
	uint32_t	  seed;
};

void		 iptable_init(struct iptable *);
void		 iptable_free(struct iptable *);
struct ipentry	*iptable_get(struct iptable *, int, const uint8_t *);
struct ipentry	*iptable_find(struct iptable *, int, const uint8_t *);
int		 iptable_take_token(struct ipentry *, double, double, uint64_t);
void		 iptable_sweep(struct iptable *, double, uint64_t);

#endif

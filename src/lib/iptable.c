/*
 * switchboard: per-address state. A chained hash table with a random seed
 * (so a peer cannot choose addresses that collide), grown as it fills.
 * An entry lives while its address has connections or an accept budget
 * still refilling; iptable_sweep frees the rest, so memory follows what
 * peers are doing now, not what they once did. Pure: the caller passes
 * the time.
 */
#include <stdlib.h>
#include <string.h>

#include "iptable.h"
#include "xmalloc.h"

#define IPTABLE_MIN	64

static size_t	iptable_hash(const struct iptable *, int, const uint8_t *);
static void	iptable_grow(struct iptable *);
static int	iptable_idle(const struct sb_bucket *, double, uint64_t);

/* An empty table. */
void
iptable_init(struct iptable *t)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = IPTABLE_MIN;
	t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
	t->seed = (uint32_t)arc4random();
}

/* Free every entry and the table. */
void
iptable_free(struct iptable *t)
{
	struct ipentry	*e, *next;
	size_t		 i;

	for (i = 0; i < t->nbuckets; i++) {
		for (e = t->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

/* FNV-1a over the family and address, started from the table's seed. */
static size_t
iptable_hash(const struct iptable *t, int family, const uint8_t *addr)
{
	uint32_t	h = 2166136261u ^ t->seed;
	int		i;

	h = (h ^ (uint8_t)family) * 16777619u;
	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return (h & (t->nbuckets - 1));
}

/* Double the buckets. */
static void
iptable_grow(struct iptable *t)
{
	struct ipentry	**old = t->buckets, *e, *next;
	size_t		  n = t->nbuckets, i, h;

	t->nbuckets *= 2;
	t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
	for (i = 0; i < n; i++) {
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			h = iptable_hash(t, e->family, e->addr);
			e->next = t->buckets[h];
			t->buckets[h] = e;
		}
	}
	free(old);
}

/* The entry for an address, or NULL if there is none. */
struct ipentry *
iptable_find(struct iptable *t, int family, const uint8_t *addr)
{
	struct ipentry	*e;
	size_t		 h = iptable_hash(t, family, addr);

	for (e = t->buckets[h]; e != NULL; e = e->next) {
		if (e->family == family && memcmp(e->addr, addr, 16) == 0)
			return (e);
	}
	return (NULL);
}

/* The entry for an address, created empty if there is none. */
struct ipentry *
iptable_get(struct iptable *t, int family, const uint8_t *addr)
{
	struct ipentry	*e;
	size_t		 h;

	if ((e = iptable_find(t, family, addr)) != NULL)
		return (e);
	h = iptable_hash(t, family, addr);
	if (t->n >= t->nbuckets) {
		iptable_grow(t);
		h = iptable_hash(t, family, addr);
	}
	e = xcalloc(1, sizeof(*e));
	e->family = (uint8_t)family;
	memcpy(e->addr, addr, 16);
	e->next = t->buckets[h];
	t->buckets[h] = e;
	t->n++;
	return (e);
}

/*
 * Spend one accept from an address's budget of `rate` per second, at most
 * `burst` saved up. Returns 1 if there was one to spend, 0 if not.
 */
int
iptable_take_token(struct ipentry *e, double rate, double burst,
    uint64_t now_ms)
{
	return (sb_bucket_take(&e->accepts, rate, burst, 1.0, now_ms));
}

/* Has a budget not been used for secs (or never)? */
static int
iptable_idle(const struct sb_bucket *b, double secs, uint64_t now_ms)
{
	return (b->stamp_ms == 0 ||
	    now_ms - b->stamp_ms >= (uint64_t)(secs * 1000.0));
}

/*
 * Free entries with no connections whose budgets have refilled, that is,
 * have not been used for burst_secs (with rate 0 there is no budget, so
 * any entry without connections goes).
 */
void
iptable_sweep(struct iptable *t, double burst_secs, uint64_t now_ms)
{
	struct ipentry	**pp, *e;
	size_t		  i;

	for (i = 0; i < t->nbuckets; i++) {
		for (pp = &t->buckets[i]; (e = *pp) != NULL;) {
			if (e->conns == 0 && iptable_idle(&e->accepts,
			    burst_secs, now_ms) && iptable_idle(&e->datagrams,
			    burst_secs, now_ms)) {
				*pp = e->next;
				free(e);
				t->n--;
			} else
				pp = &e->next;
		}
	}
}

/*
 * switchboard: a token bucket, for rate budgets.
 *
 * A bucket holds up to burst tokens and refills at rate tokens per
 * second. The core uses it for max_accept_rate; a handler uses it for
 * its own budgets (chat-relay's lines and bytes per second). The
 * functions are inline and pure: the caller passes the time, in the
 * milliseconds sb_now_ms gives (never 0), and the rate and burst on every
 * call, so a reload that changes them applies at the next one.
 *
 * A zeroed struct sb_bucket is full: its first use fills it to burst.
 */
#ifndef SB_BUCKET_H
#define SB_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct sb_bucket {
	double		tokens;		/* left, negative when in debt */
	uint64_t	stamp_ms;	/* when tokens was last brought up to
					   date; 0 = never used, full */
};

/* Add what has come in since the last use, at most burst in all. */
static inline void
sb_bucket_refill(struct sb_bucket *b, double rate, double burst,
    uint64_t now_ms)
{
	if (b->stamp_ms == 0)
		b->tokens = burst;
	else if (now_ms > b->stamp_ms) {
		b->tokens += rate * (double)(now_ms - b->stamp_ms) / 1000.0;
		if (b->tokens > burst)
			b->tokens = burst;
	}
	b->stamp_ms = now_ms;
}

/*
 * Take n tokens if the bucket holds n: returns true if it did, false (and
 * takes nothing) if not. For refusing what is over the rate.
 */
static inline bool
sb_bucket_take(struct sb_bucket *b, double rate, double burst, double n,
    uint64_t now_ms)
{
	sb_bucket_refill(b, rate, burst, now_ms);
	if (b->tokens < n)
		return (false);
	b->tokens -= n;
	return (true);
}

/*
 * Take n tokens whether or not the bucket holds them, going into debt.
 * For charging what has already happened; see sb_bucket_wait_ms for how
 * long to hold the sender back.
 */
static inline void
sb_bucket_charge(struct sb_bucket *b, double rate, double burst, double n,
    uint64_t now_ms)
{
	sb_bucket_refill(b, rate, burst, now_ms);
	b->tokens -= n;
}

/*
 * Milliseconds until the bucket, refilling at rate, holds at least level
 * tokens: 0 if it already does (or rate is not positive).
 */
static inline double
sb_bucket_wait_ms(const struct sb_bucket *b, double rate, double level)
{
	if (b->tokens >= level || rate <= 0.0)
		return (0.0);
	return ((level - b->tokens) * 1000.0 / rate);
}

#endif

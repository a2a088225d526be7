/*
 * switchboard: the relay's room stream in Redis.
 *
 * Each entry has one field, m: "ORIGIN SEQ DATA", the daemon that
 * appended it (a random id per relay), that daemon's sequence number for
 * it, and the handler's bytes; one field rather than three, because every
 * field costs every daemon two allocations per entry to read. A name
 * whose lease ran out is an entry with the field x instead. The stream is capped with MAXLEN ~ keep. A sync after
 * (re)connecting reads the newest entries for the history the first time,
 * and later checks that the entry last delivered is still there: if it
 * is, everything after it is too (trimming only takes the oldest), and
 * reading on from it repairs the outage; if not, lines may be lost.
 *
 * That check cannot tell a daemon that had seen no entry yet that Redis
 * lost the room (restarted without its data): the room's epoch does. It
 * is a random value in the field id of the hash KEY:epoch, set by the
 * first daemon to sync when there is none, and read at every sync in the
 * same round trip as the stream (pipelined before it): one that is not
 * the value the last sync found means Redis lost the room since, and
 * lines may be lost too.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include <switchboard/handler.h>

#include "conf.h"
#include "log.h"
#include "relay_int.h"
#include "service.h"

static void	relay_epoch_cb(redisAsyncContext *, void *, void *);
static bool	relay_epoch_changed(struct relay *);
static void	relay_history_cb(redisAsyncContext *, void *, void *);
static void	relay_check_cb(redisAsyncContext *, void *, void *);
static void	relay_read_cb(redisAsyncContext *, void *, void *);
static void	relay_trimmed_cb(redisAsyncContext *, void *, void *);
static void	relay_add_cb(redisAsyncContext *, void *, void *);
static int	relay_entry(struct relay *, const redisReply *, bool);
static const redisReply *relay_field(const redisReply *, const char *);
static void	relay_oversize(struct relay *, size_t);
static void	relay_ask_entry(struct relay_link *, const char *,
		    void (*)(redisAsyncContext *, void *, void *));

/*
 * KEYS: the epoch's hash. ARGV: a new epoch. Returns the epoch, or nil if
 * there was none and the new one is it now. A hash's field, not a string
 * key, so the commands a Redis ACL user needs stay the ones documented.
 * It writes the field every time: a sync is also the proof that Redis
 * takes writes (a full Redis, or a user without them, fails it, and the
 * relay stays down rather than announcing it is back).
 */
static const char relay_lua_epoch[] =
	"local e = redis.call('HGET', KEYS[1], 'id')\n"
	"redis.call('HSET', KEYS[1], 'id', e or ARGV[1])\n"
	"return e or false\n";

/*
 * Ask on a link for the stream's entry id (an empty answer: it is gone);
 * cb gets the relay.
 */
static void
relay_ask_entry(struct relay_link *l, const char *id,
    void (*cb)(redisAsyncContext *, void *, void *))
{
	const char	*argv[4] = { "XRANGE", l->r->key, id, id };

	relay_cmd(l, cb, l->r, 4, argv, NULL);
}

/* Sync with the stream after connecting (see above). */
void
relay_stream_sync(struct relay *r)
{
	const char	*argv[6];
	char		 count[32];
	unsigned	 n;

	relay_random_hex(r->epoch_now, sizeof(r->epoch_now));
	argv[0] = "EVAL";
	argv[1] = relay_lua_epoch;
	argv[2] = "1";
	argv[3] = r->epoch_key;
	argv[4] = r->epoch_now;
	relay_cmd(&r->cmd, relay_epoch_cb, r, 5, argv, NULL);
	if (!r->started) {
		/*
		 * The history counts lines, the stream entries (joins,
		 * leaves, private messages): read several entries a line
		 * (at most what the stream keeps, and a bounded answer) and
		 * let the handler keep its lines.
		 */
		n = r->history * RELAY_HISTORY_ENTRIES;
		if (n < RELAY_HISTORY_MIN)
			n = RELAY_HISTORY_MIN;
		if (n > r->keep)
			n = r->keep;
		if (n > RELAY_HISTORY_READ)
			n = RELAY_HISTORY_READ;
		snprintf(count, sizeof(count), "%u", r->history == 0 ? 1 : n);
		argv[0] = "XREVRANGE";
		argv[1] = r->key;
		argv[2] = "+";
		argv[3] = "-";
		argv[4] = "COUNT";
		argv[5] = count;
		relay_cmd(&r->cmd, relay_history_cb, r, 6, argv, NULL);
		return;
	}
	relay_ask_entry(&r->cmd, r->last_id, relay_check_cb);
}

/* The room's epoch: the one found, or none and ours is it now. */
static void
relay_epoch_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay	*r = arg;
	redisReply	*rp = reply;

	if (relay_answered(ac, reply) == NULL)
		return;
	if (rp->type == REDIS_REPLY_STRING && rp->len < sizeof(r->epoch_now))
		memcpy(r->epoch_now, rp->str, rp->len + 1);
}

/*
 * Has Redis lost the room since the last sync (see above)? Remember this
 * sync's epoch for the next one: only a sync that completes does, so an
 * epoch made by a sync cut short is still news to the next.
 */
static bool
relay_epoch_changed(struct relay *r)
{
	bool	changed;

	changed = r->epoch[0] != '\0' && strcmp(r->epoch, r->epoch_now) != 0;
	memcpy(r->epoch, r->epoch_now, sizeof(r->epoch));
	return (changed);
}

/* The newest entries, newest first: the history, and where to read on. */
static void
relay_history_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay	*r = arg;
	redisReply	*rp = reply;
	size_t		 i;

	if (relay_answered(ac, reply) == NULL)
		return;
	relay_epoch_changed(r);		/* the first sync: nothing to miss */
	snprintf(r->last_id, sizeof(r->last_id), "0-0");
	if (rp->type == REDIS_REPLY_ARRAY && r->history > 0) {
		for (i = rp->elements; i > 0; i--)
			relay_entry(r, rp->element[i - 1], true);
	} else if (rp->type == REDIS_REPLY_ARRAY && rp->elements > 0 &&
	    rp->element[0]->type == REDIS_REPLY_ARRAY &&
	    rp->element[0]->elements == 2 &&
	    rp->element[0]->element[0]->type == REDIS_REPLY_STRING &&
	    rp->element[0]->element[0]->len < sizeof(r->last_id))
		memcpy(r->last_id, rp->element[0]->element[0]->str,
		    rp->element[0]->element[0]->len + 1);
	relay_synced(r, NULL);
}

/*
 * Is the entry last delivered still in the stream, and the room the one
 * Redis had at the last sync?
 */
static void
relay_check_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay	*r = arg;
	redisReply	*rp = reply;
	const char	*gap = NULL;

	if (relay_answered(ac, reply) == NULL)
		return;
	if (relay_epoch_changed(r))
		gap = "Redis has lost the room's data";
	else if (strcmp(r->last_id, "0-0") != 0 &&
	    (rp->type != REDIS_REPLY_ARRAY || rp->elements == 0))
		gap = "the stream no longer holds the last one seen";
	relay_synced(r, gap);
}

/* Wait for entries after the last one delivered. */
void
relay_stream_read(struct relay *r)
{
	const char	*argv[8];
	char		 count[32], block[32];

	snprintf(count, sizeof(count), "%d", RELAY_READ_COUNT);
	snprintf(block, sizeof(block), "%u", r->rd.grace_ms);
	argv[0] = "XREAD";
	argv[1] = "COUNT";
	argv[2] = count;
	argv[3] = "BLOCK";
	argv[4] = block;
	argv[5] = "STREAMS";
	argv[6] = r->key;
	argv[7] = r->last_id;
	relay_cmd(&r->rd, relay_read_cb, r, 8, argv, NULL);
}

/* Is the last entry delivered still in the stream? If not, say so. */
static void
relay_trimmed_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay	*r = arg;
	redisReply	*rp = reply;

	if (relay_answered(ac, reply) == NULL)
		return;
	if (rp->type == REDIS_REPLY_ARRAY && rp->elements == 0)
		relay_gap(r, "the stream was trimmed past the last line seen "
		    "(more than relay_keep lines behind)");
}

/* New entries (or none, the block time passed): deliver, read on. */
static void
relay_read_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay		*r = arg;
	redisReply		*rp = reply, *entries;
	size_t			 i, n = 0;
	char			 from[sizeof(r->last_id)];

	if (relay_answered(ac, reply) == NULL)
		return;
	memcpy(from, r->last_id, sizeof(from));
	if (rp->type == REDIS_REPLY_ARRAY && rp->elements == 1 &&
	    rp->element[0]->type == REDIS_REPLY_ARRAY &&
	    rp->element[0]->elements == 2) {
		entries = rp->element[0]->element[1];
		for (i = 0; entries->type == REDIS_REPLY_ARRAY &&
		    i < entries->elements; i++)
			relay_entry(r, entries->element[i], false);
		if (entries->type == REDIS_REPLY_ARRAY)
			n = entries->elements;
	}
	if (r->failing)
		return;
	/*
	 * Trimming takes the oldest entries, and a reader it overtook gets
	 * at least relay_keep of them (or a full read) at once: only then
	 * ask whether the entry read from is still there. If it is, nothing
	 * after it has gone; if not, lines may have been trimmed unread (or
	 * just after: being that far behind, the room is told either way).
	 */
	if (strcmp(from, "0-0") != 0 && n >= (r->keep < RELAY_READ_COUNT ?
	    r->keep : RELAY_READ_COUNT)) {
		relay_ask_entry(&r->rd, from, relay_trimmed_cb);
	}
	relay_stream_read(r);
}

/* A field's value in an entry's field list, or NULL. */
static const redisReply *
relay_field(const redisReply *fields, const char *name)
{
	size_t	i;

	for (i = 0; i + 1 < fields->elements; i += 2) {
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0 &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING)
			return (fields->element[i + 1]);
	}
	return (NULL);
}

/*
 * One entry, [id, [field, value, ...]]: remember its id, retire our own
 * lines up to it, and hand it to the handler unless it is one of ours
 * already delivered here during an outage. Returns 0, or -1 if it is not
 * an entry.
 */
static int
relay_entry(struct relay *r, const redisReply *e, bool history)
{
	const struct sb_handler	*h = r->svc->conf->handler;
	const redisReply	*id, *fields, *m, *x;
	struct relay_line	*rl;
	struct sb_relayed	 ev;
	unsigned long long	 seq = 0;
	const char		*sp, *data, *end;
	char			*ep;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
		return (-1);
	id = e->element[0];
	fields = e->element[1];
	if (id->type != REDIS_REPLY_STRING || fields->type !=
	    REDIS_REPLY_ARRAY || id->len >= sizeof(r->last_id))
		return (-1);
	memcpy(r->last_id, id->str, id->len + 1);
	m = relay_field(fields, "m");
	x = relay_field(fields, "x");
	if ((m == NULL && x == NULL) || (m == NULL && history))
		return (0);
	memset(&ev, 0, sizeof(ev));
	ev.time_ms = strtoull(id->str, NULL, 10);
	ev.history = history;
	if (m == NULL) {
		ev.expired = x->str;
		goto deliver;
	}
	if (m->len > (size_t)r->svc->conf->limits.max_line +
	    RELAY_ENTRY_SLACK) {
		relay_oversize(r, m->len);
		return (0);
	}
	end = m->str + m->len;
	if ((sp = memchr(m->str, ' ', m->len)) == NULL)
		return (0);
	seq = strtoull(sp + 1, &ep, 10);
	if (ep >= end || *ep != ' ')
		return (0);
	data = ep + 1;
	ev.data = data;
	ev.len = (size_t)(end - data);
	if ((size_t)(sp - m->str) == strlen(r->origin) &&
	    memcmp(m->str, r->origin, (size_t)(sp - m->str)) == 0) {
		ev.mine = true;
		while ((rl = TAILQ_FIRST(&r->lines)) != NULL &&
		    rl->seq <= seq) {
			TAILQ_REMOVE(&r->lines, rl, entry);
			r->st.queued_bytes -= rl->len;
			free(rl);
		}
		if (seq <= r->local_upto)
			return (0);
	}
deliver:
	r->st.delivered++;
	if (h->relayed != NULL && !r->svc->stopping)
		h->relayed(r->svc, &ev);
	return (0);
}

/* An entry too long for this daemon: counted, and logged once a minute. */
static void
relay_oversize(struct relay *r, size_t len)
{
	uint64_t	now = now_ms();

	r->st.oversize++;
	if (r->oversize_logged != 0 && now - r->oversize_logged < 60000)
		return;
	r->oversize_logged = now;
	log_warnx("%s: relay: an entry of %zu bytes is longer than this "
	    "daemon's lines (max_line %lld): not delivered here (%llu so "
	    "far); give every daemon of the room the same max_line",
	    r->svc->conf->name, len, r->svc->conf->limits.max_line,
	    (unsigned long long)r->st.oversize);
}

/* Append one of our lines to the stream. */
void
relay_stream_add(struct relay *r, struct relay_line *rl)
{
	const char	*argv[8];
	size_t		 lens[8];
	char		 keep[32];
	int		 i;

	snprintf(keep, sizeof(keep), "%u", r->keep);
	argv[0] = "XADD";
	argv[1] = r->key;
	argv[2] = "MAXLEN";
	argv[3] = "~";
	argv[4] = keep;
	argv[5] = "*";
	argv[6] = "m";
	argv[7] = rl->text;
	for (i = 0; i < 7; i++)
		lens[i] = strlen(argv[i]);
	lens[7] = rl->off + rl->len;
	if (relay_cmd(&r->cmd, relay_add_cb, r, 8, argv, lens) == 0)
		rl->sent = true;
}

/* The stream took a line. */
static void
relay_add_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay	*r = arg;

	if (relay_answered(ac, reply) != NULL)
		r->st.relayed++;
}

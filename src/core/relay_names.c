/*
 * switchboard: names unique across a relayed room (nicks), as leases in
 * one Redis hash per room, KEY:names: field the name in lower case, value
 * "EXPIRY_MS\nOWNER\nName". OWNER is the relay's id and the claim's
 * number, so a client's lease is its own even against another client of
 * the same daemon. Each step is a Lua script, so it is atomic against
 * the other daemons: a claim takes a name only if it is free or its lease
 * has run out (whose owner is then announced gone), and the leases of a
 * daemon that stopped refreshing them are reaped by whichever daemon
 * looks first, with one "x" entry per name in the stream for every daemon
 * to tell its members. Time is Redis's (TIME), one clock for all.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include <switchboard/handler.h>

#include "conf.h"
#include "conn.h"
#include "log.h"
#include "relay_int.h"
#include "service.h"
#include "xmalloc.h"

#define RELAY_LUA_NOW							\
	"local t = redis.call('TIME')\n"				\
	"local now = tonumber(t[1]) * 1000 + "				\
	"math.floor(tonumber(t[2]) / 1000)\n"

/* KEYS: hash, stream. ARGV: lc ("" = a guest), owner, name, lease, old lc,
 * keep. Returns the name taken, or nil. */
static const char relay_lua_claim[] = RELAY_LUA_NOW
	"local function free(lc)\n"
	"  local v = redis.call('HGET', KEYS[1], lc)\n"
	"  if not v then return true end\n"
	"  local e, o, n = string.match(v, '^(%d+)\\n([^\\n]*)\\n(.*)$')\n"
	"  if o == ARGV[2] then return true end\n"
	"  if e and tonumber(e) > now then return false end\n"
	"  redis.call('HDEL', KEYS[1], lc)\n"
	"  if n then redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6],"
	"    '*', 'x', n) end\n"
	"  return true\n"
	"end\n"
	"local lc, name = ARGV[1], ARGV[3]\n"
	"if lc == '' then\n"
	"  repeat\n"
	"    name = 'guest' .. redis.call('INCR', KEYS[1] .. ':guest')\n"
	"    lc = name\n"
	"  until free(lc)\n"
	"elseif not free(lc) then\n"
	"  return false\n"
	"end\n"
	"redis.call('HSET', KEYS[1], lc, (now + tonumber(ARGV[4])) .. '\\n' .."
	"  ARGV[2] .. '\\n' .. name)\n"
	"if ARGV[5] ~= '' and ARGV[5] ~= lc then\n"
	"  local v = redis.call('HGET', KEYS[1], ARGV[5])\n"
	"  if v and string.match(v, '^%d+\\n([^\\n]*)\\n') == ARGV[2] then\n"
	"    redis.call('HDEL', KEYS[1], ARGV[5])\n"
	"  end\n"
	"end\n"
	"return name\n";

/* KEYS: hash. ARGV: lease, then lc and owner pairs. Returns the lc of
 * those no longer held. */
static const char relay_lua_refresh[] = RELAY_LUA_NOW
	"local lost = {}\n"
	"for i = 2, #ARGV, 2 do\n"
	"  local v = redis.call('HGET', KEYS[1], ARGV[i])\n"
	"  local o, n\n"
	"  if v then o, n = string.match(v, '^%d+\\n([^\\n]*)\\n(.*)$') end\n"
	"  if o == ARGV[i + 1] then\n"
	"    redis.call('HSET', KEYS[1], ARGV[i], (now + tonumber(ARGV[1])) .."
	"      '\\n' .. o .. '\\n' .. n)\n"
	"  else\n"
	"    lost[#lost + 1] = ARGV[i]\n"
	"  end\n"
	"end\n"
	"return lost\n";

/* KEYS: hash, stream. ARGV: keep. Frees the leases run out, announcing
 * each in the stream. */
static const char relay_lua_reap[] = RELAY_LUA_NOW
	"local all = redis.call('HGETALL', KEYS[1])\n"
	"local n = 0\n"
	"for i = 1, #all, 2 do\n"
	"  local e, name = string.match(all[i + 1], "
	"'^(%d+)\\n[^\\n]*\\n(.*)$')\n"
	"  if not e or tonumber(e) <= now then\n"
	"    redis.call('HDEL', KEYS[1], all[i])\n"
	"    if name then redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1],"
	"      '*', 'x', name) end\n"
	"    n = n + 1\n"
	"  end\n"
	"end\n"
	"return n\n";

/* KEYS: hash. Returns the names held, sorted. */
static const char relay_lua_who[] = RELAY_LUA_NOW
	"local all = redis.call('HGETALL', KEYS[1])\n"
	"local names = {}\n"
	"for i = 1, #all, 2 do\n"
	"  local e, n = string.match(all[i + 1], '^(%d+)\\n[^\\n]*\\n(.*)$')\n"
	"  if e and tonumber(e) > now then names[#names + 1] = n end\n"
	"end\n"
	"table.sort(names)\n"
	"return names\n";

/* KEYS: hash, stream. ARGV: lc, keep, field. Appends the entry if lc is
 * held: 1, else 0. */
static const char relay_lua_to[] = RELAY_LUA_NOW
	"local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
	"local e = v and string.match(v, '^(%d+)\\n')\n"
	"if not e or tonumber(e) <= now then return 0 end\n"
	"redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'm',"
	"  ARGV[3])\n"
	"return 1\n";

/* KEYS: hash, stream. ARGV: lc, owner, keep, field. Frees lc if owner
 * holds it, and appends the entry if the field is not empty. */
static const char relay_lua_release[] =
	"local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
	"if v and string.match(v, '^%d+\\n([^\\n]*)\\n') == ARGV[2] then\n"
	"  redis.call('HDEL', KEYS[1], ARGV[1])\n"
	"end\n"
	"if ARGV[4] ~= '' then\n"
	"  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'm',"
	"    ARGV[4])\n"
	"end\n"
	"return 1\n";

/* In a script's argument lengths: a C string, take its strlen. */
#define RELAY_STRLEN		((size_t)-1)
/* Most names one REFRESH carries. */
#define RELAY_REFRESH_MAX	512

static void	relay_eval(struct relay *, const char *, int, int,
		    const char **, const size_t *,
		    void (*)(redisAsyncContext *, void *, void *), void *);
static struct relay_claim *relay_claim_of(struct relay *, struct sb_conn *,
		    bool);
static void	relay_claim_free(struct relay *, struct relay_claim *);
static void	relay_claim_send(struct relay *, struct relay_claim *,
		    const char *, bool);
static struct relay_req *relay_req_new(struct relay *, struct sb_conn *,
		    int, const char *);
static void	relay_req_free(struct relay *, struct relay_req *);
static void	relay_reply(struct relay_req *, struct sb_relay_reply *);
static void	relay_claim_cb(redisAsyncContext *, void *, void *);
static void	relay_refresh_cb(redisAsyncContext *, void *, void *);
static void	relay_who_cb(redisAsyncContext *, void *, void *);
static void	relay_to_cb(redisAsyncContext *, void *, void *);
static void	relay_done_cb(redisAsyncContext *, void *, void *);
static void	relay_release_cb(redisAsyncContext *, void *, void *);
static void	relay_release_send(struct relay *, const char *,
		    unsigned long long, struct relay_line *);
static void	relay_lease_cb(evutil_socket_t, short, void *);
static void	relay_owner(struct relay *, unsigned long long, char *,
		    size_t);
static void	relay_give_back(struct relay *, unsigned long long,
		    const char *);
static char	*relay_lower(const char *);
static bool	relay_ready(struct relay *);

static unsigned long long relay_claim_ids;

/* Set up the names of a new relay. */
void
relay_names_init(struct relay *r)
{
	TAILQ_INIT(&r->claims);
	TAILQ_INIT(&r->reqs);
	xasprintf(&r->names_key, "%s:names", r->key);
	r->lease_ev = event_new(r->base, -1, EV_PERSIST, relay_lease_cb, r);
	if (r->lease_ev == NULL)
		fatalx("relay: cannot make events");
}

/* (Re)start refreshing at a third of the lease. */
void
relay_names_lease(struct relay *r)
{
	struct timeval	tv;
	unsigned	ms = r->lease_ms / 3 > 0 ? r->lease_ms / 3 : 1;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(r->lease_ev, &tv);
}

/* Is the relay up and synced, so questions can go? */
static bool
relay_ready(struct relay *r)
{
	return (r->st.state == RELAY_UP && r->synced && !r->failing);
}

/* Run a script with nkeys of the relay's keys (names, stream) and args. */
static void
relay_eval(struct relay *r, const char *script, int nkeys, int nargs,
    const char **args, const size_t *lens,
    void (*cb)(redisAsyncContext *, void *, void *), void *arg)
{
	const char	**argv;
	size_t		 *argvlen;
	char		  nk[8];
	int		  i, n = 0;

	argv = xreallocarray(NULL, (size_t)(3 + nkeys + nargs),
	    sizeof(*argv));
	argvlen = xreallocarray(NULL, (size_t)(3 + nkeys + nargs),
	    sizeof(*argvlen));
	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[n++] = "EVAL";
	argv[n++] = script;
	argv[n++] = nk;
	argv[n++] = r->names_key;
	if (nkeys > 1)
		argv[n++] = r->key;
	for (i = 0; i < n; i++)
		argvlen[i] = strlen(argv[i]);
	for (i = 0; i < nargs; i++, n++) {
		argv[n] = args[i];
		argvlen[n] = lens != NULL && lens[i] != RELAY_STRLEN ? lens[i] :
		    strlen(args[i]);
	}
	relay_cmd(&r->cmd, cb, arg, n, argv, argvlen);
	free(argv);
	free(argvlen);
}

/* A claim's owner in Redis: the relay's id and the claim's number. */
static void
relay_owner(struct relay *r, unsigned long long id, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%llu", r->origin, id);
}

/*
 * Free a name a claim won after its client had gone (and had released
 * what it held then): no farewell, the room never heard of it.
 */
static void
relay_give_back(struct relay *r, unsigned long long claim, const char *name)
{
	char	*lc = relay_lower(name);

	relay_release_send(r, lc, claim, NULL);
	free(lc);
}

/* The client's claim, made if asked. */
static struct relay_claim *
relay_claim_of(struct relay *r, struct sb_conn *c, bool make)
{
	struct relay_claim	*cl;

	TAILQ_FOREACH(cl, &r->claims, entry) {
		if (cl->conn == c)
			return (cl);
	}
	if (!make)
		return (NULL);
	cl = xcalloc(1, sizeof(*cl));
	cl->conn = c;
	cl->id = ++relay_claim_ids;
	TAILQ_INSERT_TAIL(&r->claims, cl, entry);
	return (cl);
}

/* Forget a claim. */
static void
relay_claim_free(struct relay *r, struct relay_claim *cl)
{
	TAILQ_REMOVE(&r->claims, cl, entry);
	free(cl->name);
	free(cl->lc);
	free(cl);
}

/* A question in flight for a client. */
static struct relay_req *
relay_req_new(struct relay *r, struct sb_conn *c, int op, const char *name)
{
	struct relay_req	*q;

	q = xcalloc(1, sizeof(*q));
	q->r = r;
	q->conn = c;
	q->op = op;
	q->name = name != NULL ? xstrdup(name) : NULL;
	TAILQ_INSERT_TAIL(&r->reqs, q, entry);
	return (q);
}

/* Done with a question. */
static void
relay_req_free(struct relay *r, struct relay_req *q)
{
	TAILQ_REMOVE(&r->reqs, q, entry);
	free(q->name);
	free(q->data);
	free(q);
}

/* Give the client its answer, if it is still there. */
static void
relay_reply(struct relay_req *q, struct sb_relay_reply *rep)
{
	const struct sb_handler	*h;

	if (q->conn == NULL)
		return;
	h = q->conn->svc->conf->handler;
	rep->op = (enum sb_relay_op)q->op;
	if (h->relay_reply != NULL && !q->conn->svc->stopping)
		h->relay_reply(q->conn, rep);
}

/* Lower case, for the hash's fields. */
static char *
relay_lower(const char *s)
{
	char	*lc = xstrdup(s), *p;

	for (p = lc; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return (lc);
}

/* Ask Redis for a name (NULL: a guest's) for a claim. */
static void
relay_claim_send(struct relay *r, struct relay_claim *cl, const char *name,
    bool again)
{
	struct relay_req	*q;
	const char		*args[6];
	char			 owner[64], lease[32], keep[32], *lc;

	relay_owner(r, cl->id, owner, sizeof(owner));
	snprintf(lease, sizeof(lease), "%u", r->lease_ms);
	snprintf(keep, sizeof(keep), "%u", r->keep);
	lc = relay_lower(name != NULL ? name : "");
	q = relay_req_new(r, cl->conn, SB_RELAY_CLAIM, name);
	q->again = again;
	q->claim = cl->id;
	args[0] = lc;
	args[1] = owner;
	args[2] = name != NULL ? name : "";
	args[3] = lease;
	args[4] = cl->lc != NULL ? cl->lc : "";	/* freed only if ours */
	args[5] = keep;
	relay_eval(r, relay_lua_claim, 2, 6, args, NULL, relay_claim_cb, q);
	free(lc);
}

/* Claim a name for the client (see handler.h). */
enum sb_relay_sent
sb_relay_claim(struct sb_conn *c, const char *name)
{
	struct relay		*r = c->svc->relay;
	struct relay_claim	*cl;

	if (r == NULL)
		return (SB_RELAY_DOWN);
	cl = relay_claim_of(r, c, true);
	if (!relay_ready(r)) {
		if (name != NULL) {
			free(cl->name);
			free(cl->lc);
			cl->name = xstrdup(name);
			cl->lc = relay_lower(name);
			cl->held = false;
		}
		return (SB_RELAY_DOWN);
	}
	relay_claim_send(r, cl, name, false);
	return (SB_RELAY_QUEUED);
}

/* A claim's answer: the name taken, or nil. */
static void
relay_claim_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay_req	*q = arg;
	struct relay		*r = q->r;
	struct relay_claim	*cl;
	redisReply		*rp = reply;
	struct sb_relay_reply	 rep;

	if (relay_answered(ac, reply) == NULL)
		return;
	if (q->conn == NULL) {
		/* The client left first: give back what it won. */
		if (rp->type == REDIS_REPLY_STRING)
			relay_give_back(r, q->claim, rp->str);
		relay_req_free(r, q);
		return;
	}
	memset(&rep, 0, sizeof(rep));
	cl = relay_claim_of(r, q->conn, false);
	if (rp->type == REDIS_REPLY_STRING) {
		rep.ok = true;
		rep.name = rp->str;
		if (cl != NULL) {
			free(cl->name);
			free(cl->lc);
			cl->name = xstrdup(rp->str);
			cl->lc = relay_lower(rp->str);
			cl->held = true;
		}
	} else {
		rep.name = q->name != NULL ? q->name : "";
		if (q->again) {
			rep.lost = true;
			if (cl != NULL) {
				free(cl->name);
				free(cl->lc);
				cl->name = cl->lc = NULL;
				cl->held = false;
			}
		}
	}
	if (!q->again || !rep.ok)	/* a name kept is no news */
		relay_reply(q, &rep);
	relay_req_free(r, q);
}

/* Give up the client's name, with a farewell (see handler.h). */
enum sb_relay_sent
sb_relay_release(struct sb_conn *c, const void *data, size_t len)
{
	struct relay		*r = c->svc->relay;
	struct relay_claim	*cl;
	struct relay_line	*rl = NULL;

	if (r == NULL)
		return (SB_RELAY_DOWN);
	cl = relay_claim_of(r, c, false);
	if (!relay_ready(r) || (len > 0 && r->st.queued_bytes + len >
	    r->max_queue)) {
		if (cl != NULL)
			relay_claim_free(r, cl);
		return (SB_RELAY_DOWN);
	}
	if (cl == NULL && len == 0)
		return (SB_RELAY_QUEUED);
	if (len > 0)
		rl = relay_line_new(r, data, len);
	/* Its name, if it is the owner: held, or won since it asked. */
	relay_release_send(r, cl != NULL ? cl->lc : NULL, cl != NULL ? cl->id :
	    0, rl);
	if (rl != NULL)
		rl->sent = true;
	if (cl != NULL)
		relay_claim_free(r, cl);
	return (SB_RELAY_QUEUED);
}

/*
 * Free lc (NULL: none) if the claim numbered id owns it, and append rl
 * (NULL: nothing) to the stream; a stopping daemon waits for the answer.
 */
static void
relay_release_send(struct relay *r, const char *lc, unsigned long long id,
    struct relay_line *rl)
{
	const char	*args[4];
	size_t		 lens[4] = { RELAY_STRLEN, RELAY_STRLEN, RELAY_STRLEN,
	    0 };
	char		 owner[64], keep[32];

	relay_owner(r, id, owner, sizeof(owner));
	snprintf(keep, sizeof(keep), "%u", r->keep);
	args[0] = lc != NULL ? lc : "";
	args[1] = owner;
	args[2] = keep;
	args[3] = rl != NULL ? rl->text : "";
	lens[3] = rl != NULL ? rl->off + rl->len : 0;
	relay_eval(r, relay_lua_release, 2, 4, args, lens, relay_release_cb,
	    r);
	r->releasing++;
}

/* An answer with nothing to do but count it. */
static void
relay_done_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	(void)arg;
	relay_answered(ac, reply);
}

/* A release is done: the last one a stopping daemon waits for? */
static void
relay_release_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay	*r = arg;

	if (relay_answered(ac, reply) == NULL)
		return;
	if (r->releasing > 0 && --r->releasing == 0)
		relay_released(r);
}

/* Every name held in the room (see handler.h). */
enum sb_relay_sent
sb_relay_who(struct sb_conn *c)
{
	struct relay		*r = c->svc->relay;
	struct relay_req	*q;

	if (r == NULL || !relay_ready(r))
		return (SB_RELAY_DOWN);
	q = relay_req_new(r, c, SB_RELAY_WHO, NULL);
	relay_eval(r, relay_lua_who, 1, 0, NULL, NULL, relay_who_cb, q);
	return (SB_RELAY_QUEUED);
}

/* The names. */
static void
relay_who_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay_req	*q = arg;
	redisReply		*rp = reply;
	struct sb_relay_reply	 rep;
	const char		**names;
	size_t			 i, n = 0;

	if (relay_answered(ac, reply) == NULL)
		return;
	memset(&rep, 0, sizeof(rep));
	names = xreallocarray(NULL, rp->type == REDIS_REPLY_ARRAY &&
	    rp->elements > 0 ? rp->elements : 1, sizeof(*names));
	for (i = 0; rp->type == REDIS_REPLY_ARRAY && i < rp->elements; i++) {
		if (rp->element[i]->type == REDIS_REPLY_STRING)
			names[n++] = rp->element[i]->str;
	}
	rep.ok = true;
	rep.names = names;
	rep.n = n;
	relay_reply(q, &rep);
	free(names);
	relay_req_free(q->r, q);
}

/* Append data if name is held (see handler.h). */
enum sb_relay_sent
sb_relay_send_to(struct sb_conn *c, const char *name, const void *data,
    size_t len)
{
	struct relay		*r = c->svc->relay;
	struct relay_req	*q;
	struct relay_line	*rl;
	const char		*args[3];
	size_t			 lens[3] = { RELAY_STRLEN, RELAY_STRLEN, 0 };
	char			 keep[32], *lc;

	if (r == NULL || !relay_ready(r))
		return (SB_RELAY_DOWN);
	if (r->st.queued_bytes + len > r->max_queue) {
		r->st.refused++;
		return (SB_RELAY_FULL);
	}
	rl = relay_line_new(r, data, len);
	rl->sent = true;
	q = relay_req_new(r, c, SB_RELAY_TO, name);
	q->seq = rl->seq;
	q->data = xmalloc(len + 1);
	memcpy(q->data, data, len);
	q->len = len;
	lc = relay_lower(name);
	snprintf(keep, sizeof(keep), "%u", r->keep);
	args[0] = lc;
	args[1] = keep;
	args[2] = rl->text;
	lens[2] = rl->off + rl->len;
	relay_eval(r, relay_lua_to, 2, 3, args, lens, relay_to_cb, q);
	free(lc);
	return (SB_RELAY_QUEUED);
}

/* Sent, or the name is not held: then the line never went. */
static void
relay_to_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay_req	*q = arg;
	redisReply		*rp = reply;
	struct sb_relay_reply	 rep;

	if (relay_answered(ac, reply) == NULL)
		return;
	memset(&rep, 0, sizeof(rep));
	rep.ok = rp->type == REDIS_REPLY_INTEGER && rp->integer == 1;
	if (!rep.ok)
		relay_line_drop(q->r, q->seq);
	else
		q->r->st.relayed++;
	rep.name = q->name;
	rep.data = q->data;
	rep.len = q->len;
	relay_reply(q, &rep);
	relay_req_free(q->r, q);
}

/* Refresh our leases and reap the run-out ones of others. */
static void
relay_lease_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay		*r = arg;
	struct relay_claim	*cl;
	const char		**args;
	char			(*owners)[64], lease[32], keep[32];
	size_t			 n = 0, max = 1;

	(void)fd;
	(void)what;
	if (!relay_ready(r))
		return;
	TAILQ_FOREACH(cl, &r->claims, entry)
		max += 2;
	if (max > 1 + 2 * RELAY_REFRESH_MAX)
		max = 1 + 2 * RELAY_REFRESH_MAX;
	args = xreallocarray(NULL, max, sizeof(*args));
	owners = xreallocarray(NULL, max, sizeof(*owners));
	snprintf(lease, sizeof(lease), "%u", r->lease_ms);
	args[n++] = lease;
	TAILQ_FOREACH(cl, &r->claims, entry) {
		if (!cl->held || cl->lc == NULL)
			continue;
		if (n + 2 > max) {
			relay_eval(r, relay_lua_refresh, 1, (int)n, args, NULL,
			    relay_refresh_cb, r);
			n = 1;
		}
		relay_owner(r, cl->id, owners[n], sizeof(owners[n]));
		args[n] = cl->lc;
		args[n + 1] = owners[n];
		n += 2;
	}
	if (n > 1)
		relay_eval(r, relay_lua_refresh, 1, (int)n, args, NULL,
		    relay_refresh_cb, r);
	snprintf(keep, sizeof(keep), "%u", r->keep);
	args[0] = keep;
	relay_eval(r, relay_lua_reap, 2, 1, args, NULL, relay_done_cb, r);
	free(args);
	free(owners);
}

/* Names we thought ours that are not: tell their clients. */
static void
relay_refresh_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	struct relay		*r = arg;
	redisReply		*rp = reply;
	struct relay_claim	*cl, *next;
	struct relay_req	 q;
	struct sb_relay_reply	 rep;
	char			*name;
	size_t			 i;

	if (relay_answered(ac, reply) == NULL ||
	    rp->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i < rp->elements; i++) {
		if (rp->element[i]->type != REDIS_REPLY_STRING)
			continue;
		for (cl = TAILQ_FIRST(&r->claims); cl != NULL; cl = next) {
			next = TAILQ_NEXT(cl, entry);
			if (!cl->held || cl->lc == NULL ||
			    strcmp(cl->lc, rp->element[i]->str) != 0)
				continue;
			log_info("%s: relay: name %s lost: its lease ran out",
			    r->svc->conf->name, cl->name);
			memset(&q, 0, sizeof(q));
			q.conn = cl->conn;
			q.op = SB_RELAY_CLAIM;
			memset(&rep, 0, sizeof(rep));
			rep.lost = true;
			rep.name = name = cl->name;
			free(cl->lc);
			cl->name = cl->lc = NULL;
			cl->held = false;
			relay_reply(&q, &rep);
			free(name);
		}
	}
}

/* The stream is synced: claim again what is not held. */
void
relay_names_synced(struct relay *r)
{
	struct relay_claim	*cl;

	TAILQ_FOREACH(cl, &r->claims, entry) {
		if (!cl->held && cl->name != NULL)
			relay_claim_send(r, cl, cl->name, true);
	}
	relay_names_lease(r);
}

/*
 * The relay is down: every question in flight is answered down, and no
 * name is held for sure until claimed again.
 */
void
relay_names_down(struct relay *r)
{
	struct relay_claim	*cl;
	struct relay_req	*q;
	struct sb_relay_reply	 rep;

	event_del(r->lease_ev);
	TAILQ_FOREACH(cl, &r->claims, entry)
		cl->held = false;
	while ((q = TAILQ_FIRST(&r->reqs)) != NULL) {
		memset(&rep, 0, sizeof(rep));
		rep.down = true;
		rep.name = q->name;
		rep.data = q->data;
		rep.len = q->len;
		relay_reply(q, &rep);
		relay_req_free(r, q);
	}
}

/* A client has gone: forget its claim, and answer it nothing more. */
void
relay_conn_gone(struct sb_conn *c)
{
	struct relay		*r = c->svc->relay;
	struct relay_claim	*cl;
	struct relay_req	*q;

	if (r == NULL)
		return;
	if ((cl = relay_claim_of(r, c, false)) != NULL)
		relay_claim_free(r, cl);
	TAILQ_FOREACH(q, &r->reqs, entry) {
		if (q->conn == c)
			q->conn = NULL;
	}
}

/* Free the names' state. */
void
relay_names_free(struct relay *r)
{
	struct relay_claim	*cl;
	struct relay_req	*q;

	while ((cl = TAILQ_FIRST(&r->claims)) != NULL)
		relay_claim_free(r, cl);
	while ((q = TAILQ_FIRST(&r->reqs)) != NULL)
		relay_req_free(r, q);
	event_free(r->lease_ev);
	free(r->names_key);
}

/*
 * switchboard: the relay's connections and state, and the handler's
 * sb_relay_* calls (see relay.h for the design).
 *
 * A relay is CONNECTING until its first sync with the stream, UP while
 * it reads the stream, and DOWN (announced to the handler, which tells
 * its members) from the first failure until a sync succeeds again. Every
 * failure, wherever it is noticed, goes through relay_fail, which drops
 * both connections from the event loop (never from inside a hiredis
 * callback), hands back the lines of ours that never came back from the
 * stream, and retries with backoff.
 */
#include <sys/queue.h>
#include <sys/random.h>

#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include <switchboard/handler.h>

#include "conf.h"
#include "log.h"
#include "plugin.h"
#include "relay_int.h"
#include "server.h"
#include "service.h"
#include "xmalloc.h"

static void	relay_connect(struct relay *);
static void	relay_link_open(struct relay *, struct relay_link *);
static void	relay_link_drop(struct relay_link *);
static void	relay_connect_cb(const redisAsyncContext *, int);
static void	relay_disconnect_cb(const redisAsyncContext *, int);
static void	relay_auth_cb(redisAsyncContext *, void *, void *);
static void	relay_fail_cb(evutil_socket_t, short, void *);
static void	relay_retry_cb(evutil_socket_t, short, void *);
static void	relay_tick_cb(evutil_socket_t, short, void *);
static void	relay_lost(struct relay *);
static void	relay_event(struct relay *, enum sb_relay_event);
static int	relay_split_addr(const char *, char *, size_t, int *);
static char	*relay_format(int, const char **, const size_t *, size_t *);
static struct relay *relay_new(struct sb_service *,
		    const struct sb_relay_conf *);
static void	relay_retarget(struct relay *, const struct sb_relay_conf *);

/* The state's name, for STATUS= and the logs. */
const char *
relay_state_name(enum relay_state state)
{
	switch (state) {
	case RELAY_CONNECTING:
		return ("connecting");
	case RELAY_UP:
		return ("up");
	case RELAY_DOWN:
		return ("reconnecting");
	}
	return ("?");
}

/*
 * Split "IP:PORT", "[IPv6]:PORT" into ip and port; "unix:/path" gives the
 * path and port -1. Returns 0, or -1 if it is neither.
 */
static int
relay_split_addr(const char *addr, char *ip, size_t size, int *port)
{
	struct in6_addr	 a6;
	const char	*colon, *start, *end;
	char		*ep;
	long		 p;

	if (strncmp(addr, "unix:", 5) == 0) {
		if (addr[5] != '/' || strlen(addr + 5) >= size)
			return (-1);
		snprintf(ip, size, "%s", addr + 5);
		*port = -1;
		return (0);
	}
	if ((colon = strrchr(addr, ':')) == NULL)
		return (-1);
	start = addr;
	end = colon;
	if (*addr == '[') {
		if (colon == addr || colon[-1] != ']')
			return (-1);
		start = addr + 1;
		end = colon - 1;
	}
	if (end <= start || (size_t)(end - start) >= size)
		return (-1);
	memcpy(ip, start, (size_t)(end - start));
	ip[end - start] = '\0';
	if (inet_pton(*addr == '[' ? AF_INET6 : AF_INET, ip, &a6) != 1)
		return (-1);
	p = strtol(colon + 1, &ep, 10);
	if (colon[1] == '\0' || *ep != '\0' || p < 1 || p > 65535)
		return (-1);
	*port = (int)p;
	return (0);
}

/* Is this an address the relay takes? NULL if so, else why not. */
const char *
sb_relay_check(const char *addr)
{
	char	ip[256];
	int	port;

	if (relay_split_addr(addr, ip, sizeof(ip), &port) == -1)
		return ("relay must be an IP address and port (\"127.0.0.1:"
		    "6379\", \"[::1]:6379\") or \"unix:/path\": not a host "
		    "name, which would need a blocking lookup");
	return (NULL);
}

/*
 * The ACL user rc names, or "". The field came with ABI 1.2: a handler
 * built against 1.1 passes a struct without it, which is not read.
 */
static const char *
relay_conf_user(const struct sb_service *svc, const struct sb_relay_conf *rc)
{
	if (plugin_abi_minor(svc->conf->handler) < 2 || rc->user == NULL)
		return ("");
	return (rc->user);
}

/* 16 random hex digits (a relay's id, a room's epoch) in buf. */
void
relay_random_hex(char *buf, size_t size)
{
	static uint64_t	n;
	uint8_t		rnd[8];
	uint64_t	x;
	size_t		i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		x = now_ms() ^ ((uint64_t)getpid() << 32) ^
		    (uint64_t)time(NULL) ^ (++n << 48);
		memcpy(rnd, &x, sizeof(rnd));
	}
	for (i = 0; i < sizeof(rnd) && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", rnd[i]);
}

/* A new relay for the service, not yet connected. */
static struct relay *
relay_new(struct sb_service *svc, const struct sb_relay_conf *rc)
{
	struct relay	*r;

	r = xcalloc(1, sizeof(*r));
	r->svc = svc;
	r->base = svc->srv->base;
	r->addr = xstrdup(rc->addr);
	r->prefix = xstrdup(rc->prefix != NULL ? rc->prefix : "");
	r->room = xstrdup(rc->room);
	r->password = xstrdup(rc->password != NULL ? rc->password : "");
	r->user = xstrdup(relay_conf_user(svc, rc));
	xasprintf(&r->key, "%s%s", r->prefix, r->room);
	xasprintf(&r->epoch_key, "%s:epoch", r->key);
	TAILQ_INIT(&r->lines);
	relay_names_init(r);
	relay_random_hex(r->origin, sizeof(r->origin));
	r->next_seq = 1;
	r->cmd.r = r->rd.r = r;
	r->cmd.name = "command";
	r->rd.name = "reader";
	r->tick = event_new(r->base, -1, EV_PERSIST, relay_tick_cb, r);
	r->retry = evtimer_new(r->base, relay_retry_cb, r);
	r->fail_ev = event_new(r->base, -1, 0, relay_fail_cb, r);
	if (r->tick == NULL || r->retry == NULL || r->fail_ev == NULL)
		fatalx("relay: cannot make events");
	r->st.state = RELAY_CONNECTING;
	r->backoff_ms = RELAY_BACKOFF_MIN_MS;
	return (r);
}

/*
 * A reload gave the relay another address, user or password for the
 * same room. A new user and password are sent from the next connection
 * on. A new
 * address is connected to at once, as after an outage (relay_fail): the
 * members are told the relay was lost and is back, lines of ours not
 * confirmed are delivered here, names are claimed again, and a Redis
 * that does not hold the room as the old one did is a gap announced.
 */
static void
relay_retarget(struct relay *r, const struct sb_relay_conf *rc)
{
	const char	*password = rc->password != NULL ? rc->password : "";
	const char	*user = relay_conf_user(r->svc, rc);

	if (strcmp(r->password, password) != 0 || strcmp(r->user, user) != 0) {
		free(r->password);
		r->password = xstrdup(password);
		free(r->user);
		r->user = xstrdup(user);
		log_info("%s: relay: new user or password, sent from the next "
		    "connection on", r->svc->conf->name);
	}
	if (strcmp(r->addr, rc->addr) == 0)
		return;
	log_notice("%s: relay: moving from %s to %s", r->svc->conf->name,
	    r->addr, rc->addr);
	free(r->addr);
	r->addr = xstrdup(rc->addr);
	r->backoff_ms = RELAY_BACKOFF_MIN_MS;
	if (r->cmd.ac != NULL || r->rd.ac != NULL)
		relay_fail(r, "moved to %s by a reload", r->addr);
	else
		evtimer_del(r->retry);	/* the caller connects now */
}

/*
 * Start the service's relay, or give it new settings. The room (room,
 * prefix) is fixed for its life: members and questions in flight belong
 * to it, so a reload that changes it, or removes the relay, keeps the
 * running relay and says so. A new address, user or password is taken
 * (see relay_retarget).
 */
void
sb_relay_start(struct sb_service *svc, const struct sb_relay_conf *rc)
{
	struct relay	*r = svc->relay;
	struct timeval	 tv;

	if (r != NULL && (rc == NULL || rc->addr == NULL ||
	    *rc->addr == '\0' || strcmp(r->room, rc->room) != 0 ||
	    strcmp(r->prefix, rc->prefix != NULL ? rc->prefix : "") != 0)) {
		log_warnx("%s: relay: a new room or prefix, and removing the "
		    "relay, take effect only at restart; still %s, room %s",
		    svc->conf->name, r->addr, r->key);
		return;
	}
	if (rc == NULL || rc->addr == NULL || *rc->addr == '\0')
		return;
	if (r == NULL)
		r = svc->relay = relay_new(svc, rc);
	r->max_queue = rc->max_queue;
	r->timeout_ms = rc->timeout_ms > 0 ? rc->timeout_ms : 1;
	r->history = rc->history;
	r->keep = rc->keep > 0 ? rc->keep : 1;
	r->rd.grace_ms = r->timeout_ms;
	r->lease_ms = rc->lease_ms > 0 ? rc->lease_ms : 1;
	relay_retarget(r, rc);
	if (r->synced)
		relay_names_lease(r);
	tv.tv_sec = 0;
	tv.tv_usec = (r->timeout_ms < 400 ? r->timeout_ms / 4 + 1 : 100) *
	    1000;
	event_add(r->tick, &tv);
	if (r->cmd.ac == NULL && !event_pending(r->retry, EV_TIMEOUT, NULL))
		relay_connect(r);
}

/*
 * Open one connection; failures go through relay_fail. A password is sent
 * with AUTH, for the user named (an ACL user, Redis 6+) or else for the
 * default user.
 */
static void
relay_link_open(struct relay *r, struct relay_link *l)
{
	const char	*argv[3] = { "AUTH", r->user, r->password };
	char		 ip[256];
	int		 port, argc = 3;
	redisAsyncContext *ac;

	l->connected = false;
	l->pending = 0;
	l->since = now_ms();
	if (relay_split_addr(r->addr, ip, sizeof(ip), &port) == -1) {
		relay_fail(r, "bad address %s", r->addr);
		return;
	}
	ac = port == -1 ? redisAsyncConnectUnix(ip) :
	    redisAsyncConnect(ip, port);
	if (ac == NULL)
		fatalx("relay: out of memory");
	if (ac->err != 0) {
		relay_fail(r, "cannot connect to %s: %s", r->addr,
		    ac->errstr);
		redisAsyncFree(ac);
		return;
	}
	ac->data = l;
	l->ac = ac;
	if (redisLibeventAttach(ac, r->base) != REDIS_OK) {
		relay_fail(r, "cannot watch the connection to %s", r->addr);
		return;
	}
	redisAsyncSetConnectCallback(ac, relay_connect_cb);
	redisAsyncSetDisconnectCallback(ac, relay_disconnect_cb);
	if (*r->user == '\0') {
		argv[1] = r->password;
		argc = 2;
	}
	if (*r->password != '\0')
		relay_cmd(l, relay_auth_cb, r, argc, argv, NULL);
}

/* Connect both links and sync with the stream. */
static void
relay_connect(struct relay *r)
{
	r->failing = false;
	r->synced = false;
	log_debug("%s: relay: connecting to %s", r->svc->conf->name,
	    r->addr);
	relay_link_open(r, &r->cmd);
	if (!r->failing)
		relay_link_open(r, &r->rd);
	if (!r->failing)
		relay_stream_sync(r);
}

/* Forget a connection: its callbacks, NULL replies included, now ignore it. */
static void
relay_link_drop(struct relay_link *l)
{
	redisAsyncContext	*ac = l->ac;

	l->ac = NULL;
	l->connected = false;
	l->pending = 0;
	if (ac != NULL) {
		ac->data = NULL;
		redisAsyncFree(ac);
	}
}

/* A connection is made, or could not be. */
static void
relay_connect_cb(const redisAsyncContext *ac, int status)
{
	struct relay_link	*l = ac->data;

	if (l == NULL)
		return;
	if (status != REDIS_OK) {
		l->ac = NULL;		/* hiredis frees it */
		relay_fail(l->r, "cannot connect to %s: %s", l->r->addr,
		    ac->errstr);
		return;
	}
	l->connected = true;
	l->since = now_ms();
}

/* A connection closed: the server went, or an error. */
static void
relay_disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct relay_link	*l = ac->data;

	(void)status;
	if (l == NULL)
		return;
	l->ac = NULL;			/* hiredis frees it */
	relay_fail(l->r, "connection to %s lost: %s", l->r->addr,
	    ac->err != 0 ? ac->errstr : "closed by the server");
}

/* Put n in decimal at p; returns the end. */
char *
relay_decimal(char *p, size_t n)
{
	char	buf[24], *q = buf + sizeof(buf);

	do
		*--q = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	memcpy(p, q, (size_t)(buf + sizeof(buf) - q));
	return (p + (buf + sizeof(buf) - q));
}

/*
 * A command in Redis's protocol (an array of bulk strings), in new
 * memory: written here rather than by hiredis's printf-like formatter,
 * which costs several times more for every line relayed.
 */
static char *
relay_format(int argc, const char **argv, const size_t *argvlen,
    size_t *len)
{
	size_t	 i, n, total = 16;
	char	*cmd, *p;

	for (i = 0; i < (size_t)argc; i++)
		total += 32 + (argvlen != NULL ? argvlen[i] : strlen(argv[i]));
	p = cmd = xmalloc(total);
	*p++ = '*';
	p = relay_decimal(p, (size_t)argc);
	*p++ = '\r';
	*p++ = '\n';
	for (i = 0; i < (size_t)argc; i++) {
		n = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
		*p++ = '$';
		p = relay_decimal(p, n);
		*p++ = '\r';
		*p++ = '\n';
		memcpy(p, argv[i], n);
		p += n;
		*p++ = '\r';
		*p++ = '\n';
	}
	*len = (size_t)(p - cmd);
	return (cmd);
}

/*
 * Send a command on a link, counting the answer it owes; cb gets arg;
 * argvlen NULL means NUL-terminated arguments. Returns 0, or -1 if the link is gone.
 */
int
relay_cmd(struct relay_link *l, void (*cb)(redisAsyncContext *, void *,
    void *), void *arg, int argc, const char **argv, const size_t *argvlen)
{
	char	*cmd;
	size_t	 len;
	int	 rc;

	if (l->ac == NULL)
		return (-1);
	cmd = relay_format(argc, argv, argvlen, &len);
	rc = redisAsyncFormattedCommand(l->ac, cb, arg, cmd, len);
	free(cmd);
	if (rc != REDIS_OK) {
		relay_fail(l->r, "cannot send to %s", l->r->addr);
		return (-1);
	}
	if (l->pending++ == 0)
		l->since = now_ms();
	return (0);
}

/*
 * An answer arrived on ac: the link it counts on, or NULL if the link has
 * been dropped (or the reply is none: the connection is going, and its
 * own callbacks say why). An error reply fails the relay.
 */
struct relay_link *
relay_answered(redisAsyncContext *ac, void *reply)
{
	struct relay_link	*l = ac->data;
	redisReply		*rp = reply;

	if (l == NULL || rp == NULL || l->r->failing)
		return (NULL);
	if (l->pending > 0)
		l->pending--;
	l->since = now_ms();
	if (rp->type == REDIS_REPLY_ERROR) {
		relay_fail(l->r, "%s: %s", l->r->addr, rp->str);
		return (NULL);
	}
	return (l);
}

/* AUTH answered: an error has failed the relay already. */
static void
relay_auth_cb(redisAsyncContext *ac, void *reply, void *arg)
{
	(void)arg;
	relay_answered(ac, reply);
}

/*
 * Something failed: remember the first reason, and go down from the event
 * loop, outside any hiredis callback.
 */
void
relay_fail(struct relay *r, const char *fmt, ...)
{
	va_list	ap;

	if (r->failing)
		return;
	r->failing = true;
	va_start(ap, fmt);
	vsnprintf(r->st.error, sizeof(r->st.error), fmt, ap);
	va_end(ap);
	event_active(r->fail_ev, EV_TIMEOUT, 0);
}

/*
 * Go down: drop the connections, tell the handler the first time, hand
 * back the lines that never came back from the stream, and retry later.
 */
static void
relay_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay	*r = arg;
	struct timeval	 tv;

	(void)fd;
	(void)what;
	relay_link_drop(&r->cmd);
	relay_link_drop(&r->rd);
	r->synced = false;
	if (r->releasing > 0) {
		r->releasing = 0;
		relay_released(r);
	}
	if (r->st.state != RELAY_DOWN)
		relay_lost(r);
	else
		log_debug("%s: relay: still down: %s", r->svc->conf->name,
		    r->st.error);
	relay_names_down(r);
	/*
	 * Back to the shortest wait only after a while up: a Redis that
	 * fails right after each sync (full, or refusing a command) is
	 * retried ever more slowly, not ten times a second.
	 */
	if (r->up_since != 0 && now_ms() - r->up_since >= RELAY_STABLE_MS)
		r->backoff_ms = RELAY_BACKOFF_MIN_MS;
	r->up_since = 0;
	tv.tv_sec = r->backoff_ms / 1000;
	tv.tv_usec = (r->backoff_ms % 1000) * 1000;
	evtimer_add(r->retry, &tv);
	r->backoff_ms *= 2;
	if (r->backoff_ms > RELAY_BACKOFF_MAX_MS)
		r->backoff_ms = RELAY_BACKOFF_MAX_MS;
}

/* The relay is lost: say so once, and deliver our lines here. */
static void
relay_lost(struct relay *r)
{
	const struct sb_handler	*h = r->svc->conf->handler;
	struct relay_line	*rl;
	struct sb_relayed	 e;

	if (r->st.state == RELAY_UP)
		r->st.outages++;
	r->st.state = RELAY_DOWN;
	r->st.down_since = time(NULL);
	log_warnx("%s: relay unavailable: %s; members here still talk to "
	    "each other, retrying", r->svc->conf->name, r->st.error);
	relay_event(r, SB_RELAY_LOST);
	while ((rl = TAILQ_FIRST(&r->lines)) != NULL) {
		TAILQ_REMOVE(&r->lines, rl, entry);
		r->st.queued_bytes -= rl->len;
		r->local_upto = rl->seq;
		r->st.local++;
		memset(&e, 0, sizeof(e));
		e.data = rl->text + rl->off;
		e.len = rl->len;
		e.time_ms = (uint64_t)time(NULL) * 1000;
		e.mine = e.local = true;
		if (h->relayed != NULL && !r->svc->stopping)
			h->relayed(r->svc, &e);
		free(rl);
	}
}

/* Tell the handler. */
static void
relay_event(struct relay *r, enum sb_relay_event ev)
{
	const struct sb_handler	*h = r->svc->conf->handler;

	if (h->relay_event != NULL && !r->svc->stopping)
		h->relay_event(r->svc, ev);
}

/*
 * No release is unanswered any more (Redis took them, or the relay is
 * lost): a daemon stopping may be waiting for that.
 */
void
relay_released(struct relay *r)
{
	if (r->svc->stopping)
		server_stop_check(r->svc->srv);
}

/*
 * How long a stopping daemon waits for Redis to take the farewells (and
 * the released names) of the service's members: 0 if none is unanswered
 * or the relay is not up, else min(relay_timeout, RELAY_FAREWELL_MS).
 */
unsigned
relay_farewell_ms(const struct sb_service *svc)
{
	const struct relay	*r = svc->relay;

	if (r == NULL || r->releasing == 0 || r->failing ||
	    r->st.state != RELAY_UP)
		return (0);
	return (r->timeout_ms < RELAY_FAREWELL_MS ? r->timeout_ms :
	    RELAY_FAREWELL_MS);
}

/* Time to try again. */
static void
relay_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	relay_connect(arg);
}

/*
 * The stream is synced: the relay is up. After an outage, say whether
 * lines may have been missed (gap: why, or NULL), then that it is back;
 * send the lines queued meanwhile.
 */
void
relay_synced(struct relay *r, const char *gap)
{
	struct relay_line	*rl;
	enum relay_state	 was = r->st.state;

	r->synced = true;
	r->started = true;
	r->up_since = now_ms();
	r->st.state = RELAY_UP;
	r->st.down_since = 0;
	if (gap != NULL)
		r->st.gaps_announced++;
	else if (was == RELAY_DOWN)
		r->st.gaps_repaired++;
	if (was == RELAY_DOWN || gap)
		log_notice("%s: relay restored (%s)%s%s", r->svc->conf->name,
		    r->addr, gap ? "; lines may have been missed: " : "",
		    gap ? gap : "");
	else
		log_info("%s: relay connected to %s, room %s",
		    r->svc->conf->name, r->addr, r->key);
	if (gap != NULL)
		relay_event(r, SB_RELAY_GAP);
	if (was == RELAY_DOWN)
		relay_event(r, SB_RELAY_RESTORED);
	TAILQ_FOREACH(rl, &r->lines, entry) {
		if (!rl->sent)
			relay_stream_add(r, rl);
	}
	relay_names_synced(r);
	relay_stream_read(r);
}

/*
 * Lines may have been missed while the relay was up (why): the daemon
 * fell behind the stream's trimming. Say so, as after an outage.
 */
void
relay_gap(struct relay *r, const char *why)
{
	r->st.gaps_announced++;
	log_notice("%s: relay: lines may have been missed: %s",
	    r->svc->conf->name, why);
	relay_event(r, SB_RELAY_GAP);
}

/*
 * Watch for answers that do not come: a connection not made, or a
 * command unanswered, within the timeout (an XREAD has its block time
 * more) takes the relay down.
 */
static void
relay_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay		*r = arg;
	struct relay_link	*links[2] = { &r->cmd, &r->rd }, *l;
	uint64_t		 now = now_ms();
	size_t			 i;

	(void)fd;
	(void)what;
	if (r->failing)
		return;
	for (i = 0; i < 2; i++) {
		l = links[i];
		if (l->ac == NULL)
			continue;
		if (!l->connected && now - l->since > r->timeout_ms) {
			relay_fail(r, "cannot connect to %s: no answer within "
			    "%u ms", r->addr, r->timeout_ms);
			return;
		}
		if (l->connected && l->pending > 0 && now - l->since >
		    r->timeout_ms + (l == &r->rd ? l->grace_ms : 0)) {
			relay_fail(r, "%s: no answer within %u ms on the "
			    "%s connection", r->addr, r->timeout_ms, l->name);
			return;
		}
	}
}

/* Append a line to the room, or say why not. */
enum sb_relay_sent
sb_relay_send(struct sb_service *svc, const void *data, size_t len)
{
	struct relay		*r = svc->relay;
	struct relay_line	*rl;

	if (r == NULL || r->st.state == RELAY_DOWN)
		return (SB_RELAY_DOWN);
	if (r->st.queued_bytes + len > r->max_queue) {
		r->st.refused++;
		return (SB_RELAY_FULL);
	}
	rl = relay_line_new(r, data, len);
	if (r->synced)
		relay_stream_add(r, rl);
	return (SB_RELAY_QUEUED);
}

/*
 * A line of ours, numbered, waiting to come back from the stream: its
 * entry's field made once, "ORIGIN SEQ DATA".
 */
struct relay_line *
relay_line_new(struct relay *r, const void *data, size_t len)
{
	struct relay_line	*rl;
	char			*p;

	rl = xmalloc(sizeof(*rl) + sizeof(r->origin) + 24 + len);
	rl->seq = r->next_seq++;
	rl->sent = false;
	p = stpcpy(rl->text, r->origin);
	*p++ = ' ';
	p = relay_decimal(p, (size_t)rl->seq);
	*p++ = ' ';
	rl->off = (size_t)(p - rl->text);
	rl->len = len;
	memcpy(p, data, len);
	TAILQ_INSERT_TAIL(&r->lines, rl, entry);
	r->st.queued_bytes += len;
	return (rl);
}

/* A line of ours that Redis did not take (a script said no). */
void
relay_line_drop(struct relay *r, uint64_t seq)
{
	struct relay_line	*rl;

	TAILQ_FOREACH(rl, &r->lines, entry) {
		if (rl->seq == seq) {
			TAILQ_REMOVE(&r->lines, rl, entry);
			r->st.queued_bytes -= rl->len;
			free(rl);
			return;
		}
	}
}

/* Are lines only for this daemon's members now? */
bool
sb_relay_lost(struct sb_service *svc)
{
	return (svc->relay == NULL || svc->relay->st.state == RELAY_DOWN);
}

/* The service's relay figures, or NULL if it has none. */
const struct relay_stats *
relay_stats(const struct sb_service *svc)
{
	return (svc->relay != NULL ? &svc->relay->st : NULL);
}

/*
 * The relay's state for STATUS=: " NAME relay up, N relayed, ..." in buf;
 * returns its length (0 for a service without relay).
 */
size_t
relay_status(const struct sb_service *svc, char *buf, size_t size)
{
	const struct relay_stats	*st = relay_stats(svc);
	struct tm			 tm;
	char				 since[32] = "";
	int				 n;

	if (st == NULL || size == 0)
		return (0);
	if (st->down_since != 0 && gmtime_r(&st->down_since, &tm) != NULL)
		strftime(since, sizeof(since), " since %H:%M:%SZ", &tm);
	n = snprintf(buf, size, " %s relay %s%s, %llu relayed, %llu gap%s "
	    "repaired, %llu announced;", svc->conf->name,
	    relay_state_name(st->state), since,
	    (unsigned long long)st->relayed,
	    (unsigned long long)st->gaps_repaired,
	    st->gaps_repaired == 1 ? "" : "s",
	    (unsigned long long)st->gaps_announced);
	if (n < 0)
		return (0);
	return ((size_t)n >= size ? size - 1 : (size_t)n);
}

/* Close and free a relay; no hook is called. */
void
relay_free(struct relay *r)
{
	struct relay_line	*rl;

	if (r == NULL)
		return;
	relay_link_drop(&r->cmd);
	relay_link_drop(&r->rd);
	relay_names_free(r);
	while ((rl = TAILQ_FIRST(&r->lines)) != NULL) {
		TAILQ_REMOVE(&r->lines, rl, entry);
		free(rl);
	}
	event_free(r->tick);
	event_free(r->retry);
	event_free(r->fail_ev);
	if (r->svc->relay == r)
		r->svc->relay = NULL;
	free(r->addr);
	free(r->prefix);
	free(r->room);
	free(r->password);
	free(r->user);
	free(r->key);
	free(r->epoch_key);
	free(r);
}

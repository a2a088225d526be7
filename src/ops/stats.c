/*
 * switchboard: the daemon's counters as "key=value" fields separated by
 * spaces. A value never holds a space: every byte that is not printable
 * ASCII, and space, backslash and comma (which separates list items),
 * becomes \xNN, so a line splits on spaces and each field at its first
 * "=". switchboardctl reads these fields back into tables and JSON.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "conf.h"
#include "listener.h"
#include "relay.h"
#include "server.h"
#include "service.h"
#include "stats.h"

static void	stats_relay(struct evbuffer *, const struct sb_service *);

/*
 * The limit fields, in the order written: "refused_" for the limits that
 * turn a connection (or a datagram) away at the door, then "limit_" for
 * those met later; each named by service_limit_key.
 */
static const struct {
	enum service_limit	 what;
	const char		*prefix;
} stats_limits[LIMIT_COUNT] = {
	{ LIMIT_DENIED, "refused_" },
	{ LIMIT_MAX_CONNECTIONS, "refused_" },
	{ LIMIT_MAX_PER_IP, "refused_" },
	{ LIMIT_ACCEPT_RATE, "refused_" },
	{ LIMIT_MAX_CLIENTS, "refused_" },
	{ LIMIT_LINE_TOO_LONG, "limit_" },
	{ LIMIT_SLOW_CONSUMER, "limit_" },
	{ LIMIT_IDLE_TIMEOUT, "limit_" },
	{ LIMIT_LINE_TIMEOUT, "limit_" },
	{ LIMIT_SEND_TIMEOUT, "limit_" },
	{ LIMIT_RATE, "limit_" },
	{ LIMIT_UDP_SOURCE_PORT, "refused_" },
	{ LIMIT_UDP_RATE, "refused_" },
	{ LIMIT_UDP_MAX_REQUEST, "refused_" },
	{ LIMIT_UDP_MAX_REPLY, "limit_" },
	{ LIMIT_UDP_MAX_AMPLIFICATION, "limit_" },
};

/* Append s as a field value, escaped so that it holds no space. */
void
stats_value(struct evbuffer *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;

	while (*p != '\0') {
		for (n = 0; p[n] > 0x20 && p[n] < 0x7f && p[n] != '\\' &&
		    p[n] != ','; n++)
			;
		evbuffer_add(b, p, n);
		p += n;
		if (*p == '\0')
			break;
		evbuffer_add_printf(b, "\\x%02x", *p++);
	}
}

/*
 * One service: its name, handler, state ("stopping": removed by a reload
 * or shutting down, finishing its clients), listeners (a comma-separated
 * list), clients now and what it has counted; and, for a service with a
 * relay, the relay's state and figures (relay.h).
 */
void
stats_service(struct evbuffer *b, const struct sb_service *svc)
{
	const struct service_counters	*n = &svc->count;
	size_t				 i;

	EVBUFFER_ADD_STR(b, "name=");
	stats_value(b, svc->conf->name);
	EVBUFFER_ADD_STR(b, " handler=");
	stats_value(b, svc->conf->handler->name);
	evbuffer_add_printf(b, " state=%s listeners=", svc->stopping ?
	    "stopping" : "running");
	for (i = 0; i < svc->nlisteners; i++) {
		if (i > 0)
			EVBUFFER_ADD_STR(b, ",");
		/* As the log and STATUS= name them: "tls:" for TLS. */
		if (svc->listeners[i]->addr != NULL &&
		    svc->listeners[i]->addr->tls)
			EVBUFFER_ADD_STR(b, "tls:");
		stats_value(b, svc->listeners[i]->bound);
	}
	evbuffer_add_printf(b, " connections=%zu accepted=%llu", svc->nconns,
	    (unsigned long long)n->accepted);
	for (i = 0; i < LIMIT_COUNT; i++)
		evbuffer_add_printf(b, " %s%s=%llu", stats_limits[i].prefix,
		    service_limit_key(stats_limits[i].what),
		    (unsigned long long)n->limits[stats_limits[i].what]);
	evbuffer_add_printf(b, " lines_in=%llu lines_out=%llu bytes_in=%llu "
	    "bytes_out=%llu datagrams=%llu", (unsigned long long)n->lines_in,
	    (unsigned long long)n->lines_out, (unsigned long long)n->bytes_in,
	    (unsigned long long)n->bytes_out,
	    (unsigned long long)n->datagrams);
	stats_relay(b, svc);
}

/*
 * The service's relay, if it has one: its state (up, connecting,
 * reconnecting), since when it is down (Unix time, 0 while up), what it
 * has relayed, and why it is down.
 */
static void
stats_relay(struct evbuffer *b, const struct sb_service *svc)
{
	const struct relay_stats	*st = relay_stats(svc);

	if (st == NULL)
		return;
	evbuffer_add_printf(b, " relay=%s relay_down_since=%lld "
	    "relay_relayed=%llu relay_delivered=%llu relay_kept_local=%llu "
	    "relay_refused=%llu relay_outages=%llu relay_gaps_repaired=%llu "
	    "relay_gaps_announced=%llu relay_queued_bytes=%zu "
	    "relay_oversize=%llu",
	    relay_state_name(st->state), (long long)st->down_since,
	    (unsigned long long)st->relayed, (unsigned long long)st->delivered,
	    (unsigned long long)st->local, (unsigned long long)st->refused,
	    (unsigned long long)st->outages,
	    (unsigned long long)st->gaps_repaired,
	    (unsigned long long)st->gaps_announced, st->queued_bytes,
	    (unsigned long long)st->oversize);
	if (st->state != RELAY_UP && *st->error != '\0') {
		EVBUFFER_ADD_STR(b, " relay_error=");
		stats_value(b, st->error);
	}
}

/*
 * The daemon: version, pid, seconds up, the configuration's generation
 * and reloads, services and clients now.
 */
void
stats_daemon(struct evbuffer *b, const struct server *srv)
{
	const struct sb_service	*svc;
	size_t			 n = 0;
	time_t			 now = time(NULL);

	TAILQ_FOREACH(svc, &srv->services, entry)
		n++;
	evbuffer_add_printf(b, "version=%s pid=%ld uptime=%lld generation=%u "
	    "reloads_ok=%llu reloads_failed=%llu last_reload=%lld "
	    "services=%zu connections=%zu", PACKAGE_VERSION, (long)getpid(),
	    (long long)(now > srv->start_time ? now - srv->start_time : 0),
	    srv->generation, (unsigned long long)srv->reloads_ok,
	    (unsigned long long)srv->reloads_failed,
	    (long long)srv->reload_time, n, srv->nconns);
}

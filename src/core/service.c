/*
 * switchboard: services. A service accepts clients on its listeners
 * within the daemon's max_connections; when it stops (shutdown, or removed
 * by a reload) it finishes its clients before the handler's stop hook
 * frees the service-level data.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "acl.h"
#include "conf.h"
#include "conn.h"
#include <switchboard/handler.h>
#include "listen_addr.h"
#include "listener.h"
#include "log.h"
#include "relay.h"
#include "server.h"
#include "service.h"
#include "stats.h"
#include "timer.h"
#include "xmalloc.h"

static void	service_refuse(int, const char *, int);
static void	service_log_limits(struct sb_service *);
static void	*service_admit(struct sb_service *, int,
		    const struct sockaddr *, socklen_t, int);
static size_t	 service_format_limits(const struct sb_service *, char *,
		    size_t);

/* Make a service for one configured entry; nothing is bound or started. */
struct sb_service *
service_new(struct server *srv, struct conf *gen,
    const struct conf_service *conf)
{
	struct sb_service	*svc;

	svc = xcalloc(1, sizeof(*svc));
	svc->srv = srv;
	svc->gen = conf_ref(gen);
	svc->conf = conf;
	TAILQ_INIT(&svc->conns);
	LIST_INIT(&svc->timers);
	iptable_init(&svc->ips);
	svc->log_budget = SERVICE_LOG_BUDGET;
	return (svc);
}

/* Run the handler's start hook. Returns 0 or a sysexits code. */
int
service_start(struct sb_service *svc)
{
	const struct sb_handler	*h = svc->conf->handler;

	if (h->start != NULL && h->start(svc) == -1)
		return (EX_SOFTWARE);	/* the caller says so */
	svc->started = true;
	return (0);
}

/*
 * The service now listens on exactly these sockets (a generation moved
 * them here, already pointed at it), and owns the array; the ones it had
 * are someone else's now.
 */
void
service_set_listeners(struct sb_service *svc, struct listener **ls, size_t n)
{
	free(svc->listeners);
	svc->listeners = ls;
	svc->nlisteners = n;
}

/*
 * A reload kept this service: it now runs on the new config, and the
 * handler's reconfigure hook sees the old blob before it is freed.
 */
void
service_set_conf(struct sb_service *svc, struct conf *gen,
    const struct conf_service *conf)
{
	struct conf			*old_gen = svc->gen;
	const struct conf_service	*old = svc->conf;

	svc->gen = conf_ref(gen);
	svc->conf = conf;
	if (svc->started && conf->handler->reconfigure != NULL)
		conf->handler->reconfigure(svc, old->hconf);
	conf_free(old_gen);
}

/* Monotonic milliseconds. */
uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/*
 * A client's address as log lines give it: an IPv4 client of a dual-stack
 * socket is written as IPv4 (192.0.2.7:51234), as its connection's lines
 * and the access lists have it.
 */
void
service_peer_text(const struct sockaddr *sa, socklen_t salen, int family,
    const uint8_t *addr, char *buf, size_t size)
{
	struct sockaddr_in	sin;

	if (family != AF_INET || sa->sa_family != AF_INET6) {
		listen_addr_format(sa, salen, buf, size);
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = ((const struct sockaddr_in6 *)sa)->sin6_port;
	memcpy(&sin.sin_addr, addr, 4);
	listen_addr_format((struct sockaddr *)&sin, sizeof(sin), buf, size);
}

/*
 * Tell a refused client which limit it hit, in one line, and close it. A
 * client of a tls: listener expects a handshake, to which a plain line
 * is only garbage: it is just closed.
 */
static void
service_refuse(int fd, const char *line, int tls)
{
	ssize_t	n;

	/* A fresh socket's send buffer takes one short line. */
	if (!tls) {
		n = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)n;
	}
	close(fd);
}

/*
 * May this peer connect now? Checks allow/deny, the per-address accept
 * rate, max_connections and max_per_ip, in that order. On refusal the
 * client has been told (a denied one is not) and closed; returns NULL.
 * Otherwise returns the peer's entry in the address table when per-address
 * limits are on (its connection is to be counted), or svc itself.
 */
static void *
service_admit(struct sb_service *svc, int fd, const struct sockaddr *sa,
    socklen_t salen, int tls)
{
	const struct conf_limits	*lim = &svc->conf->limits;
	const struct conf_access	*acc = &svc->conf->access;
	const struct acl_entry		*deny = NULL;
	struct server			*srv = svc->srv;
	struct ipentry			*e = NULL;
	char				 peer[LISTEN_ADDR_TEXT], line[128];
	char				 entry[ACL_TEXT];
	uint8_t				 addr[16];
	int				 family;
	double				 rate;

	acl_peer(sa, &family, addr);
	service_peer_text(sa, salen, family, addr, peer, sizeof(peer));
	if (family != AF_UNSPEC && acc->allow.n > 0 &&
	    !acl_match(&acc->allow, family, addr)) {
		service_limit(svc, LIMIT_DENIED, peer, "not allowed to connect "
		    "(not in allow)");
		close(fd);
		return (NULL);
	}
	if (family != AF_UNSPEC &&
	    (deny = acl_find(&acc->deny, family, addr)) != NULL) {
		service_limit(svc, LIMIT_DENIED, peer, "not allowed to connect "
		    "(deny %s)", acl_format(deny, entry, sizeof(entry)));
		close(fd);
		return (NULL);
	}
	if (family != AF_UNSPEC &&
	    (lim->max_per_ip > 0 || lim->max_accept_rate > 0)) {
		e = iptable_get(&svc->ips, family, addr);
		rate = (double)lim->max_accept_rate;
		if (rate > 0 && !iptable_take_token(e, rate, rate, now_ms())) {
			service_limit(svc, LIMIT_ACCEPT_RATE, peer, "over %lld "
			    "new connections per second", lim->max_accept_rate);
			snprintf(line, sizeof(line), "error: too many new "
			    "connections from your address (max_accept_rate "
			    "%lld per second)\r\n", lim->max_accept_rate);
			service_refuse(fd, line, tls);
			return (NULL);
		}
	}
	if (srv->nconns >= (size_t)srv->conf->max_connections) {
		service_limit(svc, LIMIT_MAX_CONNECTIONS, peer, "max_connections "
		    "(%lld) reached", srv->conf->max_connections);
		snprintf(line, sizeof(line), "error: too many connections "
		    "(max_connections %lld)\r\n", srv->conf->max_connections);
		service_refuse(fd, line, tls);
		return (NULL);
	}
	if (e != NULL && lim->max_per_ip > 0 &&
	    e->conns >= (uint64_t)lim->max_per_ip) {
		service_limit(svc, LIMIT_MAX_PER_IP, peer, "already %u "
		    "connections from this address", e->conns);
		snprintf(line, sizeof(line), "error: too many connections from "
		    "your address (max_per_ip %lld)\r\n", lim->max_per_ip);
		service_refuse(fd, line, tls);
		return (NULL);
	}
	return (e != NULL ? (void *)e : (void *)svc);
}

/* A client arrived on one of the service's listeners, a tls: one if tls. */
void
service_accept(void *arg, int fd, const struct sockaddr *sa, socklen_t len,
    int tls)
{
	struct sb_service	*svc = arg;
	struct sb_conn		*c;
	void			*admitted;

	if (svc->srv->stopping || svc->stopping) {
		close(fd);
		return;
	}
	if ((admitted = service_admit(svc, fd, sa, len, tls)) == NULL)
		return;
	c = conn_accept(svc, fd, sa, tls ? svc->conf->tls_ctx : NULL);
	if (c != NULL && admitted != svc) {
		((struct ipentry *)admitted)->conns++;
		c->ip_counted = 1;
	}
}

/* A new connection joins the service. */
void
service_attach(struct sb_service *svc, struct sb_conn *c)
{
	TAILQ_INSERT_TAIL(&svc->conns, c, entry);
	svc->nconns++;
	svc->count.accepted++;
	svc->srv->nconns++;
}

/* A connection leaves the service (it is being freed). */
void
service_detach(struct sb_service *svc, struct sb_conn *c)
{
	struct ipentry	*e;

	TAILQ_REMOVE(&svc->conns, c, entry);
	svc->nconns--;
	svc->srv->nconns--;
	if (c->ip_counted) {
		e = iptable_get(&svc->ips, c->peer_family, c->peer_addr);
		if (e->conns > 0)
			e->conns--;
	}
}

static const char *const service_limit_names[LIMIT_COUNT] = {
	"allow/deny", "max_connections", "max_per_ip", "max_accept_rate",
	"max_line", "max_output", "idle_timeout", "line_timeout",
	"send_timeout", "max_clients", "rate", "udp_max_request",
	"udp_max_reply", "udp_max_amplification", "udp_rate",
	"udp_source_port"
};

/* The limit's name as the config and the logs spell it. */
const char *
service_limit_name(enum service_limit what)
{
	return (service_limit_names[what]);
}

/*
 * The limit's name in the operator's keys and labels (stats fields,
 * metrics): the config key's, and "acl" for allow/deny.
 */
const char *
service_limit_key(enum service_limit what)
{
	return (what == LIMIT_DENIED ? "acl" : service_limit_names[what]);
}

/*
 * A limit fired: count it, and log it with the service and the peer
 * unless this second's log budget is spent.
 */
void
service_limit(struct sb_service *svc, enum service_limit what,
    const char *peer, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	svc->count.limits[what]++;
	if (svc->log_budget == 0) {
		svc->log_suppressed++;
		return;
	}
	svc->log_budget--;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_notice("%s[%s]: limit %s: %s", svc->conf->name, peer,
	    service_limit_names[what], msg);
}

/*
 * Once a second: renew the log budget, forget addresses whose budgets
 * have refilled (the accept budget's in a second, the datagram budget's
 * in udp_burst / udp_rate seconds).
 */
void
service_tick(struct sb_service *svc, uint64_t now)
{
	const struct conf_limits	*lim = &svc->conf->limits;
	double				 refill = 1.0;

	if (lim->udp_rate > 0 &&
	    (double)lim->udp_burst / (double)lim->udp_rate > refill)
		refill = (double)lim->udp_burst / (double)lim->udp_rate;
	if (svc->log_suppressed > 0)
		log_notice("%s: %llu more limit events not logged",
		    svc->conf->name, (unsigned long long)svc->log_suppressed);
	svc->log_suppressed = 0;
	svc->log_budget = SERVICE_LOG_BUDGET;
	iptable_sweep(&svc->ips, refill, now);
}

/* How many limit events the service has seen. */
uint64_t
service_limits_total(const struct sb_service *svc)
{
	uint64_t	n = 0;
	int		i;

	for (i = 0; i < LIMIT_COUNT; i++)
		n += svc->count.limits[i];
	return (n);
}

/*
 * Write the limits that fired, as "max_line 2, max_output 1", into buf.
 * Returns how many bytes were written (0 if none fired).
 */
static size_t
service_format_limits(const struct sb_service *svc, char *buf, size_t size)
{
	size_t	off = 0;
	int	i;

	buf[0] = '\0';
	for (i = 0; i < LIMIT_COUNT && off < size; i++) {
		if (svc->count.limits[i] == 0)
			continue;
		off += (size_t)snprintf(buf + off, size - off, "%s%s %llu",
		    off ? ", " : "", service_limit_names[i],
		    (unsigned long long)svc->count.limits[i]);
	}
	return (off);
}

/* Log the service's limit counters, if any fired. */
static void
service_log_limits(struct sb_service *svc)
{
	char	buf[512];

	if (service_format_limits(svc, buf, sizeof(buf)) > 0)
		log_info("%s: limits fired: %s", svc->conf->name, buf);
}

/*
 * Log one line with what the service has counted (for SIGUSR1): the
 * fields of its line in the control socket's "stats" answer (a removed
 * service finishing its clients says state=stopping).
 */
void
service_log_stats(struct sb_service *svc)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL)
		return;
	stats_service(b, svc);
	evbuffer_add(b, "", 1);
	log_notice("%s: stats: %s", svc->conf->name,
	    (const char *)evbuffer_pullup(b, -1));
	evbuffer_free(b);
}

/*
 * Stop accepting and finish every client, for the reason given; they
 * flush, then go. The service is freed once the last one has gone.
 */
void
service_shutdown(struct sb_service *svc, const char *reason)
{
	struct sb_conn	*c;
	size_t		 i;

	svc->stopping = true;
	svc->stop_reason = reason;
	for (i = 0; i < svc->nlisteners; i++)
		listener_free(svc->listeners[i]);
	svc->nlisteners = 0;
	TAILQ_FOREACH(c, &svc->conns, entry)
		conn_shutdown(c, reason);
}

/* Free a service: any clients left are closed now, then the stop hook. */
void
service_free(struct sb_service *svc)
{
	struct sb_conn	*c;
	size_t		 i;

	svc->stopping = true;
	if (svc->stop_reason == NULL)
		svc->stop_reason = "server shutting down";
	while ((c = TAILQ_FIRST(&svc->conns)) != NULL)
		conn_destroy(c);
	for (i = 0; i < svc->nlisteners; i++)
		listener_free(svc->listeners[i]);
	relay_free(svc->relay);
	if (svc->started && svc->conf->handler->stop != NULL)
		svc->conf->handler->stop(svc);
	timer_cancel_all(&svc->timers);
	service_log_limits(svc);
	iptable_free(&svc->ips);
	free(svc->listeners);
	conf_free(svc->gen);
	free(svc);
}

/* The service's name. */
const char *
sb_service_name(struct sb_service *svc)
{
	return (svc->conf->name);
}

/* The handler's conf blob for this service. */
const void *
sb_service_conf(struct sb_service *svc)
{
	return (svc->conf->hconf);
}

/* The handler's service-level data. */
void *
sb_service_data(struct sb_service *svc)
{
	return (svc->data);
}

/* Set the handler's service-level data. */
void
sb_service_set_data(struct sb_service *svc, void *data)
{
	svc->data = data;
}

/* Is the service shutting down? */
bool
sb_service_is_stopping(struct sb_service *svc)
{
	return (svc->stopping);
}

/* Why the service is stopping ("server shutting down", ...), or NULL. */
const char *
sb_service_stop_reason(struct sb_service *svc)
{
	return (svc->stop_reason);
}

/* Log a line prefixed with the service's name. */
void
sb_service_log(struct sb_service *svc, int level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vprefixed((enum log_level)level, svc->conf->name, fmt, ap);
	va_end(ap);
}

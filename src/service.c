/*
 * switchboard: services. A service accepts clients on its listeners
 * within the daemon's max_connections; when it stops (shutdown, or removed
 * by a reload) it finishes its clients before the handler's stop hook
 * frees the service-level data.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "activation.h"
#include "conf.h"
#include "conn.h"
#include "handler.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "xmalloc.h"

static int	service_passed_fd(struct sb_service *, struct activation *,
		    const struct listen_addr *);

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

/* Take a listener on; it now accepts for this service. */
void
service_add_listener(struct sb_service *svc, struct listener *l)
{
	svc->listeners = xreallocarray(svc->listeners, svc->nlisteners + 1,
	    sizeof(*svc->listeners));
	svc->listeners[svc->nlisteners++] = l;
	log_info("%s: listening on %s (%s)", svc->conf->name, l->bound,
	    svc->conf->handler->name);
}

/* A passed socket for this service bound to this address, or -1. */
static int
service_passed_fd(struct sb_service *svc, struct activation *act,
    const struct listen_addr *a)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	size_t			i;
	int			fd;

	for (i = 0; i < act->n; i++) {
		if ((fd = act->socks[i].fd) == -1 ||
		    strcmp(act->socks[i].name, svc->conf->name) != 0)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
		    (a == NULL ||
		    listen_addr_matches(a, (struct sockaddr *)&ss, len))) {
			act->socks[i].fd = -1;
			return (fd);
		}
	}
	return (-1);
}

/*
 * Get the service listening. Each listen entry is served by a socket
 * systemd passed for this service with that address, if there is one, or
 * bound here. Passed sockets matching no entry serve the service too.
 * Returns 0, or a sysexits code with the reason in why and the errno value
 * in *err.
 */
int
service_listen(struct sb_service *svc, struct activation *act, char *why,
    size_t whylen, int *err)
{
	const struct conf_service	*conf = svc->conf;
	struct listener			*l;
	size_t				 i;
	int				 fd;

	for (i = 0; i < conf->nlisten; i++) {
		if ((fd = service_passed_fd(svc, act, &conf->listen[i])) != -1) {
			if ((l = listener_adopt(svc->srv->base, fd,
			    service_accept, svc)) != NULL)
				l->addr = &conf->listen[i];
		} else
			l = listener_open(svc->srv->base, &conf->listen[i],
			    service_accept, svc);
		if (l == NULL) {
			*err = errno;
			snprintf(why, whylen, "%s: cannot listen on %s: %s",
			    conf->name, conf->listen_text[i], strerror(*err));
			return (*err == EADDRINUSE || *err == EACCES ||
			    *err == EADDRNOTAVAIL ? EX_UNAVAILABLE : EX_OSERR);
		}
		service_add_listener(svc, l);
	}
	while ((fd = service_passed_fd(svc, act, NULL)) != -1) {
		if ((l = listener_adopt(svc->srv->base, fd, service_accept,
		    svc)) == NULL) {
			*err = errno;
			snprintf(why, whylen, "%s: cannot use a passed socket: "
			    "%s", conf->name, strerror(*err));
			return (EX_OSERR);
		}
		service_add_listener(svc, l);
	}
	return (0);
}

/* A reload kept this service: it now runs on the new config. */
void
service_set_conf(struct sb_service *svc, struct conf *gen,
    const struct conf_service *conf)
{
	conf_ref(gen);
	conf_free(svc->gen);
	svc->gen = gen;
	svc->conf = conf;
}

/* A client arrived on one of the service's listeners. */
void
service_accept(void *arg, int fd, const struct sockaddr *sa, socklen_t len)
{
	static const char	 full[] = "error: too many connections\r\n";
	struct sb_service	*svc = arg;
	struct server		*srv = svc->srv;
	ssize_t			 n;

	if (srv->stopping || svc->stopping) {
		close(fd);
		return;
	}
	if (srv->nconns >= (size_t)srv->conf->max_connections) {
		/* A fresh socket's send buffer takes one short line. */
		n = send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)n;
		log_notice("%s: max_connections (%lld) reached, refusing a "
		    "client", svc->conf->name, srv->conf->max_connections);
		close(fd);
		return;
	}
	conn_accept(svc, fd, sa);
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
	if (svc->started && svc->conf->handler->stop != NULL)
		svc->conf->handler->stop(svc);
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

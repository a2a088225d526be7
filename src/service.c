/*
 * switchboard: services. A service binds its listeners, accepts clients
 * within the daemon's max_connections, and on shutdown finishes its
 * clients before the handler's stop hook frees the service-level data.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "conn.h"
#include "handler.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "xmalloc.h"

static void	service_accept(void *, int, const struct sockaddr *,
		    socklen_t);

/* Make a service for one configured entry; nothing is bound yet. */
struct sb_service *
service_new(struct server *srv, const struct conf_service *conf)
{
	struct sb_service	*svc;

	svc = xcalloc(1, sizeof(*svc));
	svc->srv = srv;
	svc->conf = conf;
	TAILQ_INIT(&svc->conns);
	svc->listeners = xcalloc(conf->nlisten, sizeof(*svc->listeners));
	return (svc);
}

/*
 * Run the handler's start hook and bind every listener. Returns 0, or a
 * sysexits code after logging what failed.
 */
int
service_start(struct sb_service *svc)
{
	const struct conf_service	*conf = svc->conf;
	struct listener			*l;
	size_t				 i;
	int				 err;

	if (conf->handler->start != NULL && conf->handler->start(svc) == -1) {
		log_msg(LOG_LEVEL_ERROR, "%s: the %s handler failed to start",
		    conf->name, conf->handler->name);
		return (EX_SOFTWARE);
	}
	svc->started = true;
	for (i = 0; i < conf->nlisten; i++) {
		l = &svc->listeners[i];
		if (listener_open(l, svc->srv->base, &conf->listen[i],
		    service_accept, svc) == -1) {
			err = errno;
			log_msg(LOG_LEVEL_ERROR, "%s: cannot listen on %s: %s",
			    conf->name, conf->listen_text[i], strerror(err));
			return (err == EADDRINUSE || err == EACCES ||
			    err == EADDRNOTAVAIL ? EX_UNAVAILABLE : EX_OSERR);
		}
		svc->nlisteners++;
		log_info("%s: listening on %s (%s)", conf->name, l->bound,
		    conf->handler->name);
	}
	return (0);
}

/* A client arrived on one of the service's listeners. */
static void
service_accept(void *arg, int fd, const struct sockaddr *sa, socklen_t len)
{
	static const char	 full[] = "error: too many connections\r\n";
	struct sb_service	*svc = arg;
	struct server		*srv = svc->srv;
	ssize_t			 n;

	if (srv->stopping) {
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

/* Stop accepting and finish every client; they flush, then go. */
void
service_shutdown(struct sb_service *svc)
{
	struct sb_conn	*c;
	size_t		 i;

	svc->stopping = true;
	for (i = 0; i < svc->nlisteners; i++)
		listener_close(&svc->listeners[i]);
	TAILQ_FOREACH(c, &svc->conns, entry)
		conn_shutdown(c);
}

/* Free a service: any clients left are closed now, then the stop hook. */
void
service_free(struct sb_service *svc)
{
	struct sb_conn	*c;
	size_t		 i;

	svc->stopping = true;
	while ((c = TAILQ_FIRST(&svc->conns)) != NULL)
		conn_destroy(c);
	for (i = 0; i < svc->nlisteners; i++)
		listener_close(&svc->listeners[i]);
	if (svc->started && svc->conf->handler->stop != NULL)
		svc->conf->handler->stop(svc);
	free(svc->listeners);
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

/* Log a line prefixed with the service's name. */
void
sb_service_log(struct sb_service *svc, int level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vprefixed((enum log_level)level, svc->conf->name, fmt, ap);
	va_end(ap);
}

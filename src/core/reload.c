/*
 * switchboard: reloading the configuration on SIGHUP.
 *
 * A reload is a transaction. The new file is read and checked, every new
 * socket it needs is bound and every new service started before anything
 * changes; if any step fails, the old configuration keeps serving as it
 * was. Then services are matched by name: one whose handler changed is
 * replaced, a removed one finishes its clients, a kept one keeps its
 * clients and its state. A listening socket whose address is still
 * configured is kept, moving to whichever service now lists it, so no
 * connection is refused during a reload. Changed limits apply to new
 * connections.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "service.h"
#include "xmalloc.h"

/* What a new service will be: an existing one kept, or a fresh one. */
struct reload_entry {
	struct sb_service	*svc;
	int			 fresh;
	struct listener		**ls;		/* one per listen entry */
	char			*opened;	/* ls[j] is new, not kept */
	struct listener		**adopted;	/* passed sockets it keeps */
	size_t			 nadopted;
};

/* A running socket that the new config may keep. */
struct reload_socket {
	struct listener		*l;		/* NULL once taken */
	struct sb_service	*owner;
};

struct reload {
	struct server		*srv;
	struct conf		*conf;
	struct reload_entry	*e;		/* one per new service */
	size_t			 ne;
	struct reload_socket	*pool;
	size_t			 npool;
	char			 why[512];
};

static struct sb_service *reload_find(struct server *, const char *);
static int	reload_same_addr(const struct listen_addr *,
		    const struct listen_addr *);
static void	reload_fill_pool(struct reload *);
static int	reload_ephemeral(const struct listen_addr *);
static struct listener *reload_take(struct reload *,
		    const struct listen_addr *, struct sb_service *);
static int	reload_entry(struct reload *, size_t);
static int	reload_plan(struct reload *);
static void	reload_rollback(struct reload *, size_t);
static void	reload_commit(struct reload *);
static void	reload_free(struct reload *);

/* The running service of that name, or NULL. */
static struct sb_service *
reload_find(struct server *srv, const char *name)
{
	struct sb_service	*svc;

	TAILQ_FOREACH(svc, &srv->services, entry) {
		if (strcmp(svc->conf->name, name) == 0)
			return (svc);
	}
	return (NULL);
}

/* Exactly the same listen entry (port 0 too: the socket is reused). */
static int
reload_same_addr(const struct listen_addr *a, const struct listen_addr *b)
{
	return (a->len == b->len && a->any == b->any &&
	    memcmp(&a->ss, &b->ss, a->len) == 0);
}

/* Every running listener bound from a listen entry, up for grabs. */
static void
reload_fill_pool(struct reload *r)
{
	struct sb_service	*svc;
	size_t			 i;

	TAILQ_FOREACH(svc, &r->srv->services, entry) {
		for (i = 0; i < svc->nlisteners; i++) {
			if (svc->listeners[i]->addr == NULL)
				continue;	/* passed, unmatched: stays */
			r->pool = xreallocarray(r->pool, r->npool + 1,
			    sizeof(*r->pool));
			r->pool[r->npool].l = svc->listeners[i];
			r->pool[r->npool++].owner = svc;
		}
	}
}

/* Was the address written with port 0 (any free port)? */
static int
reload_ephemeral(const struct listen_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return (((const struct sockaddr_in *)&a->ss)->sin_port == 0);
	if (a->ss.ss_family == AF_INET6)
		return (((const struct sockaddr_in6 *)&a->ss)->sin6_port == 0);
	return (0);
}

/*
 * Take a running listener for this address out of the pool, if any. A
 * socket on an explicit address may move to another service; one bound
 * from port 0 stays with the service of that name (each "host:0" entry
 * is a different socket).
 */
static struct listener *
reload_take(struct reload *r, const struct listen_addr *a,
    struct sb_service *svc)
{
	struct listener	*l;
	size_t		 i;

	for (i = 0; i < r->npool; i++) {
		if ((l = r->pool[i].l) == NULL ||
		    !reload_same_addr(l->addr, a) ||
		    (reload_ephemeral(a) && strcmp(r->pool[i].owner->conf->name,
		    svc->conf->name) != 0))
			continue;
		r->pool[i].l = NULL;
		return (l);
	}
	return (NULL);
}

/* Plan the i-th new service. Returns 0, or -1 with r->why set. */
static int
reload_entry(struct reload *r, size_t i)
{
	const struct conf_service	*cs = &r->conf->services[i];
	struct reload_entry		*e = &r->e[i];
	struct sb_service		*old;
	size_t				 j;

	old = reload_find(r->srv, cs->name);
	if (old != NULL && old->conf->handler == cs->handler) {
		e->svc = old;
		for (j = 0; j < old->nlisteners; j++) {
			if (old->listeners[j]->addr != NULL)
				continue;
			e->adopted = xreallocarray(e->adopted, e->nadopted + 1,
			    sizeof(*e->adopted));
			e->adopted[e->nadopted++] = old->listeners[j];
		}
	} else {
		e->svc = service_new(r->srv, r->conf, cs);
		e->fresh = 1;
	}
	e->ls = xcalloc(cs->nlisten, sizeof(*e->ls));
	e->opened = xcalloc(cs->nlisten, 1);
	for (j = 0; j < cs->nlisten; j++) {
		if ((e->ls[j] = reload_take(r, &cs->listen[j], e->svc)) != NULL)
			continue;
		e->ls[j] = listener_open(r->srv->base, &cs->listen[j],
		    (int)cs->limits.listen_backlog, service_accept, e->svc);
		if (e->ls[j] == NULL) {
			snprintf(r->why, sizeof(r->why), "%s: cannot listen on "
			    "%s: %s", cs->name, cs->listen_text[j],
			    strerror(errno));
			return (-1);
		}
		e->opened[j] = 1;
		log_info("%s: listening on %s (%s)", cs->name, e->ls[j]->bound,
		    cs->handler->name);
	}
	if (e->fresh && service_start(e->svc) != 0) {
		snprintf(r->why, sizeof(r->why), "%s: the %s handler failed to "
		    "start", cs->name, cs->handler->name);
		return (-1);
	}
	return (0);
}

/*
 * Decide what each new service is and get every socket it needs. Returns
 * 0, or -1 with r->why set and everything undone.
 */
static int
reload_plan(struct reload *r)
{
	size_t	i;

	r->ne = r->conf->nservices;
	r->e = xcalloc(r->ne, sizeof(*r->e));
	reload_fill_pool(r);
	for (i = 0; i < r->conf->nservices; i++) {
		if (reload_entry(r, i) == -1) {
			reload_rollback(r, i + 1);
			return (-1);
		}
	}
	return (0);
}

/*
 * Undo the plan for the first n new services: close what was opened and
 * free fresh services. Kept sockets were never moved, so they stay.
 */
static void
reload_rollback(struct reload *r, size_t n)
{
	struct reload_entry	*e;
	size_t			 i, j;

	for (i = 0; i < n; i++) {
		e = &r->e[i];
		for (j = 0; e->ls != NULL && j < r->conf->services[i].nlisten;
		    j++) {
			if (e->opened[j])
				listener_free(e->ls[j]);
		}
		if (e->fresh)
			service_free(e->svc);
	}
}

/*
 * Make the plan real: retire the services that went, give every new or
 * kept service its sockets and its new config, close sockets no longer
 * listed, and switch to the new generation.
 */
static void
reload_commit(struct reload *r)
{
	struct server		*srv = r->srv;
	struct sb_services	 old = TAILQ_HEAD_INITIALIZER(old);
	struct sb_service	*svc;
	struct reload_entry	*e;
	size_t			 i, j;

	TAILQ_CONCAT(&old, &srv->services, entry);
	TAILQ_FOREACH(svc, &old, entry)
		svc->nlisteners = 0;	/* now held by the plan or the pool */
	for (i = 0; i < r->conf->nservices; i++) {
		e = &r->e[i];
		if (!e->fresh) {
			TAILQ_REMOVE(&old, e->svc, entry);
			service_set_conf(e->svc, r->conf, &r->conf->services[i]);
		}
		e->svc->listeners = xreallocarray(e->svc->listeners,
		    r->conf->services[i].nlisten + e->nadopted,
		    sizeof(*e->svc->listeners));
		for (j = 0; j < r->conf->services[i].nlisten; j++) {
			listener_set_target(e->ls[j],
			    &r->conf->services[i].listen[j], e->svc);
			listener_set_backlog(e->ls[j], (int)r->conf->
			    services[i].limits.listen_backlog);
			e->svc->listeners[e->svc->nlisteners++] = e->ls[j];
		}
		for (j = 0; j < e->nadopted; j++)
			e->svc->listeners[e->svc->nlisteners++] = e->adopted[j];
		TAILQ_INSERT_TAIL(&srv->services, e->svc, entry);
	}
	for (i = 0; i < r->npool; i++) {
		if (r->pool[i].l == NULL)
			continue;
		log_info("%s: stopped listening on %s",
		    r->pool[i].owner->conf->name, r->pool[i].l->bound);
		listener_free(r->pool[i].l);
	}
	while ((svc = TAILQ_FIRST(&old)) != NULL) {
		TAILQ_REMOVE(&old, svc, entry);
		log_info("%s: removed; finishing %zu client%s", svc->conf->name,
		    svc->nconns, svc->nconns == 1 ? "" : "s");
		TAILQ_INSERT_TAIL(&srv->retired, svc, entry);
		service_shutdown(svc, "service removed by reload");
	}
	conf_free(srv->conf);
	srv->conf = r->conf;
	r->conf = NULL;
	if (!srv->log_fixed)
		log_setlevel((enum log_level)srv->conf->log_level);
	server_schedule_reap(srv);
}

/* Free the plan's bookkeeping (not what it planned). */
static void
reload_free(struct reload *r)
{
	size_t	i;

	for (i = 0; i < r->ne; i++) {
		free(r->e[i].ls);
		free(r->e[i].opened);
		free(r->e[i].adopted);
	}
	free(r->e);
	free(r->pool);
	conf_free(r->conf);
}

/*
 * SIGHUP: reload the config file. Any error leaves the running
 * configuration as it was, and says so in the log and to systemd.
 */
void
server_reload(struct server *srv)
{
	struct conf_errors	 errs = { NULL, NULL, 0 };
	struct reload		 r;
	char			 status[sizeof(srv->status) + 64];
	size_t			 i;

	memset(&r, 0, sizeof(r));
	r.srv = srv;
	notify_reloading();
	log_info("reloading %s", srv->conf->path);
	if ((r.conf = conf_load(srv->conf->path, &errs)) == NULL) {
		for (i = 0; i < errs.n; i++)
			log_msg(LOG_LEVEL_ERROR, "%s", errs.msgs[i]);
		snprintf(r.why, sizeof(r.why), "%s", errs.n > 0 ?
		    errs.msgs[0] : "cannot read the configuration");
		conf_errors_free(&errs);
	} else if (reload_plan(&r) == 0) {
		reload_commit(&r);
		r.why[0] = '\0';
	}
	reload_free(&r);
	server_status(srv, srv->status, sizeof(srv->status));
	if (r.why[0] != '\0') {
		log_msg(LOG_LEVEL_ERROR, "reload failed, still serving the "
		    "previous configuration: %s", r.why);
		snprintf(status, sizeof(status), "reload failed (%s); %s",
		    r.why, srv->status);
		notify_ready(status);
		return;
	}
	log_info("reloaded: %s", srv->status);
	notify_ready(srv->status);
}

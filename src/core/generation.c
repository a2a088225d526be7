/*
 * switchboard: generations. A generation is one configuration running:
 * its services and the listening sockets they hold. Start-up and every
 * reload (SIGHUP) make the next generation with the same transaction,
 * generation_apply; at start-up the running generation is empty.
 *
 * The transaction goes service by service, in the order of the file:
 *
 * 1. Match. Each listen entry takes a socket already held, if one fits:
 *    first one systemd passed (socket activation, at start-up only) named
 *    after the service and bound to that address, then one the running
 *    generation bound for the same address. A socket bound from port 0
 *    stays with the service of the same name, since each "host:0" entry
 *    is a different socket; any other socket may move to whichever
 *    service now lists its address, so no client is refused during a
 *    reload. Passed sockets for the service that match none of its
 *    entries serve it too, and a kept service keeps those it had.
 * 2. Open. Every entry still without a socket binds one now.
 * 3. Start. A service is kept when the running generation has one of
 *    that name with the same handler: it keeps its clients and its
 *    state. Otherwise it is fresh (new, or its handler changed: the old
 *    one is replaced) and its handler's start hook runs.
 * 4. Commit. Until here the running generation has not been touched, and
 *    from here nothing can fail. Kept services take their new config
 *    (service_set_conf), every service takes its listeners (moved to
 *    their new owner), services of the running generation not kept are
 *    retired and finish their clients, and the configuration is swapped.
 * 5. Close leftovers: held sockets no new entry took. Passed sockets no
 *    service took are closed by the caller (activation_free).
 *
 * A failure in 1-3 rolls back: the sockets this transaction opened or
 * took over from systemd are closed and the services it made are freed
 * (a started one's stop hook runs), so exactly what it did is undone;
 * sockets of the running generation were never moved and keep serving.
 * Changed limits apply to new connections.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <switchboard/handler.h>

#include "activation.h"
#include "conf.h"
#include "generation.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "xmalloc.h"

/* A service of the new generation and the sockets it will hold. */
struct gen_service {
	struct sb_service	*svc;
	int			 fresh;		/* made by this transaction */
	struct listener		**ls;		/* by entry, then extras */
	char			*ours;		/* ls[k] made here */
	size_t			 nls;
};

/* A socket the running generation holds, which the new one may take. */
struct gen_held {
	struct listener		*l;		/* NULL once taken */
	struct sb_service	*owner;
};

struct generation {
	struct server		*srv;
	struct conf		*conf;
	struct activation	*act;		/* NULL: nothing passed */
	struct gen_service	*s;		/* one per new service */
	size_t			 ns;		/* planned so far */
	struct gen_held		*held;
	size_t			 nheld;
	char			*why;
	size_t			 whylen;
	int			 err;
};

static struct sb_service *gen_running(struct server *, const char *);
static int	gen_same_addr(const struct listen_addr *,
		    const struct listen_addr *);
static int	gen_ephemeral(const struct listen_addr *);
static void	gen_hold(struct generation *);
static void	gen_add(struct gen_service *, struct listener *, int);
static struct listener *gen_take_held(struct generation *,
		    const struct listen_addr *, const char *);
static struct listener *gen_take_passed(struct generation *,
		    struct gen_service *, const struct conf_service *,
		    const struct listen_addr *);
static int	gen_listen(struct generation *, struct gen_service *,
		    const struct conf_service *);
static int	gen_plan(struct generation *, size_t);
static void	gen_rollback(struct generation *);
static void	gen_commit(struct generation *);
static void	gen_free(struct generation *);

/* The running service of that name, or NULL. */
static struct sb_service *
gen_running(struct server *srv, const char *name)
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
gen_same_addr(const struct listen_addr *a, const struct listen_addr *b)
{
	return (a->len == b->len && a->any == b->any && a->udp == b->udp &&
	    memcmp(&a->ss, &b->ss, a->len) == 0);
}

/* Was the address written with port 0 (any free port)? */
static int
gen_ephemeral(const struct listen_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return (((const struct sockaddr_in *)&a->ss)->sin_port == 0);
	if (a->ss.ss_family == AF_INET6)
		return (((const struct sockaddr_in6 *)&a->ss)->sin6_port == 0);
	return (0);
}

/* List every socket of the running generation as up for grabs. */
static void
gen_hold(struct generation *g)
{
	struct sb_service	*svc;
	size_t			 i;

	TAILQ_FOREACH(svc, &g->srv->services, entry) {
		for (i = 0; i < svc->nlisteners; i++) {
			g->held = xreallocarray(g->held, g->nheld + 1,
			    sizeof(*g->held));
			g->held[g->nheld].l = svc->listeners[i];
			g->held[g->nheld++].owner = svc;
		}
	}
}

/* Give a planned service one more socket; ours if this transaction made it. */
static void
gen_add(struct gen_service *s, struct listener *l, int ours)
{
	s->ls = xreallocarray(s->ls, s->nls + 1, sizeof(*s->ls));
	s->ours = xreallocarray(s->ours, s->nls + 1, 1);
	s->ls[s->nls] = l;
	s->ours[s->nls++] = (char)ours;
}

/*
 * Take a held socket bound for this address, if any (one from port 0 only
 * for the service that had it).
 */
static struct listener *
gen_take_held(struct generation *g, const struct listen_addr *a,
    const char *name)
{
	struct listener	*l;
	size_t		 i;

	for (i = 0; i < g->nheld; i++) {
		if ((l = g->held[i].l) == NULL || l->addr == NULL ||
		    !gen_same_addr(l->addr, a) || (gen_ephemeral(a) &&
		    strcmp(g->held[i].owner->conf->name, name) != 0))
			continue;
		g->held[i].l = NULL;
		return (l);
	}
	return (NULL);
}

/*
 * Take over a socket systemd passed for this service bound to this
 * address (any address if a is NULL). Returns NULL if there is none, or
 * if it cannot be used: then g->err and g->why say why.
 */
static struct listener *
gen_take_passed(struct generation *g, struct gen_service *s,
    const struct conf_service *cs, const struct listen_addr *a)
{
	struct listener	*l;
	int		 fd;

	if (g->act == NULL || (fd = activation_take(g->act, cs->name, a)) == -1)
		return (NULL);
	if ((l = listener_adopt(g->srv->base, fd, service_accept, s->svc)) ==
	    NULL) {
		g->err = errno;
		snprintf(g->why, g->whylen, "%s: cannot use a passed socket: "
		    "%s", cs->name, strerror(g->err));
		return (NULL);
	}
	l->addr = a;
	return (l);
}

/*
 * Find or make a socket for every listen entry of one new service, then
 * add the extras: the passed sockets matching no entry, or those a kept
 * service had. Returns 0, or a sysexits code with g->why set.
 */
static int
gen_listen(struct generation *g, struct gen_service *s,
    const struct conf_service *cs)
{
	const struct listen_addr	*a;
	struct listener			*l;
	size_t				 j;

	for (j = 0; j < cs->nlisten; j++) {
		a = &cs->listen[j];
		if ((l = gen_take_passed(g, s, cs, a)) != NULL) {
			gen_add(s, l, 1);
			log_info("%s: listening on %s%s (%s)", cs->name,
			    a->tls ? "tls:" : "", l->bound, cs->handler->name);
			continue;
		}
		if (g->err != 0)
			return (EX_OSERR);
		if ((l = gen_take_held(g, a, cs->name)) != NULL) {
			gen_add(s, l, 0);
			continue;
		}
		if ((l = listener_open(g->srv->base, a,
		    (int)cs->limits.listen_backlog, service_accept, s->svc)) ==
		    NULL) {
			g->err = errno;
			snprintf(g->why, g->whylen, "%s: cannot listen on %s: "
			    "%s", cs->name, cs->listen_text[j],
			    strerror(g->err));
			return (g->err == EADDRINUSE || g->err == EACCES ||
			    g->err == EADDRNOTAVAIL ? EX_UNAVAILABLE :
			    EX_OSERR);
		}
		gen_add(s, l, 1);
		log_info("%s: listening on %s%s (%s)", cs->name,
		    a->tls ? "tls:" : "", l->bound, cs->handler->name);
	}
	while ((l = gen_take_passed(g, s, cs, NULL)) != NULL) {
		gen_add(s, l, 1);
		log_info("%s: listening on %s (%s)", cs->name, l->bound,
		    cs->handler->name);
	}
	if (g->err != 0)
		return (EX_OSERR);
	for (j = 0; !s->fresh && j < g->nheld; j++) {
		if ((l = g->held[j].l) == NULL || l->addr != NULL ||
		    g->held[j].owner != s->svc)
			continue;
		g->held[j].l = NULL;
		gen_add(s, l, 0);
	}
	return (0);
}

/*
 * Plan the i-th new service: keep the running one or make a fresh one,
 * get its sockets, start a fresh one. Returns 0, or a sysexits code with
 * g->why set (the caller rolls back).
 */
static int
gen_plan(struct generation *g, size_t i)
{
	const struct conf_service	*cs = &g->conf->services[i];
	struct gen_service		*s = &g->s[i];
	struct sb_service		*old;
	int				 rc;

	g->ns = i + 1;
	old = gen_running(g->srv, cs->name);
	if (old != NULL && old->conf->handler == cs->handler)
		s->svc = old;
	else {
		s->svc = service_new(g->srv, g->conf, cs);
		s->fresh = 1;
	}
	if ((rc = gen_listen(g, s, cs)) != 0)
		return (rc);
	if (s->fresh && service_start(s->svc) != 0) {
		snprintf(g->why, g->whylen, "%s: the %s handler failed to "
		    "start", cs->name, cs->handler->name);
		return (EX_SOFTWARE);
	}
	return (0);
}

/*
 * Undo what the transaction did: close the sockets it made or took over,
 * free the services it made (running a started one's stop hook). Held
 * sockets were never moved, so they stay where they are.
 */
static void
gen_rollback(struct generation *g)
{
	struct gen_service	*s;
	size_t			 i, k;

	for (i = 0; i < g->ns; i++) {
		s = &g->s[i];
		for (k = 0; k < s->nls; k++) {
			if (s->ours[k])
				listener_free(s->ls[k]);
		}
		if (s->fresh)
			service_free(s->svc);
	}
}

/*
 * Make the plan real: every new service takes its config and its
 * sockets, held sockets no one took are closed, running services not
 * kept are retired, and the new configuration becomes the current one.
 */
static void
gen_commit(struct generation *g)
{
	struct server		*srv = g->srv;
	struct sb_services	 old = TAILQ_HEAD_INITIALIZER(old);
	const struct conf_service *cs;
	struct sb_service	*svc;
	struct gen_service	*s;
	struct listener		*l;
	size_t			 i, k;

	TAILQ_CONCAT(&old, &srv->services, entry);
	TAILQ_FOREACH(svc, &old, entry)
		service_set_listeners(svc, NULL, 0);	/* g->held has them */
	for (i = 0; i < g->ns; i++) {
		s = &g->s[i];
		cs = &g->conf->services[i];
		if (!s->fresh) {
			TAILQ_REMOVE(&old, s->svc, entry);
			service_set_conf(s->svc, g->conf, cs);
		}
		for (k = 0; k < s->nls; k++) {
			if (s->ours[k])
				continue;	/* made for this config */
			listener_set_target(s->ls[k], k < cs->nlisten ?
			    &cs->listen[k] : NULL, s->svc);
			listener_set_backlog(s->ls[k],
			    (int)cs->limits.listen_backlog);
		}
		service_set_listeners(s->svc, s->ls, s->nls);
		s->ls = NULL;
		TAILQ_INSERT_TAIL(&srv->services, s->svc, entry);
	}
	for (i = 0; i < g->nheld; i++) {
		if ((l = g->held[i].l) == NULL)
			continue;
		log_info("%s: stopped listening on %s",
		    g->held[i].owner->conf->name, l->bound);
		listener_free(l);
	}
	while ((svc = TAILQ_FIRST(&old)) != NULL) {
		TAILQ_REMOVE(&old, svc, entry);
		log_info("%s: removed; finishing %zu client%s", svc->conf->name,
		    svc->nconns, svc->nconns == 1 ? "" : "s");
		TAILQ_INSERT_TAIL(&srv->retired, svc, entry);
		service_shutdown(svc, "service removed by reload");
	}
	conf_free(srv->conf);
	srv->conf = g->conf;
	g->conf = NULL;
	if (!srv->log_fixed)
		log_setlevel((enum log_level)srv->conf->log_level);
	server_schedule_reap(srv);
}

/* Free the transaction's bookkeeping (not what it made). */
static void
gen_free(struct generation *g)
{
	size_t	i;

	for (i = 0; i < g->ns; i++) {
		free(g->s[i].ls);
		free(g->s[i].ours);
	}
	free(g->s);
	free(g->held);
	conf_free(g->conf);
}

/*
 * Make conf the running generation, taking over the caller's reference to
 * it. act holds the sockets systemd passed (at start-up), or is NULL.
 * Returns 0, or a sysexits code with the reason in why and the errno
 * value behind it, if any, in *err; then everything is as it was.
 */
int
generation_apply(struct server *srv, struct conf *conf,
    struct activation *act, char *why, size_t whylen, int *err)
{
	struct generation	g;
	size_t			i;
	int			rc = 0;

	memset(&g, 0, sizeof(g));
	g.srv = srv;
	g.conf = conf;
	g.act = act;
	g.why = why;
	g.whylen = whylen;
	g.s = xcalloc(conf->nservices, sizeof(*g.s));
	gen_hold(&g);
	for (i = 0; rc == 0 && i < conf->nservices; i++)
		rc = gen_plan(&g, i);
	if (rc != 0)
		gen_rollback(&g);
	else
		gen_commit(&g);
	*err = g.err;
	gen_free(&g);
	return (rc);
}

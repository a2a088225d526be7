/*
 * switchboard: the control socket's commands. Each answer is zero or more
 * lines, each a kind ("daemon", "service", "client", "member", "killed",
 * "reloaded") and "key=value" fields (stats.c escapes the values), or one
 * line "error: ..."; then a line ".". Only "help" answers in free text.
 */
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <switchboard/handler.h>

#include "conf.h"
#include "conn.h"
#include "control.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "stats.h"

/* A command: its name, arity (checked here) and what it does. */
struct control_cmd {
	const char	*name;
	int		 min, max;	/* words after the name */
	int		 rest;		/* last word: rest of the line */
	const char	*args;
	const char	*help;
	void		(*exec)(struct server *, char **, int,
			    struct evbuffer *);
};

static void	control_stats(struct server *, char **, int, struct evbuffer *);
static void	control_clients(struct server *, char **, int,
		    struct evbuffer *);
static void	control_kill(struct server *, char **, int, struct evbuffer *);
static void	control_who(struct server *, char **, int, struct evbuffer *);
static void	control_reload(struct server *, char **, int,
		    struct evbuffer *);
static void	control_help(struct server *, char **, int, struct evbuffer *);
static struct sb_service *control_find_service(struct server *,
		    const char *);
static struct sb_conn *control_find_conn(struct server *, uint64_t);
static void	control_client_line(struct evbuffer *, struct server *,
		    struct sb_conn *);

static const struct control_cmd control_cmds[] = {
	{ "stats", 0, 0, 0, "",
	  "the daemon's and each service's counters", control_stats },
	{ "clients", 0, 1, 0, " [SERVICE]",
	  "one line per client (of SERVICE)", control_clients },
	{ "kill", 1, 2, 1, " ID [REASON]",
	  "disconnect client ID, telling it REASON", control_kill },
	{ "who", 1, 1, 0, " SERVICE",
	  "the members of a chat room, without joining it", control_who },
	{ "reload", 0, 0, 0, "",
	  "reload the configuration, as SIGHUP does", control_reload },
	{ "help", 0, 0, 0, "", "this list", control_help },
};

#define CONTROL_NCMDS	(sizeof(control_cmds) / sizeof(control_cmds[0]))
#define CONTROL_MAX_ARGS 3

/*
 * Split line into at most max words after the name (the last one the
 * rest of the line if rest), in place. Returns the number of words, or
 * -1 if there are more than max.
 */
static int
control_split(char *line, char **argv, int max, int rest)
{
	int	argc = 0;

	for (;;) {
		while (*line == ' ' || *line == '\t')
			*line++ = '\0';
		if (*line == '\0')
			return (argc);
		if (argc == max)
			return (-1);
		argv[argc++] = line;
		if (rest && argc == max)
			return (argc);
		line += strcspn(line, " \t");
	}
}

/* Answer one command line (without its line ending) into out. */
void
control_exec(struct server *srv, char *line, struct evbuffer *out)
{
	const struct control_cmd	*cmd = NULL;
	char				*argv[CONTROL_MAX_ARGS], *name;
	size_t				 i, n;
	int				 argc;

	line += strspn(line, " \t");
	n = strcspn(line, " \t");
	name = line;
	line += n;
	if (*line != '\0')
		*line++ = '\0';
	for (i = 0; i < CONTROL_NCMDS; i++) {
		if (strcmp(control_cmds[i].name, name) == 0)
			cmd = &control_cmds[i];
	}
	if (*name == '\0') {
		evbuffer_add_printf(out, "error: empty command (help lists "
		    "the commands)\n.\n");
		return;
	}
	if (cmd == NULL) {
		EVBUFFER_ADD_STR(out, "error: unknown command \"");
		stats_value(out, name);
		evbuffer_add_printf(out, "\" (help lists the commands)\n.\n");
		return;
	}
	argc = control_split(line, argv, cmd->max, cmd->rest);
	if (argc < cmd->min || argc == -1) {
		evbuffer_add_printf(out, "error: usage: %s%s\n.\n", cmd->name,
		    cmd->args);
		return;
	}
	cmd->exec(srv, argv, argc, out);
	EVBUFFER_ADD_STR(out, ".\n");
}

/* The running service of that name, or a removed one finishing. */
static struct sb_service *
control_find_service(struct server *srv, const char *name)
{
	struct sb_service	*svc;

	TAILQ_FOREACH(svc, &srv->services, entry) {
		if (strcmp(svc->conf->name, name) == 0)
			return (svc);
	}
	TAILQ_FOREACH(svc, &srv->retired, entry) {
		if (strcmp(svc->conf->name, name) == 0)
			return (svc);
	}
	return (NULL);
}

/* The client with that id, in any service, or NULL. */
static struct sb_conn *
control_find_conn(struct server *srv, uint64_t id)
{
	struct sb_services	*lists[] = { &srv->services, &srv->retired };
	struct sb_service	*svc;
	struct sb_conn		*c;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		TAILQ_FOREACH(svc, lists[i], entry) {
			TAILQ_FOREACH(c, &svc->conns, entry) {
				if (c->id == id)
					return (c);
			}
		}
	}
	return (NULL);
}

/* "stats": the daemon, then one line per service. */
static void
control_stats(struct server *srv, char **argv, int argc,
    struct evbuffer *out)
{
	struct sb_services	*lists[] = { &srv->services, &srv->retired };
	struct sb_service	*svc;
	size_t			 i;

	EVBUFFER_ADD_STR(out, "daemon ");
	stats_daemon(out, srv);
	evbuffer_add_printf(out, " control_clients=%zu\n",
	    control_nclients(srv->control));
	for (i = 0; i < 2; i++) {
		TAILQ_FOREACH(svc, lists[i], entry) {
			EVBUFFER_ADD_STR(out, "service ");
			stats_service(out, svc);
			EVBUFFER_ADD_STR(out, "\n");
		}
	}
}

/*
 * One client: id, service, peer, seconds connected and since it last
 * sent anything, bytes queued to it, and what its handler says of it
 * (a chat member's nick).
 */
static void
control_client_line(struct evbuffer *out, struct server *srv,
    struct sb_conn *c)
{
	char			 desc[256];
	uint32_t		 now = srv->clock_s;

	(void)conn_describe(c, desc, sizeof(desc));
	evbuffer_add_printf(out, "client id=%" PRIu64 " service=", c->id);
	stats_value(out, c->svc->conf->name);
	EVBUFFER_ADD_STR(out, " peer=");
	stats_value(out, sb_conn_peer(c));
	evbuffer_add_printf(out, " connected=%u idle=%u queued=%zu nick=",
	    now - c->since, now - c->last_in, conn_outlen(c));
	stats_value(out, desc);
	EVBUFFER_ADD_STR(out, "\n");
}

/* "clients [SERVICE]": every client, or SERVICE's. */
static void
control_clients(struct server *srv, char **argv, int argc,
    struct evbuffer *out)
{
	struct sb_services	*lists[] = { &srv->services, &srv->retired };
	struct sb_service	*svc, *only = NULL;
	struct sb_conn		*c;
	size_t			 i;

	if (argc == 1 && (only = control_find_service(srv, argv[0])) ==
	    NULL) {
		EVBUFFER_ADD_STR(out, "error: no service \"");
		stats_value(out, argv[0]);
		EVBUFFER_ADD_STR(out, "\"\n");
		return;
	}
	server_clock(srv);
	for (i = 0; i < 2; i++) {
		TAILQ_FOREACH(svc, lists[i], entry) {
			if (only != NULL && svc != only)
				continue;
			TAILQ_FOREACH(c, &svc->conns, entry)
				control_client_line(out, srv, c);
		}
	}
}

/* "kill ID [REASON]": disconnect a client; the answer says if it was. */
static void
control_kill(struct server *srv, char **argv, int argc,
    struct evbuffer *out)
{
	struct sb_conn	*c;
	char		*end;
	uint64_t	 id;

	errno = 0;
	id = strtoull(argv[0], &end, 10);
	if (*argv[0] < '0' || *argv[0] > '9' || *end != '\0' || errno != 0) {
		EVBUFFER_ADD_STR(out, "error: not a client id: \"");
		stats_value(out, argv[0]);
		EVBUFFER_ADD_STR(out, "\" (clients lists them)\n");
		return;
	}
	if ((c = control_find_conn(srv, id)) == NULL) {
		evbuffer_add_printf(out, "error: no client %" PRIu64 "\n", id);
		return;
	}
	if (conn_kick(c, argc == 2 ? argv[1] : "") == -1) {
		evbuffer_add_printf(out, "error: client %" PRIu64 " is "
		    "already closing\n", id);
		return;
	}
	sb_conn_log(c, SB_LOG_INFO, "disconnected by the operator%s%s",
	    argc == 2 ? ": " : "", argc == 2 ? argv[1] : "");
	evbuffer_add_printf(out, "killed id=%" PRIu64 " service=", id);
	stats_value(out, c->svc->conf->name);
	EVBUFFER_ADD_STR(out, "\n");
}

/* "who SERVICE": the clients its handler describes (a room's members). */
static void
control_who(struct server *srv, char **argv, int argc, struct evbuffer *out)
{
	struct sb_service	*svc;
	struct sb_conn		*c;
	char			 desc[256];

	if ((svc = control_find_service(srv, argv[0])) == NULL) {
		EVBUFFER_ADD_STR(out, "error: no service \"");
		stats_value(out, argv[0]);
		EVBUFFER_ADD_STR(out, "\"\n");
		return;
	}
	if (svc->conf->handler->describe == NULL) {
		EVBUFFER_ADD_STR(out, "error: service \"");
		stats_value(out, argv[0]);
		EVBUFFER_ADD_STR(out, "\" (");
		stats_value(out, svc->conf->handler->name);
		evbuffer_add_printf(out, ") has no members: its handler does "
		    "not name its clients (clients lists them)\n");
		return;
	}
	TAILQ_FOREACH(c, &svc->conns, entry) {
		if (c->flags & (CONN_CLOSING | CONN_CLOSED) ||
		    conn_describe(c, desc, sizeof(desc)) == 0)
			continue;
		evbuffer_add_printf(out, "member id=%" PRIu64 " nick=", c->id);
		stats_value(out, desc);
		EVBUFFER_ADD_STR(out, "\n");
	}
}

/* "reload": the SIGHUP transaction, answered with its result. */
static void
control_reload(struct server *srv, char **argv, int argc,
    struct evbuffer *out)
{
	char	why[512];
	size_t	i;

	if (srv->stopping) {
		evbuffer_add_printf(out, "error: shutting down\n");
		return;
	}
	log_info("reload asked on the control socket");
	if (server_reload(srv, why, sizeof(why)) == -1) {
		for (i = 0; why[i] != '\0'; i++) {
			if (why[i] == '\n' || why[i] == '\r')
				why[i] = ' ';
		}
		evbuffer_add_printf(out, "error: reload failed: %s\n", why);
		return;
	}
	evbuffer_add_printf(out, "reloaded generation=%u\n", srv->generation);
}

/* "help": the commands, in words (the one answer that is free text). */
static void
control_help(struct server *srv, char **argv, int argc, struct evbuffer *out)
{
	size_t	i;

	for (i = 0; i < CONTROL_NCMDS; i++)
		evbuffer_add_printf(out, "%s%s: %s\n", control_cmds[i].name,
		    control_cmds[i].args, control_cmds[i].help);
}

/*
 * switchboard: reading switchboard.conf.
 *
 * The file is parsed by libconfig, then every key is checked against the
 * core tables below or the handler's own table. All mistakes are collected
 * (not just the first), each as "file:line: what is wrong (how to fix it)".
 */
#include <sys/socket.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "handlers.h"
#include "log.h"
#include "plugin.h"
#include "tls.h"
#include "xmalloc.h"

/*
 * Where plugins are loaded from unless plugin_dir says otherwise:
 * $(pkglibdir) or configure's --with-plugindir, set by Makefile.am.
 */
#ifndef SB_PLUGIN_DIR
#error "SB_PLUGIN_DIR is not defined (Makefile.am defines it)"
#endif

static const char *const conf_log_levels[] = {
	"error", "warning", "notice", "info", "debug", NULL
};

#define CONF_LIMIT_OPTIONS(type, def_idle, def_line, def_output, def_off, \
	    def_line_to, def_send_to, def_backlog)				\
	{ "idle_timeout", SB_OPT_INT,					\
	  offsetof(type, limits.idle_timeout), 0, 604800, NULL,		\
	  def_idle, "seconds without input, 0 = never" },		\
	{ "max_line", SB_OPT_INT, offsetof(type, limits.max_line),	\
	  16, 1048576, NULL, def_line, "bytes in one line" },		\
	{ "max_output", SB_OPT_INT, offsetof(type, limits.max_output),	\
	  4096, 1073741824, NULL, def_output,				\
	  "bytes queued to one client before it is cut off" },		\
	{ "max_per_ip", SB_OPT_INT, offsetof(type, limits.max_per_ip),	\
	  0, 1000000, NULL, def_off,					\
	  "connections at once from one address, 0 = no limit" },	\
	{ "max_accept_rate", SB_OPT_INT,				\
	  offsetof(type, limits.max_accept_rate), 0, 1000000, NULL,	\
	  def_off, "new connections per second from one address, "	\
	  "0 = no limit" },						\
	{ "line_timeout", SB_OPT_INT,					\
	  offsetof(type, limits.line_timeout), 0, 86400, NULL,		\
	  def_line_to, "seconds a started line may take to end, "	\
	  "0 = no limit" },						\
	{ "send_timeout", SB_OPT_INT,					\
	  offsetof(type, limits.send_timeout), 0, 86400, NULL,		\
	  def_send_to, "seconds a client may take none of its output, "	\
	  "0 = no limit" },						\
	{ "sndbuf", SB_OPT_INT, offsetof(type, limits.sndbuf),		\
	  0, 67108864, NULL, def_off,					\
	  "kernel send buffer per client in bytes, 0 = the kernel's "	\
	  "own sizing" },						\
	{ "listen_backlog", SB_OPT_INT,					\
	  offsetof(type, limits.listen_backlog), 1, 65535, NULL,	\
	  def_backlog, "connections waiting to be accepted" },		\
	{ "allow", CONF_OPT_CUSTOM, 0, 0, 0, NULL, NULL, NULL },		\
	{ "deny", CONF_OPT_CUSTOM, 0, 0, 0, NULL, NULL, NULL }

#define CONF_UDP_OPTIONS(type, def_req, def_reply, def_amp, def_rate,	\
	    def_burst)							\
	{ "udp_max_request", SB_OPT_INT,				\
	  offsetof(type, limits.udp_max_request), 16, 65507, NULL,	\
	  def_req, "bytes in one datagram; larger ones are dropped" },	\
	{ "udp_max_reply", SB_OPT_INT,					\
	  offsetof(type, limits.udp_max_reply), 64, 65507, NULL,	\
	  def_reply, "bytes in one answer to a datagram" },		\
	{ "udp_max_amplification", SB_OPT_INT,				\
	  offsetof(type, limits.udp_max_amplification), 1, 100, NULL,	\
	  def_amp, "times the request's size an answer may have" },	\
	{ "udp_rate", SB_OPT_INT, offsetof(type, limits.udp_rate),	\
	  0, 1000000, NULL, def_rate, "datagrams per second from one "	\
	  "address, 0 = no limit" },					\
	{ "udp_burst", SB_OPT_INT, offsetof(type, limits.udp_burst),	\
	  1, 1000000, NULL, def_burst,					\
	  "datagrams one address may send at once above udp_rate" }

/* Top-level keys; "services" is read by hand. */
static const struct sb_option conf_global_options[] = {
	{ "log_level", SB_OPT_ENUM, offsetof(struct conf, log_level),
	  0, 0, conf_log_levels, "info", "how much to log" },
	{ "max_connections", SB_OPT_INT,
	  offsetof(struct conf, max_connections), 1, 1000000, NULL, "10000",
	  "clients at once, whole daemon" },
	CONF_LIMIT_OPTIONS(struct conf, "300", "4096", "1048576", "0",
	    "30", "60", "511"),
	CONF_UDP_OPTIONS(struct conf, "512", "1232", "10", "100", "200"),
	{ "plugin_dir", SB_OPT_STRING, offsetof(struct conf, plugin_dir),
	  1, 4096, NULL, SB_PLUGIN_DIR, "where plugins are loaded from" },
	{ "plugins", CONF_OPT_CUSTOM, 0, 0, 0, NULL, NULL, NULL },
	{ "metrics_listen", CONF_OPT_CUSTOM, 0, 0, 0, NULL, NULL, NULL },
	{ "control_socket", SB_OPT_STRING,
	  offsetof(struct conf, control_socket), 2, CONF_UNIX_PATH_MAX, NULL,
	  NULL, "the control socket's path" },
	{ "control_socket_mode", CONF_OPT_CUSTOM, 0, 0, 0, NULL, NULL, NULL },
	{ "tls_certificate", SB_OPT_STRING,
	  offsetof(struct conf, tls_certificate), 1, 4096, NULL, NULL,
	  "PEM certificate chain for tls: listeners" },
	{ "tls_key", SB_OPT_STRING, offsetof(struct conf, tls_key), 1, 4096,
	  NULL, NULL, "PEM private key for tls: listeners" },
	{ "services", CONF_OPT_CUSTOM, 0, 0, 0, NULL, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};

/* Keys of every service; limits default to the top-level values. */
static const struct sb_option conf_service_options[] = {
	{ "name", SB_OPT_STRING, offsetof(struct conf_service, name),
	  1, 64, NULL, NULL, "the service's name" },
	{ "handler", SB_OPT_STRING,
	  offsetof(struct conf_service, handler_name), 1, 64, NULL, NULL,
	  "the protocol" },
	{ "listen", CONF_OPT_CUSTOM, 0, 0, 0, NULL, NULL, NULL },
	{ "socket_mode", CONF_OPT_CUSTOM, 0, 0, 0, NULL, NULL, NULL },
	{ "socket_group", CONF_OPT_CUSTOM, 0, 0, 0, NULL, NULL, NULL },
	{ "reuse_port", SB_OPT_BOOL, offsetof(struct conf_service, reuse_port),
	  0, 0, NULL, NULL, "share the ports with other daemons" },
	{ "tls_certificate", SB_OPT_STRING,
	  offsetof(struct conf_service, tls_certificate), 1, 4096, NULL, NULL,
	  "PEM certificate chain for tls: listeners" },
	{ "tls_key", SB_OPT_STRING, offsetof(struct conf_service, tls_key),
	  1, 4096, NULL, NULL, "PEM private key for tls: listeners" },
	CONF_LIMIT_OPTIONS(struct conf_service, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL),
	CONF_UDP_OPTIONS(struct conf_service, NULL, NULL, NULL, NULL, NULL),
	{ NULL, 0, 0, 0, 0, NULL, NULL, NULL }
};

static void	conf_unknown_keys(const config_setting_t *,
		    const struct sb_option *const *, size_t, const char *,
		    struct conf_report *);
static void	conf_read_listen(struct conf_service *,
		    const config_setting_t *, struct conf_report *);
static void	conf_check_udp(const struct conf_service *,
		    const config_setting_t *, struct conf_report *);
static void	conf_read_addrs(const config_setting_t *, const char *,
		    const char *, struct listen_addr **, char ***, size_t *,
		    struct conf_report *);
static void	conf_read_ops(struct conf *, const config_setting_t *,
		    struct conf_report *);
static int	conf_read_socket_mode(const config_setting_t *,
		    struct conf_report *);
static long long conf_read_socket_group(const config_setting_t *,
		    struct conf_report *);
static void	conf_read_socket_perms(struct conf_service *,
		    const config_setting_t *, struct conf_report *);
static void	conf_read_reuse_port(struct conf_service *,
		    const config_setting_t *, struct conf_report *);
static int	conf_key_line(const config_setting_t *, const char *);
static void	conf_read_tls(struct conf *, struct conf_service *,
		    const config_setting_t *, struct conf_report *);
static void	conf_read_service(struct conf *, struct conf_service *,
		    const config_setting_t *, struct conf_report *);
static void	conf_check_services(struct conf *, struct conf_report *);
static void	conf_check_output(const struct conf_limits *,
		    const config_setting_t *, struct conf_report *);
static void	conf_read_root(struct conf *, const config_setting_t *,
		    struct conf_report *);
static void	conf_read_plugins(struct conf *, const config_setting_t *,
		    struct conf_report *);
static void	conf_find_handler(struct conf *, struct conf_service *,
		    struct conf_report *);
static bool	conf_name_valid(const char *);
static int	conf_list_len(const config_setting_t *);
static config_setting_t *conf_list_elem(config_setting_t *, int);
static void	conf_read_acl(const config_setting_t *, const char *,
		    struct acl *, struct conf_report *);
static void	conf_copy_acl(struct acl *, const struct acl *);
static struct conf *conf_build(config_t *, const char *,
		    struct conf_report *);
static void	conf_syntax_error(config_t *, struct conf_report *);
static bool	conf_no_includes(const char *, struct conf_report *);
static char	*conf_read_file(const char *, struct conf_report *);

/* A config file bigger than this is refused. */
#define CONF_MAX_SIZE	(4 * 1024 * 1024)
/* Room in max_output beyond two maximal lines (see conf_check_output). */
#define CONF_OUTPUT_MARGIN	1024

/* Report keys of a group that no table in play declares. */
static void
conf_unknown_keys(const config_setting_t *group,
    const struct sb_option *const *tables, size_t ntables, const char *what,
    struct conf_report *r)
{
	config_setting_t	*s;
	const char		*name;
	char			*known;
	size_t			 i, t;
	int			 n = config_setting_length(group);

	for (i = 0; i < (size_t)n; i++) {
		s = config_setting_get_elem(group, (unsigned)i);
		name = config_setting_name(s);
		for (t = 0; t < ntables; t++) {
			if (conf_option_find(tables[t], name) != NULL)
				break;
		}
		if (t < ntables)
			continue;
		known = conf_option_names(tables, ntables);
		conf_report(r, config_setting_source_line(s),
		    "unknown key \"%s\" (known %s: %s)", name, what, known);
		free(known);
	}
}

/* A service name: 1 to 64 of A-Z a-z 0-9 _ . - */
static bool
conf_name_valid(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len > 64)
		return (false);
	return (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == len);
}

/*
 * A setting that may be one string or an array or list of strings: how
 * many entries it has (-1 if it is none of those), and the i-th of them.
 */
static int
conf_list_len(const config_setting_t *s)
{
	int	type = config_setting_type(s);

	if (type == CONFIG_TYPE_STRING)
		return (1);
	if (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST)
		return (config_setting_length(s));
	return (-1);
}

static config_setting_t *
conf_list_elem(config_setting_t *s, int i)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return (s);
	return (config_setting_get_elem(s, (unsigned)i));
}

/*
 * Read an allow or deny list (a string or an array of strings) if the
 * group has one; *out is replaced only then.
 */
static void
conf_read_acl(const config_setting_t *group, const char *key,
    struct acl *out, struct conf_report *r)
{
	config_setting_t	*list, *e;
	const char		*text, *why;
	struct acl		 acl = { NULL, 0 };
	int			 i, n;

	if ((list = config_setting_get_member(group, key)) == NULL)
		return;
	if ((n = conf_list_len(list)) < 0) {
		conf_report(r, config_setting_source_line(list), "%s: expected "
		    "a list of addresses or prefixes, as in %s = "
		    "[ \"127.0.0.0/8\", \"::1\" ];", key, key);
		return;
	}
	acl.e = xcalloc((size_t)n, sizeof(*acl.e));
	for (i = 0; i < n; i++) {
		e = conf_list_elem(list, i);
		if ((text = config_setting_get_string(e)) == NULL) {
			conf_report(r, config_setting_source_line(e), "%s: each "
			    "entry is a string, as in \"10.0.0.0/8\"", key);
			continue;
		}
		if (acl_parse(text, &acl.e[acl.n], &why) == -1) {
			conf_report(r, config_setting_source_line(e), "%s "
			    "\"%s\": %s", key, text, why);
			continue;
		}
		if (acl_covers_mapped(&acl.e[acl.n]))
			log_warnx("%s:%d: note: %s \"%s\" matches IPv6 "
			    "clients only; IPv4 clients (::ffff:a.b.c.d on a "
			    "dual-stack socket) are matched by IPv4 entries, as "
			    "in \"0.0.0.0/0\"", r->file,
			    config_setting_source_line(e), key, text);
		acl.n++;
	}
	free(out->e);
	*out = acl;
}

/* A copy of an access list, owned by the copy. */
static void
conf_copy_acl(struct acl *to, const struct acl *from)
{
	to->n = from->n;
	to->e = xcalloc(from->n, sizeof(*to->e));
	if (from->n > 0)
		memcpy(to->e, from->e, from->n * sizeof(*to->e));
}

/* Read a service's listen entry or entries. */
static void
conf_read_listen(struct conf_service *svc, const config_setting_t *group,
    struct conf_report *r)
{
	config_setting_t	*list;

	if ((list = config_setting_get_member(group, "listen")) == NULL) {
		conf_report(r, svc->line, "service \"%s\" has no listen key "
		    "(add listen = [ \"7001\" ];)", svc->name);
		return;
	}
	conf_read_addrs(list, "listen", "7001", &svc->listen,
	    &svc->listen_text, &svc->nlisten, r);
	conf_check_udp(svc, list, r);
}

/*
 * udp: entries need a handler that can answer datagrams (an unknown
 * handler was reported already).
 */
static void
conf_check_udp(const struct conf_service *svc, const config_setting_t *list,
    struct conf_report *r)
{
	size_t	i;

	if (svc->handler == NULL ||
	    (svc->handler->flags & SB_HANDLER_DATAGRAMS))
		return;
	for (i = 0; i < svc->nlisten; i++) {
		if (!svc->listen[i].udp)
			continue;
		conf_report(r, config_setting_source_line(list), "listen "
		    "\"%s\": handler \"%s\" cannot answer datagrams (only "
		    "handlers that declare SB_HANDLER_DATAGRAMS take udp: "
		    "entries; serve service \"%s\" over TCP)",
		    svc->listen_text[i], svc->handler->name, svc->name);
	}
}

/*
 * A list of listen addresses under key (listen, metrics_listen), into
 * *addrs and *texts (as written), *n of them.
 */
static void
conf_read_addrs(const config_setting_t *list, const char *key,
    const char *port, struct listen_addr **addrs, char ***texts, size_t *n,
    struct conf_report *r)
{
	config_setting_t	*e;
	const char		*text, *why;
	int			 i, len;

	if ((len = conf_list_len(list)) <= 0) {
		conf_report(r, config_setting_source_line(list), "%s: "
		    "expected a list of addresses, as in %s = "
		    "[ \"127.0.0.1:%s\", \"[::1]:%s\" ];", key, key, port,
		    port);
		return;
	}
	*addrs = xcalloc((size_t)len, sizeof(**addrs));
	*texts = xcalloc((size_t)len, sizeof(**texts));
	for (i = 0; i < len; i++) {
		e = conf_list_elem((config_setting_t *)list, i);
		if ((text = config_setting_get_string(e)) == NULL) {
			conf_report(r, config_setting_source_line(e), "%s: "
			    "each address is a string, as in \"%s\"", key,
			    port);
			continue;
		}
		if (listen_addr_parse(text, &(*addrs)[*n], &why) == -1) {
			conf_report(r, config_setting_source_line(e),
			    "%s \"%s\": %s", key, text, why);
			continue;
		}
		(*texts)[(*n)++] = xstrdup(text);
	}
}

/*
 * socket_mode, control_socket_mode: an octal string up to "0777"; -1
 * (reported) if it is not.
 */
static int
conf_read_socket_mode(const config_setting_t *s, struct conf_report *r)
{
	const char	*key = config_setting_name(s);
	const char	*text = config_setting_get_string(s);
	size_t		 len;
	long		 mode;

	if (text != NULL && (len = strlen(text)) > 0 && len <= 4 &&
	    strspn(text, "01234567") == len &&
	    (mode = strtol(text, NULL, 8)) <= 0777)
		return ((int)mode);
	conf_report(r, config_setting_source_line(s), "%s%s%s%s: "
	    "expected an octal mode from \"0000\" to \"0777\" in double "
	    "quotes, as in %s = \"0660\";", key, text ? " \"" : "",
	    text ? text : "", text ? "\"" : "", key);
	return (-1);
}

/*
 * socket_group: the name of an existing group, or a group number (as a
 * string or a whole number). Returns the gid, or -1 (reported).
 */
static long long
conf_read_socket_group(const config_setting_t *s, struct conf_report *r)
{
	const char	*text = config_setting_get_string(s);
	struct group	*gr;
	long long	 gid = -1;
	char		*end;

	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64)
		gid = config_setting_get_int64(s);
	else if (text != NULL && *text != '\0' &&
	    strspn(text, "0123456789") == strlen(text)) {
		errno = 0;
		gid = strtoll(text, &end, 10);
		if (*end != '\0' || errno != 0)
			gid = -1;
	} else if (text != NULL && *text != '\0') {
		if ((gr = getgrnam(text)) != NULL)
			return ((long long)gr->gr_gid);
		conf_report(r, config_setting_source_line(s), "socket_group "
		    "\"%s\": no such group (check with getent group %s)", text,
		    text);
		return (-1);
	}
	if (gid >= 0 && gid < INT_MAX)
		return (gid);
	conf_report(r, config_setting_source_line(s), "socket_group: expected "
	    "a group name or number, as in socket_group = \"switchboard\";");
	return (-1);
}

/*
 * Read socket_mode and socket_group, and give them to the service's unix
 * listen entries; a service without one may not set them.
 */
static void
conf_read_socket_perms(struct conf_service *svc,
    const config_setting_t *group, struct conf_report *r)
{
	config_setting_t	*mode, *grp, *first;
	size_t			 i, nunix = 0;

	svc->socket_mode = -1;
	svc->socket_gid = -1;
	mode = config_setting_get_member(group, "socket_mode");
	grp = config_setting_get_member(group, "socket_group");
	if (mode != NULL)
		svc->socket_mode = conf_read_socket_mode(mode, r);
	if (grp != NULL)
		svc->socket_gid = conf_read_socket_group(grp, r);
	for (i = 0; i < svc->nlisten; i++) {
		if (svc->listen[i].ss.ss_family != AF_UNIX)
			continue;
		svc->listen[i].mode = svc->socket_mode;
		svc->listen[i].gid = svc->socket_gid;
		nunix++;
	}
	if ((first = mode != NULL ? mode : grp) == NULL || nunix > 0 ||
	    svc->nlisten == 0)
		return;
	conf_report(r, config_setting_source_line(first), "%s: service \"%s\" "
	    "has no unix: listen address (socket_mode and socket_group apply "
	    "to unix sockets only; for sockets systemd passes, set SocketMode= "
	    "and SocketGroup= in the socket unit)", config_setting_name(first),
	    svc->name);
}

/*
 * max_output must hold two maximal lines and a margin: a relayed chat line
 * is a maximal line plus the sender's nick, and an echo answer as long as
 * its request may be queued while the previous one is still going out.
 * Checked where a group sets either key; one inheriting both was checked
 * at the top level.
 */
static void
conf_check_output(const struct conf_limits *l, const config_setting_t *group,
    struct conf_report *r)
{
	const config_setting_t	*s;

	if (l->max_output >= 2 * l->max_line + CONF_OUTPUT_MARGIN)
		return;
	if ((s = config_setting_get_member(group, "max_output")) == NULL &&
	    (s = config_setting_get_member(group, "max_line")) == NULL)
		return;
	conf_report(r, config_setting_source_line(s), "max_output (%lld) must "
	    "be at least twice max_line (%lld) plus %d, or one long line cuts "
	    "clients off: raise max_output or lower max_line", l->max_output,
	    l->max_line, CONF_OUTPUT_MARGIN);
}

/*
 * reuse_port: every TCP listener of the service binds with SO_REUSEPORT,
 * so that several daemons can serve one port. A unix path cannot be
 * shared that way: refused.
 */
static void
conf_read_reuse_port(struct conf_service *svc, const config_setting_t *group,
    struct conf_report *r)
{
	config_setting_t	*s;
	size_t			 i;

	if (!svc->reuse_port)
		return;
	s = config_setting_get_member(group, "reuse_port");
	for (i = 0; i < svc->nlisten; i++) {
		if (svc->listen[i].ss.ss_family != AF_UNIX) {
			svc->listen[i].reuse_port = true;
			continue;
		}
		conf_report(r, config_setting_source_line(s), "reuse_port: "
		    "service \"%s\" listens on %s, and a unix socket cannot "
		    "be shared by several daemons (give each daemon its own "
		    "path in a service without reuse_port)", svc->name,
		    svc->listen_text[i]);
	}
}

/*
 * The line of a key: the service's own, or the top level's it inherits
 * (0 if neither has it).
 */
static int
conf_key_line(const config_setting_t *group, const char *key)
{
	const config_setting_t	*s;

	if ((s = config_setting_get_member(group, key)) == NULL)
		s = config_setting_get_member(config_root_setting(group->config),
		    key);
	return (s != NULL ? config_setting_source_line(s) : 0);
}

/*
 * A service with tls: entries needs tls_certificate and tls_key (its own
 * or the top level's): load them into its TLS context now, so that -t,
 * the start and a reload all check them, and report each problem at the
 * line of the key naming the file at fault. A certificate that expires
 * soon is a warning.
 */
static void
conf_read_tls(struct conf *conf, struct conf_service *svc,
    const config_setting_t *group, struct conf_report *r)
{
	config_setting_t	*list, *e;
	enum tls_file		 bad;
	const char		*key;
	char			 why[512];
	long			 days;
	size_t			 i;
	int			 j, line;

	if (svc->tls_certificate == NULL && conf->tls_certificate != NULL)
		svc->tls_certificate = xstrdup(conf->tls_certificate);
	if (svc->tls_key == NULL && conf->tls_key != NULL)
		svc->tls_key = xstrdup(conf->tls_key);
	for (i = 0; i < svc->nlisten && !svc->listen[i].tls; i++)
		;
	if (i == svc->nlisten)
		return;
	if (svc->tls_certificate == NULL || svc->tls_key == NULL) {
		list = config_setting_get_member(group, "listen");
		line = config_setting_source_line(list);
		for (j = 0; j < conf_list_len(list); j++) {
			e = conf_list_elem(list, j);
			if (config_setting_get_string(e) != NULL &&
			    strcmp(config_setting_get_string(e),
			    svc->listen_text[i]) == 0) {
				line = config_setting_source_line(e);
				break;
			}
		}
		conf_report(r, line, "listen \"%s\": a tls: entry needs "
		    "tls_certificate and tls_key (PEM files; in the service or "
		    "at the top level)", svc->listen_text[i]);
		return;
	}
	svc->tls_ctx = tls_ctx_load(svc->tls_certificate, svc->tls_key, &bad,
	    why, sizeof(why), &days);
	key = bad == TLS_FILE_KEY ? "tls_key" : "tls_certificate";
	if (svc->tls_ctx == NULL) {
		conf_report(r, conf_key_line(group, key), "%s: %s", key, why);
		return;
	}
	if (days < TLS_EXPIRY_WARN_DAYS)
		log_warnx("%s:%d: tls_certificate \"%s\" expires in "
		    "%ld day%s (%s): renew it and reload", r->file,
		    conf_key_line(group, "tls_certificate"),
		    svc->tls_certificate, days, days == 1 ? "" : "s", why);
}

/* Read one service group. */
static void
conf_read_service(struct conf *conf, struct conf_service *svc,
    const config_setting_t *group, struct conf_report *r)
{
	const struct sb_option	*tables[2] = { conf_service_options, NULL };
	const char		*reason;
	char			 what[96];

	svc->line = config_setting_source_line(group);
	svc->limits = conf->limits;
	conf_copy_acl(&svc->access.allow, &conf->access.allow);
	conf_copy_acl(&svc->access.deny, &conf->access.deny);
	conf_read_acl(group, "allow", &svc->access.allow, r);
	conf_read_acl(group, "deny", &svc->access.deny, r);
	conf_option_apply(conf_service_options, svc, group, r);
	conf_check_output(&svc->limits, group, r);
	if (svc->name == NULL) {
		conf_report(r, svc->line, "service has no name (add name = "
		    "\"lobby\";)");
		svc->name = xstrdup("?");
	} else if (!conf_name_valid(svc->name))
		conf_report(r, svc->line, "name \"%s\": use 1 to 64 of "
		    "A-Z a-z 0-9 _ . -", svc->name);
	if (svc->handler_name == NULL)
		conf_report(r, svc->line, "service \"%s\" has no handler "
		    "(add handler = \"%s\";)", svc->name, "uppercase-echo");
	else
		conf_find_handler(conf, svc, r);
	conf_read_listen(svc, group, r);
	conf_read_socket_perms(svc, group, r);
	conf_read_reuse_port(svc, group, r);
	conf_read_tls(conf, svc, group, r);
	if (svc->handler == NULL) {
		conf_unknown_keys(group, tables, 1, "for services", r);
		return;
	}
	tables[1] = svc->handler->options;
	snprintf(what, sizeof(what), "for %s services", svc->handler->name);
	conf_unknown_keys(group, tables, 2, what, r);
	svc->hconf = xcalloc(1, svc->handler->conf_size);
	conf_option_defaults(svc->handler->options, svc->hconf);
	conf_option_apply(svc->handler->options, svc->hconf, group, r);
	if (svc->handler->configure != NULL &&
	    (reason = svc->handler->configure(svc->hconf)) != NULL)
		conf_report(r, svc->line, "service \"%s\": %s", svc->name,
		    reason);
}

/* Names and listen addresses must be unique across services. */
static void
conf_check_services(struct conf *conf, struct conf_report *r)
{
	struct conf_service	*a, *b;
	size_t			 i, j, k, l;

	for (i = 0; i < conf->nservices; i++) {
		a = &conf->services[i];
		for (j = 0; j < i; j++) {
			b = &conf->services[j];
			if (strcmp(a->name, b->name) == 0)
				conf_report(r, a->line, "duplicate service name "
				    "\"%s\" (also at line %d; names must be "
				    "unique)", a->name, b->line);
		}
		for (j = 0; j <= i; j++) {
			b = &conf->services[j];
			for (k = 0; k < a->nlisten; k++) {
				for (l = 0; l < (j == i ? k : b->nlisten); l++) {
					if (!listen_addr_same(&a->listen[k],
					    &b->listen[l]))
						continue;
					conf_report(r, a->line, "listen \"%s\" "
					    "overlaps \"%s\" of service \"%s\" "
					    "(each address may be used once)",
					    a->listen_text[k],
					    b->listen_text[l], b->name);
				}
			}
		}
	}
}

/*
 * Load the plugins the top-level "plugins" list names (one string or a
 * list of them), each from the plugin directory; a refusal is an error of
 * the file, at the name's line.
 */
static void
conf_read_plugins(struct conf *conf, const config_setting_t *root,
    struct conf_report *r)
{
	config_setting_t	*list, *e;
	const struct plugin	*p;
	const char		*name;
	char			*err;
	int			 i, n;

	if ((list = config_setting_get_member(root, "plugins")) == NULL)
		return;
	if ((n = conf_list_len(list)) == -1) {
		conf_report(r, config_setting_source_line(list), "plugins: "
		    "a list of names, as in plugins = [ \"reverse\" ];");
		return;
	}
	if (conf->plugin_dir[0] != '/') {
		conf_report(r, config_setting_source_line(list), "plugin_dir "
		    "\"%s\" must be an absolute path", conf->plugin_dir);
		return;
	}
	conf->plugins = xcalloc((size_t)n + 1, sizeof(*conf->plugins));
	for (i = 0; i < n; i++) {
		e = conf_list_elem(list, i);
		if ((name = config_setting_get_string(e)) == NULL) {
			conf_report(r, config_setting_source_line(e), "plugins: "
			    "each plugin is a name in double quotes");
			continue;
		}
		if (!plugin_name_valid(name)) {
			conf_report(r, config_setting_source_line(e), "plugin "
			    "\"%s\": not a plugin name (a name, not a path: "
			    "the file NAME.so is loaded from %s)", name,
			    conf->plugin_dir);
			continue;
		}
		if ((p = plugin_load(conf->plugin_dir, name, &err)) == NULL) {
			conf_report(r, config_setting_source_line(e), "%s", err);
			free(err);
			continue;
		}
		conf->plugins[conf->nplugins++] = p;
	}
}

/*
 * Find the service's handler: a built-in, or one of a plugin this file
 * lists (a plugin loaded for an earlier file stays loaded, but a file
 * that no longer lists it cannot use it).
 */
static void
conf_find_handler(struct conf *conf, struct conf_service *svc,
    struct conf_report *r)
{
	const struct plugin	*from;
	size_t			 i;

	if ((svc->handler = handlers_builtin(svc->handler_name)) != NULL)
		return;
	from = NULL;
	svc->handler = plugin_find_handler(svc->handler_name, &from);
	for (i = 0; svc->handler != NULL && i < conf->nplugins; i++) {
		if (conf->plugins[i] == from)
			return;
	}
	if (svc->handler != NULL) {
		svc->handler = NULL;
		conf_report(r, svc->line, "handler \"%s\" is in plugin "
		    "\"%s\", which plugins does not list (add plugins = "
		    "[ \"%s\" ];)", svc->handler_name, plugin_name(from),
		    plugin_name(from));
		return;
	}
	conf_report(r, svc->line, "unknown handler \"%s\" (known: %s)",
	    svc->handler_name, handlers_names());
}

/*
 * The operator's ways in: metrics_listen, control_socket and its mode
 * (0600 unless control_socket_mode says otherwise).
 */
static void
conf_read_ops(struct conf *conf, const config_setting_t *root,
    struct conf_report *r)
{
	config_setting_t	*s;
	size_t			 i;

	if ((s = config_setting_get_member(root, "metrics_listen")) != NULL)
		conf_read_addrs(s, "metrics_listen", "9180",
		    &conf->metrics_listen, &conf->metrics_listen_text,
		    &conf->nmetrics_listen, r);
	for (i = 0; i < conf->nmetrics_listen; i++) {
		if (conf->metrics_listen[i].udp)
			conf_report(r, config_setting_source_line(s),
			    "metrics_listen \"%s\": metrics are served over "
			    "TCP only", conf->metrics_listen_text[i]);
	}
	conf->control_socket_mode = 0600;
	s = config_setting_get_member(root, "control_socket_mode");
	if (s != NULL && (conf->control_socket_mode =
	    conf_read_socket_mode(s, r)) == -1)
		conf->control_socket_mode = 0600;
	if (s != NULL && conf->control_socket == NULL)
		conf_report(r, config_setting_source_line(s), "%s: there is no "
		    "control_socket (add control_socket = "
		    "\"/run/switchboard/control.sock\";)",
		    config_setting_name(s));
	s = config_setting_get_member(root, "control_socket");
	if (conf->control_socket != NULL && conf->control_socket[0] != '/')
		conf_report(r, config_setting_source_line(s), "control_socket "
		    "\"%s\" must be an absolute path, as in "
		    "\"/run/switchboard/control.sock\"", conf->control_socket);
}

/* Read the top level. */
static void
conf_read_root(struct conf *conf, const config_setting_t *root,
    struct conf_report *r)
{
	const struct sb_option	*tables[1] = { conf_global_options };
	config_setting_t	*list, *group;
	int			 i, n;

	conf_option_defaults(conf_global_options, conf);
	conf_option_apply(conf_global_options, conf, root, r);
	conf_check_output(&conf->limits, root, r);
	conf_read_acl(root, "allow", &conf->access.allow, r);
	conf_read_acl(root, "deny", &conf->access.deny, r);
	conf_unknown_keys(root, tables, 1, "at the top level", r);
	conf_read_plugins(conf, root, r);
	conf_read_ops(conf, root, r);
	list = config_setting_get_member(root, "services");
	if (list == NULL || config_setting_type(list) != CONFIG_TYPE_LIST ||
	    config_setting_length(list) == 0) {
		conf_report(r, list ? config_setting_source_line(list) : 1,
		    "no services: add services = ( { name = \"upper\"; "
		    "handler = \"uppercase-echo\"; listen = [ \"7002\" ]; } );");
		return;
	}
	n = config_setting_length(list);
	conf->services = xcalloc((size_t)n, sizeof(*conf->services));
	for (i = 0; i < n; i++) {
		group = config_setting_get_elem(list, (unsigned)i);
		if (config_setting_type(group) != CONFIG_TYPE_GROUP) {
			conf_report(r, config_setting_source_line(group),
			    "services: each service is a group in braces, "
			    "as in { name = \"upper\"; ... }");
			continue;
		}
		conf_read_service(conf, &conf->services[conf->nservices++],
		    group, r);
	}
	conf_check_services(conf, r);
}

/* Check what libconfig read; NULL (with errors added) if anything is wrong. */
static struct conf *
conf_build(config_t *cfg, const char *path, struct conf_report *r)
{
	struct conf	*conf;
	size_t		 before = r->errs->n;

	conf = xcalloc(1, sizeof(*conf));
	conf->refs = 1;
	conf->path = xstrdup(path);
	conf_read_root(conf, config_root_setting(cfg), r);
	if (r->errs->n != before) {
		conf_errors_sort(r->errs, before);
		conf_free(conf);
		return (NULL);
	}
	return (conf);
}

/* Report why libconfig could not parse the text. */
static void
conf_syntax_error(config_t *cfg, struct conf_report *r)
{
	conf_report(r, config_error_line(cfg), "%s (each setting ends with "
	    "';', strings are in double quotes, lists in ( ) and arrays in "
	    "[ ], with no comma after the last item)", config_error_text(cfg));
}

/*
 * Refuse @include. libconfig 1.5 calls exit() when an included path is
 * not a readable file (a directory, say), which would take the daemon down
 * on a reload; so every setting lives in the one file. The directive is
 * only recognised at the start of a line, as libconfig's scanner does.
 */
static bool
conf_no_includes(const char *text, struct conf_report *r)
{
	const char	*p = text;
	int		 line = 1;
	bool		 ok = true;

	for (;;) {
		p += strspn(p, " \t\r");
		if (strncmp(p, "@include", 8) == 0) {
			conf_report(r, line, "@include is not supported (put all "
			    "settings in this one file)");
			ok = false;
		}
		if ((p = strchr(p, '\n')) == NULL)
			return (ok);
		p++;
		line++;
	}
}

/* Read a whole config file; NULL (with an error added) if it cannot be. */
static char *
conf_read_file(const char *path, struct conf_report *r)
{
	char	*text;
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		conf_report(r, 0, "cannot open: %s", strerror(errno));
		return (NULL);
	}
	text = xmalloc(CONF_MAX_SIZE + 1);
	n = fread(text, 1, CONF_MAX_SIZE + 1, f);
	if (ferror(f) || n > CONF_MAX_SIZE) {
		if (ferror(f))
			conf_report(r, 0, "cannot read: %s", strerror(errno));
		else
			conf_report(r, 0, "the file is larger than %d KiB",
			    CONF_MAX_SIZE / 1024);
		fclose(f);
		free(text);
		return (NULL);
	}
	fclose(f);
	text[n] = '\0';
	if (strlen(text) != n) {
		conf_report(r, 0, "the file contains a NUL byte (is it a "
		    "config file?)");
		free(text);
		return (NULL);
	}
	return (text);
}

/*
 * Read and check a config file. Returns the config, or NULL with every
 * problem found added to errs.
 */
struct conf *
conf_load(const char *path, struct conf_errors *errs)
{
	struct conf_report	 r = { path, errs };
	struct conf		*conf;
	char			*text;

	if ((text = conf_read_file(path, &r)) == NULL)
		return (NULL);
	conf = conf_load_text(path, text, errs);
	free(text);
	return (conf);
}

/*
 * The same for config text in memory; errors name `name` as the file.
 */
struct conf *
conf_load_text(const char *name, const char *text, struct conf_errors *errs)
{
	struct conf_report	 r = { name, errs };
	struct conf		*conf = NULL;
	config_t		 cfg;

	if (!conf_no_includes(text, &r))
		return (NULL);
	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE)
		conf_syntax_error(&cfg, &r);
	else
		conf = conf_build(&cfg, name, &r);
	config_destroy(&cfg);
	return (conf);
}

/* Take another reference to a config. */
struct conf *
conf_ref(struct conf *conf)
{
	conf->refs++;
	return (conf);
}

/* The service of that name, or NULL. */
const struct conf_service *
conf_find_service(const struct conf *conf, const char *name)
{
	size_t	i;

	for (i = 0; i < conf->nservices; i++) {
		if (strcmp(conf->services[i].name, name) == 0)
			return (&conf->services[i]);
	}
	return (NULL);
}

/* Drop a reference to a config, freeing it with the last one. */
void
conf_free(struct conf *conf)
{
	struct conf_service	*svc;
	size_t			 i, j;

	if (conf == NULL || --conf->refs > 0)
		return;
	for (i = 0; i < conf->nservices; i++) {
		svc = &conf->services[i];
		if (svc->handler != NULL && svc->hconf != NULL)
			conf_option_free(svc->handler->options, svc->hconf);
		free(svc->hconf);
		conf_option_free(conf_service_options, svc);
		free(svc->access.allow.e);
		free(svc->access.deny.e);
		for (j = 0; j < svc->nlisten; j++)
			free(svc->listen_text[j]);
		free(svc->listen_text);
		free(svc->listen);
		tls_ctx_free(svc->tls_ctx);
	}
	free(conf->services);
	free(conf->plugins);
	free(conf->plugin_dir);
	for (i = 0; i < conf->nmetrics_listen; i++)
		free(conf->metrics_listen_text[i]);
	free(conf->metrics_listen_text);
	free(conf->metrics_listen);
	free(conf->control_socket);
	free(conf->tls_certificate);
	free(conf->tls_key);
	free(conf->access.allow.e);
	free(conf->access.deny.e);
	free(conf->path);
	free(conf);
}

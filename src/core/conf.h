/*
 * switchboard: the configuration, read from a libconfig file into plain
 * structs. Nothing here points into libconfig once conf_load returns.
 */
#ifndef SB_CONF_H
#define SB_CONF_H

#include <stddef.h>

#include "acl.h"
#include "conf_option.h"
#include <switchboard/handler.h>
#include "listen_addr.h"

struct plugin;
struct ssl_ctx_st;

/* Limits with a daemon-wide default and a per-service override. */
struct conf_limits {
	long long	idle_timeout;	/* seconds, 0 = never */
	long long	max_line;	/* bytes in one line */
	long long	max_output;	/* bytes queued to one client */
	long long	max_per_ip;	/* connections per address, 0 = off */
	long long	max_accept_rate; /* per address per second, 0 = off */
	long long	line_timeout;	/* seconds for one line, 0 = never */
	long long	send_timeout;	/* seconds without output taken */
	long long	sndbuf;		/* SO_SNDBUF per client, 0 = kernel's */
	long long	listen_backlog;	/* listen() backlog */
	long long	udp_max_request; /* bytes in one datagram */
	long long	udp_max_reply;	/* bytes in one answer */
	long long	udp_max_amplification; /* answer / request, at most */
	long long	udp_rate;	/* datagrams per address per second,
					   0 = no limit */
	long long	udp_burst;	/* ... saved up, at most */
};

/* Who may connect: allow (if not empty) and not deny. */
struct conf_access {
	struct acl	allow;
	struct acl	deny;
};

struct conf_service {
	char			*name;
	char			*handler_name;
	const struct sb_handler	*handler;
	int			 line;		/* where it is defined */
	struct conf_limits	 limits;
	struct conf_access	 access;
	struct listen_addr	*listen;
	char			**listen_text;	/* as written */
	size_t			 nlisten;
	int			 socket_mode;	/* unix listeners, -1 = unset */
	long long		 socket_gid;	/* unix listeners, -1 = unset */
	bool			 reuse_port;	/* share ports with other
						   daemons */
	void			*hconf;		/* handler's conf blob */
	char			*tls_certificate;	/* PEM chain */
	char			*tls_key;		/* PEM */
	struct ssl_ctx_st	*tls_ctx;	/* for tls: entries, or NULL */
};

struct conf {
	int			 refs;		/* services hold references */
	char			*path;
	int			 log_level;	/* enum log_level */
	long long		 max_connections;
	struct conf_limits	 limits;
	struct conf_access	 access;
	struct conf_service	*services;
	size_t			 nservices;
	char			*plugin_dir;
	const struct plugin	**plugins;	/* those "plugins" lists */
	size_t			 nplugins;
	struct listen_addr	*metrics_listen;	/* none: no metrics */
	char			**metrics_listen_text;	/* as written */
	size_t			 nmetrics_listen;
	char			*control_socket;	/* NULL: none */
	int			 control_socket_mode;
	char			*tls_certificate;	/* services' default */
	char			*tls_key;
};

/* The longest unix socket path (sun_path, less its NUL). */
#define CONF_UNIX_PATH_MAX	107

struct conf	*conf_load(const char *, struct conf_errors *);
struct conf	*conf_load_text(const char *, const char *,
		    struct conf_errors *);
struct conf	*conf_ref(struct conf *);
void		 conf_free(struct conf *);
const struct conf_service *conf_find_service(const struct conf *,
		    const char *);

#endif

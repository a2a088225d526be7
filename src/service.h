/*
 * switchboard: a service is one configured instance of a handler: its
 * listeners, its clients and the handler's service-level data.
 */
#ifndef SB_SERVICE_H
#define SB_SERVICE_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>

struct activation;
struct conf;
struct conf_service;
struct listener;
struct sb_conn;
struct server;

struct sb_service {
	TAILQ_ENTRY(sb_service)		 entry;
	struct server			*srv;
	struct conf			*gen;		/* holds conf */
	const struct conf_service	*conf;
	void				*data;		/* the handler's */
	struct listener			**listeners;
	size_t				 nlisteners;
	TAILQ_HEAD(, sb_conn)		 conns;
	size_t				 nconns;
	bool				 started;	/* start hook ran */
	bool				 stopping;
	const char			*stop_reason;
};

struct sb_service *service_new(struct server *, struct conf *,
	    const struct conf_service *);
int	service_start(struct sb_service *);
int	service_listen(struct sb_service *, struct activation *, char *,
	    size_t, int *);
void	service_add_listener(struct sb_service *, struct listener *);
void	service_set_conf(struct sb_service *, struct conf *,
	    const struct conf_service *);
void	service_accept(void *, int, const struct sockaddr *, socklen_t);
void	service_shutdown(struct sb_service *, const char *);
void	service_free(struct sb_service *);

#endif

/*
 * switchboard: a service is one configured instance of a handler: its
 * listeners, its clients and the handler's service-level data.
 */
#ifndef SB_SERVICE_H
#define SB_SERVICE_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>

struct conf_service;
struct listener;
struct sb_conn;
struct server;

struct sb_service {
	TAILQ_ENTRY(sb_service)		 entry;
	struct server			*srv;
	const struct conf_service	*conf;
	void				*data;		/* the handler's */
	struct listener			*listeners;
	size_t				 nlisteners;
	TAILQ_HEAD(, sb_conn)		 conns;
	size_t				 nconns;
	bool				 started;	/* start hook ran */
	bool				 stopping;
};

struct sb_service *service_new(struct server *, const struct conf_service *);
int	service_start(struct sb_service *);
void	service_shutdown(struct sb_service *);
void	service_free(struct sb_service *);

#endif

/*
 * switchboard: the daemon as a whole: one event loop, its services, the
 * signals, start-up and shutdown.
 */
#ifndef SB_SERVER_H
#define SB_SERVER_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct event;
struct event_base;
struct sb_conn;
struct sb_service;

struct server {
	struct event_base		*base;
	struct conf			*conf;
	TAILQ_HEAD(, sb_service)	 services;
	TAILQ_HEAD(, sb_conn)		 reap;		/* closes to run */
	struct event			*reaper;
	struct event			*sig_term;
	struct event			*sig_int;
	struct event			*sig_hup;
	struct event			*stop_timer;
	size_t				 nconns;
	uint64_t			 next_conn_id;
	bool				 stopping;
};

/* How long shutdown waits for clients to take their last output. */
#define SERVER_STOP_SECONDS	5

int	server_init(struct server *, struct conf *);
int	server_start(struct server *);
int	server_run(struct server *);
void	server_free(struct server *);
void	server_schedule_reap(struct server *);
void	server_conn_gone(struct server *);
void	server_status(struct server *, char *, size_t);

#endif

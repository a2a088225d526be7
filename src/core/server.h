/*
 * switchboard: the daemon as a whole: one event loop, its services, the
 * signals, start-up, reload and shutdown.
 */
#ifndef SB_SERVER_H
#define SB_SERVER_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct conn_queues;
struct control;
struct event;
struct event_base;
struct metrics_http;
struct sb_conn;
struct sb_service;

TAILQ_HEAD(sb_services, sb_service);

struct server {
	struct event_base		*base;
	struct conf			*conf;		/* current generation */
	struct sb_services		 services;
	struct sb_services		 retired;	/* finishing clients */
	struct conn_queues		*queues;	/* the conn module's */
	struct control			*control;	/* control_socket */
	struct metrics_http		*metrics;	/* NULL: none */
	struct event			*reaper;
	struct event			*flusher;
	struct event			*sig_term;
	struct event			*sig_int;
	struct event			*sig_hup;
	struct event			*sig_usr1;	/* stats snapshot */
	struct event			*sig_usr2;	/* logged, ignored */
	struct event			*stop_timer;
	struct event			*relay_timer;	/* farewells, at stop */
	struct event			*status_timer;
	struct event			*watchdog_timer;
	char				 status[1024];	/* last sent */
	unsigned			 status_ticks;
	size_t				 nconns;
	uint64_t			 next_conn_id;
	uint32_t			 clock_s;	/* seconds since start,
							   refreshed each tick */
	uint64_t			 start_ms;	/* now_ms() at start */
	time_t				 start_time;	/* wall clock at start */
	uint64_t			 reloads_ok;
	uint64_t			 reloads_failed;
	time_t				 reload_time;	/* last good load */
	unsigned			 generation;	/* 1 at start, +1 per
							   good reload */
	bool				 stopping;
	bool				 log_fixed;	/* -l given */
};

/* How long shutdown waits for clients to take their last output. */
#define SERVER_STOP_SECONDS	5
/* STATUS= is refreshed when it changes, checked this often, and resent
 * every SERVER_STATUS_EVERY ticks regardless. */
#define SERVER_STATUS_TICK_MS	1000
#define SERVER_STATUS_EVERY	5

int	server_init(struct server *, struct conf *);
int	server_start(struct server *);
int	server_run(struct server *);
void	server_free(struct server *);
void	server_schedule_reap(struct server *);
void	server_schedule_flush(struct server *);
void	server_conn_gone(struct server *);
void	server_stop_check(struct server *);
int	server_reload(struct server *, char *, size_t);
uint32_t server_clock(struct server *);

#endif

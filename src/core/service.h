/*
 * switchboard: a service is one configured instance of a handler: its
 * listeners, its clients and the handler's service-level data.
 */
#ifndef SB_SERVICE_H
#define SB_SERVICE_H

#include <sys/queue.h>

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iptable.h"
#include "timer.h"

struct conf;
struct conf_service;
struct listener;
struct relay;
struct sb_conn;
struct server;

/* Limits that can fire; each is counted and logged (within a budget). */
enum service_limit {
	LIMIT_DENIED,			/* allow/deny */
	LIMIT_MAX_CONNECTIONS,
	LIMIT_MAX_PER_IP,
	LIMIT_ACCEPT_RATE,
	LIMIT_LINE_TOO_LONG,
	LIMIT_SLOW_CONSUMER,
	LIMIT_IDLE_TIMEOUT,
	LIMIT_LINE_TIMEOUT,
	LIMIT_SEND_TIMEOUT,
	LIMIT_MAX_CLIENTS,		/* reported by a handler */
	LIMIT_RATE,			/* reported by a handler */
	LIMIT_UDP_MAX_REQUEST,		/* datagram over udp_max_request,
					   dropped */
	LIMIT_UDP_MAX_REPLY,		/* reply cut at udp_max_reply */
	LIMIT_UDP_MAX_AMPLIFICATION,	/* reply cut (or dropped) at
					   udp_max_amplification */
	LIMIT_UDP_RATE,			/* datagram over udp_rate, dropped */
	LIMIT_UDP_SOURCE_PORT,		/* datagram from port 0 or a port
					   of an echo-like service, dropped */
	LIMIT_COUNT
};

/*
 * What a service counts for the operator (metrics, control socket, the
 * SIGUSR1 snapshot). Kept across reloads that keep the service.
 */
struct service_counters {
	uint64_t	accepted;		/* connections */
	uint64_t	lines_in;		/* framed, too long ones too */
	uint64_t	lines_out;		/* queued to a client */
	uint64_t	bytes_in;		/* read from clients */
	uint64_t	bytes_out;		/* written to the kernel */
	uint64_t	datagrams;		/* answered (UDP) */
	uint64_t	limits[LIMIT_COUNT];	/* events per limit */
};

/* Limit events logged per service per second; the rest are counted. */
#define SERVICE_LOG_BUDGET	20

struct sb_service {
	TAILQ_ENTRY(sb_service)		 entry;
	struct server			*srv;
	struct conf			*gen;		/* holds conf */
	const struct conf_service	*conf;
	void				*data;		/* the handler's */
	struct relay			*relay;		/* NULL: none */
	struct listener			**listeners;
	size_t				 nlisteners;
	TAILQ_HEAD(, sb_conn)		 conns;
	struct sb_timers		 timers;	/* the handler's */
	size_t				 nconns;
	struct service_counters		 count;
	bool				 started;	/* start hook ran */
	bool				 stopping;
	const char			*stop_reason;
	struct iptable			 ips;		/* per-address state */
	unsigned			 log_budget;
	uint64_t			 log_suppressed;
};

struct sb_service *service_new(struct server *, struct conf *,
	    const struct conf_service *);
int	service_start(struct sb_service *);
void	service_set_listeners(struct sb_service *, struct listener **,
	    size_t);
void	service_set_conf(struct sb_service *, struct conf *,
	    const struct conf_service *);
void	service_accept(void *, int, const struct sockaddr *, socklen_t, int);
void	service_shutdown(struct sb_service *, const char *);
void	service_free(struct sb_service *);
void	service_attach(struct sb_service *, struct sb_conn *);
void	service_detach(struct sb_service *, struct sb_conn *);
void	service_limit(struct sb_service *, enum service_limit, const char *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	service_tick(struct sb_service *, uint64_t);
uint64_t service_limits_total(const struct sb_service *);
const char *service_limit_name(enum service_limit);
const char *service_limit_key(enum service_limit);
void	service_log_stats(struct sb_service *);
uint64_t now_ms(void);
void	service_peer_text(const struct sockaddr *, socklen_t, int,
	    const uint8_t *, char *, size_t);

#endif

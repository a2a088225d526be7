/*
 * switchboard: the metrics endpoint: GET /metrics over HTTP on every
 * metrics_listen address, served by evhttp in the daemon's event loop.
 */
#ifndef SB_METRICS_HTTP_H
#define SB_METRICS_HTTP_H

#include <stddef.h>

struct conf;
struct server;

/* Scrape connections at once; past this the sockets stop accepting. */
#define METRICS_MAX_CONNS	32
/* Request head (request line and headers) and body limits, in bytes. */
#define METRICS_MAX_HEADERS	8192
#define METRICS_MAX_BODY	1024
/* Bytes read ahead of evhttp's parsing (pipelined requests). */
#define METRICS_MAX_INPUT	(METRICS_MAX_HEADERS + METRICS_MAX_BODY + 4096)
/* An idle connection (no byte read or written) is closed after this. */
#define METRICS_IDLE_SECONDS	5
/* A request must be complete this long after the connection opened or
 * the previous answer, however slowly its bytes come. */
#define METRICS_REQUEST_SECONDS	10
/* listen() backlog of a metrics socket. */
#define METRICS_BACKLOG		64

int	metrics_http_prepare(struct server *, const struct conf *, char *,
	    size_t, int *);
void	metrics_http_commit(struct server *);
void	metrics_http_rollback(struct server *);
void	metrics_http_free(struct server *);

#endif

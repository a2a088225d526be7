/*
 * switchboard: the daemon's metrics in the Prometheus text exposition
 * format, version 0.0.4.
 */
#ifndef SB_METRICS_H
#define SB_METRICS_H

struct evbuffer;
struct server;

/* The Content-Type of what metrics_render writes. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4"

void	metrics_render(struct server *, struct evbuffer *);

#endif

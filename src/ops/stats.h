/*
 * switchboard: the operator's view of the daemon and its services, as
 * "key=value" fields, for the control socket's answers and the SIGUSR1
 * snapshot.
 */
#ifndef SB_STATS_H
#define SB_STATS_H

struct evbuffer;

/* Append a string literal (without its NUL) to an evbuffer. */
#define EVBUFFER_ADD_STR(b, s)	evbuffer_add((b), (s), sizeof(s) - 1)
struct sb_service;
struct server;

void	stats_value(struct evbuffer *, const char *);
void	stats_service(struct evbuffer *, const struct sb_service *);
void	stats_daemon(struct evbuffer *, const struct server *);

#endif

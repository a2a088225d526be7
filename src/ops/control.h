/*
 * switchboard: the control socket (control_socket), where switchboardctl
 * asks the running daemon for its counters and clients, disconnects a
 * client or reloads. One command per line; every answer ends with a line
 * "."; an error is one line beginning "error:".
 */
#ifndef SB_CONTROL_H
#define SB_CONTROL_H

#include <stddef.h>

struct conf;
struct evbuffer;
struct server;

/* Control clients at once; one more is told so and closed. */
#define CONTROL_MAX_CLIENTS	16
/* The longest command line, in bytes without its line ending. */
#define CONTROL_MAX_LINE	1024
/* Input read ahead of the commands answered (a few pipelined lines). */
#define CONTROL_MAX_INPUT	(4 * CONTROL_MAX_LINE)
/* Answers queued past this: no more commands are read until they are
 * taken (one answer may go beyond it). */
#define CONTROL_OUT_HIGH	(64 * 1024)
/* Seconds a client may send nothing while nothing is queued for it. */
#define CONTROL_IDLE_SECONDS	300
/* Seconds a client may take none of its queued answers. */
#define CONTROL_SEND_SECONDS	10

struct control	*control_new(struct server *);
int	control_prepare(struct control *, const struct conf *, char *, size_t,
	    int *);
void	control_commit(struct control *);
void	control_abort(struct control *);
void	control_free(struct control *);
size_t	control_nclients(const struct control *);
void	control_exec(struct server *, char *, struct evbuffer *);

#endif

/*
 * switchboard: handlers' timers (sb_timer_add in handler.h), on the event
 * loop. Each belongs to a service or to one of its connections and goes
 * with it.
 */
#ifndef SB_TIMER_H
#define SB_TIMER_H

#include <sys/queue.h>

struct sb_timer;

LIST_HEAD(sb_timers, sb_timer);

void	timer_cancel_all(struct sb_timers *);

#endif

/*
 * switchboard: the service manager's notification protocol (sd_notify).
 * Every message to systemd leaves through here.
 */
#ifndef SB_NOTIFY_H
#define SB_NOTIFY_H

#include <stdint.h>

void		notify_ready(const char *status);
void		notify_status(const char *status);
void		notify_reloading(void);
void		notify_stopping(void);
void		notify_watchdog(void);
void		notify_failure(const char *status, int err);
uint64_t	notify_watchdog_usec(void);

#endif

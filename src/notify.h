/*
 * switchboard: the service manager's notification protocol (sd_notify).
 * Every message to systemd leaves through here.
 */
#ifndef SB_NOTIFY_H
#define SB_NOTIFY_H

void	notify_ready(const char *status);
void	notify_status(const char *status);
void	notify_stopping(void);

#endif

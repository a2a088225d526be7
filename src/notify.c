/*
 * switchboard: sd_notify messages. With libsystemd this sends to
 * $NOTIFY_SOCKET; built --without-systemd every call is a no-op.
 */

#include <stdio.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

static void	notify_send(const char *);

/* Send one notification; a failure is logged at debug and otherwise ignored. */
static void
notify_send(const char *msg)
{
#ifdef HAVE_SYSTEMD
	int	r;

	if ((r = sd_notify(0, msg)) < 0)
		log_debug("sd_notify failed: error %d", -r);
#else
	(void)msg;
#endif
}

/* Tell the manager start-up (or a reload) has finished. */
void
notify_ready(const char *status)
{
	char	msg[2048];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify_send(msg);
}

/* Update the one-line status shown by systemctl status. */
void
notify_status(const char *status)
{
	char	msg[2048];

	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	notify_send(msg);
}

/* Tell the manager the daemon is shutting down. */
void
notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=shutting down");
}

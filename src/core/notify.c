/*
 * switchboard: sd_notify messages. With libsystemd this sends to
 * $NOTIFY_SOCKET; built --without-systemd every call is a no-op.
 */
#include <stdio.h>
#include <time.h>

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

/* A reload has begun; the manager wants the time it began. */
void
notify_reloading(void)
{
	struct timespec	ts;
	char		msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\n"
	    "STATUS=reloading the configuration",
	    (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_send(msg);
}

/* Tell the manager the daemon is shutting down. */
void
notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=shutting down");
}

/* Keep the watchdog from firing. */
void
notify_watchdog(void)
{
	notify_send("WATCHDOG=1");
}

/* Start-up failed: say why (err: an errno value, or 0). */
void
notify_failure(const char *status, int err)
{
	char	msg[2048];

	if (err != 0)
		snprintf(msg, sizeof(msg), "STATUS=%s\nERRNO=%d", status, err);
	else
		snprintf(msg, sizeof(msg), "STATUS=%s", status);
	notify_send(msg);
}

/*
 * The watchdog interval the manager asked for, in microseconds; 0 when
 * there is none (or it is meant for another process).
 */
uint64_t
notify_watchdog_usec(void)
{
#ifdef HAVE_SYSTEMD
	uint64_t	usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0)
		return (usec);
#endif
	return (0);
}

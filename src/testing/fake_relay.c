/*
 * switchboard test harness: a relay in memory. A service whose handler
 * starts a relay with an address gets back every line it sends, as its
 * own (mine), at the end of the round, in order: one daemon alone in its
 * room, with a relay that never fails. Without an address, the relay is
 * lost and lines stay local, as in the daemon.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <switchboard/handler.h>

#include "fake.h"

/* The daemon's rules for an address, roughly: an IP and port, or unix:. */
const char *
sb_relay_check(const char *addr)
{
	const char	*colon;

	if (strncmp(addr, "unix:/", 6) == 0)
		return (NULL);
	colon = strrchr(addr, ':');
	if (colon == NULL || colon == addr || colon[1] == '\0' ||
	    strspn(addr, "0123456789.:[]abcdefABCDEF") != strlen(addr))
		return ("relay must be an IP address and port or "
		    "\"unix:/path\"");
	return (NULL);
}

/* Start (or stop, without an address) the fake relay. */
void
sb_relay_start(struct sb_service *svc, const struct sb_relay_conf *rc)
{
	svc->relay_on = rc != NULL && rc->addr != NULL && *rc->addr != '\0';
}

/* Keep the line for the end of the round. */
enum sb_relay_sent
sb_relay_send(struct sb_service *svc, const void *data, size_t len)
{
	struct fake_relayed	*e;

	if (!svc->relay_on)
		return (SB_RELAY_DOWN);
	e = sb_malloc(sizeof(*e) + len);
	e->len = len;
	memcpy(e->data, data, len);
	TAILQ_INSERT_TAIL(&svc->relay, e, entry);
	return (SB_RELAY_QUEUED);
}

/* Lost unless started with an address. */
bool
sb_relay_lost(struct sb_service *svc)
{
	return (!svc->relay_on);
}

/* Deliver what was sent, in order, through the relayed hook. */
void
fake_relay_round(struct sb_service *svc)
{
	struct fake_relayed	*e;
	struct sb_relayed	 ev;

	while ((e = TAILQ_FIRST(&svc->relay)) != NULL) {
		TAILQ_REMOVE(&svc->relay, e, entry);
		memset(&ev, 0, sizeof(ev));
		ev.data = e->data;
		ev.len = e->len;
		ev.time_ms = sb_now_ms();
		ev.mine = true;
		if (svc->h->relayed != NULL && svc->started && !svc->stopped)
			svc->h->relayed(svc, &ev);
		free(e);
	}
}

/* Drop what was never delivered. */
void
fake_relay_free(struct sb_service *svc)
{
	struct fake_relayed	*e;

	while ((e = TAILQ_FIRST(&svc->relay)) != NULL) {
		TAILQ_REMOVE(&svc->relay, e, entry);
		free(e);
	}
}

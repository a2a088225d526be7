/*
 * switchboard test harness: a relay in memory. A service whose handler
 * starts a relay with an address gets back every line it sends, as its
 * own (mine), at the end of the round, in order: one daemon alone in its
 * room, with a relay that never fails. Without an address, the relay is
 * lost and lines stay local, as in the daemon. Names are held in memory,
 * unique among the service's clients; guests are named guest1, guest2...
 * Answers come at the end of the round too.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Queue a line (conn NULL) or an answer for the end of the round. */
static struct fake_relayed *
fake_relay_queue(struct sb_service *svc, struct sb_conn *conn,
    const void *data, size_t len)
{
	struct fake_relayed	*e;

	e = sb_calloc(1, sizeof(*e) + len + 1);
	e->conn = conn;
	e->answer = conn != NULL;
	e->len = len;
	if (len > 0)
		memcpy(e->data, data, len);
	TAILQ_INSERT_TAIL(&svc->relay, e, entry);
	return (e);
}

/* Keep the line for the end of the round. */
enum sb_relay_sent
sb_relay_send(struct sb_service *svc, const void *data, size_t len)
{
	if (!svc->relay_on)
		return (SB_RELAY_DOWN);
	fake_relay_queue(svc, NULL, data, len);
	return (SB_RELAY_QUEUED);
}

/* Who holds name, if anyone. */
static struct fake_claim *
fake_claim_find(struct sb_service *svc, const char *name)
{
	struct fake_claim	*cl;

	TAILQ_FOREACH(cl, &svc->claims, entry) {
		if (strcasecmp(cl->name, name) == 0)
			return (cl);
	}
	return (NULL);
}

/* The client's claim, if any. */
static struct fake_claim *
fake_claim_of(struct sb_conn *c)
{
	struct fake_claim	*cl;

	TAILQ_FOREACH(cl, &c->svc->claims, entry) {
		if (cl->conn == c)
			return (cl);
	}
	return (NULL);
}

/* Claim a name (NULL: a guest's) for the client. */
enum sb_relay_sent
sb_relay_claim(struct sb_conn *c, const char *name)
{
	struct sb_service	*svc = c->svc;
	struct fake_claim	*cl, *other;
	struct fake_relayed	*e;
	char			 guest[64];

	if (!svc->relay_on)
		return (SB_RELAY_DOWN);
	if (name == NULL) {
		do {
			snprintf(guest, sizeof(guest), "guest%lu",
			    ++svc->guests);
		} while (fake_claim_find(svc, guest) != NULL);
		name = guest;
	}
	e = fake_relay_queue(svc, c, NULL, 0);
	e->rep.op = SB_RELAY_CLAIM;
	e->name = sb_malloc(strlen(name) + 1);
	memcpy(e->name, name, strlen(name) + 1);
	e->rep.name = e->name;
	other = fake_claim_find(svc, name);
	if (other != NULL && other->conn != c)
		return (SB_RELAY_QUEUED);
	e->rep.ok = true;
	if ((cl = fake_claim_of(c)) == NULL) {
		cl = sb_calloc(1, sizeof(*cl));
		cl->conn = c;
		TAILQ_INSERT_TAIL(&svc->claims, cl, entry);
	}
	snprintf(cl->name, sizeof(cl->name), "%s", name);
	return (SB_RELAY_QUEUED);
}

/* Give the client's name up, with a farewell. */
enum sb_relay_sent
sb_relay_release(struct sb_conn *c, const void *data, size_t len)
{
	struct fake_claim	*cl;

	if (!c->svc->relay_on)
		return (SB_RELAY_DOWN);
	if ((cl = fake_claim_of(c)) != NULL) {
		TAILQ_REMOVE(&c->svc->claims, cl, entry);
		free(cl);
	}
	if (len > 0)
		fake_relay_queue(c->svc, NULL, data, len);
	return (SB_RELAY_QUEUED);
}

/* Every name held, at the end of the round. */
enum sb_relay_sent
sb_relay_who(struct sb_conn *c)
{
	struct fake_relayed	*e;

	if (!c->svc->relay_on)
		return (SB_RELAY_DOWN);
	e = fake_relay_queue(c->svc, c, NULL, 0);
	e->rep.op = SB_RELAY_WHO;
	e->rep.ok = true;
	return (SB_RELAY_QUEUED);
}

/* Send data if name is held. */
enum sb_relay_sent
sb_relay_send_to(struct sb_conn *c, const char *name, const void *data,
    size_t len)
{
	struct fake_relayed	*e;

	if (!c->svc->relay_on)
		return (SB_RELAY_DOWN);
	if (fake_claim_find(c->svc, name) != NULL)
		fake_relay_queue(c->svc, NULL, data, len);
	e = fake_relay_queue(c->svc, c, data, len);
	e->rep.op = SB_RELAY_TO;
	e->rep.ok = fake_claim_find(c->svc, name) != NULL;
	e->name = sb_malloc(strlen(name) + 1);
	memcpy(e->name, name, strlen(name) + 1);
	e->rep.name = e->name;
	return (SB_RELAY_QUEUED);
}

/* Forget a client after its close hook. */
void
fake_relay_conn_gone(struct sb_conn *c)
{
	struct fake_claim	*cl;
	struct fake_relayed	*e;

	if ((cl = fake_claim_of(c)) != NULL) {
		TAILQ_REMOVE(&c->svc->claims, cl, entry);
		free(cl);
	}
	TAILQ_FOREACH(e, &c->svc->relay, entry) {
		if (e->conn == c)
			e->conn = NULL;
	}
}

/* Answer a client (a WHO gets the names held now). */
static void
fake_relay_answer(struct sb_service *svc, struct fake_relayed *e)
{
	struct fake_claim	*cl;
	const char		**names = NULL;
	size_t			 n = 0;

	if (e->rep.op == SB_RELAY_WHO) {
		TAILQ_FOREACH(cl, &svc->claims, entry)
			n++;
		names = sb_calloc(n + 1, sizeof(*names));
		n = 0;
		TAILQ_FOREACH(cl, &svc->claims, entry)
			names[n++] = cl->name;
		e->rep.names = names;
		e->rep.n = n;
	}
	if (e->rep.op == SB_RELAY_TO) {
		e->rep.data = e->data;
		e->rep.len = e->len;
	}
	if (svc->h->relay_reply != NULL)
		svc->h->relay_reply(e->conn, &e->rep);
	free(names);
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
		if (e->answer) {
			if (e->conn != NULL && svc->started && !svc->stopped)
				fake_relay_answer(svc, e);
			free(e->name);
			free(e);
			continue;
		}
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

	struct fake_claim	*cl;

	while ((e = TAILQ_FIRST(&svc->relay)) != NULL) {
		TAILQ_REMOVE(&svc->relay, e, entry);
		free(e->name);
		free(e);
	}
	while ((cl = TAILQ_FIRST(&svc->claims)) != NULL) {
		TAILQ_REMOVE(&svc->claims, cl, entry);
		free(cl);
	}
}

/*
 * switchboard: a chat room shared by several daemons, through the core's
 * relay (`relay` set). Everything said goes to the room's Redis stream as
 * one entry, "KID TEXT", and every daemon delivers the entries as they
 * come back, in the stream's one order:
 *   L  a line of the room ("<bob> hi"), kept in the history;
 *   N  a notice ("* bob has joined");
 *   P  a private message, "P<id> FROM TO TEXT", for TO's daemon only.
 * ID is the member on the daemon that said it (0: none), so that it is
 * not sent its own line back. Nicks are the relay's leases, unique in the
 * room; a member joins once it holds one (a guest's) and the room's
 * names have come back for its welcome. While a member waits for the
 * relay (joining, /nick, /who, /msg), what it sends next waits too (the
 * core stops reading from it): its lines are taken in order, as in a
 * room of one daemon ("/nick bob" then a line says it as bob), and a
 * member has one question at most in flight however fast it asks.
 * While the relay is lost, members talk locally, as in a room of one
 * daemon.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <switchboard/handler.h>

#include "chat_proto.h"
#include "chat_room.h"

#define CHAT_LOST	"* relay unavailable: only members on this server " \
			"receive your messages"

static char	*chat_payload(char, unsigned long long, const char *, size_t,
		    int *);
static void	 chat_private(struct chat_room *, const char *, size_t);
static void	 chat_claim_reply(struct chat_room *, struct chat_member *,
		    const struct sb_relay_reply *);
static void	 chat_to_reply(struct chat_member *,
		    const struct sb_relay_reply *);
static void	 chat_nick_lost(struct chat_room *, struct chat_member *,
		    const char *);
static void	 chat_hold(struct chat_member *);
static void	 chat_unhold(struct chat_member *);
static void	 chat_shared_join(struct chat_room *, struct chat_member *,
		    const char *const *, size_t);

/*
 * Hold a member's input until the relay answers its question: the relay
 * answers, or is given up as down, within relay_timeout; the hold ends by
 * itself after twice that and a second in any case, or when the rate
 * budgets' pause would, if later.
 */
static void
chat_hold(struct chat_member *m)
{
	const struct chat_conf	*conf;
	unsigned		 ms, budget;

	conf = sb_service_conf(sb_conn_service(m->conn));
	ms = (unsigned)conf->relay_timeout * 2 + 1000;
	if ((budget = chat_budget_left(m)) > ms)
		ms = budget;
	m->held = 1;
	sb_conn_throttle(m->conn, ms);
}

/*
 * The answer came: the member's lines flow again, once its rate budgets
 * allow (the hold may have replaced their pause).
 */
static void
chat_unhold(struct chat_member *m)
{
	if (!m->held)
		return;
	m->held = 0;
	sb_conn_throttle(m->conn, chat_budget_left(m));
}

/* A newcomer who waited for the relay joins (names: NULL for those here). */
static void
chat_shared_join(struct chat_room *room, struct chat_member *m,
    const char *const *names, size_t n)
{
	m->joining = 0;
	room->joining--;
	chat_unhold(m);
	chat_join(room, m, names, n);
}

/* "KID LINE" in new memory; its length in *len. */
static char *
chat_payload(char kind, unsigned long long id, const char *line,
    size_t len, int *n)
{
	char	*msg;

	*n = sb_asprintf(&msg, "%c%llu %.*s", kind, id, (int)len, line);
	return (msg);
}

/*
 * Hand a line to the relay: kind L or N, from a member here (or NULL).
 * Returns 0 if the relay took it or refused it (the member is told), or
 * -1 if it is for this daemon's members only (no relay, or it is lost).
 */
int
chat_publish(struct sb_service *svc, struct chat_member *from, char kind,
    const char *line, size_t len)
{
	struct chat_room	*room = sb_service_data(svc);
	char			*msg;
	int			 n;
	enum sb_relay_sent	 rc;

	if (!room->shared)
		return (-1);
	msg = chat_payload(kind, from != NULL ? from->id : 0, line, len, &n);
	rc = sb_relay_send(svc, msg, (size_t)n);
	free(msg);
	if (rc == SB_RELAY_DOWN)
		return (-1);
	if (rc == SB_RELAY_FULL && from != NULL && kind == 'L')
		sb_conn_send(from->conn, "* relay busy: your message was not "
		    "sent, try again");
	return (0);
}

/*
 * A notice for the room ("* bob has joined"), except for one member (or
 * NULL): relayed if the room is shared, else sent here at once.
 */
void
chat_notice(struct sb_service *svc, struct chat_member *except,
    const char *line, size_t len)
{
	if (chat_publish(svc, except, 'N', line, len) == -1)
		chat_broadcast(sb_service_data(svc), except, line, len);
}

/*
 * A newcomer in a shared room: ask the relay for a guest nick. Returns 1
 * if the join waits for the answer; 0 if the relay is lost, and the
 * member has a local guest nick, claimed when the relay is back.
 */
int
chat_shared_open(struct chat_room *room, struct chat_member *m)
{
	if (sb_relay_claim(m->conn, NULL) == SB_RELAY_QUEUED) {
		m->joining = 1;
		room->joining++;
		chat_hold(m);
		return (1);
	}
	chat_guest_nick(room, m);
	sb_relay_claim(m->conn, m->nick);
	return (0);
}

/*
 * /nick NAME in a shared room, NAME free here: ask the relay. Returns 1
 * if the answer will tell, 0 to rename here now (the relay is lost; the
 * nick is claimed when it is back).
 */
int
chat_shared_nick(struct chat_room *room, struct chat_member *m,
    const char *nick)
{
	if (!room->shared)
		return (0);
	if (sb_relay_claim(m->conn, nick) != SB_RELAY_QUEUED)
		return (0);
	snprintf(m->want, sizeof(m->want), "%s", nick);
	chat_hold(m);
	return (1);
}

/*
 * /msg TO TEXT for a nick not here: through the relay, to whichever
 * daemon has it. Returns 1 if the answer will tell, 0 if there is no one
 * to ask.
 */
int
chat_shared_msg(struct chat_room *room, struct chat_member *m,
    const char *to, size_t tolen, const char *text, size_t len)
{
	char			*msg, nick[CHAT_NICK_MAX + 1];
	int			 n;
	enum sb_relay_sent	 rc;

	if (!room->shared || tolen > CHAT_NICK_MAX)
		return (0);
	memcpy(nick, to, tolen);
	nick[tolen] = '\0';
	n = sb_asprintf(&msg, "P%llu %s %s %.*s", m->id, m->nick, nick,
	    (int)len, text);
	rc = sb_relay_send_to(m->conn, nick, msg, (size_t)n);
	free(msg);
	if (rc == SB_RELAY_FULL)
		sb_conn_send(m->conn, "* relay busy: your message was not "
		    "sent, try again");
	if (rc == SB_RELAY_QUEUED)
		chat_hold(m);
	return (rc != SB_RELAY_DOWN);
}

/* /who in a shared room: ask the relay. 1 if it will answer. */
int
chat_shared_who(struct chat_room *room, struct chat_member *m)
{
	if (!room->shared || sb_relay_who(m->conn) != SB_RELAY_QUEUED)
		return (0);
	chat_hold(m);
	return (1);
}

/*
 * A member has gone (and is off the list): give up its nick and tell the
 * room with line (NULL: no one); local, whether members here are told
 * too.
 */
void
chat_shared_close(struct chat_room *room, struct chat_member *m,
    const char *line, size_t len, int local)
{
	char	*msg = NULL;
	int	 n = 0;

	if (room->shared) {
		if (line != NULL)
			msg = chat_payload('N', 0, line, len, &n);
		if (sb_relay_release(m->conn, msg, (size_t)n) !=
		    SB_RELAY_DOWN)
			local = 0;
		free(msg);
	}
	if (local && line != NULL)
		chat_broadcast(room, NULL, line, len);
}

/* A private message came through the relay: for a member here? */
static void
chat_private(struct chat_room *room, const char *p, size_t len)
{
	const char		*end = p + len, *from, *to, *text;
	struct chat_member	*m;

	from = p;
	if ((to = memchr(from, ' ', len)) == NULL)
		return;
	to++;
	if ((text = memchr(to, ' ', (size_t)(end - to))) == NULL)
		return;
	if ((m = chat_find(room, to, (size_t)(text - to))) == NULL)
		return;
	text++;
	sb_conn_send(m->conn, "[private] <%.*s> %.*s", (int)(to - 1 - from),
	    from, (int)(end - text), text);
}

/*
 * An entry came back from the relay, in the room's order: send it to
 * every member here but the one who said it, and keep a room line in the
 * history. Entries from before the relay started only fill the history.
 */
void
chat_relayed(struct sb_service *svc, const struct sb_relayed *e)
{
	struct chat_room	*room = sb_service_data(svc);
	struct chat_member	*from = NULL, *m;
	unsigned long long	 id = 0;
	const char		*p, *end = e->data + e->len;
	char			*line, why[CHAT_NICK_REASON];
	time_t			 when;
	int			 n;

	if (room == NULL)
		return;
	if (e->expired != NULL) {
		if (chat_nick_check(e->expired, strlen(e->expired), why,
		    sizeof(why)) != NULL ||
		    chat_find(room, e->expired, strlen(e->expired)) != NULL)
			return;		/* not a nick, or one held here */
		n = sb_asprintf(&line, "* %s has left (server unreachable)",
		    e->expired);
		chat_broadcast(room, NULL, line, (size_t)n);
		free(line);
		return;
	}
	if (e->len < 3)
		return;
	for (p = e->data + 1; p < end && *p >= '0' && *p <= '9'; p++)
		id = id * 10 + (unsigned long long)(*p - '0');
	if (p == end || *p != ' ')
		return;
	p++;
	if (e->data[0] == 'P') {
		if (!e->history)
			chat_private(room, p, (size_t)(end - p));
		return;
	}
	if (e->data[0] != 'L' && e->data[0] != 'N')
		return;
	when = e->time_ms != 0 ? (time_t)(e->time_ms / 1000) : time(NULL);
	if (e->data[0] == 'L' && room->history.cap > 0)
		chat_remember(room, p, (size_t)(end - p), when);
	if (e->history)
		return;
	if (e->mine && id != 0) {
		TAILQ_FOREACH(m, &room->members, entry) {
			if (m->id == id) {
				from = m;
				break;
			}
		}
	}
	chat_broadcast(room, from, p, (size_t)(end - p));
}

/* The relay was lost, or is back: tell everyone here. */
void
chat_relay_event(struct sb_service *svc, enum sb_relay_event ev)
{
	struct chat_room	*room = sb_service_data(svc);
	const char		*text;

	if (room == NULL)
		return;
	switch (ev) {
	case SB_RELAY_LOST:
		text = CHAT_LOST;
		break;
	case SB_RELAY_GAP:
		text = "* messages from other servers may have been missed";
		break;
	case SB_RELAY_RESTORED:
		text = "* relay restored";
		break;
	default:
		return;
	}
	chat_broadcast(room, NULL, text, strlen(text));
}

/*
 * A nick claim's answer: for a newcomer (then the room's names for its
 * welcome), for /nick, or news that the member's nick was taken while
 * the relay could not tell (then a guest nick instead).
 */
static void
chat_claim_reply(struct chat_room *room, struct chat_member *m,
    const struct sb_relay_reply *rep)
{
	char	want[CHAT_NICK_MAX + 1];

	if (m->joining) {
		if (rep->ok) {
			snprintf(m->nick, sizeof(m->nick), "%s", rep->name);
			if (sb_relay_who(m->conn) == SB_RELAY_QUEUED)
				return;
		} else {
			chat_guest_nick(room, m);
			sb_relay_claim(m->conn, m->nick);
		}
		chat_shared_join(room, m, NULL, 0);
		return;
	}
	if (!m->joined)
		return;
	chat_unhold(m);
	if (rep->lost) {
		chat_nick_lost(room, m, rep->name);
		return;
	}
	if (m->renaming) {
		m->renaming = 0;
		if (rep->ok)
			chat_rename(room, m, rep->name);
		else {			/* the relay went: a guest nick here */
			chat_guest_nick(room, m);
			sb_relay_claim(m->conn, m->nick);
			chat_rename(room, m, m->nick);
		}
		return;
	}
	if (m->want[0] == '\0') {
		/*
		 * The member's own nick, claimed by the room (a guest nick
		 * given here while the relay was lost): kept, taken
		 * elsewhere, or to be claimed again once the relay is back.
		 */
		if (rep->ok && strcmp(rep->name, m->nick) != 0)
			chat_rename(room, m, rep->name);
		else if (!rep->ok && !rep->down)
			chat_nick_lost(room, m, m->nick);
		return;
	}
	snprintf(want, sizeof(want), "%s", m->want);
	m->want[0] = '\0';
	if (rep->ok)
		chat_rename(room, m, rep->name);
	else if (rep->down && chat_find(room, want, strlen(want)) == NULL) {
		sb_relay_claim(m->conn, want);
		chat_rename(room, m, want);
	} else
		sb_conn_send(m->conn, "* nick %s is already taken", want);
}

/*
 * The member's nick was taken on another daemon while the relay could not
 * tell: say so, and give it a guest nick.
 */
static void
chat_nick_lost(struct chat_room *room, struct chat_member *m,
    const char *name)
{
	sb_conn_send(m->conn, "* your nick %s was taken on another server "
	    "while the relay was unavailable", name);
	m->renaming = 1;
	if (sb_relay_claim(m->conn, NULL) == SB_RELAY_QUEUED) {
		chat_hold(m);
		return;
	}
	m->renaming = 0;
	chat_guest_nick(room, m);
	sb_relay_claim(m->conn, m->nick);
	chat_rename(room, m, m->nick);
}

/* A private message's answer: sent, or no such nick. */
static void
chat_to_reply(struct chat_member *m, const struct sb_relay_reply *rep)
{
	const char	*p = rep->data, *end = p + rep->len;
	int		 spaces = 0;

	while (p < end && spaces < 3) {
		if (*p++ == ' ')
			spaces++;
	}
	if (rep->ok)
		sb_conn_send(m->conn, "* to %s: %.*s", rep->name,
		    (int)(end - p), p);
	else if (rep->down)
		sb_conn_send(m->conn, "* relay unavailable: your message to "
		    "%s may not have been sent", rep->name);
	else
		sb_conn_send(m->conn, "* no such nick: %s", rep->name);
}

/* The relay answers a member's question. */
void
chat_relay_reply(struct sb_conn *c, const struct sb_relay_reply *rep)
{
	struct chat_room	*room = sb_service_data(sb_conn_service(c));
	struct chat_member	*m = sb_conn_state(c);

	switch (rep->op) {
	case SB_RELAY_CLAIM:
		chat_claim_reply(room, m, rep);
		break;
	case SB_RELAY_WHO:
		if (m->joining)
			chat_shared_join(room, m, rep->down ? NULL :
			    rep->names, rep->down ? 0 : rep->n);
		else if (m->joined) {
			chat_unhold(m);
			chat_who_reply(m, rep->down ? NULL : rep->names,
			    rep->down ? 0 : rep->n);
		}
		break;
	case SB_RELAY_TO:
		if (m->joined) {
			chat_unhold(m);
			chat_to_reply(m, rep);
		}
		break;
	}
}

/* Check the relay's address, and that a user comes with its password. */
const char *
chat_configure(void *blob)
{
	struct chat_conf	*conf = blob;

	if (*conf->relay_user != '\0' && *conf->relay_password == '\0')
		return ("relay_user needs relay_password (Redis AUTH names a "
		    "user only with its password)");
	if (strspn(conf->room, CHAT_ROOM_CHARS) != strlen(conf->room))
		return ("room may have only A-Z a-z 0-9 _ - . (a colon would "
		    "let it name another room's keys in Redis)");
	if (*conf->relay == '\0')
		return (NULL);
	if (conf->relay_lease < 2 * conf->relay_timeout)
		return ("relay_lease must be at least twice relay_timeout: a "
		    "slow answer from Redis that is not an outage would let "
		    "members' nicks run out");
	return (sb_relay_check(conf->relay));
}

/*
 * Start the relay (at start), or give it the service's new settings (a
 * reload; the core keeps the room, and a room without relay at start
 * stays one).
 */
void
chat_relay_start(struct sb_service *svc)
{
	const struct chat_conf	*conf = sb_service_conf(svc);
	struct chat_room	*room = sb_service_data(svc);
	struct sb_relay_conf	 rc;

	if (room->started && !room->shared)
		return;			/* a relay comes only at start */
	room->shared = *conf->relay != '\0';
	room->started = true;
	memset(&rc, 0, sizeof(rc));
	rc.addr = conf->relay;
	rc.room = *conf->room != '\0' ? conf->room : sb_service_name(svc);
	rc.prefix = conf->relay_prefix;
	rc.password = conf->relay_password;
	rc.user = conf->relay_user;
	rc.max_queue = (size_t)conf->relay_queue;
	rc.timeout_ms = (unsigned)conf->relay_timeout;
	rc.history = (unsigned)conf->history;
	rc.keep = (unsigned)conf->relay_keep;
	rc.lease_ms = (unsigned)conf->relay_lease;
	sb_relay_start(svc, &rc);
}

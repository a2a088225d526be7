/*
 * switchboard: the chat-relay handler.
 *
 * Each service is one room. A plain line goes to every other member as
 * "<nick> text"; server notices start with "* ". The room keeps its members
 * in a list and the last few messages in a history ring that newcomers get.
 * Sending never blocks: the core cuts off a member whose output backs up,
 * and its close hook tells the room. What a member asked for (the welcome,
 * the history, /who, /help) is queued as its own reply, which never cuts
 * it off; what others say is bounded by each member's budget of lines and
 * bytes per second and by the room's budget of bytes per second, so no
 * flooder, nor several together, can outrun members who read.
 *
 * With `relay` set, the room spans every daemon whose service names the
 * same Redis room: lines and notices go through the core's relay
 * (chat_publish), and each daemon delivers what comes back, in the room's
 * one order (chat_relayed). While the relay is lost, members here still talk among
 * themselves, as without a relay, and are told so.
 */
#include <sys/queue.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <switchboard/bucket.h>
#include <switchboard/handler.h>

#include "chat_history.h"
#include "chat_proto.h"

struct chat_conf {
	long long	max_clients;
	long long	history;
	long long	rate;		/* lines per second, 0 = no budget */
	long long	burst;		/* lines saved up */
	long long	byte_rate;	/* bytes per second, 0 = no budget */
	long long	room_byte_rate;	/* ... for the whole room */
	char		*relay;		/* Redis address, "" = none */
	char		*room;		/* its room, "" = the service's name */
	char		*relay_prefix;
	char		*relay_password;
	long long	relay_queue;	/* bytes waiting to be relayed */
	long long	relay_timeout;	/* ms */
	long long	relay_keep;	/* entries the stream keeps */
};

struct chat_member {
	TAILQ_ENTRY(chat_member) entry;
	struct sb_conn		*conn;
	struct sb_bucket	 lines;		/* rate budget */
	struct sb_bucket	 bytes;		/* byte_rate budget */
	char			 nick[CHAT_NICK_MAX + 1];
	int			 joined;	/* after nick: no padding */
	unsigned long long	 id;		/* in this room, from 1 */
};

struct chat_room {
	TAILQ_HEAD(, chat_member) members;
	size_t			 count;
	unsigned long		 next_guest;
	unsigned long long	 next_id;
	bool			 shared;	/* relay set */
	struct chat_history	 history;
	struct sb_bucket	 bytes;		/* room_byte_rate budget */
};

static const struct sb_option chat_options[] = {
	SB_OPTION_INT(struct chat_conf, max_clients, 0, 1000000, "0",
	    "members at once, 0 = no limit of its own"),
	SB_OPTION_INT(struct chat_conf, history, 0, 1000, "20",
	    "messages replayed to a newcomer"),
	SB_OPTION_INT(struct chat_conf, rate, 0, 100000, "0",
	    "lines per second from one member, 0 = no limit"),
	SB_OPTION_INT(struct chat_conf, burst, 1, 100000, "20",
	    "lines a member may send at once before rate applies"),
	SB_OPTION_INT(struct chat_conf, byte_rate, 0, 1073741824, "65536",
	    "bytes per second relayed from one member, 0 = no limit"),
	SB_OPTION_INT(struct chat_conf, room_byte_rate, 0, 1073741824,
	    "65536", "bytes per second relayed from all members together, "
	    "0 = no limit"),
	SB_OPTION_STRING(struct chat_conf, relay, 0, 200, "",
	    "Redis that shares the room between daemons: IP:PORT or "
	    "unix:/path, \"\" = none"),
	SB_OPTION_STRING(struct chat_conf, room, 0, 200, "",
	    "the room's name in Redis, \"\" = the service's name"),
	SB_OPTION_STRING(struct chat_conf, relay_prefix, 0, 100,
	    "switchboard:", "put before the room's Redis key"),
	SB_OPTION_STRING(struct chat_conf, relay_password, 0, 200, "",
	    "Redis AUTH password, \"\" = none"),
	SB_OPTION_INT(struct chat_conf, relay_queue, 1024, 1073741824,
	    "1048576", "bytes of lines waiting to be relayed"),
	SB_OPTION_INT(struct chat_conf, relay_timeout, 50, 600000, "3000",
	    "milliseconds to connect to Redis or wait for its answer"),
	SB_OPTION_INT(struct chat_conf, relay_keep, 10, 100000000, "1000",
	    "lines the room's Redis stream keeps, about"),
	SB_OPTION_END
};

static const char *const chat_help[] = {
	"* commands:",
	"*   /nick NAME      change your nick (1-32 of A-Z a-z 0-9 _ -)",
	"*   /who            list who is online",
	"*   /me ACTION      tell the room what you do: * alice waves",
	"*   /msg NICK TEXT  send TEXT to NICK only",
	"*   /quit [REASON]  leave",
	"*   /help           this list",
	"*   //text          send a line that starts with /",
	NULL
};

static struct chat_room *chat_room(struct sb_conn *);
static struct chat_member *chat_find(struct chat_room *, const char *,
		    size_t);
static char	*chat_names(struct chat_room *);
static void	 chat_broadcast(struct chat_room *, struct chat_member *,
		    const char *, size_t);
static void	 chat_say(struct chat_room *, struct chat_member *,
		    const char *, size_t, int);
static void	 chat_remember(struct chat_room *, const char *, size_t,
		    time_t);
static void	 chat_notice(struct sb_service *, struct chat_member *,
		    const char *, size_t);
static int	 chat_publish(struct sb_service *, struct chat_member *, char,
		    const char *, size_t);
static void	 chat_relay_start(struct sb_service *);
static void	 chat_relayed(struct sb_service *, const struct sb_relayed *);
static void	 chat_relay_event(struct sb_service *, enum sb_relay_event);
static const char *chat_configure(void *);
static void	 chat_nick(struct chat_room *, struct chat_member *,
		    const struct chat_cmd *);
static void	 chat_msg(struct chat_room *, struct chat_member *,
		    const struct chat_cmd *);
static void	 chat_guest_nick(struct chat_room *, struct chat_member *);
static void	 chat_budget(const struct chat_conf *, struct chat_room *,
		    struct chat_member *, size_t);
static void	 chat_replay(struct chat_room *, struct sb_conn *);
static int	 chat_start(struct sb_service *);
static void	 chat_stop(struct sb_service *);
static void	 chat_reconfigure(struct sb_service *, const void *);
static void	 chat_open(struct sb_conn *);
static void	 chat_line(struct sb_conn *, const char *, size_t);
static void	 chat_close(struct sb_conn *, const char *);
static void	 chat_too_long(struct sb_conn *, size_t);

/* The room a connection belongs to. */
static struct chat_room *
chat_room(struct sb_conn *c)
{
	return (sb_service_data(sb_conn_service(c)));
}

/* Find a member by nick, ignoring case. */
static struct chat_member *
chat_find(struct chat_room *room, const char *nick, size_t len)
{
	struct chat_member	*m;

	TAILQ_FOREACH(m, &room->members, entry) {
		if (strlen(m->nick) == len &&
		    strncasecmp(m->nick, nick, len) == 0)
			return (m);
	}
	return (NULL);
}

/* All nicks, comma-separated, in a new string. */
static char *
chat_names(struct chat_room *room)
{
	struct chat_member	*m;
	char			*s, *p;

	p = s = sb_malloc(room->count * (CHAT_NICK_MAX + 2) + 1);
	*p = '\0';
	TAILQ_FOREACH(m, &room->members, entry) {
		if (p != s) {
			*p++ = ',';
			*p++ = ' ';
		}
		p = stpcpy(p, m->nick);
	}
	return (s);
}

/* Send a line to every member but one (NULL: everyone). */
static void
chat_broadcast(struct chat_room *room, struct chat_member *except,
    const char *line, size_t len)
{
	struct chat_member	*m;
	struct sb_line		*l;

	l = sb_line_new(line, len);
	TAILQ_FOREACH(m, &room->members, entry) {
		if (m != except)
			sb_conn_write_line(m->conn, l);
	}
	sb_line_free(l);
}

/*
 * Relay text from a member: "<nick> text", or "* nick text" for an action.
 * The text is cleaned of control characters first; the line is kept in the
 * history.
 */
static void
chat_say(struct chat_room *room, struct chat_member *from, const char *text,
    size_t len, int action)
{
	char	*clean, *line;
	size_t	 n;
	int	 linelen;

	clean = sb_malloc(len + 1);
	n = chat_sanitize(text, len, clean);
	clean[n] = '\0';
	if (n == 0) {
		free(clean);
		return;
	}
	if (action)
		linelen = sb_asprintf(&line, "* %s %s", from->nick, clean);
	else
		linelen = sb_asprintf(&line, "<%s> %s", from->nick, clean);
	if (chat_publish(sb_conn_service(from->conn), from, 'L', line,
	    (size_t)linelen) == -1) {
		chat_broadcast(room, from, line, (size_t)linelen);
		if (room->history.cap > 0)
			chat_remember(room, line, (size_t)linelen, time(NULL));
	}
	free(line);
	free(clean);
}

/*
 * Keep a line in the history as newcomers will get it, with the UTC time
 * it was said (now): "[14:05] <bob> hi". It is made once, here: a replay only
 * queues references to it, so a newcomer that never reads costs the
 * daemon a little per line, not a copy of the history.
 */
static void
chat_remember(struct chat_room *room, const char *line, size_t len,
    time_t now)
{
	struct tm	 tm;
	char		*text;
	int		 n;

	if (gmtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = sb_asprintf(&text, "[%02d:%02d] %.*s", tm.tm_hour, tm.tm_min,
	    (int)len, line);
	chat_history_add(&room->history, sb_line_new(text, (size_t)n));
	free(text);
}

/*
 * A notice for the room ("* bob has joined"), except for one member (or
 * NULL): relayed if the room is shared, else sent here at once.
 */
static void
chat_notice(struct sb_service *svc, struct chat_member *except,
    const char *line, size_t len)
{
	if (chat_publish(svc, except, 'N', line, len) == -1)
		chat_broadcast(sb_service_data(svc), except, line, len);
}

/*
 * Hand a line to the relay as "KID LINE": K is L for a line of the room's
 * (kept in the history) or N for a notice, ID the member who said it on
 * this daemon (not to be sent its own line back), 0 for none. Returns 0
 * if the relay took it or refused it (the member is told), or -1 if it is
 * for this daemon's members only (no relay, or the relay is lost).
 */
static int
chat_publish(struct sb_service *svc, struct chat_member *from, char kind,
    const char *line, size_t len)
{
	struct chat_room	*room = sb_service_data(svc);
	char			*msg;
	int			 n;
	enum sb_relay_sent	 rc;

	if (!room->shared)
		return (-1);
	n = sb_asprintf(&msg, "%c%llu %.*s", kind, from != NULL ? from->id :
	    0ULL, (int)len, line);
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
 * A line came back from the relay, in the room's order: send it to every
 * member here but the one who said it, and keep a room line in the
 * history. Entries from before the relay started only fill the history.
 */
static void
chat_relayed(struct sb_service *svc, const struct sb_relayed *e)
{
	struct chat_room	*room = sb_service_data(svc);
	struct chat_member	*from = NULL, *m;
	unsigned long long	 id = 0;
	const char		*p, *end = e->data + e->len;
	time_t			 when;

	if (room == NULL || e->len < 3 || (e->data[0] != 'L' &&
	    e->data[0] != 'N'))
		return;
	for (p = e->data + 1; p < end && *p >= '0' && *p <= '9'; p++)
		id = id * 10 + (unsigned long long)(*p - '0');
	if (p == end || *p != ' ')
		return;
	p++;
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
static void
chat_relay_event(struct sb_service *svc, enum sb_relay_event ev)
{
	struct chat_room	*room = sb_service_data(svc);
	const char		*text;

	if (room == NULL)
		return;
	switch (ev) {
	case SB_RELAY_LOST:
		text = "* relay unavailable: only members on this server "
		    "receive your messages";
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

/* Check the relay's address. */
static const char *
chat_configure(void *blob)
{
	struct chat_conf	*conf = blob;

	if (*conf->relay == '\0')
		return (NULL);
	return (sb_relay_check(conf->relay));
}

/* Start the relay, or give it the service's new settings. */
static void
chat_relay_start(struct sb_service *svc)
{
	const struct chat_conf	*conf = sb_service_conf(svc);
	struct chat_room	*room = sb_service_data(svc);
	struct sb_relay_conf	 rc;

	room->shared = *conf->relay != '\0';
	memset(&rc, 0, sizeof(rc));
	rc.addr = conf->relay;
	rc.room = *conf->room != '\0' ? conf->room : sb_service_name(svc);
	rc.prefix = conf->relay_prefix;
	rc.password = conf->relay_password;
	rc.max_queue = (size_t)conf->relay_queue;
	rc.timeout_ms = (unsigned)conf->relay_timeout;
	rc.history = (unsigned)conf->history;
	rc.keep = (unsigned)conf->relay_keep;
	sb_relay_start(svc, &rc);
}

/* /nick NAME */
static void
chat_nick(struct chat_room *room, struct chat_member *m,
    const struct chat_cmd *cmd)
{
	struct chat_member	*other;
	char			 old[CHAT_NICK_MAX + 1];
	char			 why[CHAT_NICK_REASON];
	const char		*bad;
	char			*line;
	int			 n;

	bad = chat_nick_check(cmd->arg, cmd->arg_len, why, sizeof(why));
	if (bad != NULL) {
		sb_conn_send(m->conn, "* invalid nick: %s; a nick is 1-%d of "
		    "A-Z a-z 0-9 _ -", bad, CHAT_NICK_MAX);
		return;
	}
	other = chat_find(room, cmd->arg, cmd->arg_len);
	if (other != NULL && other != m) {
		sb_conn_send(m->conn, "* nick %.*s is already taken",
		    (int)cmd->arg_len, cmd->arg);
		return;
	}
	memcpy(old, m->nick, sizeof(old));
	memcpy(m->nick, cmd->arg, cmd->arg_len);
	m->nick[cmd->arg_len] = '\0';
	sb_conn_send(m->conn, "* you are now known as %s", m->nick);
	n = sb_asprintf(&line, "* %s is now known as %s", old, m->nick);
	chat_notice(sb_conn_service(m->conn), m, line, (size_t)n);
	free(line);
}

/* /msg NICK TEXT: only NICK sees it. */
static void
chat_msg(struct chat_room *room, struct chat_member *m,
    const struct chat_cmd *cmd)
{
	struct chat_member	*to;
	char			*clean;
	size_t			 n;

	to = chat_find(room, cmd->target, cmd->target_len);
	if (to == NULL) {
		sb_conn_send(m->conn, "* no such nick: %.*s",
		    (int)(cmd->target_len > CHAT_NICK_MAX ? CHAT_NICK_MAX :
		    cmd->target_len), cmd->target);
		return;
	}
	clean = sb_malloc(cmd->arg_len + 1);
	n = chat_sanitize(cmd->arg, cmd->arg_len, clean);
	if (n > 0) {
		sb_conn_send(to->conn, "[private] <%s> %.*s", m->nick, (int)n,
		    clean);
		sb_conn_send(m->conn, "* to %s: %.*s", to->nick, (int)n, clean);
	}
	free(clean);
}

/*
 * Charge a line of len bytes to a member's budgets: `rate` lines per
 * second (at most `burst` saved up) and `byte_rate` bytes per second (at
 * most one second's worth saved up), the bytes counted as every other
 * member gets them, with the nick and line ending; and the same bytes to
 * the room's `room_byte_rate`, which all members share (one second's
 * worth saved up), so that several flooders together cannot outrun a
 * reader either. Past any of them, stop reading from the member until
 * the budget has refilled: nothing is dropped, the sender just waits, and
 * its own socket buffers fill.
 */
static void
chat_budget(const struct chat_conf *conf, struct chat_room *room,
    struct chat_member *m, size_t len)
{
	uint64_t	now = sb_now_ms();
	double		wait = 0.0, bwait = 0.0, rwait = 0.0, rate, cost;

	if (conf->rate == 0 && conf->byte_rate == 0 &&
	    conf->room_byte_rate == 0)
		return;
	cost = (double)(len + strlen(m->nick) + 5);
	if (conf->rate > 0) {
		rate = (double)conf->rate;
		sb_bucket_charge(&m->lines, rate, (double)conf->burst, 1.0,
		    now);
		wait = sb_bucket_wait_ms(&m->lines, rate, 1.0);
	}
	if (conf->byte_rate > 0) {
		rate = (double)conf->byte_rate;
		sb_bucket_charge(&m->bytes, rate, rate, cost, now);
		bwait = sb_bucket_wait_ms(&m->bytes, rate, 0.0);
	}
	if (conf->room_byte_rate > 0) {
		rate = (double)conf->room_byte_rate;
		sb_bucket_charge(&room->bytes, rate, rate, cost, now);
		rwait = sb_bucket_wait_ms(&room->bytes, rate, 0.0);
	}
	if (rwait > bwait && rwait > wait)
		sb_conn_limit(m->conn, SB_LIMIT_RATE, "room over %lld bytes "
		    "per second, pausing %.0f ms", conf->room_byte_rate, rwait);
	else if (bwait > wait)
		sb_conn_limit(m->conn, SB_LIMIT_RATE, "over %lld bytes per "
		    "second, pausing %.0f ms", conf->byte_rate, bwait);
	else if (wait > 0.0)
		sb_conn_limit(m->conn, SB_LIMIT_RATE, "over %lld lines per "
		    "second, pausing %.0f ms", conf->rate, wait);
	else
		return;
	if (bwait > wait)
		wait = bwait;
	if (rwait > wait)
		wait = rwait;
	sb_conn_throttle(m->conn, (unsigned)wait + 1);
}

/*
 * Replay the history to a newcomer, framed so it is not taken for live
 * talk. Each line is the shared one the history keeps, stamped with its
 * time when it was said.
 */
static void
chat_replay(struct chat_room *room, struct sb_conn *c)
{
	size_t	i;

	if (room->history.n == 0)
		return;
	sb_conn_send(c, "* last %zu messages:", room->history.n);
	for (i = 0; i < room->history.n; i++)
		sb_conn_write_line(c, chat_history_get(&room->history, i));
	sb_conn_send(c, "* end of history");
}

/* Give a newcomer the next free guestN nick. */
static void
chat_guest_nick(struct chat_room *room, struct chat_member *m)
{
	do {
		snprintf(m->nick, sizeof(m->nick), "guest%lu",
		    ++room->next_guest);
	} while (chat_find(room, m->nick, strlen(m->nick)) != NULL);
}

/* Create the room when the service starts. */
static int
chat_start(struct sb_service *svc)
{
	const struct chat_conf	*conf = sb_service_conf(svc);
	struct chat_room	*room;

	room = sb_calloc(1, sizeof(*room));
	TAILQ_INIT(&room->members);
	chat_history_init(&room->history, (size_t)conf->history);
	sb_service_set_data(svc, room);
	chat_relay_start(svc);
	return (0);
}

/* Free the room after its last member has gone. */
static void
chat_stop(struct sb_service *svc)
{
	struct chat_room	*room = sb_service_data(svc);

	chat_history_free(&room->history);
	free(room);
	sb_service_set_data(svc, NULL);
}

/* A reload kept the room: its history takes the new size at once. */
static void
chat_reconfigure(struct sb_service *svc, const void *old)
{
	const struct chat_conf	*conf = sb_service_conf(svc);
	struct chat_room	*room = sb_service_data(svc);

	(void)old;
	if (room->history.cap != (size_t)conf->history)
		chat_history_resize(&room->history, (size_t)conf->history);
	chat_relay_start(svc);
}

/* A client arrives: welcome, history, and a notice to the room. */
static void
chat_open(struct sb_conn *c)
{
	const struct chat_conf	*conf = sb_service_conf(sb_conn_service(c));
	struct chat_room	*room = chat_room(c);
	struct chat_member	*m = sb_conn_state(c);
	char			*names, *join;
	int			 n;

	if (conf->max_clients > 0 &&
	    room->count >= (size_t)conf->max_clients) {
		sb_conn_limit(c, SB_LIMIT_MAX_CLIENTS, "room is full (%lld)",
		    conf->max_clients);
		sb_conn_send(c, "* room is full (%lld clients)",
		    conf->max_clients);
		sb_conn_close(c, SB_CLOSE_FLUSH, "room is full");
		return;
	}
	m->conn = c;
	m->id = ++room->next_id;
	chat_guest_nick(room, m);
	n = sb_asprintf(&join, "* %s has joined", m->nick);
	chat_notice(sb_conn_service(c), m, join, (size_t)n);
	free(join);
	TAILQ_INSERT_TAIL(&room->members, m, entry);
	room->count++;
	m->joined = 1;
	names = chat_names(room);
	sb_conn_reply_begin(c);
	sb_conn_send(c, "* welcome to %s, you are %s; online (%zu): %s; "
	    "/help lists commands", sb_service_name(sb_conn_service(c)),
	    m->nick, room->count, names);
	free(names);
	chat_replay(room, c);
	if (room->shared && sb_relay_lost(sb_conn_service(c)))
		sb_conn_send(c, "* relay unavailable: only members on this "
		    "server receive your messages");
	sb_conn_reply_end(c);
}

/* One line from a member: a message or a command. */
static void
chat_line(struct sb_conn *c, const char *text, size_t len)
{
	struct chat_room	*room = chat_room(c);
	struct chat_member	*m = sb_conn_state(c);
	struct chat_cmd		 cmd;
	char			*names, reason[128];
	size_t			 i;

	chat_budget(sb_service_conf(sb_conn_service(c)), room, m, len);
	chat_parse(text, len, &cmd);
	switch (cmd.kind) {
	case CHAT_CMD_EMPTY:
		break;
	case CHAT_CMD_TEXT:
		chat_say(room, m, cmd.arg, cmd.arg_len, 0);
		break;
	case CHAT_CMD_ME:
		chat_say(room, m, cmd.arg, cmd.arg_len, 1);
		break;
	case CHAT_CMD_NICK:
		chat_nick(room, m, &cmd);
		break;
	case CHAT_CMD_WHO:
		names = chat_names(room);
		sb_conn_reply_begin(c);
		sb_conn_send(c, "* online (%zu): %s", room->count, names);
		sb_conn_reply_end(c);
		free(names);
		break;
	case CHAT_CMD_MSG:
		chat_msg(room, m, &cmd);
		break;
	case CHAT_CMD_HELP:
		sb_conn_reply_begin(c);
		for (i = 0; chat_help[i] != NULL; i++)
			sb_conn_send(c, "%s", chat_help[i]);
		sb_conn_reply_end(c);
		break;
	case CHAT_CMD_QUIT:
		if (cmd.arg_len > 100)
			cmd.arg_len = 100;
		i = chat_sanitize(cmd.arg, cmd.arg_len, reason + 6);
		memcpy(reason, "quit: ", 6);
		reason[i == 0 ? 4 : i + 6] = '\0';
		sb_conn_send(c, "* bye");
		sb_conn_close(c, SB_CLOSE_FLUSH, reason);
		return;
	case CHAT_CMD_USAGE:
		sb_conn_send(c, "* %s", cmd.usage);
		break;
	case CHAT_CMD_UNKNOWN:
		sb_conn_send(c, "* unknown command %.*s; /help lists commands",
		    (int)(cmd.target_len > 32 ? 32 : cmd.target_len),
		    cmd.target);
		break;
	}
}

/* A member leaves: tell the room, unless the whole room is closing. */
static void
chat_close(struct sb_conn *c, const char *reason)
{
	struct chat_room	*room = chat_room(c);
	struct chat_member	*m = sb_conn_state(c);
	char			*line;
	int			 n;

	if (!m->joined)
		return;
	TAILQ_REMOVE(&room->members, m, entry);
	room->count--;
	m->joined = 0;
	if (sb_service_is_stopping(sb_conn_service(c))) {
		sb_conn_send(c, "* %s", sb_service_stop_reason(
		    sb_conn_service(c)));
		return;
	}
	n = sb_asprintf(&line, "* %s has left (%s)", m->nick, reason);
	chat_notice(sb_conn_service(c), NULL, line, (size_t)n);
	free(line);
}

/* A line over max bytes was discarded: say so like the other notices. */
static void
chat_too_long(struct sb_conn *c, size_t max)
{
	sb_conn_send(c, "* line too long (max %zu bytes), not sent", max);
}

/* For the operator: a member is its nick. */
static size_t
chat_describe(struct sb_conn *c, char *buf, size_t size)
{
	struct chat_member	*m = sb_conn_state(c);

	if (!m->joined || size == 0)
		return (0);
	return ((size_t)snprintf(buf, size, "%s", m->nick) >= size ?
	    size - 1 : strlen(buf));
}

/* The operator disconnects the member: a notice like the others. */
static void
chat_kicked(struct sb_conn *c, const char *reason)
{
	sb_conn_send(c, "* disconnected by the operator%s%s",
	    *reason != '\0' ? ": " : "", reason);
}

const struct sb_handler chat_relay_handler = {
	.name = "chat-relay",
	.options = chat_options,
	.conf_size = sizeof(struct chat_conf),
	.conn_size = sizeof(struct chat_member),
	.configure = chat_configure,
	.start = chat_start,
	.stop = chat_stop,
	.reconfigure = chat_reconfigure,
	.open = chat_open,
	.line = chat_line,
	.close = chat_close,
	.too_long = chat_too_long,
	.describe = chat_describe,
	.kicked = chat_kicked,
	.relayed = chat_relayed,
	.relay_event = chat_relay_event,
};

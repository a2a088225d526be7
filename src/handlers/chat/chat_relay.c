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
 * same Redis room: see chat_shared.c.
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
#include "chat_room.h"

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
	SB_OPTION_STRING(struct chat_conf, relay_user, 0, 200, "",
	    "Redis ACL user that relay_password is for, \"\" = the default "
	    "user"),
	SB_OPTION_INT(struct chat_conf, relay_queue, 1024, 1073741824,
	    "1048576", "bytes of lines waiting to be relayed"),
	SB_OPTION_INT(struct chat_conf, relay_timeout, 50, 600000, "3000",
	    "milliseconds to connect to Redis or wait for its answer"),
	SB_OPTION_INT(struct chat_conf, relay_keep, 10, 100000000, "1000",
	    "lines the room's Redis stream keeps, about"),
	SB_OPTION_INT(struct chat_conf, relay_lease, 300, 3600000, "15000",
	    "milliseconds a nick outlives a daemon that stopped answering"),
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
static char	*chat_names(struct chat_room *);
static char	*chat_list(const char *const *, size_t);
static void	 chat_say(struct chat_room *, struct chat_member *,
		    const char *, size_t, int);
static void	 chat_nick(struct chat_room *, struct chat_member *,
		    const struct chat_cmd *);
static void	 chat_msg(struct chat_room *, struct chat_member *,
		    const struct chat_cmd *);
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
struct chat_member *
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

/* Names given, comma-separated, in a new string. */
static char *
chat_list(const char *const *names, size_t n)
{
	size_t	 i, len = 1;
	char	*s, *p;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 2;
	p = s = sb_malloc(len);
	*p = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0) {
			*p++ = ',';
			*p++ = ' ';
		}
		p = stpcpy(p, names[i]);
	}
	return (s);
}

/* Send a line to every member but one (NULL: everyone). */
void
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
void
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

/* /nick NAME */
static void
chat_nick(struct chat_room *room, struct chat_member *m,
    const struct chat_cmd *cmd)
{
	struct chat_member	*other;
	char			 why[CHAT_NICK_REASON];
	char			 nick[CHAT_NICK_MAX + 1];
	const char		*bad;

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
	if (m->want[0] != '\0' || m->renaming) {
		sb_conn_send(m->conn, "* a nick change is under way, try "
		    "again");
		return;
	}
	memcpy(nick, cmd->arg, cmd->arg_len);
	nick[cmd->arg_len] = '\0';
	if (chat_shared_nick(room, m, nick))
		return;
	chat_rename(room, m, nick);
}

/* The member's nick is now nick: tell it and the room. */
void
chat_rename(struct chat_room *room, struct chat_member *m, const char *nick)
{
	char	 old[CHAT_NICK_MAX + 1];
	char	*line;
	int	 n;

	(void)room;
	memcpy(old, m->nick, sizeof(old));
	snprintf(m->nick, sizeof(m->nick), "%s", nick);
	sb_conn_send(m->conn, "* you are now known as %s", m->nick);
	if (strcmp(old, m->nick) == 0)
		return;
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
	clean = sb_malloc(cmd->arg_len + 1);
	n = chat_sanitize(cmd->arg, cmd->arg_len, clean);
	if (to == NULL) {
		if (n == 0 || !chat_shared_msg(room, m, cmd->target,
		    cmd->target_len, clean, n))
			sb_conn_send(m->conn, "* no such nick: %.*s",
			    (int)(cmd->target_len > CHAT_NICK_MAX ?
			    CHAT_NICK_MAX : cmd->target_len), cmd->target);
		free(clean);
		return;
	}
	if (n > 0) {
		sb_conn_send(to->conn, "[private] <%s> %.*s", m->nick, (int)n,
		    clean);
		sb_conn_send(m->conn, "* to %s: %.*s", to->nick, (int)n, clean);
	}
	free(clean);
}

/*
 * Charge lines (0 or 1) and bytes to a member's budgets, and say how long
 * each now holds it back: w[0] its lines, w[1] its bytes, w[2] the
 * room's bytes, in ms. Returns the longest. See chat_budget.
 */
static double
chat_budget_charge(const struct chat_conf *conf, struct chat_room *room,
    struct chat_member *m, double lines, double bytes, double w[3])
{
	uint64_t	now = sb_now_ms();
	double		rate;

	w[0] = w[1] = w[2] = 0.0;
	if (conf->rate > 0) {
		rate = (double)conf->rate;
		sb_bucket_charge(&m->lines, rate, (double)conf->burst, lines,
		    now);
		w[0] = sb_bucket_wait_ms(&m->lines, rate, 1.0);
	}
	if (conf->byte_rate > 0) {
		rate = (double)conf->byte_rate;
		sb_bucket_charge(&m->bytes, rate, rate, bytes, now);
		w[1] = sb_bucket_wait_ms(&m->bytes, rate, 0.0);
	}
	if (conf->room_byte_rate > 0) {
		rate = (double)conf->room_byte_rate;
		sb_bucket_charge(&room->bytes, rate, rate, bytes, now);
		w[2] = sb_bucket_wait_ms(&room->bytes, rate, 0.0);
	}
	rate = w[0] > w[1] ? w[0] : w[1];
	return (w[2] > rate ? w[2] : rate);
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
	double	w[3], wait;

	if (conf->rate == 0 && conf->byte_rate == 0 &&
	    conf->room_byte_rate == 0)
		return;
	wait = chat_budget_charge(conf, room, m, 1.0,
	    (double)(len + strlen(m->nick) + 5), w);
	if (w[2] > w[1] && w[2] > w[0])
		sb_conn_limit(m->conn, SB_LIMIT_RATE, "room over %lld bytes "
		    "per second, pausing %.0f ms", conf->room_byte_rate, w[2]);
	else if (w[1] > w[0])
		sb_conn_limit(m->conn, SB_LIMIT_RATE, "over %lld bytes per "
		    "second, pausing %.0f ms", conf->byte_rate, w[1]);
	else if (w[0] > 0.0)
		sb_conn_limit(m->conn, SB_LIMIT_RATE, "over %lld lines per "
		    "second, pausing %.0f ms", conf->rate, w[0]);
	else
		return;
	sb_conn_throttle(m->conn, (unsigned)wait + 1);
}

/*
 * How long the member's budgets still hold it back, in ms (0: they do
 * not): for a pause that something else ended early.
 */
unsigned
chat_budget_left(struct chat_member *m)
{
	struct sb_service	*svc = sb_conn_service(m->conn);
	double			 w[3], wait;

	wait = chat_budget_charge(sb_service_conf(svc), sb_service_data(svc),
	    m, 0.0, 0.0, w);
	return (wait > 0.0 ? (unsigned)wait + 1 : 0);
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
void
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

	if (conf->max_clients > 0 &&
	    room->count + room->joining >= (size_t)conf->max_clients) {
		sb_conn_limit(c, SB_LIMIT_MAX_CLIENTS, "room is full (%lld)",
		    conf->max_clients);
		sb_conn_send(c, "* room is full (%lld clients)",
		    conf->max_clients);
		sb_conn_close(c, SB_CLOSE_FLUSH, "room is full");
		return;
	}
	m->conn = c;
	m->id = ++room->next_id;
	if (room->shared && chat_shared_open(room, m))
		return;
	if (m->nick[0] == '\0')
		chat_guest_nick(room, m);
	chat_join(room, m, NULL, 0);
}

/*
 * The member, with its nick, joins: a notice to the room, then its
 * welcome with the names online (those given, or the members here) and
 * the history.
 */
void
chat_join(struct chat_room *room, struct chat_member *m,
    const char *const *names, size_t n)
{
	struct sb_conn	*c = m->conn;
	char		*list, *join;
	size_t		 count;
	int		 len;

	len = sb_asprintf(&join, "* %s has joined", m->nick);
	chat_notice(sb_conn_service(c), m, join, (size_t)len);
	free(join);
	TAILQ_INSERT_TAIL(&room->members, m, entry);
	room->count++;
	m->joined = 1;
	if (names != NULL) {
		list = chat_list(names, n);
		count = n;
	} else {
		list = chat_names(room);
		count = room->count;
	}
	sb_conn_reply_begin(c);
	sb_conn_send(c, "* welcome to %s, you are %s; online (%zu): %s; "
	    "/help lists commands", sb_service_name(sb_conn_service(c)),
	    m->nick, count, list);
	free(list);
	chat_replay(room, c);
	if (room->shared && sb_relay_lost(sb_conn_service(c)))
		sb_conn_send(c, "* relay unavailable: only members on this "
		    "server receive your messages");
	sb_conn_reply_end(c);
}

/* The answer to /who: the names given, or the members here (NULL). */
void
chat_who_reply(struct chat_member *m, const char *const *names, size_t n)
{
	struct chat_room	*room = chat_room(m->conn);
	char			*list;

	list = names != NULL ? chat_list(names, n) : chat_names(room);
	sb_conn_reply_begin(m->conn);
	sb_conn_send(m->conn, "* online (%zu): %s", names != NULL ? n :
	    room->count, list);
	sb_conn_reply_end(m->conn);
	free(list);
}

/* One line from a member: a message or a command. */
static void
chat_line(struct sb_conn *c, const char *text, size_t len)
{
	struct chat_room	*room = chat_room(c);
	struct chat_member	*m = sb_conn_state(c);
	struct chat_cmd		 cmd;
	char			 reason[128];
	size_t			 i;

	if (m->joining) {		/* the relay never answered */
		sb_conn_send(c, "* not in the room yet, try again");
		return;
	}
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
		if (!chat_shared_who(room, m))
			chat_who_reply(m, NULL, 0);
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

	if (m->joining) {
		m->joining = 0;
		room->joining--;
		chat_shared_close(room, m, NULL, 0, 0);
	}
	if (!m->joined)
		return;
	TAILQ_REMOVE(&room->members, m, entry);
	room->count--;
	m->joined = 0;
	if (sb_service_is_stopping(sb_conn_service(c))) {
		sb_conn_send(c, "* %s", sb_service_stop_reason(
		    sb_conn_service(c)));
		reason = sb_service_stop_reason(sb_conn_service(c));
	}
	n = sb_asprintf(&line, "* %s has left (%s)", m->nick, reason);
	chat_shared_close(room, m, line, (size_t)n,
	    !sb_service_is_stopping(sb_conn_service(c)));
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
	.relay_reply = chat_relay_reply,
};

/*
 * switchboard test harness: clients. Input is framed into lines as the
 * core frames it; output is queued per round and handed to the client at
 * the round's end (unless it stalls), with the core's rules for line
 * endings, closes, replies and slow consumers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/testing.h>

#include "fake.h"

/* The largest line sb_conn_line_space gives room for (handler.h). */
#define FAKE_SPACE_MAX	4000

static void	fake_lines_add(struct fake_lines *, char *, size_t);
static void	fake_queue(struct sb_conn *, const void *, size_t, size_t);
static bool	fake_writable(struct sb_conn *);
static void	fake_check_output(struct sb_conn *);
static void	fake_limit(struct sb_conn *, const char *, const char *);

/* Add a line, taking the text. */
static void
fake_lines_add(struct fake_lines *l, char *text, size_t len)
{
	if (l->first + l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->text = sb_reallocarray(l->text, l->cap, sizeof(*l->text));
		l->len = sb_reallocarray(l->len, l->cap, sizeof(*l->len));
	}
	l->text[l->first + l->n] = text;
	l->len[l->first + l->n] = len;
	l->n++;
}

/* Free every line. */
void
fake_lines_free(struct fake_lines *l)
{
	size_t	i;

	for (i = l->first; i < l->first + l->n; i++)
		free(l->text[i]);
	free(l->text);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

/* Can output be queued? Not after the close hook, nor closing NOW. */
static bool
fake_writable(struct sb_conn *c)
{
	return (!c->closed && !(c->closing && !c->flush));
}

/* Log a limit as the core does. */
static void
fake_limit(struct sb_conn *c, const char *what, const char *msg)
{
	fake_log_add(c->svc, SB_LOG_NOTICE, "%s[%s]: limit %s: %s",
	    c->svc->name, c->peer, what, msg);
}

/* Past max_output and the replies' credit: a slow consumer. */
static void
fake_check_output(struct sb_conn *c)
{
	char	msg[128];

	if (c->out_bytes <= c->max_output + c->reply_credit || c->closing ||
	    c->in_reply)
		return;
	snprintf(msg, sizeof(msg), "output over %zu bytes, disconnecting a "
	    "slow consumer", c->max_output);
	fake_limit(c, "max_output", msg);
	fake_close(c, "slow consumer", false);
}

/* Queue len bytes and a line ending of eol bytes (0, 1: LF, 2: CRLF). */
static void
fake_queue(struct sb_conn *c, const void *data, size_t len, size_t eol)
{
	char	*text;

	if (c->space != NULL)
		fake_abort("%s: output queued between sb_conn_line_space and "
		    "sb_conn_line_done", c->svc->name);
	text = sb_malloc(len + eol + 1);
	memcpy(text, data, len);
	memcpy(text + len, &"\r\n"[2 - eol], eol);
	text[len + eol] = '\0';
	fake_lines_add(&c->queued, text, len + eol);
	c->out_bytes += len + eol;
	fake_check_output(c);
}

/* The round is over: the client takes its output, unless it stalls. */
void
fake_deliver(struct sb_conn *c)
{
	struct fake_lines	*q = &c->queued;
	size_t			 i;

	if (c->stalled || q->n == 0)
		return;
	for (i = q->first; i < q->first + q->n; i++)
		fake_lines_add(&c->got, q->text[i], q->len[i]);
	free(q->text);
	free(q->len);
	memset(q, 0, sizeof(*q));
	c->reply_credit -= c->reply_credit < c->out_bytes ? c->reply_credit :
	    c->out_bytes;
	c->out_bytes = 0;
}

/* A client arrives. */
struct sb_conn *
sb_test_open(struct sb_service *svc, const char *peer)
{
	struct sb_conn	*c;

	if (!svc->started || svc->stopped)
		fake_abort("%s: a client for a service that does not run",
		    svc->name);
	c = sb_calloc(1, sizeof(*c));
	c->svc = svc;
	c->id = ++svc->next_id;
	c->peer = strdup(peer);
	if (c->peer == NULL)
		fake_abort("out of memory");
	c->state = sb_calloc(1, svc->h->conn_size ? svc->h->conn_size : 1);
	c->max_line = svc->max_line;
	c->max_output = svc->max_output;
	TAILQ_INSERT_TAIL(&svc->conns, c, entry);
	c->opened = true;
	if (svc->h->open != NULL)
		svc->h->open(c);
	if (c->in_reply)
		fake_abort("%s: the open hook left a reply open", svc->name);
	fake_round();
	return (c);
}

/*
 * Hand the client's complete lines to the handler, one at a time, while
 * it is not closing or paused.
 */
void
fake_feed(struct sb_conn *c)
{
	const struct sb_handler	*h = c->svc->h;
	char			*lf, *line, msg[64];
	size_t			 len, used;

	while (c->in_len > 0 && !c->closing && c->throttle_until <= fake_now) {
		if ((lf = memchr(c->in, '\n', c->in_len)) == NULL) {
			if (c->in_len <= c->max_line)
				return;
			/* Too long with no end in sight: drop what came. */
			c->in_len = 0;
			if (c->discarding)
				return;
			c->discarding = true;
			len = c->max_line + 1;
		} else {
			used = (size_t)(lf - c->in) + 1;
			len = used - 1;
			if (len > 0 && c->in[len - 1] == '\r') {
				len--;
				c->crlf = true;
			} else
				c->crlf = false;
			line = sb_malloc(len + 1);
			memcpy(line, c->in, len);
			line[len] = '\0';
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			if (c->discarding) {
				c->discarding = false;
				free(line);
				continue;
			}
			if (len <= c->max_line) {
				h->line(c, line, len);
				free(line);
				if (c->in_reply)
					fake_abort("%s: the line hook left a "
					    "reply open", c->svc->name);
				continue;
			}
			free(line);
		}
		snprintf(msg, sizeof(msg), "line over %zu bytes discarded",
		    c->max_line);
		fake_limit(c, "max_line", msg);
		if (h->too_long != NULL)
			h->too_long(c, c->max_line);
		else
			sb_conn_send(c, "error: line too long (max %zu bytes)",
			    c->max_line);
	}
}

/* Bytes from the client. */
void
sb_test_input(struct sb_conn *c, const void *data, size_t len)
{
	if (c->closing)
		return;			/* the core reads no more */
	c->in = sb_reallocarray(c->in, c->in_len + len + 1, 1);
	memcpy(c->in + c->in_len, data, len);
	c->in_len += len;
	fake_feed(c);
	fake_round();
}

void
sb_test_line(struct sb_conn *c, const char *text)
{
	size_t	 len = strlen(text);
	char	*s;

	s = sb_malloc(len + 1);
	memcpy(s, text, len);
	s[len] = '\n';
	sb_test_input(c, s, len + 1);
	free(s);
}

void
sb_test_hangup(struct sb_conn *c)
{
	fake_close(c, "client closed the connection", false);
	fake_round();
}

void
sb_test_kick(struct sb_conn *c, const char *reason)
{
	const struct sb_handler	*h = c->svc->h;

	if (c->closing)
		return;
	if (h->kicked != NULL)
		h->kicked(c, reason);
	else
		sb_conn_send(c, "error: disconnected by the operator");
	fake_close(c, "disconnected by the operator", true);
	fake_round();
}

const char *
sb_test_describe(struct sb_conn *c)
{
	static char		 buf[256];
	const struct sb_handler	*h = c->svc->h;

	if (h->describe == NULL || h->describe(c, buf, sizeof(buf)) == 0)
		return (NULL);
	return (buf);
}

void
sb_test_stall(struct sb_conn *c, bool stall)
{
	c->stalled = stall;
	fake_round();
}

/* The next line received, with its ending. */
const char *
sb_test_read_raw(struct sb_conn *c, size_t *len)
{
	static char	*last;
	struct fake_lines *g = &c->got;

	free(last);
	last = NULL;
	if (g->n == 0)
		return (NULL);
	last = g->text[g->first];
	*len = g->len[g->first];
	g->first++;
	g->n--;
	return (last);
}

/* The next line received, without its ending. */
const char *
sb_test_read(struct sb_conn *c)
{
	char	*line;
	size_t	 len;

	if ((line = (char *)sb_test_read_raw(c, &len)) == NULL)
		return (NULL);
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	return (line);
}

size_t
sb_test_pending(struct sb_conn *c)
{
	return (c->got.n);
}

const char *
sb_test_closed(struct sb_conn *c, enum sb_close *how)
{
	if (!c->closing)
		return (NULL);
	if (how != NULL)
		*how = c->flush ? SB_CLOSE_FLUSH : SB_CLOSE_NOW;
	return (c->reason);
}

int
sb_test_close_hooks(struct sb_conn *c)
{
	return (c->close_hooks);
}

unsigned
sb_test_limit_count(struct sb_conn *c, enum sb_limit what)
{
	return (c->limits[what == SB_LIMIT_RATE]);
}

unsigned
sb_test_throttle(struct sb_conn *c)
{
	return (c->throttle_ms);
}

uint64_t
sb_test_throttle_left(struct sb_conn *c)
{
	return (c->throttle_until > fake_now ? c->throttle_until - fake_now :
	    0);
}

/* The handler API: the connection. */

void *
sb_conn_state(struct sb_conn *c)
{
	return (c->state);
}

struct sb_service *
sb_conn_service(struct sb_conn *c)
{
	return (c->svc);
}

/* The peer, in one buffer shared by every connection, as in the core. */
const char *
sb_conn_peer(struct sb_conn *c)
{
	static char	buf[128];

	snprintf(buf, sizeof(buf), "%s", c->peer);
	return (buf);
}

void
sb_conn_write(struct sb_conn *c, const void *data, size_t len)
{
	if (fake_writable(c))
		fake_queue(c, data, len, c->crlf ? 2 : 1);
}

void
sb_conn_send(struct sb_conn *c, const char *fmt, ...)
{
	char	*s;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = fake_vasprintf(&s, fmt, ap);
	va_end(ap);
	sb_conn_write(c, s, (size_t)n);
	free(s);
}

char *
sb_conn_line_space(struct sb_conn *c, size_t max)
{
	if (!fake_writable(c) || max > FAKE_SPACE_MAX)
		return (NULL);
	if (c->space != NULL)
		fake_abort("%s: sb_conn_line_space twice without "
		    "sb_conn_line_done", c->svc->name);
	c->space = sb_malloc(max + 1);
	return (c->space);
}

void
sb_conn_line_done(struct sb_conn *c, size_t len)
{
	char	*space = c->space;

	if (space == NULL)
		fake_abort("%s: sb_conn_line_done without sb_conn_line_space",
		    c->svc->name);
	c->space = NULL;
	fake_queue(c, space, len, c->crlf ? 2 : 1);
	free(space);
}

/* A shared line: the text, without a line ending. */
struct sb_line {
	size_t	len;
	char	data[];
};

struct sb_line *
sb_line_new(const char *text, size_t len)
{
	struct sb_line	*l;

	l = sb_malloc(sizeof(*l) + len + 1);
	l->len = len;
	memcpy(l->data, text, len);
	return (l);
}

void
sb_conn_write_line(struct sb_conn *c, struct sb_line *l)
{
	sb_conn_write(c, l->data, l->len);
}

void
sb_line_free(struct sb_line *l)
{
	free(l);
}

void
sb_conn_reply_begin(struct sb_conn *c)
{
	if (c->in_reply)
		return;
	c->in_reply = true;
	c->reply_credit -= c->out_bytes;
}

void
sb_conn_reply_end(struct sb_conn *c)
{
	if (!c->in_reply)
		return;
	c->in_reply = false;
	c->reply_credit += c->out_bytes;
	fake_check_output(c);
}

void
sb_conn_close(struct sb_conn *c, enum sb_close how, const char *reason)
{
	if (reason == NULL)
		fake_abort("%s: a handler closed a connection without a "
		    "reason", c->svc->name);
	fake_close(c, reason, how == SB_CLOSE_FLUSH);
}

void
sb_conn_limit(struct sb_conn *c, enum sb_limit what, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->limits[what == SB_LIMIT_RATE]++;
	fake_limit(c, what == SB_LIMIT_RATE ? "rate" : "max_clients", msg);
}

void
sb_conn_throttle(struct sb_conn *c, unsigned ms)
{
	if (c->closing)
		return;
	c->throttle_ms = ms;
	c->throttle_until = fake_now + ms;
	c->resume = ms == 0 && c->in_len > 0;
}

void
sb_conn_log(struct sb_conn *c, int level, const char *fmt, ...)
{
	char	*msg;
	va_list	 ap;

	va_start(ap, fmt);
	fake_vasprintf(&msg, fmt, ap);
	va_end(ap);
	fake_log_add(c->svc, level, "%s[%s #%llu]: %s", c->svc->name, c->peer,
	    c->id, msg);
	free(msg);
}

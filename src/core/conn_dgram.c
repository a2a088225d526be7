/*
 * switchboard: the pseudo-connection of one datagram.
 *
 * A handler that declares SB_HANDLER_DATAGRAMS answers each datagram on a
 * struct sb_conn made for it alone: open, its lines, close, in one go
 * from the UDP listener's callback (udp.c), and then it is freed. It has
 * no socket and no events: output queues into its buffer as for any
 * connection (and is sent as one datagram by udp.c), a close only marks
 * it (conn_close), a throttle does nothing, and its timers are cancelled
 * with it. It is not in the service's list of clients nor counted as a
 * connection, so nothing outside the callback ever sees it.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "conf.h"
#include "conn.h"
#include "dgram.h"
#include "escape.h"
#include <switchboard/handler.h>
#include "log.h"
#include "server.h"
#include "service.h"
#include "timer.h"
#include "xmalloc.h"

static void	conn_dgram_line(struct sb_conn *, const char *, size_t);

/*
 * A pseudo-connection for a datagram from addr (family as acl_peer gives
 * it) and port. The open hook has not run yet (conn_dgram_run).
 */
struct sb_conn *
conn_dgram_new(struct sb_service *svc, int family, const uint8_t *addr,
    uint16_t port)
{
	const struct conf_limits	*lim = &svc->conf->limits;
	struct sb_conn			*c;

	c = xcalloc(1, sizeof(*c) + svc->conf->handler->conn_size);
	c->fd = -1;
	c->svc = svc;
	c->id = ++svc->srv->next_conn_id;
	c->since = c->last_in = server_clock(svc->srv);
	c->max_line = (uint32_t)lim->max_line;
	c->max_output = (uint32_t)lim->max_output;
	c->flags = CONN_DGRAM;
	c->peer_family = (uint8_t)family;
	c->peer_port = port;
	memcpy(c->peer_addr, addr, sizeof(c->peer_addr));
	return (c);
}

/* Hand one line of the request over, as conn.c does a framed one. */
static void
conn_dgram_line(struct sb_conn *c, const char *line, size_t len)
{
	const struct sb_handler	*h = c->svc->conf->handler;
	char			 quoted[ESCAPE_BUFSZ];

	c->svc->count.lines_in++;
	if (len > c->max_line) {
		service_limit(c->svc, LIMIT_LINE_TOO_LONG, sb_conn_peer(c),
		    "line over %u bytes discarded", c->max_line);
		if (h->too_long != NULL)
			h->too_long(c, c->max_line);
		else
			sb_conn_send(c, "error: line too long (max %u bytes)",
			    c->max_line);
		return;
	}
	if (log_enabled(LOG_LEVEL_DEBUG))
		sb_conn_log(c, SB_LOG_DEBUG, "datagram line \"%s\"",
		    escape_bytes(line, len, quoted, sizeof(quoted)));
	h->line(c, line, len);
}

/*
 * Answer the request req (len bytes, with room for one more): the open
 * hook, each line until the handler closes it, the close hook. Returns
 * true if the answer is to be sent (its bytes: conn_out_bytes), false if
 * the handler closed with SB_CLOSE_NOW (or it was a slow consumer).
 */
bool
conn_dgram_run(struct sb_conn *c, char *req, size_t len)
{
	const struct sb_handler	*h = c->svc->conf->handler;
	const char		*reason = "datagram answered";
	char			*line;
	size_t			 off = 0, n;
	bool			 crlf;

	c->flags |= CONN_OPENED;
	if (h->open != NULL)
		h->open(c);
	while (!(c->flags & CONN_CLOSING) &&
	    dgram_next(req, len, &off, &line, &n, &crlf)) {
		c->fr.crlf = crlf;
		conn_dgram_line(c, line, n);
	}
	if (c->flags & CONN_CLOSING)
		reason = c->ex->reason;
	else
		c->flags |= CONN_CLOSING | CONN_FLUSH;
	if (h->close != NULL)
		h->close(c, reason);
	c->flags |= CONN_CLOSED;
	if (c->ex != NULL)
		timer_cancel_all(&c->ex->timers);
	return ((c->flags & CONN_FLUSH) != 0);
}

/* Free a pseudo-connection once its answer is sent. */
void
conn_dgram_free(struct sb_conn *c)
{
	struct sb_service	*svc = c->svc;

	if (c->flags & CONN_DIRTY)
		TAILQ_REMOVE(&svc->srv->queues->dirty, c, dirty_entry);
	conn_out_release(c);
	if (c->ex != NULL) {
		free(c->ex->reason);
		free(c->ex);
	}
	if (c->out != NULL)
		evbuffer_free(c->out);
	free(c);
}

/*
 * switchboard: the control socket: a unix stream socket (control_socket,
 * control_socket_mode) in the daemon's own event loop, made like a
 * service's unix listener (listener.c: a stale file is replaced, a live
 * one is an error), and one bufferevent per client.
 *
 * Everything a control client can make the daemon hold is bounded: at
 * most CONTROL_MAX_CLIENTS at once, CONTROL_MAX_INPUT bytes read ahead
 * (a client that fills them with no line end is closed), commands of
 * CONTROL_MAX_LINE bytes (a longer one is an error). A client that does
 * not read its answers stops being read once CONTROL_OUT_HIGH bytes wait
 * for it, and is closed when it takes nothing for CONTROL_SEND_SECONDS; a
 * silent one is closed after CONTROL_IDLE_SECONDS.
 *
 * Start-up and reload go through control_prepare, then control_commit
 * or control_abort, around the services' own transaction: a socket that
 * cannot be made fails the start or the reload, and a reload that fails
 * leaves the running socket as it was. The socket is made again only if
 * its path changes; a new mode alone is applied to the file.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conf.h"
#include "control.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

/* The socket file and its listener; addr is what the listener points to. */
struct control_sock {
	struct listener		*l;
	struct listen_addr	 addr;
	char			*path;
};

struct control_client {
	TAILQ_ENTRY(control_client)	 entry;
	struct control			*ctl;
	struct bufferevent		*bev;
	bool				 eof;		/* no more input */
	bool				 closing;	/* after the output */
};

struct control {
	struct server			*srv;
	struct control_sock		*sock;		/* NULL: none */
	struct control_sock		*next;		/* prepared */
	int				 next_mode;
	bool				 prepared;
	TAILQ_HEAD(, control_client)	 clients;
	size_t				 nclients;
};

static struct control_sock *control_sock_open(struct control *,
		    const char *, int, char *, size_t, int *);
static void	control_sock_free(struct control_sock *);
static void	control_accept(void *, int, const struct sockaddr *,
		    socklen_t, int);
static void	control_process(struct control_client *);
static bool	control_take_line(struct control_client *);
static bool	control_has_ctl(const char *, size_t);
static void	control_client_free(struct control_client *);
static void	control_read_cb(struct bufferevent *, void *);
static void	control_write_cb(struct bufferevent *, void *);
static void	control_event_cb(struct bufferevent *, short, void *);

/* The control socket's state; no socket yet. */
struct control *
control_new(struct server *srv)
{
	struct control	*ctl;

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->srv = srv;
	TAILQ_INIT(&ctl->clients);
	return (ctl);
}

/*
 * Bind and listen on path with mode. Returns NULL with the reason in why
 * and the sysexits code in *code.
 */
static struct control_sock *
control_sock_open(struct control *ctl, const char *path, int mode, char *why,
    size_t len, int *code)
{
	struct control_sock	*s;
	struct sockaddr_un	*sun;
	const char		*slash;
	int			 err;

	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	sun = (struct sockaddr_un *)&s->addr.ss;
	sun->sun_family = AF_UNIX;
	strncpy(sun->sun_path, path, sizeof(sun->sun_path) - 1);
	s->addr.len = (socklen_t)sizeof(*sun);
	s->addr.mode = mode;
	s->addr.gid = -1;
	s->l = listener_open(ctl->srv->base, &s->addr, CONTROL_MAX_CLIENTS,
	    control_accept, ctl);
	if (s->l != NULL)
		return (s);
	err = errno;
	slash = strrchr(path, '/');
	if (err == ENOENT && slash != NULL && slash > path)
		snprintf(why, len, "control_socket \"%s\": cannot listen: the "
		    "directory %.*s does not exist (create it, as in: sudo "
		    "install -d -o \"$(id -un)\" %.*s; under systemd the "
		    "unit's RuntimeDirectory= makes it)", path,
		    (int)(slash - path), path, (int)(slash - path), path);
	else if (err == EADDRINUSE)
		snprintf(why, len, "control_socket \"%s\": cannot listen: %s "
		    "(is another switchboardd running with it?)", path,
		    strerror(err));
	else
		snprintf(why, len, "control_socket \"%s\": cannot listen: %s",
		    path, strerror(err));
	*code = err == ENOENT || err == EADDRINUSE || err == EACCES ?
	    EX_UNAVAILABLE : EX_OSERR;
	free(s->path);
	free(s);
	errno = err;
	return (NULL);
}

/* Close the socket and remove its file. */
static void
control_sock_free(struct control_sock *s)
{
	if (s == NULL)
		return;
	listener_free(s->l);
	free(s->path);
	free(s);
}

/*
 * The first half of a start or reload: make the socket conf asks for if
 * its path is new. Returns 0, or a sysexits code with the reason in why
 * and the errno value behind it in *err.
 */
int
control_prepare(struct control *ctl, const struct conf *conf, char *why,
    size_t len, int *err)
{
	const char	*path = conf->control_socket;
	int		 code = 0;

	ctl->next = ctl->sock;
	ctl->next_mode = conf->control_socket_mode;
	ctl->prepared = true;
	if (path == NULL)
		ctl->next = NULL;
	else if (ctl->sock == NULL || strcmp(ctl->sock->path, path) != 0) {
		ctl->next = control_sock_open(ctl, path, ctl->next_mode, why,
		    len, &code);
		if (ctl->next == NULL) {
			*err = errno;
			ctl->prepared = false;
			return (code);
		}
	}
	return (0);
}

/*
 * The start or reload went through: the prepared socket replaces the
 * running one. A kept socket takes a changed mode now (a failure is
 * logged, and it serves on as it was). Clients stay connected.
 */
void
control_commit(struct control *ctl)
{
	struct control_sock	*s = ctl->next;

	if (!ctl->prepared)
		return;
	ctl->prepared = false;
	if (s != ctl->sock) {
		control_sock_free(ctl->sock);
		ctl->sock = s;
		if (s != NULL)
			log_info("control socket on %s (mode %04o)", s->path,
			    (unsigned)ctl->next_mode);
		return;
	}
	if (s != NULL && s->addr.mode != ctl->next_mode) {
		if (chmod(s->path, (mode_t)ctl->next_mode) == -1)
			log_warn("control_socket_mode: cannot set the mode of "
			    "%s to %04o", s->path, (unsigned)ctl->next_mode);
		else
			s->addr.mode = ctl->next_mode;
	}
}

/* The start or reload failed: close a socket it made. */
void
control_abort(struct control *ctl)
{
	if (ctl->prepared && ctl->next != ctl->sock)
		control_sock_free(ctl->next);
	ctl->next = NULL;
	ctl->prepared = false;
}

/* Close the socket and every control client. */
void
control_free(struct control *ctl)
{
	struct control_client	*cc;

	if (ctl == NULL)
		return;
	control_abort(ctl);
	while ((cc = TAILQ_FIRST(&ctl->clients)) != NULL)
		control_client_free(cc);
	control_sock_free(ctl->sock);
	free(ctl);
}

/* Control clients connected now. */
size_t
control_nclients(const struct control *ctl)
{
	return (ctl->nclients);
}

/*
 * A control client connects. Past CONTROL_MAX_CLIENTS it gets one error
 * answer, if its socket takes it at once, and is closed.
 */
static void
control_accept(void *arg, int fd, const struct sockaddr *sa, socklen_t len,
    int tls)
{
	static const char	 full[] = "error: too many control clients "
	    "(at most 16 at once)\n.\n";
	struct control		*ctl = arg;
	struct control_client	*cc;
	struct timeval		 idle = { CONTROL_IDLE_SECONDS, 0 };
	struct timeval		 send_tv = { CONTROL_SEND_SECONDS, 0 };
	struct bufferevent	*bev;

	if (ctl->nclients >= CONTROL_MAX_CLIENTS) {
		(void)send(fd, full, sizeof(full) - 1, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		close(fd);
		log_warnx("control socket: refused a client: %d already "
		    "connected", CONTROL_MAX_CLIENTS);
		return;
	}
	bev = bufferevent_socket_new(ctl->srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		log_warnx("control socket: cannot set up a client");
		return;
	}
	cc = xcalloc(1, sizeof(*cc));
	cc->ctl = ctl;
	cc->bev = bev;
	TAILQ_INSERT_TAIL(&ctl->clients, cc, entry);
	ctl->nclients++;
	bufferevent_setcb(bev, control_read_cb, control_write_cb,
	    control_event_cb, cc);
	bufferevent_setwatermark(bev, EV_READ, 0, CONTROL_MAX_INPUT);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	bufferevent_set_timeouts(bev, &idle, &send_tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	log_debug("control socket: client connected (%zu now)",
	    ctl->nclients);
}

/* Close a control client now. */
static void
control_client_free(struct control_client *cc)
{
	struct control	*ctl = cc->ctl;

	TAILQ_REMOVE(&ctl->clients, cc, entry);
	ctl->nclients--;
	bufferevent_free(cc->bev);
	free(cc);
	log_debug("control socket: client gone (%zu left)", ctl->nclients);
}

/* Whether a command holds a control character (a tab is a space). */
static bool
control_has_ctl(const char *line, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
		    line[i] == 0x7f)
			return (true);
	}
	return (false);
}

/*
 * Take one command from the input and answer it. Returns false when
 * there is no complete command to take.
 */
static bool
control_take_line(struct control_client *cc)
{
	struct evbuffer	*in = bufferevent_get_input(cc->bev);
	struct evbuffer	*out = bufferevent_get_output(cc->bev);
	char		*line;
	size_t		 len, have = evbuffer_get_length(in);

	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line == NULL && have >= CONTROL_MAX_INPUT) {
		/*
		 * All the read-ahead and no line end: no command can come
		 * of it. Answer, and close after the answer.
		 */
		evbuffer_add_printf(out, "error: command too long (at most "
		    "%d bytes)\n.\n", CONTROL_MAX_LINE);
		cc->closing = true;
		return (false);
	}
	if (line == NULL && cc->eof && have > 0) {
		/* A last command without a line ending. */
		line = xmalloc(have + 1);
		evbuffer_remove(in, line, have);
		line[have] = '\0';
		len = have;
	}
	if (line == NULL)
		return (false);
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len > CONTROL_MAX_LINE)
		evbuffer_add_printf(out, "error: command too long (at most "
		    "%d bytes)\n.\n", CONTROL_MAX_LINE);
	else if (control_has_ctl(line, len))
		evbuffer_add_printf(out, "error: a command may not hold "
		    "control characters\n.\n");
	else
		control_exec(cc->ctl->srv, line, out);
	free(line);
	return (true);
}

/*
 * Answer one command waiting, if the answers queued are below
 * CONTROL_OUT_HIGH; past it, stop reading until they are taken. One at a
 * time: the next waits until this answer is written (the write callback
 * comes back here), so a client that sends a thousand reloads at once
 * cannot hold the event loop for all of them. A client that has said
 * all it will is closed once its answers are out.
 */
static void
control_process(struct control_client *cc)
{
	struct evbuffer	*in = bufferevent_get_input(cc->bev);
	struct evbuffer	*out = bufferevent_get_output(cc->bev);

	if (!cc->closing && evbuffer_get_length(out) < CONTROL_OUT_HIGH)
		(void)control_take_line(cc);
	if (cc->eof && evbuffer_get_length(in) == 0)
		cc->closing = true;
	if (cc->closing || evbuffer_get_length(out) >= CONTROL_OUT_HIGH)
		bufferevent_disable(cc->bev, EV_READ);
	else if (!cc->eof)
		bufferevent_enable(cc->bev, EV_READ);
	if (cc->closing && evbuffer_get_length(out) == 0)
		control_client_free(cc);
}

/* Commands arrived. */
static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	control_process(arg);
}

/* The client took all its answers: read on, or close if it is done. */
static void
control_write_cb(struct bufferevent *bev, void *arg)
{
	control_process(arg);
}

/*
 * End of input: answer what is left, then close. An error, or a client
 * silent (or taking nothing) for too long: close now.
 */
static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_client	*cc = arg;

	if (what & BEV_EVENT_EOF) {
		cc->eof = true;
		control_process(cc);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_info("control socket: closing a client that %s",
		    what & BEV_EVENT_READING ? "sent nothing for a while" :
		    "took none of its answers for a while");
	control_client_free(cc);
}

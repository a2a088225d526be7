/*
 * switchboard: listening sockets.
 *
 * The socket is made here (so a wildcard PORT can be dual-stack and a stale
 * unix socket file can be replaced safely) and handed to an evconnlistener.
 * When accept fails for lack of descriptors the listener pauses for a
 * second instead of spinning on a connection it cannot take.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "listener.h"
#include "log.h"
#include "udp.h"
#include "xmalloc.h"

static int	listener_socket(const struct listen_addr *, int);
static struct listener *listener_wrap(struct event_base *, int,
		    listener_accept_fn *, void *);
static int	listener_unlink_stale(const char *);
static int	listener_set_perms(const struct listen_addr *);
static void	listener_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	listener_error_cb(struct evconnlistener *, void *);
static void	listener_retry_cb(evutil_socket_t, short, void *);

/*
 * Remove a unix socket file that nothing is listening on any more. Anything
 * else at the path is left alone (bind then fails and says why).
 *
 * The probe must never wait: a live listener whose backlog is full (anyone
 * can make one in a world-writable directory) would otherwise hold a
 * blocking connect, and with it the start or a reload, for as long as it
 * liked. A non-blocking connect answers at once: accepted, or queued
 * (EINPROGRESS, or EAGAIN with the backlog full), means someone listens,
 * and the address is in use; ECONNREFUSED means the file is stale.
 * Returns 0, or -1 with errno set (EADDRINUSE when someone listens).
 */
static int
listener_unlink_stale(const char *path)
{
	struct sockaddr_un	sun;
	struct stat		st;
	int			fd, r, err;

	if (lstat(path, &st) == -1 || !S_ISSOCK(st.st_mode))
		return (0);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	err = r == 0 ? 0 : errno;
	close(fd);
	if (r == 0 || err == EAGAIN || err == EWOULDBLOCK ||
	    err == EINPROGRESS) {
		errno = EADDRINUSE;
		return (-1);
	}
	if (err == ECONNREFUSED && unlink(path) == -1 && errno != ENOENT)
		return (-1);
	return (0);
}

/*
 * Give a unix socket file the group and mode its service asks for
 * (socket_group, socket_mode). The file is changed by path: on Linux
 * fchmod on a socket does not reach the file bind made. Returns 0, or -1
 * with errno set (and logged, naming the step).
 */
static int
listener_set_perms(const struct listen_addr *a)
{
	const char	*path = ((const struct sockaddr_un *)&a->ss)->sun_path;

	if (a->ss.ss_family != AF_UNIX)
		return (0);
	if (a->gid != -1 && chown(path, (uid_t)-1, (gid_t)a->gid) == -1) {
		log_warn("socket_group: cannot give %s to group %lld", path,
		    a->gid);
		return (-1);
	}
	if (a->mode != -1 && chmod(path, (mode_t)a->mode) == -1) {
		log_warn("socket_mode: cannot set the mode of %s to %04o", path,
		    (unsigned)a->mode);
		return (-1);
	}
	return (0);
}

/* Create, bind and listen; returns the fd or -1 with errno set. */
static int
listener_socket(const struct listen_addr *a, int backlog)
{
	const struct sockaddr_un	*sun = (const struct sockaddr_un *)&a->ss;
	int				 fd, on = 1, off = 0, saved;

	if (a->ss.ss_family == AF_UNIX &&
	    listener_unlink_stale(sun->sun_path) == -1)
		return (-1);
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	if (a->ss.ss_family != AF_UNIX &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/* Other daemons (of the same user) may bind it too: reuse_port. */
	if (a->reuse_port &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1)
		goto fail;
	if (a->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, a->any ? &off : &on,
	    sizeof(int)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1)
		goto fail;
	/* Nobody can connect before listen: set the file up first. */
	if (listener_set_perms(a) == -1 || listen(fd, backlog) == -1) {
		saved = errno;
		if (a->ss.ss_family == AF_UNIX)
			unlink(sun->sun_path);
		errno = saved;
		goto fail;
	}
	return (fd);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/* Wrap a listening socket in an evconnlistener; NULL with errno set. */
static struct listener *
listener_wrap(struct event_base *base, int fd, listener_accept_fn *accept,
    void *arg)
{
	struct sockaddr_storage	 ss;
	struct listener		*l;
	socklen_t		 len = sizeof(ss);
	int			 saved;

	l = xcalloc(1, sizeof(*l));
	l->accept = accept;
	l->arg = arg;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		len = 0;
	listen_addr_format((struct sockaddr *)&ss, len, l->bound,
	    sizeof(l->bound));
	/*
	 * The socket listens already: backlog 0 keeps the one it has (ours,
	 * or the one systemd gave a passed socket); -1 would make libevent
	 * call listen() again with its own 128.
	 */
	l->lev = evconnlistener_new(base, listener_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	l->retry = evtimer_new(base, listener_retry_cb, l);
	if (l->lev == NULL || l->retry == NULL) {
		saved = errno;
		if (l->lev != NULL)
			evconnlistener_free(l->lev);
		else
			close(fd);
		if (l->retry != NULL)
			event_free(l->retry);
		free(l);
		errno = saved;
		return (NULL);
	}
	evconnlistener_set_error_cb(l->lev, listener_error_cb);
	return (l);
}

/*
 * Bind and listen on one address with room for backlog connections
 * waiting to be accepted: the socket of listener_open, for a caller that
 * hands it to something else (the metrics endpoint gives it to evhttp).
 * Returns the non-blocking, close-on-exec fd, or -1 with errno set.
 */
int
listener_bind(const struct listen_addr *a, int backlog)
{
	int	fd;

	if ((fd = listener_socket(a, backlog)) == -1 && a->any &&
	    errno == EAFNOSUPPORT) {
		/* No IPv6 on this host: a wildcard means IPv4 only. */
		struct listen_addr	v4;
		struct sockaddr_in	*sin = (struct sockaddr_in *)&v4.ss;

		memset(&v4, 0, sizeof(v4));
		sin->sin_family = AF_INET;
		sin->sin_port = ((const struct sockaddr_in6 *)&a->ss)->sin6_port;
		v4.len = sizeof(*sin);
		fd = listener_socket(&v4, backlog);
	}
	return (fd);
}

/*
 * Bind and listen on one address with room for backlog connections
 * waiting to be accepted, calling accept with arg for each client.
 * Returns NULL with errno set on failure. l->bound names the address
 * actually bound (with the port the kernel chose for port 0).
 */
struct listener *
listener_open(struct event_base *base, const struct listen_addr *a,
    int backlog, listener_accept_fn *accept, void *arg)
{
	struct listener	*l;
	int		 fd;

	if (a->udp)
		return (udp_open(base, a, arg));
	if ((fd = listener_bind(a, backlog)) == -1)
		return (NULL);
	if ((l = listener_wrap(base, fd, accept, arg)) == NULL)
		return (NULL);
	l->addr = a;
	l->backlog = backlog;
	l->unlink_path = a->ss.ss_family == AF_UNIX;
	return (l);
}

/*
 * Take over a listening socket someone else bound (systemd socket
 * activation). Its file, if any, is not ours to remove.
 */
struct listener *
listener_adopt(struct event_base *base, int fd, listener_accept_fn *accept,
    void *arg)
{
	struct listener	*l;
	int		 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return (NULL);
	if ((l = listener_wrap(base, fd, accept, arg)) != NULL)
		l->backlog = -1;		/* its unit's Backlog= */
	return (l);
}

/*
 * A reload kept this socket and may have changed the backlog: listen()
 * again sets it (Linux takes a new backlog on a listening socket). A
 * passed socket keeps the backlog its unit gave it.
 */
void
listener_set_backlog(struct listener *l, int backlog)
{
	if (l->lev == NULL || l->backlog == -1 || l->backlog == backlog)
		return;
	if (listen(evconnlistener_get_fd(l->lev), backlog) == -1)
		log_warn("%s: cannot set the listen backlog", l->bound);
	else
		l->backlog = backlog;
}

/*
 * Point a listener at another service (a reload kept its socket). The
 * address now lives in the new config. A kept unix socket of ours takes a
 * changed socket_mode or socket_group now; if that fails the socket keeps
 * serving as it was (the failure is logged).
 */
void
listener_set_target(struct listener *l, const struct listen_addr *a,
    void *arg)
{
	if (l->addr != NULL && a != NULL) {
		if (l->unlink_path && (l->addr->mode != a->mode ||
		    l->addr->gid != a->gid))
			(void)listener_set_perms(a);
		if (l->addr->reuse_port != a->reuse_port)
			log_notice("%s: reuse_port is now %s, but a bound socket "
			    "keeps how it was bound: restart the daemon to "
			    "apply it", l->bound, a->reuse_port ? "true" :
			    "false");
		l->addr = a;
	}
	l->arg = arg;
}

/*
 * A client was accepted. The entry the socket now serves says whether it
 * speaks TLS (a reload may turn one into the other and keep the socket).
 */
static void
listener_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener	*l = arg;

	l->accept(l->arg, fd, sa, (socklen_t)salen, l->addr != NULL &&
	    l->addr->tls);
}

/*
 * accept failed. Out of descriptors or memory, pause this listener for a
 * second rather than spin on a connection it cannot take.
 */
static void
listener_error_cb(struct evconnlistener *lev, void *arg)
{
	struct listener	*l = arg;
	struct timeval	 tv = { 1, 0 };
	int		 err = EVUTIL_SOCKET_ERROR();

	if (err != EMFILE && err != ENFILE && err != ENOBUFS &&
	    err != ENOMEM) {
		log_warnx("accept on %s: %s", l->bound, strerror(err));
		return;
	}
	log_warnx("accept on %s: %s; pausing accepts for 1 s", l->bound,
	    strerror(err));
	evconnlistener_disable(lev);
	evtimer_add(l->retry, &tv);
}

/* Accept again after a pause. */
static void
listener_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener	*l = arg;

	evconnlistener_enable(l->lev);
}

/* Stop listening and free; a unix socket file we made is removed. */
void
listener_free(struct listener *l)
{
	const struct sockaddr_un	*sun;

	if (l == NULL)
		return;
	if (l->dgram != NULL) {
		udp_free(l);
		return;
	}
	evconnlistener_free(l->lev);
	event_free(l->retry);
	if (l->unlink_path) {
		sun = (const struct sockaddr_un *)&l->addr->ss;
		unlink(sun->sun_path);
	}
	free(l);
}

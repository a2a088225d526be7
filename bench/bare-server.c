/*
 * bare-server: the yardstick for switchboard-bench. A single-threaded
 * epoll server with nothing but what the loads need, so its CPU per unit
 * is the floor a real daemon is compared with.
 *
 *   bare-server upper PORT    each LF-terminated line back in ASCII capitals
 *   bare-server chat PORT     each line to every other client as "<cN> line"
 *
 * Replies are written once per read; chat output is written to each
 * recipient once per loop round. Loopback only; port 0 takes a free port
 * and prints it. Runs until SIGTERM.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IN_MAX		65536
#define OUT_MAX		(4 << 20)	/* a client this far behind is dropped */

struct bconn {
	int	 fd;
	int	 slot;			/* index in live[] */
	int	 dirty;			/* output waiting for the flush */
	size_t	 inlen, outlen, outcap;
	char	*in, *out;
};

static struct bconn	**conns;	/* by fd: fine for a yardstick */
static int		  nfds_max, chat, ep;
static struct bconn	**dirty, **dead, **live;
static int		  ndirty, ndead, nlive;
static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	stop = 1;
}

static void
drop(struct bconn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns[c->fd] = NULL;
	c->fd = -1;			/* freed after the round */
	dead[ndead++] = c;
	live[c->slot] = live[--nlive];
	live[c->slot]->slot = c->slot;
}

static void
queue(struct bconn *c, const char *p, size_t n)
{
	if (c->fd < 0)
		return;
	if (c->outlen + n > c->outcap) {
		if (c->outlen + n > OUT_MAX) {
			drop(c);
			return;
		}
		while (c->outlen + n > c->outcap)
			c->outcap = c->outcap ? c->outcap * 2 : 4096;
		c->out = realloc(c->out, c->outcap);
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	if (!c->dirty) {
		c->dirty = 1;
		dirty[ndirty++] = c;
	}
}

static void
flush(struct bconn *c)
{
	ssize_t	n;

	c->dirty = 0;
	if (c->fd < 0 || c->outlen == 0)
		return;
	n = write(c->fd, c->out, c->outlen);
	if (n > 0) {
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	} else if (n == -1 && errno != EAGAIN) {
		drop(c);
		return;
	}
	if (c->outlen > 0) {		/* the rest when writable */
		struct epoll_event ev = { EPOLLIN | EPOLLOUT, { .ptr = c } };
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

static void
line(struct bconn *c, char *p, size_t n)
{
	char	head[32];
	size_t	i;
	int	fd, h;

	if (!chat) {
		for (i = 0; i < n; i++)
			if (p[i] >= 'a' && p[i] <= 'z')
				p[i] -= 32;
		queue(c, p, n + 1);
		return;
	}
	h = snprintf(head, sizeof(head), "<c%d> ", c->fd);
	for (fd = 0; fd < nlive; fd++) {
		if (live[fd] == c)
			continue;
		queue(live[fd], head, (size_t)h);
		queue(live[fd], p, n + 1);
	}
}

static void
readable(struct bconn *c)
{
	ssize_t	 n;
	size_t	 off = 0;
	char	*nl;

	if (c->in == NULL)		/* idle clients cost no buffer */
		c->in = malloc(IN_MAX);
	n = read(c->fd, c->in + c->inlen, IN_MAX - c->inlen);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			drop(c);
		return;
	}
	c->inlen += (size_t)n;
	while ((nl = memchr(c->in + off, '\n', c->inlen - off)) != NULL) {
		line(c, c->in + off, (size_t)(nl - (c->in + off)));
		off = (size_t)(nl - c->in) + 1;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	if (c->inlen == IN_MAX)
		c->inlen = 0;		/* an over-long line: dropped */
}

int
main(int argc, char **argv)
{
	struct epoll_event	 ev, evs[256];
	struct sockaddr_in	 sin;
	struct bconn		*c, lc;
	socklen_t		 len;
	int			 lfd, fd, i, n, one = 1;

	if (argc != 3 || (strcmp(argv[1], "upper") && strcmp(argv[1], "chat"))) {
		fprintf(stderr, "usage: bare-server upper|chat PORT\n");
		return (64);
	}
	chat = strcmp(argv[1], "chat") == 0;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	nfds_max = 1 << 17;
	conns = calloc((size_t)nfds_max, sizeof(*conns));
	dirty = calloc((size_t)nfds_max, sizeof(*dirty));
	dead = calloc((size_t)nfds_max, sizeof(*dead));
	live = calloc((size_t)nfds_max, sizeof(*live));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4096) == -1) {
		perror("bare-server");
		return (69);
	}
	len = sizeof(sin);
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	printf("bare-server %s listening on 127.0.0.1:%d\n", argv[1],
	    ntohs(sin.sin_port));
	fflush(stdout);
	ep = epoll_create1(0);
	memset(&lc, 0, sizeof(lc));
	lc.fd = lfd;
	ev.events = EPOLLIN;
	ev.data.ptr = &lc;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!stop) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			c = evs[i].data.ptr;
			if (c == &lc) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0 && fd < nfds_max) {
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					conns[fd] = c;
					c->slot = nlive;
					live[nlive++] = c;
					if (chat)
						queue(c, "* welcome\n", 10);
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (c->fd < 0)
				continue;
			if (evs[i].events & EPOLLOUT) {
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				flush(c);
			}
			if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLHUP |
			    EPOLLERR)))
				readable(c);
		}
		for (i = 0; i < ndirty; i++)	/* one write per client */
			flush(dirty[i]);
		ndirty = 0;
		for (i = 0; i < ndead; i++) {
			free(dead[i]->in);
			free(dead[i]->out);
			free(dead[i]);
		}
		ndead = 0;
	}
	return (0);
}

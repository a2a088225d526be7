/*
 * switchboard integration tests: run redis-server ($REDIS_SERVER, else
 * redis-server from PATH) for a test, and talk RESP to it.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"
#include "redis.h"

#define REDIS_MAX_ARGS	32		/* of redis_start_at's args */

static socklen_t redis_addr(const char *, int, struct sockaddr_storage *);
static int	redis_connect(const struct redis *);
static void	redis_exec(struct redis *);

/* The address host (an IP address) and port as a sockaddr; its length. */
static socklen_t
redis_addr(const char *host, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return (sizeof(*sin6));
	}
	ck_assert_int_eq(inet_pton(AF_INET, host, &sin->sin_addr), 1);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return (sizeof(*sin));
}

/* A connection to it, or -1. */
static int
redis_connect(const struct redis *r)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = redis_addr(r->bind, r->port, &ss);
	int			 fd;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Fork redis-server on r->port and wait until it takes connections. */
static void
redis_exec(struct redis *r)
{
	const char	*bin = getenv("REDIS_SERVER");
	const char	*argv[20 + REDIS_MAX_ARGS];
	char		 port[16], sock[128];
	int		 fd, i, n = 0;

	if (bin == NULL || *bin == '\0')
		bin = "redis-server";
	snprintf(port, sizeof(port), "%d", r->port);
	snprintf(sock, sizeof(sock), "%s/redis.sock", r->dir);
	argv[n++] = bin;
	argv[n++] = "--port";
	argv[n++] = port;
	argv[n++] = "--bind";
	argv[n++] = r->bind;
	argv[n++] = "--dir";
	argv[n++] = r->dir;
	argv[n++] = "--save";
	argv[n++] = r->persist ? "3600 1" : "";
	argv[n++] = "--appendonly";
	argv[n++] = "no";
	argv[n++] = "--daemonize";
	argv[n++] = "no";
	argv[n++] = "--protected-mode";
	argv[n++] = "no";
	argv[n++] = "--unixsocket";
	argv[n++] = sock;
	for (i = 0; r->args != NULL && r->args[i] != NULL; i++) {
		ck_assert_int_lt(i, REDIS_MAX_ARGS);
		argv[n++] = r->args[i];
	}
	argv[n] = NULL;
	r->pid = fork();
	ck_assert_int_ge(r->pid, 0);
	if (r->pid == 0) {
		fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execvp(bin, (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 500 && (fd = redis_connect(r)) == -1; i++)
		usleep(10000);
	ck_assert_msg(fd != -1, "redis-server did not start on %s port %d "
	    "(is it installed? see %s)", r->bind, r->port, r->log);
	close(fd);
}

/* A new redis-server on a free port; persist: save its data on stop. */
void
redis_start(struct redis *r, int persist)
{
	int	fd;

	memset(r, 0, sizeof(*r));
	r->persist = persist;
	snprintf(r->bind, sizeof(r->bind), "127.0.0.1");
	ck_assert_int_eq(sb_tmpdir(r->dir, sizeof(r->dir), "sbredis"), 0);
	snprintf(r->log, sizeof(r->log), "%s/log", r->dir);
	fd = port_taken(&r->port);
	close(fd);
	redis_exec(r);
}

/*
 * A new redis-server, not persisting, on a free port of host ("127.0.0.1"
 * or "::1"), with args (NULL-terminated, which must outlive r: a restart
 * uses them again) added to its command line, such as ACL users.
 */
void
redis_start_at(struct redis *r, const char *host, const char *const *args)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = redis_addr(host, 0, &ss);
	int			 fd;

	memset(r, 0, sizeof(*r));
	snprintf(r->bind, sizeof(r->bind), "%s", host);
	r->args = args;
	ck_assert_int_eq(sb_tmpdir(r->dir, sizeof(r->dir), "sbredis"), 0);
	snprintf(r->log, sizeof(r->log), "%s/log", r->dir);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	r->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	close(fd);
	redis_exec(r);
}

/* Can a socket be bound to ::1 here? */
int
redis_has_ipv6(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = redis_addr("::1", 0, &ss);
	int			 fd, ok;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	ok = bind(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return (ok);
}

/* Start it again on the same port and directory (with its data, if any). */
void
redis_restart(struct redis *r)
{
	redis_exec(r);
}

/* Stop it (saving, if it persists) and wait for it. */
void
redis_stop(struct redis *r)
{
	int	st;

	if (r->pid <= 0)
		return;
	kill(r->pid, SIGCONT);
	kill(r->pid, SIGTERM);
	waitpid(r->pid, &st, 0);
	r->pid = 0;
}

/* Send it a signal (SIGSTOP, SIGCONT). */
void
redis_signal(struct redis *r, int sig)
{
	kill(r->pid, sig);
}

/* Stop it and remove its files. */
void
redis_free(struct redis *r)
{
	char	path[128];

	redis_stop(r);
	snprintf(path, sizeof(path), "%s/dump.rdb", r->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/redis.sock", r->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/away.sock", r->dir);
	unlink(path);
	unlink(r->log);
	rmdir(r->dir);
}

/*
 * Run one command; its reply, raw RESP, in out. Returns the reply's
 * length, or -1.
 */
int
redis_cmd(struct redis *r, const char *const *argv, char *out, size_t size)
{
	struct pollfd		 pfd;
	char			 req[4096];
	size_t			 off = 0, got = 0;
	ssize_t			 n;
	int			 fd, argc, i;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	off = (size_t)snprintf(req, sizeof(req), "*%d\r\n", argc);
	for (i = 0; i < argc && off < sizeof(req); i++)
		off += (size_t)snprintf(req + off, sizeof(req) - off,
		    "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
	if ((fd = redis_connect(r)) == -1)
		return (-1);
	if (write(fd, req, off) != (ssize_t)off) {
		close(fd);
		return (-1);
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got + 1 < size && poll(&pfd, 1, got == 0 ? 5000 : 100) == 1) {
		n = read(fd, out + got, size - got - 1);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(fd);
	return ((int)got);
}

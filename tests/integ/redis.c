/*
 * switchboard integration tests: run redis-server ($REDIS_SERVER, else
 * redis-server from PATH) for a test, and talk RESP to it.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

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

static void	redis_exec(struct redis *);

/* Fork redis-server on r->port and wait until it takes connections. */
static void
redis_exec(struct redis *r)
{
	const char	*bin = getenv("REDIS_SERVER");
	char		 port[16], sock[128];
	int		 fd, i;

	if (bin == NULL || *bin == '\0')
		bin = "redis-server";
	snprintf(port, sizeof(port), "%d", r->port);
	snprintf(sock, sizeof(sock), "%s/redis.sock", r->dir);
	r->pid = fork();
	ck_assert_int_ge(r->pid, 0);
	if (r->pid == 0) {
		fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execlp(bin, bin, "--port", port, "--bind", "127.0.0.1",
		    "--dir", r->dir, "--save", r->persist ? "3600 1" : "",
		    "--appendonly", "no", "--daemonize", "no",
		    "--protected-mode", "no", "--unixsocket", sock,
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && !port_open(r->port); i++)
		usleep(10000);
	ck_assert_msg(port_open(r->port), "redis-server did not start on "
	    "port %d (is it installed?)", r->port);
}

/* A new redis-server on a free port; persist: save its data on stop. */
void
redis_start(struct redis *r, int persist)
{
	int	fd;

	memset(r, 0, sizeof(*r));
	r->persist = persist;
	ck_assert_int_eq(sb_tmpdir(r->dir, sizeof(r->dir), "sbredis"), 0);
	snprintf(r->log, sizeof(r->log), "%s/log", r->dir);
	fd = port_taken(&r->port);
	close(fd);
	redis_exec(r);
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
	struct sockaddr_in	 sin;
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
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)r->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    write(fd, req, off) != (ssize_t)off) {
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

/*
 * switchboard integration tests: start-up and reload against busy and
 * stale unix socket paths, rollback after a failed bind (at start, and at
 * reload after a new handler started), the signals a package script may
 * send, v4-mapped access list entries on a dual-stack socket, and unix
 * socket permissions.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "../check_common.h"
#include "harness.h"

/* How long a start on a busy path may take to give up. */
#define BUSY_EXIT_MS	5000
/* Most connects a listener with backlog 0 queues before it is full. */
#define BUSY_MAX_FILL	64

/* A live unix listener whose queue is full, and the clients filling it. */
struct busy {
	int	lfd;
	int	fill[BUSY_MAX_FILL];
	int	nfill;
};

static const char conf_numbers[] = "services = (\n"
    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
    "    listen = [ \"127.0.0.1:0\" ]; }\n);\n";

/* A unix stream socket address for path. */
static void
unix_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	strncpy(sun->sun_path, path, sizeof(sun->sun_path) - 1);
}

/*
 * Listen on path with backlog 0 and connect (without blocking) until the
 * queue refuses more: a connect to the path now blocks, or says EAGAIN.
 */
static void
busy_listen(struct busy *b, const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	unix_addr(&sun, path);
	b->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(b->lfd, 0);
	ck_assert_int_eq(bind(b->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(b->lfd, 0), 0);
	for (b->nfill = 0; b->nfill < BUSY_MAX_FILL; b->nfill++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		ck_assert_int_ge(fd, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			ck_assert_int_eq(errno, EAGAIN);
			close(fd);
			break;
		}
		b->fill[b->nfill] = fd;
	}
	ck_assert_msg(b->nfill < BUSY_MAX_FILL, "the queue never filled");
}

/* Close the busy listener, its clients and its file. */
static void
busy_close(struct busy *b, const char *path)
{
	int	i;

	for (i = 0; i < b->nfill; i++)
		close(b->fill[i]);
	close(b->lfd);
	unlink(path);
}

/* How many times the log contains needle. */
static int
log_count(struct sbd *d, const char *needle)
{
	char		*log = sbd_log_text(d);
	const char	*p = log;
	int		 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	free(log);
	return (n);
}

/* Wait up to T_WAIT_MS for the log to contain needle n times. */
static int
log_wait_n(struct sbd *d, const char *needle, int n)
{
	int	i;

	for (i = 0; i < T_WAIT_MS / 20; i++) {
		if (log_count(d, needle) >= n)
			return (1);
		if (sbd_wait_exit(d, 0) != -1)
			return (0);
		usleep(20000);
	}
	return (0);
}

/* Wait up to T_WAIT_MS for the log to contain needle. */
static int
log_wait(struct sbd *d, const char *needle)
{
	return (log_wait_n(d, needle, 1));
}

/* A number-to-text client still gets its answers. */
static void
still_serves(struct client *c)
{
	cl_send(c, "12\n");
	cl_expect(c, "twelve");
}

/*
 * A live listener with a full queue holds the path: the start must fail
 * at once with "address in use", naming the service and the path, and
 * exit 69 as switchboardd(8) says. It used to hang in connect() forever.
 */
START_TEST(test_busy_unix_path_at_start)
{
	struct sbd	 d;
	struct busy	 b;
	char		 dir[64], path[100], conf[512], want[256], *log;
	int		 rc;

	ck_assert_int_eq(sb_tmpdir(dir, sizeof(dir), "sbstart"), 0);
	snprintf(path, sizeof(path), "%s/busy.sock", dir);
	busy_listen(&b, path);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"busy\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"unix:%s\" ]; }\n);\n", path);
	sbd_spawn(&d, conf, NULL);
	rc = sbd_wait_exit(&d, BUSY_EXIT_MS);
	if (rc == -1)
		kill(d.pid, SIGKILL);
	log = sbd_log_text(&d);
	ck_assert_msg(rc == 69, "exit %d; log:\n%s", rc, log);
	snprintf(want, sizeof(want), "busy: cannot listen on unix:%s: Address "
	    "already in use", path);
	ck_assert_msg(strstr(log, want) != NULL, "log:\n%s", log);
	ck_assert_ptr_null(strstr(log, "ready:"));
	free(log);
	/* The other listener's file is left alone. */
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(sbd_stop(&d), 69);
	busy_close(&b, path);
	rmdir(dir);
}
END_TEST

/*
 * A reload that adds the busy path fails at once, and the running
 * services keep answering throughout.
 */
START_TEST(test_busy_unix_path_at_reload)
{
	struct sbd	 d;
	struct busy	 b;
	struct client	*c, *fresh;
	char		 dir[64], path[100], conf[512], want[256];

	ck_assert_int_eq(sb_tmpdir(dir, sizeof(dir), "sbstart"), 0);
	snprintf(path, sizeof(path), "%s/busy.sock", dir);
	busy_listen(&b, path);
	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "numbers"));
	still_serves(c);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"127.0.0.1:0\", \"unix:%s\" ]; }\n);\n", path);
	sbd_reload(&d, conf);	/* fails the test if READY=1 is late */
	snprintf(want, sizeof(want), "reload failed, still serving the "
	    "previous configuration: numbers: cannot listen on unix:%s: "
	    "Address already in use", path);
	ck_assert_msg(sbd_log_has(&d, want), "log:\n%s", sbd_log_text(&d));
	ck_assert_ptr_nonnull(strstr(d.notes, "STATUS=reload failed ("));
	still_serves(c);
	fresh = cl_tcp(sbd_port(&d, "numbers"));
	still_serves(fresh);
	cl_close(c);
	cl_close(fresh);
	ck_assert_int_eq(sbd_stop(&d), 0);
	busy_close(&b, path);
	rmdir(dir);
}
END_TEST

/*
 * A socket file nothing listens on (left by a crash) is replaced at
 * start, and the daemon serves on it.
 */
START_TEST(test_stale_unix_socket_replaced)
{
	struct sockaddr_un	 sun;
	struct sbd		 d;
	struct client		*c;
	struct stat		 st;
	char			 dir[64], path[100], conf[512];
	int			 fd;

	ck_assert_int_eq(sb_tmpdir(dir, sizeof(dir), "sbstart"), 0);
	snprintf(path, sizeof(path), "%s/stale.sock", dir);
	unix_addr(&sun, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	close(fd);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));	/* stale: there, but refused */
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"unix:%s\" ]; }\n);\n", path);
	sbd_start(&d, conf);
	c = cl_unix(path);
	still_serves(c);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
	ck_assert_int_eq(access(path, F_OK), -1);	/* removed at stop */
	rmdir(dir);
}
END_TEST

/*
 * A reload whose last new service cannot bind because another process
 * holds the port is undone: the sockets the earlier new services had
 * bound (TCP and unix) are closed again, and the running service keeps
 * every socket it had (TCP and unix) and its clients; the log and
 * systemd's STATUS= say why.
 */
START_TEST(test_reload_rollback_after_failed_bind)
{
	struct sbd	 d;
	struct client	*c, *u, *fresh;
	char		 dir[64], path[100], npath[100], conf[1024], want[512];
	int		 port, taken, fd, extra;

	ck_assert_int_eq(sb_tmpdir(dir, sizeof(dir), "sbstart"), 0);
	snprintf(path, sizeof(path), "%s/extra.sock", dir);
	snprintf(npath, sizeof(npath), "%s/numbers.sock", dir);
	fd = port_taken(&taken);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"127.0.0.1:0\", \"unix:%s\" ]; }\n);\n", npath);
	sbd_start(&d, conf);
	port = sbd_port(&d, "numbers");
	c = cl_tcp(port);
	still_serves(c);
	u = cl_unix(npath);
	still_serves(u);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"127.0.0.1:0\", \"unix:%s\" ]; },\n"
	    "  { name = \"extra\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"127.0.0.1:0\", \"unix:%s\" ]; },\n"
	    "  { name = \"taken\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"127.0.0.1:%d\" ]; }\n);\n", npath, path, taken);
	sbd_reload(&d, conf);
	snprintf(want, sizeof(want), "taken: cannot listen on 127.0.0.1:%d: "
	    "Address already in use", taken);
	ck_assert(sbd_log_has(&d, want));
	ck_assert(sbd_log_has(&d, "reload failed, still serving the previous "
	    "configuration"));
	/* systemd is told why, and that the old listeners are all there. */
	snprintf(want, sizeof(want), "STATUS=reload failed (taken: cannot "
	    "listen on 127.0.0.1:%d: Address already in use); 1 service, 2 "
	    "connections; clients: numbers 2; numbers=127.0.0.1:%d "
	    "numbers=unix:%s", taken, port,
	    npath);
	ck_assert_msg(strstr(d.notes, want) != NULL, "notes:\n%s", d.notes);
	/* extra was bound during the attempt, then closed again. */
	extra = sbd_port(&d, "extra");
	ck_assert(!port_open(extra));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert(!sbd_log_has(&d, "reloaded:"));
	ck_assert(!sbd_log_has(&d, "stopped listening"));
	/* numbers kept both sockets and both clients. */
	ck_assert_int_eq(sbd_port(&d, "numbers"), port);
	still_serves(c);
	still_serves(u);
	fresh = cl_tcp(port);
	still_serves(fresh);
	cl_close(fresh);
	fresh = cl_unix(npath);
	still_serves(fresh);
	cl_close(fresh);
	cl_close(c);
	cl_close(u);
	ck_assert_int_eq(sbd_stop(&d), 0);
	ck_assert_int_eq(access(npath, F_OK), -1);
	close(fd);
	rmdir(dir);
}
END_TEST

/*
 * A reload that fails after a new chat service was bound and its handler
 * started (a later service cannot bind) stops that service again: its
 * socket is closed and, however often it happens, the daemon holds no
 * more descriptors than before. A reload without the taken port then
 * starts the chat service for real.
 */
START_TEST(test_reload_rollback_stops_started_service)
{
	struct sbd	 d;
	struct client	*c, *m;
	char		 conf[1024], *line;
	int		 i, taken, fd, fds, room;

	fd = port_taken(&taken);
	sbd_start(&d, conf_numbers);
	c = cl_tcp(sbd_port(&d, "numbers"));
	still_serves(c);
	fds = sbd_fd_count(&d);
	ck_assert_int_gt(fds, 0);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; },\n"
	    "  { name = \"room\"; handler = \"chat-relay\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; },\n"
	    "  { name = \"taken\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"127.0.0.1:%d\" ]; }\n);\n", taken);
	for (i = 1; i <= 3; i++) {
		sbd_reload(&d, i == 1 ? conf : NULL);
		ck_assert_int_eq(log_count(&d, "reload failed, still serving "
		    "the previous configuration: taken: cannot listen"), i);
		ck_assert_int_eq(log_count(&d, " room: listening on "), i);
		room = sbd_port(&d, "room");
		ck_assert_msg(!port_open(room), "room still on port %d", room);
		ck_assert_int_eq(sbd_fd_count(&d), fds);
		still_serves(c);
	}
	ck_assert(!sbd_log_has(&d, "reloaded:"));
	/* Without the taken port the same chat service starts and serves. */
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; },\n"
	    "  { name = \"room\"; handler = \"chat-relay\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; }\n);\n");
	sbd_reload(&d, conf);
	ck_assert(log_wait(&d, "reloaded: 2 services"));
	m = cl_tcp(sbd_port(&d, "room"));
	line = cl_line(m, T_WAIT_MS);
	ck_assert_ptr_nonnull(line);
	cl_close(m);
	still_serves(c);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
	close(fd);
}
END_TEST

/*
 * A start that fails at its last service closes what the earlier ones
 * had bound, at once: the unix socket file of the first service is gone,
 * and systemd is told which service, address and reason (exit 69).
 */
START_TEST(test_start_failure_closes_bound)
{
	struct sbd	 d;
	char		 dir[64], path[100], conf[1024], want[256], *log;
	int		 rc, taken, fd;

	ck_assert_int_eq(sb_tmpdir(dir, sizeof(dir), "sbstart"), 0);
	snprintf(path, sizeof(path), "%s/first.sock", dir);
	fd = port_taken(&taken);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"first\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"unix:%s\", \"127.0.0.1:0\" ]; },\n"
	    "  { name = \"room\"; handler = \"chat-relay\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; },\n"
	    "  { name = \"second\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"127.0.0.1:%d\" ]; }\n);\n", path, taken);
	sbd_spawn(&d, conf, NULL);
	rc = sbd_wait_exit(&d, T_WAIT_MS);
	if (rc == -1)
		kill(d.pid, SIGKILL);
	log = sbd_log_text(&d);
	ck_assert_msg(rc == 69, "exit %d; log:\n%s", rc, log);
	snprintf(want, sizeof(want), "first: listening on unix:%s", path);
	ck_assert_msg(strstr(log, want) != NULL, "log:\n%s", log);
	ck_assert_ptr_nonnull(strstr(log, "room: listening on 127.0.0.1:"));
	snprintf(want, sizeof(want), "second: cannot listen on 127.0.0.1:%d: "
	    "Address already in use", taken);
	ck_assert_msg(strstr(log, want) != NULL, "log:\n%s", log);
	ck_assert_ptr_null(strstr(log, "ready:"));
	free(log);
	snprintf(want, sizeof(want), "STATUS=second: cannot listen on "
	    "127.0.0.1:%d: Address already in use\nERRNO=%d", taken,
	    EADDRINUSE);
	ck_assert(sbd_wait_notify(&d, want, 0));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(sbd_stop(&d), 69);
	close(fd);
	rmdir(dir);
}
END_TEST

/*
 * The same signals while the daemon is still reading its config (a FIFO
 * holds it there until the test writes the file) do not stop it either.
 */
START_TEST(test_signals_during_start)
{
	const int	 sigs[] = { SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGWINCH };
	const char	*conf = "services = ( { name = \"numbers\"; handler = "
	    "\"number-to-text\"; listen = [ \"127.0.0.1:0\" ]; } );\n";
	const char	*extra[3];
	struct sbd	 d;
	struct client	*c;
	char		 dir[64], fifo[100];
	size_t		 i;
	int		 fd;

	ck_assert_int_eq(sb_tmpdir(dir, sizeof(dir), "sbstart"), 0);
	snprintf(fifo, sizeof(fifo), "%s/switchboard.conf", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	extra[0] = "-c";
	extra[1] = fifo;
	extra[2] = NULL;
	sbd_spawn(&d, "", extra);
	/* A writer can open the FIFO once the daemon has it open to read. */
	for (i = 0; i < 3000 && (fd = open(fifo, O_WRONLY | O_NONBLOCK)) == -1;
	    i++)
		usleep(10000);
	ck_assert_int_ge(fd, 0);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		ck_assert_int_eq(kill(d.pid, sigs[i]), 0);
	usleep(100000);
	ck_assert_int_eq(sbd_wait_exit(&d, 0), -1);
	ck_assert_int_eq(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
	close(fd);
	ck_assert(sbd_wait_notify(&d, "READY=1", T_WAIT_MS));
	c = cl_tcp(sbd_port(&d, "numbers"));
	still_serves(c);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

/*
 * USR1, USR2, PIPE, WINCH and HUP, as package scripts send them, never
 * stop the daemon; USR1 logs one line per service with its counts.
 */
START_TEST(test_signals_keep_serving)
{
	static const char conf[] = "services = (\n"
	    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; max_line = 16; },\n"
	    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; }\n);\n";
	struct sbd	 d;
	struct client	*a, *b;
	int		 port;

	sbd_start(&d, conf);
	port = sbd_port(&d, "numbers");
	a = cl_tcp(port);
	b = cl_tcp(port);
	still_serves(a);
	cl_send(b, "12345678901234567890\n");	/* over max_line */
	cl_expect(b, "error: line too long (max 16 bytes)");
	ck_assert_int_eq(kill(d.pid, SIGUSR1), 0);
	ck_assert(log_wait(&d, "upper: stats: "));
	ck_assert(sbd_log_has(&d, "SIGUSR1: 2 connections; version="));
	ck_assert(sbd_log_has(&d, "numbers: stats: name=numbers "
	    "handler=number-to-text state=running listeners=127.0.0.1:"));
	ck_assert(sbd_log_has(&d, " connections=2 accepted=2 refused_acl=0 "
	    "refused_max_connections=0 refused_max_per_ip=0 "
	    "refused_max_accept_rate=0 refused_max_clients=0 "
	    "limit_max_line=1 limit_max_output=0 "));
	ck_assert(sbd_log_has(&d, "upper: stats: name=upper "
	    "handler=uppercase-echo state=running listeners=127.0.0.1:"));
	ck_assert(sbd_log_has(&d, " connections=0 accepted=0 refused_acl=0 "));
	ck_assert_int_eq(kill(d.pid, SIGUSR2), 0);
	ck_assert(log_wait(&d, "SIGUSR2 ignored"));
	still_serves(a);
	/* PIPE and WINCH log nothing: a second snapshot comes after them. */
	ck_assert_int_eq(kill(d.pid, SIGPIPE), 0);
	ck_assert_int_eq(kill(d.pid, SIGWINCH), 0);
	ck_assert_int_eq(kill(d.pid, SIGUSR1), 0);
	ck_assert(log_wait_n(&d, "upper: stats: ", 2));
	ck_assert_int_eq(log_count(&d, "SIGUSR1: 2 connections"), 2);
	ck_assert_int_eq(sbd_wait_exit(&d, 0), -1);
	still_serves(a);
	still_serves(b);
	sbd_reload(&d, NULL);
	still_serves(a);
	ck_assert_int_eq(sbd_wait_exit(&d, 0), -1);
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * On a dual-stack socket an IPv4 client is ::ffff:127.0.0.1 to the
 * kernel. Entries written in the mapped block match it as the IPv4
 * addresses they are: deny refuses, allow admits, and the log writes the
 * client and the entry as IPv4.
 */
START_TEST(test_acl_v4_mapped_entries)
{
	static const char conf[] = "services = (\n"
	    "  { name = \"deny1\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"0\" ]; deny = [ \"::ffff:127.0.0.1\" ]; },\n"
	    "  { name = \"denyall\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"0\" ]; deny = [ \"::ffff:0:0/96\" ]; },\n"
	    "  { name = \"allow8\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"0\" ]; allow = [ \"::ffff:127.0.0.0/104\" ]; }\n"
	    ");\n";
	struct sbd	 d;
	struct client	*c;

	sbd_start(&d, conf);
	c = cl_tcp(sbd_port(&d, "deny1"));
	cl_send(c, "1\n");
	ck_assert(cl_eof(c, T_WAIT_MS));	/* closed without a word */
	ck_assert_uint_eq(c->len, 0);
	cl_close(c);
	ck_assert(log_wait(&d, "deny1[127.0.0.1:"));
	ck_assert(sbd_log_has(&d, "]: limit allow/deny: not allowed to "
	    "connect (deny 127.0.0.1)"));
	ck_assert(!sbd_log_has(&d, "[[::ffff:"));
	c = cl_tcp(sbd_port(&d, "denyall"));
	cl_send(c, "1\n");
	ck_assert(cl_eof(c, T_WAIT_MS));
	ck_assert_uint_eq(c->len, 0);
	cl_close(c);
	ck_assert(log_wait(&d, "not allowed to connect (deny 0.0.0.0/0)"));
	c = cl_tcp(sbd_port(&d, "allow8"));
	still_serves(c);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * Under a umask that leaves a socket srwx------, socket_mode and
 * socket_group give the file the mode and group asked for, by group name
 * and by number.
 */
START_TEST(test_socket_mode_and_group)
{
	struct sbd	 d;
	struct client	*c;
	struct group	*gr;
	struct stat	 st;
	char		 dir[64], a[100], b[100], conf[1024];
	mode_t		 old;

	ck_assert_ptr_nonnull(gr = getgrgid(getgid()));
	ck_assert_int_eq(sb_tmpdir(dir, sizeof(dir), "sbstart"), 0);
	snprintf(a, sizeof(a), "%s/a.sock", dir);
	snprintf(b, sizeof(b), "%s/b.sock", dir);
	snprintf(conf, sizeof(conf), "services = (\n"
	    "  { name = \"a\"; handler = \"number-to-text\";\n"
	    "    listen = [ \"unix:%s\" ]; socket_mode = \"0660\";\n"
	    "    socket_group = \"%s\"; },\n"
	    "  { name = \"b\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"unix:%s\" ]; socket_mode = \"0606\";\n"
	    "    socket_group = %d; }\n);\n", a, gr->gr_name, b, (int)getgid());
	old = umask(077);
	sbd_start(&d, conf);
	umask(old);
	ck_assert_int_eq(stat(a, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	ck_assert_uint_eq(st.st_gid, getgid());
	ck_assert_int_eq(stat(b, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0606);
	ck_assert_uint_eq(st.st_gid, getgid());
	c = cl_unix(a);
	still_serves(c);
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
	rmdir(dir);
}
END_TEST

/* -t checks socket_mode and socket_group and names file:line. */
START_TEST(test_socket_keys_checked)
{
	struct sbd	 d;
	char		 out[4096], want[1024];
	const char	*args[] = { "-t", "-c", NULL, NULL };

	memset(&d, 0, sizeof(d));
	sbd_write_conf(&d, "services = (\n"
	    "  { name = \"u\"; handler = \"uppercase-echo\";\n"
	    "    listen = \"unix:/tmp/sb-never-bound.sock\";\n"
	    "    socket_mode = \"0999\"; socket_group = \"sb-no-such-group\"; },\n"
	    "  { name = \"t\"; handler = \"uppercase-echo\";\n"
	    "    listen = \"127.0.0.1:0\"; socket_mode = \"0660\"; }\n);\n");
	args[2] = d.conf;
	ck_assert_int_eq(sbd_run(args, out, sizeof(out)), 78);
	snprintf(want, sizeof(want), "%s:4: socket_mode \"0999\": expected an "
	    "octal mode from \"0000\" to \"0777\" in double quotes, as in "
	    "socket_mode = \"0660\";\n"
	    "%s:4: socket_group \"sb-no-such-group\": no such group (check "
	    "with getent group sb-no-such-group)\n"
	    "%s:6: socket_mode: service \"t\" has no unix: listen address "
	    "(socket_mode and socket_group apply to unix sockets only; for "
	    "sockets systemd passes, set SocketMode= and SocketGroup= in the "
	    "socket unit)\n", d.conf, d.conf, d.conf);
	ck_assert_str_eq(out, want);
	unlink(d.conf);
	rmdir(d.dir);
}
END_TEST

/* -t says when an IPv6 entry covers the mapped block but matches no IPv4. */
START_TEST(test_acl_note_in_test_mode)
{
	struct sbd	 d;
	char		 out[4096], want[512];
	const char	*args[] = { "-t", "-c", NULL, NULL };

	memset(&d, 0, sizeof(d));
	sbd_write_conf(&d, "deny = [ \"::ffff:127.0.0.1\", \"::/0\" ];\n"
	    "services = ( { name = \"u\"; handler = \"uppercase-echo\"; "
	    "listen = \"7002\"; } );\n");
	args[2] = d.conf;
	ck_assert_int_eq(sbd_run(args, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s:1: note: deny \"::/0\" matches IPv6 "
	    "clients only; IPv4 clients (::ffff:a.b.c.d on a dual-stack "
	    "socket) are matched by IPv4 entries, as in \"0.0.0.0/0\"\n",
	    d.conf);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "configuration OK\n"));
	ck_assert_ptr_null(strstr(out, "::ffff:127.0.0.1"));
	unlink(d.conf);
	rmdir(d.dir);
}
END_TEST

/* The room a chat welcome names: "* welcome to NAME, ..." -> NAME. */
static void
room_of(struct client *c, char *buf, size_t size)
{
	const char	*line = cl_line(c, T_WAIT_MS), *p;
	size_t		 n;

	ck_assert_ptr_nonnull(line);
	ck_assert_msg(strncmp(line, "* welcome to ", 13) == 0, "%s", line);
	p = line + 13;
	n = strcspn(p, ",");
	ck_assert_uint_lt(n, size);
	memcpy(buf, p, n);
	buf[n] = '\0';
}

/*
 * reuse_port: two daemons serve one port, and the kernel spreads the
 * clients over both (50 connections all going to one would happen with
 * odds of 2^-49); once one stops, the other takes every client. A daemon
 * that did not ask to share keeps the port to itself.
 */
START_TEST(test_reuse_port)
{
	struct sbd	 a, b, c;
	struct client	*cl;
	char		 conf[512], room[64], *log;
	int		 port, i, na = 0, nb = 0, rc;

	sbd_start(&a, "services = ( { name = \"one\"; handler = "
	    "\"chat-relay\"; reuse_port = true;\n"
	    "  listen = [ \"127.0.0.1:0\" ]; } );\n");
	port = sbd_port(&a, "one");
	snprintf(conf, sizeof(conf), "services = ( { name = \"two\"; "
	    "handler = \"chat-relay\"; reuse_port = true;\n"
	    "  listen = [ \"127.0.0.1:%d\" ]; } );\n", port);
	sbd_start(&b, conf);
	for (i = 0; i < 50; i++) {
		cl = cl_tcp(port);
		room_of(cl, room, sizeof(room));
		if (strcmp(room, "one") == 0)
			na++;
		else if (strcmp(room, "two") == 0)
			nb++;
		cl_close(cl);
	}
	ck_assert_int_eq(na + nb, 50);
	ck_assert_msg(na > 0 && nb > 0, "one %d, two %d", na, nb);

	ck_assert_int_eq(sbd_stop(&a), 0);
	for (i = 0; i < 20; i++) {
		cl = cl_tcp(port);
		room_of(cl, room, sizeof(room));
		ck_assert_str_eq(room, "two");
		cl_close(cl);
	}

	/* Without reuse_port, the port stays b's alone. */
	snprintf(conf, sizeof(conf), "services = ( { name = \"three\"; "
	    "handler = \"chat-relay\";\n"
	    "  listen = [ \"127.0.0.1:%d\" ]; } );\n", port);
	sbd_spawn(&c, conf, NULL);
	rc = sbd_wait_exit(&c, T_WAIT_MS);
	if (rc == -1)
		kill(c.pid, SIGKILL);
	log = sbd_log_text(&c);
	ck_assert_msg(rc == 69 && strstr(log, "Address already in use") !=
	    NULL, "exit %d; log:\n%s", rc, log);
	free(log);
	ck_assert_int_eq(sbd_stop(&b), 0);
}
END_TEST

/* reuse_port is refused on a unix address, at its line. */
START_TEST(test_reuse_port_unix_refused)
{
	const char *const args[] = { "-t", NULL };
	char	 out[4096], conf[512], *log;
	struct sbd d;
	int	 rc;

	snprintf(conf, sizeof(conf), "services = ( { name = \"u\"; "
	    "handler = \"uppercase-echo\";\n"
	    "  listen = [ \"127.0.0.1:0\", \"unix:/tmp/sb-never.sock\" ];\n"
	    "  reuse_port = true; } );\n");
	sbd_spawn(&d, conf, args);
	rc = sbd_wait_exit(&d, T_WAIT_MS);
	log = sbd_log_text(&d);
	snprintf(out, sizeof(out), "%s", log);
	free(log);
	ck_assert_msg(rc == 78, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, ":3: reuse_port: service \"u\" listens on "
	    "unix:/tmp/sb-never.sock, and a unix socket cannot be shared by "
	    "several daemons") != NULL, "%s", out);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("startup");
	TCase	*tc = tcase_create("startup");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_busy_unix_path_at_start);
	tcase_add_test(tc, test_busy_unix_path_at_reload);
	tcase_add_test(tc, test_stale_unix_socket_replaced);
	tcase_add_test(tc, test_reload_rollback_after_failed_bind);
	tcase_add_test(tc, test_reload_rollback_stops_started_service);
	tcase_add_test(tc, test_start_failure_closes_bound);
	tcase_add_test(tc, test_signals_keep_serving);
	tcase_add_test(tc, test_signals_during_start);
	tcase_add_test(tc, test_acl_v4_mapped_entries);
	tcase_add_test(tc, test_socket_mode_and_group);
	tcase_add_test(tc, test_socket_keys_checked);
	tcase_add_test(tc, test_acl_note_in_test_mode);
	tcase_add_test(tc, test_reuse_port);
	tcase_add_test(tc, test_reuse_port_unix_refused);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_startup"));
}

/*
 * switchboard integration tests: the harness (see harness.h).
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
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

static long	now_ms(void);
static const char *sbd_binary(void);
static int	sbd_valgrind(void);
static void	sbd_exec(struct sbd *, const char *, const char *const *,
		    const char *const *);
static struct client *cl_tcp_opts(int, int, const char *);
static void	sbd_drain_notify(struct sbd *, int);
static void	sbd_cleanup(struct sbd *);

/* The daemon to test: $SWITCHBOARDD, else the one in this build tree. */
static const char *
sbd_binary(void)
{
	const char	*bin = getenv("SWITCHBOARDD");

	return (bin != NULL && *bin != '\0' ? bin : SB_DAEMON);
}

/* Milliseconds on the monotonic clock. */
static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Make the temp directory and write the config file. */
void
sbd_write_conf(struct sbd *d, const char *conf)
{
	FILE	*f;

	if (d->dir[0] == '\0') {
		ck_assert_int_eq(sb_tmpdir(d->dir, sizeof(d->dir), "sbtest"),
		    0);
		snprintf(d->conf, sizeof(d->conf), "%s/switchboard.conf", d->dir);
		snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
		snprintf(d->notify, sizeof(d->notify), "%s/notify", d->dir);
	}
	f = fopen(d->conf, "w");
	ck_assert_ptr_nonnull(f);
	fputs(conf, f);
	fclose(f);
}

/* Start the daemon on a config and wait until it says READY=1. */
void
sbd_start(struct sbd *d, const char *conf)
{
	sbd_start_args(d, conf, NULL);
}

/* The same, with extra command-line arguments. */
void
sbd_start_args(struct sbd *d, const char *conf, const char *const *extra)
{
	char	*log;

	sbd_spawn(d, conf, extra);
	if (!sbd_wait_notify(d, "READY=1", 30000)) {
		log = sbd_log_text(d);
		ck_abort_msg("daemon not ready; log:\n%s", log);
	}
}

/* Start the daemon without waiting for it to be ready. */
void
sbd_spawn(struct sbd *d, const char *conf, const char *const *extra)
{
	sbd_exec(d, conf, NULL, extra);
}

/*
 * Start the daemon under another program (wrap: its argv, which must end
 * by running what follows, as systemd-socket-activate does).
 */
void
sbd_spawn_wrapped(struct sbd *d, const char *conf, const char *const *wrap)
{
	sbd_exec(d, conf, wrap, NULL);
}

/* Fork and exec [wrap...] [valgrind...] daemon -c conf [extra...]. */
static void
sbd_exec(struct sbd *d, const char *conf, const char *const *wrap,
    const char *const *extra)
{
	struct sockaddr_un	 sun;
	const char		*bin = sbd_binary();
	const char		*argv[32];
	int			 fd, n = 0, i;

	memset(d, 0, sizeof(*d));
	sbd_write_conf(d, conf);
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(d->notify_fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, d->notify);
	ck_assert_int_eq(bind(d->notify_fd, (struct sockaddr *)&sun,
	    sizeof(sun)), 0);
	for (i = 0; wrap != NULL && wrap[i] != NULL && n < 12; i++)
		argv[n++] = wrap[i];
	if (sbd_valgrind()) {
		/* Any valgrind error or definite leak makes the exit code 99. */
		argv[n++] = "valgrind";
		argv[n++] = "--quiet";
		argv[n++] = "--leak-check=full";
		argv[n++] = "--errors-for-leak-kinds=definite";
		argv[n++] = "--error-exitcode=99";
	}
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = d->conf;
	for (i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		setenv("NOTIFY_SOCKET", d->notify, 1);
		unsetenv("JOURNAL_STREAM");
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
}

/* Read notify datagrams for up to ms milliseconds (0: what is there). */
static void
sbd_drain_notify(struct sbd *d, int ms)
{
	struct pollfd	pfd = { d->notify_fd, POLLIN, 0 };
	char		msg[4096];
	ssize_t		n;

	while (poll(&pfd, 1, ms) == 1) {
		n = recv(d->notify_fd, msg, sizeof(msg) - 1, 0);
		if (n <= 0)
			return;
		if (d->notes_len + (size_t)n + 2 < sizeof(d->notes)) {
			memcpy(d->notes + d->notes_len, msg, (size_t)n);
			d->notes_len += (size_t)n;
			d->notes[d->notes_len++] = SBD_NOTE_END;
			d->notes[d->notes_len] = '\0';
		}
		ms = 0;
	}
}

/*
 * Wait until a notify message containing needle has arrived (now or
 * earlier). Returns 0 on timeout or if the daemon exited first.
 */
int
sbd_wait_notify(struct sbd *d, const char *needle, int ms)
{
	long	end = now_ms() + ms;

	for (;;) {
		sbd_drain_notify(d, 0);
		if (strstr(d->notes, needle) != NULL)
			return (1);
		if (sbd_wait_exit(d, 0) != -1 || now_ms() >= end)
			return (0);
		sbd_drain_notify(d, 50);
	}
}

/*
 * Wait up to ms for the daemon's log to show needle: 1 once it does, 0
 * if it has not by then or the daemon exited without it. The notify
 * messages are taken meanwhile (a full socket would hold up the daemon).
 */
int
sbd_wait_log(struct sbd *d, const char *needle, int ms)
{
	long	end = now_ms() + ms;

	for (;;) {
		sbd_drain_notify(d, 0);
		if (sbd_log_has(d, needle))
			return (1);
		if (sbd_wait_exit(d, 0) != -1 || now_ms() >= end)
			return (sbd_log_has(d, needle));
		usleep(20000);
	}
}

/* How many notify messages so far contain needle. */
int
sbd_count_notes(struct sbd *d, const char *needle)
{
	const char	*p = d->notes;
	int		 n = 0;

	sbd_drain_notify(d, 0);
	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return (n);
}

/*
 * Write a new config (NULL: keep the file), send SIGHUP and wait until
 * the daemon says READY=1 again.
 */
void
sbd_reload(struct sbd *d, const char *conf)
{
	long	end = now_ms() + T_WAIT_MS;
	int	before = sbd_count_notes(d, "READY=1");

	if (conf != NULL)
		sbd_write_conf(d, conf);
	ck_assert_int_eq(kill(d->pid, SIGHUP), 0);
	while (sbd_count_notes(d, "READY=1") == before) {
		ck_assert_msg(now_ms() < end && sbd_wait_exit(d, 0) == -1,
		    "no READY=1 after SIGHUP");
		sbd_drain_notify(d, 50);
	}
}

/*
 * Wait up to ms for the daemon to exit. Returns its exit code (128+N for a
 * signal), or -1 if it is still running.
 */
int
sbd_wait_exit(struct sbd *d, int ms)
{
	long	end = now_ms() + ms;
	pid_t	r;

	while (!d->exited) {
		r = waitpid(d->pid, &d->status, WNOHANG);
		if (r == d->pid) {
			d->exited = 1;
			break;
		}
		if (now_ms() >= end)
			return (-1);
		usleep(10000);
	}
	if (WIFEXITED(d->status))
		return (WEXITSTATUS(d->status));
	return (128 + WTERMSIG(d->status));
}

/* The first plain TCP port a service listens on, from the log. */
int
sbd_port(struct sbd *d, const char *service)
{
	char	*log = sbd_log_text(d), *p = NULL, *q, needle[128];
	int	 port = -1;

	snprintf(needle, sizeof(needle), " %s: listening on ", service);
	/* The latest plain TCP listener: reloads add lines. */
	for (q = log; (q = strstr(q, needle)) != NULL; q++) {
		if (strncmp(q + strlen(needle), "unix:", 5) != 0 &&
		    strncmp(q + strlen(needle), "udp:", 4) != 0 &&
		    strncmp(q + strlen(needle), "tls:", 4) != 0)
			p = q;
	}
	if (p != NULL) {
		p += strlen(needle);
		p = strchr(p, ']') != NULL && *p == '[' ? strchr(p, ']') + 1 :
		    strchr(p, ':');
		if (p != NULL && *p == ':')
			port = atoi(p + 1);
	}
	ck_assert_msg(port > 0, "no port for %s in log:\n%s", service, log);
	free(log);
	return (port);
}

/*
 * The port of the service's latest UDP listener bound to addr ("127.0.0.1"
 * or "[::1]"), from the log.
 */
int
sbd_udp_port(struct sbd *d, const char *service, const char *addr)
{
	char	*log = sbd_log_text(d), *p = NULL, *q, needle[160];
	int	 port = -1;

	snprintf(needle, sizeof(needle), " %s: listening on udp:%s:", service,
	    addr);
	for (q = log; (q = strstr(q, needle)) != NULL; q++)
		p = q;
	if (p != NULL)
		port = atoi(p + strlen(needle));
	ck_assert_msg(port > 0, "no UDP port for %s on %s in log:\n%s",
	    service, addr, log);
	free(log);
	return (port);
}

/* How many times needle is in the log so far. */
int
sbd_count_log(struct sbd *d, const char *needle)
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

/* The whole log so far, in a new string. */
char *
sbd_log_text(struct sbd *d)
{
	char	*buf;
	FILE	*f;
	size_t	 n = 0;
	long	 size;

	if ((f = fopen(d->log, "r")) == NULL)
		return (strdup(""));
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	if (buf != NULL)
		n = fread(buf, 1, (size_t)size, f);
	fclose(f);
	if (buf != NULL)
		buf[n] = '\0';
	return (buf);
}

/* Does the log contain a string? */
int
sbd_log_has(struct sbd *d, const char *needle)
{
	char	*log = sbd_log_text(d);
	int	 r = strstr(log, needle) != NULL;

	free(log);
	return (r);
}

/* Fail if the log shows a crash, a sanitizer report or a fatal error. */
void
sbd_check_log(struct sbd *d)
{
	static const char *const bad[] = {
		"AddressSanitizer", "LeakSanitizer", "runtime error:",
		"fatal:", NULL
	};
	char	*log = sbd_log_text(d);
	int	 i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(strstr(log, bad[i]) == NULL,
		    "daemon log shows \"%s\":\n%s", bad[i], log);
	free(log);
}

/* Remove the temp directory's files. */
static void
sbd_cleanup(struct sbd *d)
{
	unlink(d->conf);
	unlink(d->log);
	unlink(d->notify);
	rmdir(d->dir);
	close(d->notify_fd);
}

/*
 * SIGTERM the daemon and wait for it. Returns its exit code; fails the
 * test if it hangs or its log shows trouble.
 */
int
sbd_stop(struct sbd *d)
{
	int	rc;

	if (!d->exited)
		kill(d->pid, SIGTERM);
	if ((rc = sbd_wait_exit(d, 15000)) == -1) {
		kill(d->pid, SIGKILL);
		sbd_wait_exit(d, 5000);
		ck_abort_msg("daemon did not stop on SIGTERM");
	}
	sbd_drain_notify(d, 0);
	sbd_check_log(d);
	sbd_cleanup(d);
	return (rc);
}

/* Is the daemon run under valgrind (SB_VALGRIND set and not empty)? */
static int
sbd_valgrind(void)
{
	const char	*v = getenv("SB_VALGRIND");

	return (v != NULL && *v != '\0');
}

/*
 * Does the daemon's RSS mean anything? Not under ASan or valgrind, whose
 * quarantines and redzones keep freed memory on purpose.
 */
int
sbd_rss_meaningful(void)
{
#ifdef SB_SANITIZED
	return (0);
#else
	return (!sbd_valgrind());
#endif
}

/* Waits are this many times longer when the daemon runs under valgrind. */
int
sbd_wait_scale(void)
{
	return (sbd_valgrind() ? 3 : 1);
}

/* Open descriptors of the daemon, from /proc. */
int
sbd_fd_count(struct sbd *d)
{
	char	cmd[128], out[64];
	int	i, n, least = -1;

	/*
	 * The least of three looks 20 ms apart: sd_notify opens a socket
	 * for each message (STATUS= every second), which is not the
	 * daemon's to keep.
	 */
	snprintf(cmd, sizeof(cmd), "ls /proc/%d/fd | wc -l", (int)d->pid);
	for (i = 0; i < 3; i++) {
		if (i > 0)
			usleep(20000);
		run_shell(cmd, out, sizeof(out));
		n = atoi(out);
		if (least == -1 || n < least)
			least = n;
	}
	return (least);
}

/* Resident memory of the daemon in KiB, from /proc. */
long
sbd_rss_kb(struct sbd *d)
{
	char	path[64], line[256];
	long	kb = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)d->pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	}
	fclose(f);
	return (kb);
}

/*
 * Run the daemon binary to completion with arguments (for -t, -V ...),
 * capturing stdout and stderr together. Returns its exit code.
 */
int
sbd_run(const char *const *args, char *out, size_t size)
{
	const char	*bin = sbd_binary();
	char		 cmd[4096];
	size_t		 off;
	int		 i;

	off = (size_t)snprintf(cmd, sizeof(cmd), "'%s'", bin);
	for (i = 0; args[i] != NULL && i < 14; i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, " '%s'",
		    args[i]);
	snprintf(cmd + off, sizeof(cmd) - off, " 2>&1 </dev/null");
	return (run_shell(cmd, out, size));
}

/* Run a shell command, capturing its output; returns its exit code. */
int
run_shell(const char *cmd, char *out, size_t size)
{
	FILE	*p;
	size_t	 n;
	int	 st;

	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* Connect to 127.0.0.1:port. */
struct client *
cl_tcp(int port)
{
	return (cl_tcp_rcvbuf(port, 0));
}

/* Connect to 127.0.0.1:port from another loopback address. */
struct client *
cl_tcp_from(int port, const char *src)
{
	return (cl_tcp_opts(port, 0, src));
}

/*
 * Connect with a receive buffer of the given size (0: the default). It is
 * set before connect so the window scale matches a small buffer.
 */
struct client *
cl_tcp_rcvbuf(int port, int rcvbuf)
{
	return (cl_tcp_opts(port, rcvbuf, NULL));
}

/* Connect, with a receive buffer size and a source address if given. */
static struct client *
cl_tcp_opts(int port, int rcvbuf, const char *src)
{
	struct sockaddr_in	 sin;
	struct client		*c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c->fd, 0);
	if (rcvbuf > 0)
		ck_assert_int_eq(setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF,
		    &rcvbuf, sizeof(rcvbuf)), 0);
	if (src != NULL) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, src, &sin.sin_addr), 1);
		ck_assert_int_eq(bind(c->fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "connect to port %d: %s", port, strerror(errno));
	return (c);
}

/* Connect to a unix socket. */
struct client *
cl_unix(const char *path)
{
	struct sockaddr_un	 sun;
	struct client		*c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	ck_assert_msg(connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "connect to %s: %s", path, strerror(errno));
	return (c);
}

/* Send a string. */
void
cl_send(struct client *c, const char *s)
{
	cl_sendn(c, s, strlen(s));
}

/* Send bytes, all of them. */
void
cl_sendn(struct client *c, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		ck_assert_msg(n > 0, "send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/*
 * The next line, without its LF (a CR before it is kept, so tests can
 * see the line ending). NULL on timeout or EOF.
 */
char *
cl_line(struct client *c, int ms)
{
	struct pollfd	 pfd = { c->fd, POLLIN, 0 };
	long		 end = now_ms() + ms;
	char		*nl;
	size_t		 n;
	ssize_t		 r;

	for (;;) {
		if ((nl = memchr(c->buf + c->off, '\n', c->len - c->off)) !=
		    NULL) {
			n = (size_t)(nl - c->buf) - c->off;
			memcpy(c->line, c->buf + c->off, n);
			c->line[n] = '\0';
			c->off += n + 1;
			if (c->off == c->len)
				c->off = c->len = 0;
			return (c->line);
		}
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (c->len == sizeof(c->buf) || now_ms() >= end)
			return (NULL);
		if (poll(&pfd, 1, (int)(end - now_ms())) != 1)
			continue;
		r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (r <= 0)
			return (NULL);
		c->len += (size_t)r;
	}
}

/*
 * Send one control socket command (without its line ending) and read its
 * answer up to the line ".", which is left out; the lines are joined with
 * "\n" (each ends with one). The answer lives until the next call.
 */
char *
cl_ask(struct client *c, const char *cmd)
{
	static char	 out[256 * 1024];
	char		*line;
	size_t		 off = 0;

	cl_send(c, cmd);
	cl_send(c, "\n");
	out[0] = '\0';
	for (;;) {
		line = cl_line(c, T_WAIT_MS);
		ck_assert_msg(line != NULL, "no end to the answer to \"%s\": "
		    "%s", cmd, out);
		if (strcmp(line, ".") == 0)
			return (out);
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s\n",
		    line);
		ck_assert_uint_lt(off, sizeof(out));
	}
}

/* The next line must be exactly this. */
void
cl_expect(struct client *c, const char *want)
{
	char	*got = cl_line(c, T_WAIT_MS);

	ck_assert_msg(got != NULL, "expected \"%s\", got nothing", want);
	ck_assert_str_eq(got, want);
}

/* Wait for the server to close: 1 if it did within ms. Data is dropped. */
int
cl_eof(struct client *c, int ms)
{
	struct pollfd	pfd = { c->fd, POLLIN, 0 };
	long		end = now_ms() + ms;
	char		buf[65536];
	ssize_t		r;

	c->off = c->len = 0;
	while (now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - now_ms())) != 1)
			continue;
		r = recv(c->fd, buf, sizeof(buf), 0);
		if (r <= 0)
			return (1);
	}
	return (0);
}

/* Nothing arrives for ms milliseconds (and the connection stays open). */
int
cl_quiet(struct client *c, int ms)
{
	struct pollfd	pfd = { c->fd, POLLIN, 0 };

	return (c->len == c->off && poll(&pfd, 1, ms) == 0);
}

/* Close with a reset instead of a FIN (SO_LINGER 0), and free. */
void
cl_reset(struct client *c)
{
	struct linger	l = { 1, 0 };

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	cl_close(c);
}

/* Close and free a client. */
void
cl_close(struct client *c)
{
	close(c->fd);
	free(c);
}

/* Is anything listening on 127.0.0.1:port? */
int
port_open(int port)
{
	struct sockaddr_in	sin;
	int			fd, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return (r == 0);
}

/* Occupy a loopback port: returns the listening socket, *port its number. */
int
port_taken(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return (fd);
}

/*
 * The backlog of the listening socket ss shows for filter ("-t '( sport
 * = :7001 )'", "-x src /path"): ss gives it as the socket's Send-Q.
 */
int
listen_backlog_of(const char *filter)
{
	char	cmd[512], out[1024], *p, *tok;
	int	n = 0, sendq = -1;

	/* Netid and State come first, or State alone: Send-Q is the second
	 * number. */
	snprintf(cmd, sizeof(cmd), "ss -Hln %s", filter);
	run_shell(cmd, out, sizeof(out));
	for (p = out; n < 2 && (tok = strsep(&p, " \t\n")) != NULL;) {
		if (*tok >= '0' && *tok <= '9' && ++n == 2)
			sendq = atoi(tok);
	}
	ck_assert_msg(sendq >= 0, "%s: %s", cmd, out);
	return (sendq);
}

/*
 * switchboardctl: ask a running switchboardd over its control socket.
 *
 *   switchboardctl [-s SOCKET] [--json] stats | clients [SERVICE] |
 *       kill ID [REASON] | who ROOM | reload | help
 *
 * One command is sent; the answer ends with a line "."; an answer that is
 * "error: ..." makes the exit status 1. A daemon that is not there (no
 * socket, nobody listening) is exit status 69 with a message naming the
 * socket. Reads are bounded in size and time.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#ifndef SB_CONTROL_SOCKET
#error "SB_CONTROL_SOCKET is not defined (Makefile.am defines it)"
#endif

/* The largest answer taken (a "clients" of a very busy daemon fits). */
#define CTL_MAX_ANSWER	(64 * 1024 * 1024)
/* Seconds to wait for the daemon to connect, take or answer. */
#define CTL_TIMEOUT	30

/* A command: its name and how many words may follow it. */
static const struct {
	const char	*name;
	int		 min, max;	/* max -1: the rest joined */
} ctl_cmds[] = {
	{ "stats", 0, 0 },
	{ "clients", 0, 1 },
	{ "kill", 1, -1 },
	{ "who", 1, 1 },
	{ "reload", 0, 0 },
	{ "help", 0, 0 },
};

static const struct option ctl_options[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void	ctl_usage(FILE *);
static char	*ctl_command(int, char **);
static int	ctl_connect(const char *);
static int	ctl_wait(int, short, time_t);
static char	*ctl_talk(int, const char *, const char *);

/* calloc that cannot fail. */
void *
ctl_alloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL) {
		fprintf(stderr, "switchboardctl: out of memory\n");
		exit(EX_OSERR);
	}
	return (p);
}

/* Print the usage message. */
static void
ctl_usage(FILE *f)
{
	fprintf(f, "usage: switchboardctl [-s SOCKET] [--json] COMMAND\n"
	    "  stats               the daemon's and each service's counters\n"
	    "  clients [SERVICE]   one line per client\n"
	    "  kill ID [REASON]    disconnect client ID\n"
	    "  who ROOM            the members of a chat room\n"
	    "  reload              reload the configuration\n"
	    "  help                the daemon's list of commands\n"
	    "  -s, --socket SOCKET the control socket (default "
	    SB_CONTROL_SOCKET ")\n"
	    "  -j, --json          print JSON instead of tables\n");
}

/*
 * The command line to send, from the words after the options; NULL
 * (said why) if they are not a command.
 */
static char *
ctl_command(int argc, char **argv)
{
	char	*line;
	size_t	 i, len = 2;
	int	 j, n = -1;

	if (argc == 0) {
		fprintf(stderr, "switchboardctl: no command given\n");
		return (NULL);
	}
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			n = (int)i;
	}
	if (n == -1) {
		fprintf(stderr, "switchboardctl: unknown command \"%s\"\n",
		    argv[0]);
		return (NULL);
	}
	if (argc - 1 < ctl_cmds[n].min || (ctl_cmds[n].max != -1 &&
	    argc - 1 > ctl_cmds[n].max)) {
		fprintf(stderr, "switchboardctl: wrong number of arguments "
		    "for %s\n", argv[0]);
		return (NULL);
	}
	for (j = 0; j < argc; j++) {
		if (strpbrk(argv[j], "\r\n") != NULL) {
			fprintf(stderr, "switchboardctl: an argument may not "
			    "hold a line break\n");
			return (NULL);
		}
		len += strlen(argv[j]) + 1;
	}
	line = ctl_alloc(len, 1);
	for (j = 0; j < argc; j++) {
		if (j > 0)
			strcat(line, " ");
		strcat(line, argv[j]);
	}
	strcat(line, "\n");
	return (line);
}

/*
 * Connect to the control socket at path: the fd, or -1 (said why, naming
 * the path).
 */
static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "switchboardctl: %s: socket path too long\n",
		    path);
		return (-1);
	}
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "switchboardctl: socket: %s\n",
		    strerror(errno));
		return (-1);
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "switchboardctl: cannot connect to %s: %s "
		    "(is switchboardd running, with control_socket = \"%s\" in "
		    "its configuration? -s names another socket)\n", path,
		    strerror(errno), path);
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Wait until fd is ready for events or the deadline passes: 0 or -1. */
static int
ctl_wait(int fd, short events, time_t deadline)
{
	struct pollfd	pfd = { fd, events, 0 };
	time_t		now;
	int		r;

	for (;;) {
		if ((now = time(NULL)) >= deadline)
			return (-1);
		r = poll(&pfd, 1, (int)(deadline - now) * 1000);
		if (r > 0)
			return (0);
		if (r == 0 || errno != EINTR)
			return (-1);
	}
}

/*
 * Send the command and read its answer, up to the line "."; the answer
 * (NUL-terminated, the "." left out), or NULL (said why).
 */
static char *
ctl_talk(int fd, const char *path, const char *line)
{
	time_t	 deadline = time(NULL) + CTL_TIMEOUT;
	size_t	 len = 0, size = 65536, off = 0, want = strlen(line);
	char	*buf = ctl_alloc(size, 1), *p;
	ssize_t	 n;

	while (off < want) {
		if (ctl_wait(fd, POLLOUT, deadline) == -1 ||
		    (n = send(fd, line + off, want - off, MSG_NOSIGNAL)) <= 0)
			goto fail;
		off += (size_t)n;
	}
	for (;;) {
		if ((len == 2 && memcmp(buf, ".\n", 2) == 0) || (len > 2 &&
		    memcmp(buf + len - 3, "\n.\n", 3) == 0)) {
			buf[len - 2] = '\0';
			return (buf);
		}
		if (len + 1 >= size) {
			if (size >= CTL_MAX_ANSWER) {
				fprintf(stderr, "switchboardctl: %s: answer "
				    "over %d bytes\n", path, CTL_MAX_ANSWER);
				free(buf);
				return (NULL);
			}
			size *= 2;
			if ((p = realloc(buf, size)) == NULL) {
				free(buf);
				return (NULL);
			}
			buf = p;
		}
		if (ctl_wait(fd, POLLIN, deadline) == -1 ||
		    (n = recv(fd, buf + len, size - len - 1, 0)) < 0)
			goto fail;
		if (n == 0) {
			fprintf(stderr, "switchboardctl: %s: the daemon closed "
			    "the connection before the end of its answer\n",
			    path);
			free(buf);
			return (NULL);
		}
		len += (size_t)n;
	}
fail:
	fprintf(stderr, "switchboardctl: %s: %s\n", path, errno != 0 ?
	    strerror(errno) : "no answer in time");
	free(buf);
	return (NULL);
}

int
main(int argc, char **argv)
{
	const char		*path = SB_CONTROL_SOCKET;
	struct ctl_answer	 ans;
	char			*line, *text;
	int			 ch, json = 0, fd;

	while ((ch = getopt_long(argc, argv, "+s:jhV", ctl_options,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			ctl_usage(stdout);
			return (EX_OK);
		case 'V':
			printf("switchboardctl %s\n", PACKAGE_VERSION);
			return (EX_OK);
		default:
			ctl_usage(stderr);
			return (EX_USAGE);
		}
	}
	if ((line = ctl_command(argc - optind, argv + optind)) == NULL) {
		ctl_usage(stderr);
		return (EX_USAGE);
	}
	if ((fd = ctl_connect(path)) == -1) {
		free(line);
		return (EX_UNAVAILABLE);
	}
	errno = 0;
	text = ctl_talk(fd, path, line);
	close(fd);
	free(line);
	if (text == NULL)
		return (EX_UNAVAILABLE);
	ctl_parse(text, &ans);
	if (json)
		ctl_show_json(argv[optind], &ans);
	else if (ans.error == NULL)
		ctl_show_table(argv[optind], &ans);
	if (ans.error != NULL)
		fprintf(stderr, "switchboardctl: %s\n", ans.error);
	ch = ans.error != NULL;
	ctl_answer_free(&ans);
	free(text);
	return (ch);
}

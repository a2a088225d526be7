/*
 * switchboard: socket activation. systemd passes listening sockets in
 * LISTEN_FDS, each named by the socket unit's FileDescriptorName=; the
 * name says which service a socket is for.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "activation.h"
#include "listen_addr.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Collect the sockets passed to us, if any. Returns 0, or -1 with the
 * reason in why (a passed descriptor that is not a listening stream
 * socket).
 */
int
activation_collect(struct activation *act, char *why, size_t whylen)
{
#ifdef HAVE_SYSTEMD
	char	**names = NULL;
	int	  n, i, fd;

	memset(act, 0, sizeof(*act));
	if ((n = sd_listen_fds_with_names(1, &names)) < 0) {
		snprintf(why, whylen, "socket activation: %s", strerror(-n));
		return (-1);
	}
	if (n == 0)
		return (0);
	act->socks = xcalloc((size_t)n, sizeof(*act->socks));
	act->n = (size_t)n;
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		act->socks[i].fd = fd;
		act->socks[i].name = xstrdup(names != NULL && names[i] != NULL ?
		    names[i] : "unknown");
		free(names != NULL ? names[i] : NULL);
	}
	free(names);
	for (i = 0; i < n; i++) {
		if (sd_is_socket(act->socks[i].fd, AF_UNSPEC, SOCK_STREAM,
		    1) <= 0) {
			snprintf(why, whylen, "socket activation: passed "
			    "descriptor %d (\"%s\") is not a listening stream "
			    "socket", act->socks[i].fd, act->socks[i].name);
			return (-1);
		}
	}
	log_info("socket activation: %d socket%s passed", n, n == 1 ? "" :
	    "s");
	return (0);
#else
	memset(act, 0, sizeof(*act));
	if (getenv("LISTEN_FDS") != NULL)
		log_warnx("LISTEN_FDS is set, but this switchboardd was built "
		    "without systemd support: passed sockets are ignored");
	(void)why;
	(void)whylen;
	return (0);
#endif
}

/*
 * Take a passed socket named for this service and bound to this address
 * (any address if a is NULL): returns its descriptor, now the caller's,
 * or -1 if there is none.
 */
int
activation_take(struct activation *act, const char *name,
    const struct listen_addr *a)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	size_t			i;
	int			fd;

	if (a != NULL && a->udp)
		return (-1);		/* only stream sockets are passed */
	for (i = 0; i < act->n; i++) {
		if ((fd = act->socks[i].fd) == -1 ||
		    strcmp(act->socks[i].name, name) != 0)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
		    (a == NULL ||
		    listen_addr_matches(a, (struct sockaddr *)&ss, len))) {
			act->socks[i].fd = -1;
			return (fd);
		}
	}
	return (-1);
}

/* Close any passed socket nobody took, and free the list. */
void
activation_free(struct activation *act)
{
	size_t	i;

	for (i = 0; i < act->n; i++) {
		if (act->socks[i].fd != -1)
			close(act->socks[i].fd);
		free(act->socks[i].name);
	}
	free(act->socks);
	memset(act, 0, sizeof(*act));
}

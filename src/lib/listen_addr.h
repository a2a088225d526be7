/*
 * switchboard: listen addresses as written in the config file.
 *   PORT           every address, IPv4 and IPv6
 *   HOST:PORT      a numeric IPv4 address
 *   [V6ADDR]:PORT  a numeric IPv6 address
 *   unix:/path     a unix stream socket
 *   udp:ADDR       a UDP socket, ADDR written as one of the first three
 *   tls:ADDR       any of the first three, serving TLS
 * Port 0 asks the kernel for a free port.
 */
#ifndef SB_LISTEN_ADDR_H
#define SB_LISTEN_ADDR_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>

struct listen_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
	bool			any;	/* PORT: dual-stack wildcard */
	bool			udp;	/* udp: a datagram socket */
	bool			tls;	/* tls: clients speak TLS */
	int			mode;	/* unix: chmod to this, -1 = umask's */
	long long		gid;	/* unix: chown to this group, -1 = ours */
	bool			reuse_port; /* SO_REUSEPORT (not unix) */
};

/* Longest text listen_addr_format writes, with its NUL. */
#define LISTEN_ADDR_TEXT	(sizeof("unix:") + 108)

int	listen_addr_parse(const char *, struct listen_addr *, const char **);
bool	listen_addr_same(const struct listen_addr *,
	    const struct listen_addr *);
bool	listen_addr_matches(const struct listen_addr *, const struct sockaddr *,
	    socklen_t);
const char *listen_addr_format(const struct sockaddr *, socklen_t, char *,
	    size_t);

#endif

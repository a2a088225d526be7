/*
 * switchboard: sockets passed by the service manager (socket activation).
 */
#ifndef SB_ACTIVATION_H
#define SB_ACTIVATION_H

#include <stddef.h>

struct listen_addr;

struct activation_socket {
	int	 fd;		/* -1 once taken */
	char	*name;		/* FileDescriptorName= */
};

struct activation {
	struct activation_socket	*socks;
	size_t				 n;
};

int	activation_collect(struct activation *, char *, size_t);
int	activation_take(struct activation *, const char *,
	    const struct listen_addr *);
void	activation_free(struct activation *);

#endif

/*
 * switchboard integration tests: a real redis-server of the test's own,
 * on a free loopback port (127.0.0.1, or ::1 with redis_start_at) and the
 * unix socket DIR/redis.sock, in a temp directory, for the relay suites.
 */
#ifndef SB_TEST_REDIS_H
#define SB_TEST_REDIS_H

#include <sys/types.h>

struct redis {
	pid_t	pid;
	int	port;
	int	persist;		/* saves to dump.rdb on stop */
	char	dir[64];
	char	log[96];
	char	bind[48];		/* "127.0.0.1" or "::1" */
	const char *const *args;	/* more for redis-server, or NULL */
};

void	redis_start(struct redis *, int);
void	redis_start_at(struct redis *, const char *, const char *const *);
int	redis_has_ipv6(void);
void	redis_restart(struct redis *);
void	redis_stop(struct redis *);
void	redis_signal(struct redis *, int);
void	redis_free(struct redis *);
int	redis_cmd(struct redis *, const char *const *, char *, size_t);

#endif

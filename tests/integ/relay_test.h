/*
 * switchboard integration tests: what the relay suites (check_relay,
 * check_relay_deploy) share.
 */
#ifndef SB_TEST_RELAY_H
#define SB_TEST_RELAY_H

struct client;
struct sbd;

int	relay_timeout(void);
void	wait_log(struct sbd *, const char *);
void	wait_line(struct client *, const char *);

#endif

/*
 * switchboard integration tests: run the real daemon and talk to it.
 *
 * sbd_start writes a config into a fresh temp directory, binds an AF_UNIX
 * datagram socket as NOTIFY_SOCKET (standing in for systemd), starts
 * $SWITCHBOARDD and waits for READY=1. Ports come from the daemon's own
 * "listening on" log lines, so tests use port 0 and never guess.
 */
#ifndef SB_HARNESS_H
#define SB_HARNESS_H

#include <sys/types.h>

#include <stddef.h>

#define SBD_NOTE_END	'\x1e'	/* ends each notify message in notes */
/* How long to wait for an answer: longer with the daemon under valgrind,
 * which runs it some twenty times slower. */
#define T_WAIT_MS	(sbd_wait_scale() * 10000)

struct sbd {
	pid_t	pid;
	int	notify_fd;
	int	exited;
	int	status;			/* waitpid status once exited */
	char	dir[64];
	char	conf[96];
	char	log[96];
	char	notify[96];
	char	notes[65536];		/* every notify message, each ended
					   by SBD_NOTE_END */
	size_t	notes_len;
};

struct client {
	int	fd;
	size_t	off;			/* start of unread data in buf */
	size_t	len;			/* end of data in buf */
	char	buf[256 * 1024];
	char	line[256 * 1024];
};

void	 sbd_write_conf(struct sbd *, const char *);
void	 sbd_start(struct sbd *, const char *);
void	 sbd_start_args(struct sbd *, const char *, const char *const *);
void	 sbd_spawn(struct sbd *, const char *, const char *const *);
void	 sbd_spawn_wrapped(struct sbd *, const char *, const char *const *);
int	 sbd_port(struct sbd *, const char *);
int	 sbd_udp_port(struct sbd *, const char *, const char *);
int	 sbd_wait_notify(struct sbd *, const char *, int);
int	 sbd_count_notes(struct sbd *, const char *);
int	 sbd_wait_log(struct sbd *, const char *, int);
void	 sbd_reload(struct sbd *, const char *);
int	 sbd_wait_exit(struct sbd *, int);
int	 sbd_stop(struct sbd *);
void	 sbd_check_log(struct sbd *);
char	*sbd_log_text(struct sbd *);
int	 sbd_log_has(struct sbd *, const char *);
int	 sbd_count_log(struct sbd *, const char *);
long	 sbd_rss_kb(struct sbd *);
int	 sbd_fd_count(struct sbd *);
int	 sbd_rss_meaningful(void);
int	 sbd_wait_scale(void);
int	 sbd_run(const char *const *, char *, size_t);

struct client *cl_tcp(int);
struct client *cl_tcp_rcvbuf(int, int);
struct client *cl_tcp_from(int, const char *);
struct client *cl_unix(const char *);
void	 cl_send(struct client *, const char *);
void	 cl_sendn(struct client *, const void *, size_t);
char	*cl_line(struct client *, int);
void	 cl_expect(struct client *, const char *);
char	*cl_ask(struct client *, const char *);
int	 cl_eof(struct client *, int);
int	 cl_quiet(struct client *, int);
void	 cl_close(struct client *);
void	 cl_reset(struct client *);

int	 run_shell(const char *, char *, size_t);
int	 port_open(int);
int	 port_taken(int *);
int	 listen_backlog_of(const char *);

#endif

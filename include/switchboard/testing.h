/*
 * switchboard: the handler test harness, a fake core over in-memory
 * buffers. A handler's unit tests link libswitchboard-testing instead of
 * running the daemon (pkg-config switchboard-testing): it implements every
 * function of <switchboard/handler.h> without sockets or an event loop,
 * and the calls below drive it.
 *
 *	struct sb_service	*svc;
 *	struct sb_conn		*c;
 *
 *	svc = sb_test_service(&reverse_handler, "rev", "prefix = \"> \";");
 *	sb_test_start(svc);
 *	c = sb_test_open(svc, "127.0.0.1:5555");
 *	sb_test_line(c, "héllo");
 *	assert(strcmp(sb_test_read(c), "> olléh") == 0);
 *	sb_test_service_free(svc);
 *
 * Each driving call (start, open, input, line, hang-up, stall, advance,
 * reconfigure, stop) is one round of the daemon's event loop: the hooks it runs queue output and
 * closes, and before it returns the closes asked for run their close hooks
 * and the round's output reaches the client, where sb_test_read finds it.
 * Nothing else happens between calls: the clock only moves when the test
 * advances it, and timers fire only then, in time order.
 *
 * Connections and their records (output, close reason, limits) stay
 * readable after they close, until the service is freed. A handler error
 * the daemon would treat as fatal (sb_fatal, a close without a reason, a
 * timer for another service's connection), and a misuse of the API the
 * core does not check (output queued between sb_conn_line_space and
 * sb_conn_line_done, a hook returning with a reply open) abort the test
 * program with a message. The library defines only sb_* and fake_*
 * symbols; it keeps its state in globals, for one thread.
 */
#ifndef SB_TESTING_H
#define SB_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <switchboard/handler.h>

/*
 * A service running handler h, named name, with options written as in a
 * service's group of the config file ("history = 5; rate = 2;" or NULL),
 * the core's max_line and max_output among them (4096 and 1048576 unless
 * set). The options are checked as the daemon checks them (unknown keys,
 * types, bounds, choices), then the configure hook runs. NULL if they are
 * refused: sb_test_error says why.
 */
struct sb_service *sb_test_service(const struct sb_handler *, const char *,
		    const char *);
/* Why the last sb_test_service or sb_test_reconfigure was refused. */
const char	*sb_test_error(void);
/* Run the start hook: its result (0 without one). */
int		 sb_test_start(struct sb_service *);
/*
 * A reload that keeps the service, with new options: checked and
 * configured like sb_test_service; then the reconfigure hook runs with the
 * old conf. 0, or -1 if refused (the old conf stays; see sb_test_error).
 */
int		 sb_test_reconfigure(struct sb_service *, const char *);
/*
 * Stop the service as a shutdown (reason "server shutting down") or a
 * reload that removes it (reason "service removed by reload"): every open
 * client is closed with the reason (sent "error: REASON" first if the
 * handler has no close hook), the close hooks run, then the stop hook, and
 * the service's timers are cancelled.
 */
void		 sb_test_stop(struct sb_service *, const char *);
/* Stop the service if it runs, and free it and all its connections. */
void		 sb_test_service_free(struct sb_service *);

/*
 * A client arrives from peer ("127.0.0.1:5555", "[::1]:5555", "unix"):
 * the open hook runs. Returns the connection, even one the hook refused.
 */
struct sb_conn	*sb_test_open(struct sb_service *, const char *);
/*
 * Bytes from the client, framed as the core frames them: each LF ends a
 * line (a CR before it is dropped and makes the client's line ending
 * CRLF), a line over max_line is discarded and the too_long hook runs
 * (or "error: line too long (max N bytes)" is sent), a partial line waits
 * for the rest. Lines are handed to the line hook one at a time, not once
 * a close has been asked for, and not while the client is throttled: they
 * wait until the clock passes the pause.
 */
void		 sb_test_input(struct sb_conn *, const void *, size_t);
/* One line of text from the client, sent with an LF. */
void		 sb_test_line(struct sb_conn *, const char *);
/* The client hangs up: closed with "client closed the connection". */
void		 sb_test_hangup(struct sb_conn *);
/*
 * The operator disconnects the client (switchboardctl kill ID REASON), as
 * the daemon does it: the kicked hook (or the core's "error:
 * disconnected by the operator"), then a close after the output, for
 * "disconnected by the operator". Nothing happens to a closing client.
 */
void		 sb_test_kick(struct sb_conn *, const char *);
/*
 * What the describe hook says of the client (switchboardctl clients and
 * who): the text, valid until the next call, or NULL if it says nothing
 * or the handler has no such hook.
 */
const char	*sb_test_describe(struct sb_conn *);
/*
 * A client that stops reading (true) keeps its output queued in the core,
 * where it counts against max_output: past it (beyond the replies it
 * asked for, see sb_conn_reply_begin), it is closed as a "slow consumer".
 * false takes everything queued.
 */
void		 sb_test_stall(struct sb_conn *, bool);

/*
 * The next line the client received, without its line ending (NULL if
 * none is left). The text lives until the next sb_test_read or
 * sb_test_read_raw call; a line with NUL bytes needs sb_test_read_raw.
 */
const char	*sb_test_read(struct sb_conn *);
/* The same with its line ending, and its length in *len. */
const char	*sb_test_read_raw(struct sb_conn *, size_t *);
/* Lines the client received and the test has not read yet. */
size_t		 sb_test_pending(struct sb_conn *);

/*
 * NULL while the connection is open; once a close has been asked for,
 * the reason (the first one), and how in *how if not NULL
 * (SB_CLOSE_NOW for the core's own resets: a hang-up, a slow consumer).
 */
const char	*sb_test_closed(struct sb_conn *, enum sb_close *);
/* How many times the close hook ran for the connection (0 or 1). */
int		 sb_test_close_hooks(struct sb_conn *);
/* How many times the handler reported the limit on the connection. */
unsigned	 sb_test_limit_count(struct sb_conn *, enum sb_limit);
/*
 * The pause the handler last asked for with sb_conn_throttle (0: none),
 * and the milliseconds of it still to run (0 once it has passed).
 */
unsigned	 sb_test_throttle(struct sb_conn *);
uint64_t	 sb_test_throttle_left(struct sb_conn *);

/*
 * The next line the service logged (sb_service_log, sb_conn_log, and the
 * limits, as the daemon writes them: "service: text" or
 * "service[peer #id]: text"), its level in *level if not NULL; NULL when
 * none is left. The text lives until the next call.
 */
const char	*sb_test_log(struct sb_service *, int *);

/*
 * The fake clock (sb_now_ms): starts at 1000. Advance it by ms, firing
 * each due timer at its time, in order (a timer of 0 ms fires with
 * sb_test_advance(0)), and handing over the lines of clients whose pause
 * has passed.
 */
void		 sb_test_advance(unsigned);
/* Timers of the service (its own and its connections') still pending. */
size_t		 sb_test_timers(struct sb_service *);

#endif

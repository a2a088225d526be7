/*
 * switchboard: the handler plugin struct and the connection API.
 *
 * A handler is a line protocol. The core owns sockets, framing, limits and
 * the event loop; a handler sees lines in and sends lines out through the
 * sb_conn_* calls below, and never touches libevent or a file descriptor.
 * This header (with <switchboard/bucket.h> for rate budgets) is all a
 * handler includes.
 *
 * Everything runs on the daemon's one thread: hooks and timer callbacks
 * are called one at a time from the event loop, never from each other
 * (except where a hook below says otherwise), and no function here may be
 * called from another thread.
 *
 * A service's life, hook by hook:
 *   configure  each time a config naming the handler is read (start-up,
 *              reload, switchboardd -t), on the service's conf blob,
 *              before any service uses it; the config may still be thrown
 *              away after it (another error, a refused reload).
 *   start      once, when the service first runs (at start-up, or when a
 *              reload adds it), before any client; -1 refuses: start-up
 *              fails, or the reload is refused and the old configuration
 *              goes on serving. After a refusal, stop is not called.
 *   open, line, too_long, close   for each client, in that order (below).
 *   reconfigure  each time a reload keeps the running service.
 *   stop       once, after the last client's close hook, when the service
 *              goes: removed by a reload (after its clients have finished,
 *              see sb_service_is_stopping) or at shutdown. Free the
 *              service's data here.
 *
 * A connection's life: open (the client arrived), then line for each
 * complete line, too_long for each line over max_line, then close, exactly
 * once, with the reason it goes ("client closed the connection", "idle
 * timeout", a handler's own reason...). The close hook runs even after a
 * refused open (an open hook that calls sb_conn_close): it is how a
 * handler learns a connection is gone, whatever the cause, so state
 * set up before the refusal can be undone there. Once a close has been
 * asked for, no more lines are handed over and no timer of the connection
 * fires.
 *
 * Shutdown (SIGTERM): every service starts stopping at once with the
 * reason "server shutting down" (sb_service_stop_reason). Each client is
 * closed with that reason and flushed (a client whose handler has no
 * close hook is sent "error: server shutting down" first); its close hook
 * runs in the next loop round, and may still send a last line. Clients
 * that have not taken their output after 5 seconds are cut off. Names
 * given up in close hooks (sb_relay_release, with their farewells) are
 * waited for until Redis takes them, at most the relay's timeout or a
 * second. Then each service's stop hook runs and its timers go. A service removed by a
 * reload goes the same way with "service removed by reload" while the
 * others serve on; its stop hook runs once its last client has gone.
 *
 * Pointers the core gives a handler, and how long they live:
 *   struct sb_conn *    from open until the close hook returns; the
 *                       connection may be freed any time after that, so
 *                       drop every reference to it in the close hook.
 *   sb_conn_state       as long as the connection (freed with it).
 *   a line's text       during the line hook only; copy what you keep.
 *   struct sb_service * from start until the stop hook returns.
 *   sb_service_conf     until the handler returns to the event loop: a
 *                       reload may replace the blob (see reconfigure), so
 *                       fetch it again in each hook instead of keeping it.
 *                       String options in it live as long as the blob.
 *   sb_service_data     the handler's own: it frees it in stop.
 *   sb_conn_peer and sb_service_stop_reason   see each below.
 */
#ifndef SB_HANDLER_H
#define SB_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sb_conn;
struct sb_service;

/* How sb_conn_close closes. */
enum sb_close {
	SB_CLOSE_FLUSH,		/* stop reading, send what is queued, close */
	SB_CLOSE_NOW		/* close at once, discarding queued output */
};

/* The kinds of option a handler declares (see SB_OPTION_* below). */
enum sb_opt_type {
	SB_OPT_INT,		/* long long, bounds min..max */
	SB_OPT_BOOL,		/* bool */
	SB_OPT_STRING,		/* char *, length min..max, owned by the core */
	SB_OPT_ENUM		/* int: index into choices */
};

/*
 * One config key: declared by the handler, parsed and checked by the core.
 * Declare them with the SB_OPTION_* macros rather than by hand: they take
 * the key's name from the field's and check at compile time that the field
 * has the type the core will store into it.
 */
struct sb_option {
	const char		*name;
	enum sb_opt_type	 type;
	size_t			 offset;	/* offsetof() into the conf blob */
	long long		 min, max;	/* INT bounds, STRING length */
	const char *const	*choices;	/* ENUM: NULL-terminated */
	const char		*def;		/* default, written as in a file */
	const char		*help;		/* what it means, for messages */
};

/*
 * offsetof(type, field), failing to compile unless the field is a ftype.
 * The check is a static assertion inside a struct whose size is multiplied
 * by zero: it costs nothing and works in a file-scope initializer.
 */
#define SB_OPTION_FIELD(type, field, ftype, what)			\
	(offsetof(type, field) + 0 * sizeof(struct {			\
	    _Static_assert(__builtin_types_compatible_p(		\
		__typeof__(((type *)0)->field), ftype),			\
		"option " #field ": " #type "." #field " must be " what); \
	    int sb_unused; }))

/*
 * The option tables: one line per key, named after its field in the
 * handler's conf struct (type), ending with SB_OPTION_END. def is the
 * default as a C string: "20", "true", a STRING's text without quotes,
 * an ENUM's choice by name; or NULL to leave the field zeroed (0, false,
 * NULL). help says what the key means; range errors quote it. The conf
 * struct is zeroed, then the defaults and the file's values are stored.
 * For example:
 *
 *	struct echo_conf { long long repeat; bool loud; char *prefix; };
 *	static const struct sb_option echo_options[] = {
 *		SB_OPTION_INT(struct echo_conf, repeat, 1, 10, "1",
 *		    "times each line is echoed"),
 *		SB_OPTION_BOOL(struct echo_conf, loud, "false", "shout"),
 *		SB_OPTION_STRING(struct echo_conf, prefix, 0, 32, "",
 *		    "put before every reply"),
 *		SB_OPTION_END
 *	};
 *
 * SB_OPTION_INT: a long long field, a whole number from min to max.
 * SB_OPTION_BOOL: a bool field, true or false.
 * SB_OPTION_STRING: a char * field, a string of minlen to maxlen bytes;
 *   the core owns the copy it stores (do not free or keep it past the
 *   conf's lifetime, see sb_service_conf).
 * SB_OPTION_ENUM: an int field, the index in choices (a NULL-terminated
 *   array of names) of the name given.
 */
#define SB_OPTION_INT(type, field, min, max, def, help)		\
	{ #field, SB_OPT_INT,						\
	  SB_OPTION_FIELD(type, field, long long, "long long"),		\
	  (min), (max), NULL, (def), (help) }
#define SB_OPTION_BOOL(type, field, def, help)				\
	{ #field, SB_OPT_BOOL, SB_OPTION_FIELD(type, field, bool, "bool"), \
	  0, 1, NULL, (def), (help) }
#define SB_OPTION_STRING(type, field, minlen, maxlen, def, help)	\
	{ #field, SB_OPT_STRING,					\
	  SB_OPTION_FIELD(type, field, char *, "char *"),		\
	  (minlen), (maxlen), NULL, (def), (help) }
#define SB_OPTION_ENUM(type, field, choices, def, help)		\
	{ #field, SB_OPT_ENUM, SB_OPTION_FIELD(type, field, int, "int"), \
	  0, 0, (choices), (def), (help) }
#define SB_OPTION_END							\
	{ NULL, SB_OPT_INT, 0, 0, 0, NULL, NULL, NULL }

/*
 * The relay: a service's room shared by several daemons through Redis
 * (ABI 1.1). The core owns the connection; the handler appends opaque
 * entries to the room's stream with sb_relay_send and gets every entry of
 * the stream back, in the stream's order, through its relayed hook, its
 * own included: delivering only what comes back is what gives every
 * member on every daemon one order.
 */
struct sb_relay_conf {
	const char	*addr;		/* "IP:PORT", "[IPv6]:PORT", "unix:/path" */
	const char	*room;		/* the stream's name, after prefix */
	const char	*prefix;	/* Redis key prefix, "" for none */
	const char	*password;	/* AUTH, NULL or "" for none */
	size_t		 max_queue;	/* bytes of lines waiting to be relayed */
	unsigned	 timeout_ms;	/* connect, and wait for an answer */
	unsigned	 history;	/* entries replayed at start */
	unsigned	 keep;		/* entries the stream keeps, about */
	unsigned	 lease_ms;	/* a name's lease (sb_relay_claim) */
	/* ABI 1.2 */
	const char	*user;		/* AUTH as this ACL user (Redis 6+),
					   with password; NULL or "" for
					   the default user */
};

/* One entry for the relayed hook; valid during the call only. */
struct sb_relayed {
	const char	*data;		/* as given to sb_relay_send */
	size_t		 len;
	uint64_t	 time_ms;	/* when appended, Unix ms (0: unknown) */
	bool		 mine;		/* sent by this daemon */
	bool		 history;	/* said before the relay started: for a
					   history only, not for members */
	bool		 local;		/* one of ours that was never relayed
					   (the relay went down first) */
	const char	*expired;	/* not NULL: no data, but the name
					   whose lease ran out (its daemon
					   is gone); see sb_relay_claim */
};

/* What a relay_reply answers. */
enum sb_relay_op {
	SB_RELAY_CLAIM,		/* sb_relay_claim, or a name lost */
	SB_RELAY_WHO,		/* sb_relay_who */
	SB_RELAY_TO		/* sb_relay_send_to */
};

/* An answer for the relay_reply hook; valid during the call only. */
struct sb_relay_reply {
	enum sb_relay_op  op;
	bool		  ok;		/* CLAIM: the name is the client's;
					   TO: the name is held, data sent */
	bool		  down;		/* no answer: the relay was lost */
	bool		  lost;		/* CLAIM: a name the client held was
					   taken meanwhile (an outage, or its
					   lease ran out): it has none now */
	const char	 *name;		/* CLAIM, TO: the name (for a guest
					   claim, the one chosen) */
	const void	 *data;		/* TO: what was to be sent */
	size_t		  len;
	const char *const *names;	/* WHO: every name held in the room */
	size_t		  n;
};

enum sb_relay_event {
	SB_RELAY_LOST,		/* unreachable: lines stay on this daemon */
	SB_RELAY_RESTORED,	/* back: lines said elsewhere meanwhile that
				   the stream still holds follow, in order */
	SB_RELAY_GAP		/* lines may have been missed: just before
				   SB_RELAY_RESTORED after an outage, or
				   alone while up, when this daemon fell
				   behind the stream's trimming */
};

/* What sb_relay_send did with a line. */
enum sb_relay_sent {
	SB_RELAY_QUEUED,	/* on its way: relayed comes back with it */
	SB_RELAY_DOWN,		/* the relay is lost: deliver it locally */
	SB_RELAY_FULL		/* over max_queue: not sent, say so */
};

/*
 * A handler: its name, its options and its hooks. Every hook but line is
 * optional (NULL). The struct, its option table and its strings must live
 * as long as the daemon (static const data).
 */
struct sb_handler {
	const char		*name;		/* "chat-relay", for handler = */
	const struct sb_option	*options;	/* ends with SB_OPTION_END;
						   NULL: no options */
	size_t			 conf_size;	/* the conf blob, per service */
	size_t			 conn_size;	/* sb_conn_state, per client */

	/*
	 * Checks across options once they are stored in conf (which it may
	 * also complete, e.g. derived fields): NULL if the conf is good, or
	 * a reason, reported as "file:line: service "NAME": reason". The
	 * reason must be a string that outlives the call (a literal).
	 */
	const char		*(*configure)(void *conf);
	/*
	 * Set up the service's data (sb_service_set_data): 0, or -1 to
	 * refuse (see the life of a service above). May add service timers.
	 */
	int			 (*start)(struct sb_service *);
	/*
	 * Free the service's data: every client's close hook has run. The
	 * service's timers are still valid and are cancelled after it.
	 */
	void			 (*stop)(struct sb_service *);
	/*
	 * A reload kept the running service with a new conf blob:
	 * sb_service_conf now returns the new one, and old_conf, the blob it
	 * replaces, is valid during the call only. Called for every reload
	 * that keeps the service, whether or not its options changed, while
	 * its clients stay connected.
	 */
	void			 (*reconfigure)(struct sb_service *,
				    const void *old_conf);
	/*
	 * A client arrived: its state is zeroed. It may send (a welcome) or
	 * refuse the client with sb_conn_close; the close hook runs later
	 * either way.
	 */
	void			 (*open)(struct sb_conn *);
	/*
	 * One line (required): len bytes without the line ending, followed
	 * by a NUL (the line itself may hold NUL bytes, so use len). Valid
	 * during the call only. Lines come one at a time, in order, never
	 * after a close has been asked for.
	 */
	void			 (*line)(struct sb_conn *, const char *, size_t);
	/*
	 * The client is going, for reason: the handler's own (sb_conn_close),
	 * or the core's ("client closed the connection", "idle timeout",
	 * "slow consumer", the service's stop reason...). Called exactly
	 * once per client, after a refused open too. The reason is valid
	 * during the call only. The hook may still send to this client (see
	 * sending below) and to others, and must forget the connection: it
	 * may be freed once the hook returns, and its timers are cancelled
	 * then.
	 */
	void			 (*close)(struct sb_conn *, const char *reason);
	/*
	 * A line over max bytes was discarded: tell the client, in the
	 * protocol's words. Without this hook the core sends "error: line
	 * too long (max N bytes)". The connection stays open.
	 */
	void			 (*too_long)(struct sb_conn *, size_t max);

	/* ABI 1.1 (a plugin built for 1.0 has none of these; they read
	   as NULL, 0). */
	/*
	 * Describe the client to the operator (switchboardctl clients and
	 * who), e.g. by its nick: write at most size - 1 bytes and a NUL to
	 * buf and return the length, or 0 for nothing to say. "who" lists
	 * the clients that have a description. NULL: none has one.
	 */
	size_t			 (*describe)(struct sb_conn *, char *buf,
				    size_t size);
	/*
	 * The operator disconnects the client (switchboardctl kill) for
	 * reason (possibly ""): tell it, in the protocol's words. The core
	 * then closes it, output flushed, for the reason "disconnected by the
	 * operator", and the close hook runs as for any close. Without this
	 * hook the core sends "error: disconnected by the operator". Like
	 * describe, it is called only between the client's open hook and
	 * its close hook (a client still in its TLS handshake is closed
	 * without it).
	 */
	void			 (*kicked)(struct sb_conn *, const char *reason);
	/*
	 * What the handler can do, SB_HANDLER_* bits (0: a 1.0 plugin's,
	 * and the default).
	 */
	unsigned		 flags;
	/*
	 * The relay's hooks, read only for a service whose handler has
	 * called sb_relay_start (so a 1.1 plugin built before them, which
	 * cannot, is never read past its end).
	 *
	 * The relay (see sb_relay_start below) read an entry of the room's
	 * stream, or hands back one of this daemon's own lines that it could
	 * not relay (e->local). Entries come in the stream's order, the same
	 * on every daemon, each once. NULL: the handler starts no relay.
	 */
	void			 (*relayed)(struct sb_service *,
				    const struct sb_relayed *e);
	/* The relay was lost, restored, or may have lost lines (below). */
	void			 (*relay_event)(struct sb_service *,
				    enum sb_relay_event);
	/*
	 * The answer to a client's sb_relay_claim, sb_relay_who or
	 * sb_relay_send_to (below), or news that a name it held is lost.
	 * Never after the client's close hook.
	 */
	void			 (*relay_reply)(struct sb_conn *,
				    const struct sb_relay_reply *);
};

/*
 * The handler can answer datagrams: a service of it may have udp: listen
 * entries. Each datagram is a request of one or more lines, handled by a
 * short-lived pseudo-connection in one go: open, line for each of its
 * lines (the last may lack its line ending), close with the reason
 * "datagram answered" (or the handler's own, if it closed it), all from
 * one callback of the event loop. What is queued to it from open to close
 * is the answer, sent as one datagram (cut at a line boundary, with
 * "error: reply truncated, use TCP", if it is over the service's
 * udp_max_reply or udp_max_amplification). It behaves like a connection
 * for every sb_conn_* call, with these differences:
 *   sb_conn_peer        the datagram's source address and port.
 *   sb_conn_close       ends the request: no more lines are handed over;
 *                       SB_CLOSE_NOW sends no answer at all.
 *   sb_conn_throttle    does nothing (udp_rate budgets datagrams).
 *   sb_timer_add        on it: the timer is cancelled when its close hook
 *                       returns, before it could fire.
 * It is never listed to the operator and not counted as a connection.
 * Declare it only if every answer depends on the request alone: state
 * kept per connection lasts one datagram, and a source address can be
 * forged (nothing the handler sends may go to anyone but the requester).
 */
#define SB_HANDLER_DATAGRAMS	0x0001

/*
 * The handler's per-connection state: conn_size bytes, zeroed before the
 * open hook, aligned for any type, freed with the connection.
 */
void		*sb_conn_state(struct sb_conn *);
/* The service the connection belongs to. */
struct sb_service *sb_conn_service(struct sb_conn *);
/*
 * The client's address as text: "127.0.0.1:5555", "[::1]:5555", "unix".
 * The text is in one buffer shared by all connections: it is valid until
 * the next call into the core (any sb_* function may overwrite it) and at
 * most until the hook returns. Copy it to keep it.
 */
const char	*sb_conn_peer(struct sb_conn *);
/*
 * Sending. Output is queued, never blocks, and is written once per loop
 * round. It may be queued from any hook or timer callback, to any
 * connection, until that connection's close hook has returned, and from
 * the close hook itself: what it queues is sent before the connection
 * closes, unless the close was SB_CLOSE_NOW (or the connection broke, or
 * the daemon is past its shutdown deadline), when it is discarded. Output
 * to a connection closing with SB_CLOSE_NOW, or whose close hook has
 * returned, is discarded silently. A client whose queued output passes
 * its max_output is closed as a slow consumer ("slow consumer"), its
 * close hook called later as for any close.
 *
 * sb_conn_send queues one formatted line with the client's own line
 * ending appended (CRLF if its last line ended CRLF, else LF; LF before
 * any line). sb_conn_write queues len bytes the same way, as one line.
 */
void		 sb_conn_send(struct sb_conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 sb_conn_write(struct sb_conn *, const void *, size_t);
/*
 * Build a line in the client's output instead of copying it there:
 * sb_conn_line_space gives room for max bytes (at most 4,000; NULL if the
 * client takes no more output), and sb_conn_line_done queues the first
 * len of them with the client's line ending. Nothing else may be queued
 * to the client in between.
 */
char		*sb_conn_line_space(struct sb_conn *, size_t);
void		 sb_conn_line_done(struct sb_conn *, size_t);
/*
 * A line to send to many clients (a broadcast): made once, queued to each
 * with its own line ending, and freed by the handler when it has queued
 * it everywhere (clients' buffers keep what they still need). A handler
 * may keep it to queue again later (chat history): queued in a reply, a
 * kept line costs each client a pointer until it is sent, never a copy.
 */
struct sb_line;
struct sb_line	*sb_line_new(const char *, size_t);
void		 sb_conn_write_line(struct sb_conn *, struct sb_line *);
void		 sb_line_free(struct sb_line *);
/*
 * A reply the handler builds itself for the client (a welcome, a listing,
 * a history replay): what is queued to the client between these two calls
 * never makes it a slow consumer. Its size raises the client's max_output
 * until it has been sent, so what others send it is still bounded. Queue
 * only the client's own reply in between, from one hook.
 */
void		 sb_conn_reply_begin(struct sb_conn *);
void		 sb_conn_reply_end(struct sb_conn *);
/*
 * The one way to close a connection, always with a reason (not NULL; it
 * is copied, logged and passed to the close hook). SB_CLOSE_FLUSH sends
 * what is queued first; SB_CLOSE_NOW discards it and resets the
 * connection. The close is deferred, so it is safe from any hook and on
 * any connection, the one being served included, even in the middle of a
 * broadcast: no more lines are handed over, and the close hook runs later
 * from the event loop. Closing a closing connection keeps the first
 * reason; SB_CLOSE_NOW still overrides an earlier SB_CLOSE_FLUSH.
 */
void		 sb_conn_close(struct sb_conn *, enum sb_close, const char *);
/*
 * A limit the handler enforces fired: the core counts it with its own
 * (SIGUSR1's snapshot) and logs the formatted text with the client's
 * address, within the service's logging budget. It does not close or
 * throttle anything by itself.
 */
enum sb_limit {
	SB_LIMIT_MAX_CLIENTS,
	SB_LIMIT_RATE
};
void		 sb_conn_limit(struct sb_conn *, enum sb_limit, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
/*
 * Stop reading (and handing over lines) from the client for ms
 * milliseconds, counted from now (a later call starts the time again): a
 * rate budget's pause, or a wait for an answer. Lines already read wait;
 * nothing is dropped. 0 ends a pause: lines go on from the next loop turn.
 */
void		 sb_conn_throttle(struct sb_conn *, unsigned);
/* Monotonic milliseconds (never 0), for rate budgets and timers. */
uint64_t	 sb_now_ms(void);
/* Log a line prefixed "service[peer #id]: "; level SB_LOG_*. */
void		 sb_conn_log(struct sb_conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Timers, so a handler can do work later or periodically without an event
 * loop of its own. sb_timer_add calls cb(arg) once ms milliseconds from
 * now (0: in the next loop round), or, if periodic, every ms milliseconds
 * (at least 1) until cancelled. A timer belongs to conn if conn is not
 * NULL (it must be a connection of svc), else to svc. Timers may be added
 * from start on, from any hook or timer callback.
 *
 * The callback runs from the event loop, never inside a hook or another
 * callback, and may call everything a hook may: send, close (any
 * connection), add timers, cancel any timer, itself included. A
 * connection's timers do not fire once a close of it has been asked for.
 *
 * The struct sb_timer pointer stays valid until the timer is cancelled
 * by sb_timer_cancel, a one-shot timer's callback has returned, or its
 * owner goes: a connection's timers are cancelled when its close hook
 * returns, a service's when its stop hook returns (or when the service
 * goes without having started), so the close and stop hooks may still
 * cancel theirs. sb_timer_cancel(NULL) does nothing.
 */
struct sb_timer;
struct sb_timer	*sb_timer_add(struct sb_service *, struct sb_conn *,
		    unsigned, bool, void (*)(void *), void *);
void		 sb_timer_cancel(struct sb_timer *);

/* The service's name as configured; valid as long as the service. */
const char	*sb_service_name(struct sb_service *);
/*
 * The handler's conf blob (conf_size bytes, filled from the options): to
 * be cast to the handler's conf struct, read only, and fetched afresh in
 * each hook (a reload replaces it; see reconfigure).
 */
const void	*sb_service_conf(struct sb_service *);
/* The handler's service-level data: NULL until it sets it (in start). */
void		*sb_service_data(struct sb_service *);
void		 sb_service_set_data(struct sb_service *, void *);
/*
 * True once the service is stopping (shutdown, or removed by a reload):
 * its clients are being closed and no new ones come. The reason
 * ("server shutting down", "service removed by reload") is a constant
 * string, valid as long as the service; NULL while it is not stopping.
 * A close hook uses them to tell a client why, instead of a farewell to
 * the others.
 */
bool		 sb_service_is_stopping(struct sb_service *);
const char	*sb_service_stop_reason(struct sb_service *);
/* Log a line prefixed with the service's name; level SB_LOG_*. */
void		 sb_service_log(struct sb_service *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Memory for handlers and their helpers. These never return NULL: when
 * memory runs out the daemon logs it and exits, as it does for its own.
 * Free it with free().
 */
void		*sb_malloc(size_t);
void		*sb_calloc(size_t, size_t);
void		*sb_reallocarray(void *, size_t, size_t);
/* A formatted string in new memory; returns its length. */
int		 sb_asprintf(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Log and exit: for a state a handler cannot go on from. */
void		 sb_fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
/*
 * Untrusted bytes as printable text for a reply or a log line: at most
 * SB_ESCAPE_MAX of them; backslash, double quote and every byte that is
 * not printable ASCII become \xNN, and "..." marks a cut. buf needs
 * SB_ESCAPE_BUFSZ bytes; returns buf.
 */
#define SB_ESCAPE_MAX		64
#define SB_ESCAPE_BUFSZ		(SB_ESCAPE_MAX * 4 + 4)
const char	*sb_escape(const void *, size_t, char *, size_t);

/*
 * The relay's calls. sb_relay_check says whether an address is one the
 * relay takes (NULL) or why not (a literal), for a configure hook: an IP
 * and a port, or unix: and a path, never a name, which would need a
 * blocking lookup. sb_relay_start (from start or reconfigure) connects
 * the service's relay (none if the address is NULL or ""), or, called
 * again, takes the new timeout, queue, history, keep and lease, and a
 * new address (connected to at once, as after an outage: relay_event
 * says lost, then back) or user and password (sent from the next
 * connection on);
 * the room (room, prefix) is fixed for the relay's life, and a call that
 * changes it, or drops the address, is logged and ignored. The strings
 * are copied. It never blocks and never fails: an unreachable
 * Redis is retried with backoff, and the relay_event hook says when it is
 * lost and back. The relay goes with the service.
 *
 * sb_relay_send appends len bytes to the room (see enum sb_relay_sent).
 * A line queued while the relay is lost before it reached Redis comes
 * back through relayed with local set, once, and is never delivered
 * again from the stream. sb_relay_lost is true from SB_RELAY_LOST to
 * SB_RELAY_RESTORED (and for a service without relay): then lines go
 * only to this daemon's members.
 */
const char	*sb_relay_check(const char *);
void		 sb_relay_start(struct sb_service *,
		    const struct sb_relay_conf *);
enum sb_relay_sent sb_relay_send(struct sb_service *, const void *, size_t);
bool		 sb_relay_lost(struct sb_service *);
/*
 * Names unique across the room's daemons (nicks): a client holds at most
 * one, as a lease in Redis that the relay refreshes while the client is
 * connected (every lease_ms / 3). A daemon that dies stops refreshing:
 * within lease_ms its names are freed, and one entry per name comes to
 * every daemon through relayed with expired set.
 *
 * sb_relay_claim asks for name (NULL: a new guest name, "guestN") for
 * the client, in place of the one it holds; relay_reply says whether it
 * got it. Names compare without ASCII case. SB_RELAY_DOWN: no answer
 * will come; the name (if not NULL) is remembered and claimed when the
 * relay is back, and if another daemon's client has taken it meanwhile,
 * relay_reply says so (lost). sb_relay_release gives the client's name
 * up and appends len bytes to the room (a farewell; none if len is 0)
 * in the same step; SB_RELAY_DOWN: the farewell was not sent, and the
 * lease runs out by itself. The relay forgets a client after its close
 * hook in any case.
 *
 * sb_relay_who asks for every name held in the room. sb_relay_send_to
 * appends len bytes to the room if, and only if, name is held; the reply
 * says which. Neither answers when SB_RELAY_DOWN.
 */
enum sb_relay_sent sb_relay_claim(struct sb_conn *, const char *);
enum sb_relay_sent sb_relay_release(struct sb_conn *, const void *, size_t);
enum sb_relay_sent sb_relay_who(struct sb_conn *);
enum sb_relay_sent sb_relay_send_to(struct sb_conn *, const char *,
		    const void *, size_t);

/* Levels for sb_conn_log and sb_service_log (match log.h). */
#define SB_LOG_WARNING	1
#define SB_LOG_NOTICE	2
#define SB_LOG_INFO	3
#define SB_LOG_DEBUG	4

#endif

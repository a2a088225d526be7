/*
 * switchboard: the handler plugin struct and the connection API.
 *
 * A handler is a line protocol. The core owns sockets, framing, limits and
 * the event loop; a handler sees lines in and sends lines out through the
 * sb_conn_* calls below, and never touches libevent or a file descriptor.
 * This is the only header a handler includes.
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

struct sb_handler {
	const char		*name;		/* "chat-relay" */
	const struct sb_option	*options;	/* ends with a NULL name */
	size_t			 conf_size;	/* per-service conf blob */
	size_t			 conn_size;	/* per-connection state */

	/* Cross-key checks after the options are applied: NULL or a reason. */
	const char		*(*configure)(void *conf);
	/* Service-level set-up and tear-down (optional). */
	int			 (*start)(struct sb_service *);
	void			 (*stop)(struct sb_service *);
	/*
	 * A reload kept the running service with a new conf blob (optional):
	 * sb_service_conf now returns the new one; old_conf, the blob it
	 * replaces, is valid only during the call. Called for every reload
	 * that keeps the service, whether or not its options changed.
	 */
	void			 (*reconfigure)(struct sb_service *,
				    const void *old_conf);
	/* A client arrived (optional). */
	void			 (*open)(struct sb_conn *);
	/* One line, NUL-terminated, without its EOL; valid during the call. */
	void			 (*line)(struct sb_conn *, const char *, size_t);
	/* The client is going away, for the reason given (optional). */
	void			 (*close)(struct sb_conn *, const char *reason);
	/*
	 * A line over max bytes was discarded (optional): tell the client,
	 * in the protocol's words. Without it the core sends "error: line
	 * too long (max N bytes)".
	 */
	void			 (*too_long)(struct sb_conn *, size_t max);
};

/* The handler's per-connection state: conn_size bytes, zeroed at open. */
void		*sb_conn_state(struct sb_conn *);
struct sb_service *sb_conn_service(struct sb_conn *);
/* The client's address as text: "127.0.0.1:5555", "[::1]:5555", "unix". */
const char	*sb_conn_peer(struct sb_conn *);
/* Queue one line; the client's own line ending is appended. */
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
 * it everywhere (clients' buffers keep what they still need).
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
/* Limits a handler enforces; reported so the core counts and logs them. */
enum sb_limit {
	SB_LIMIT_MAX_CLIENTS,
	SB_LIMIT_RATE
};
void		 sb_conn_limit(struct sb_conn *, enum sb_limit, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
/* Stop reading (and handing over lines) from the client for ms. */
void		 sb_conn_throttle(struct sb_conn *, unsigned);
/* Monotonic milliseconds, for rate budgets. */
uint64_t	 sb_now_ms(void);
/* Log with the service and client as context; level as in log.h. */
void		 sb_conn_log(struct sb_conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Timers, so a handler can do work later or periodically without an event
 * loop of its own. sb_timer_add calls cb(arg) once ms milliseconds from
 * now, or, if periodic, every ms milliseconds (at least 1) until
 * cancelled. A timer belongs to conn if conn is not NULL (a connection of
 * svc), else to svc.
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

const char	*sb_service_name(struct sb_service *);
const void	*sb_service_conf(struct sb_service *);
void		*sb_service_data(struct sb_service *);
void		 sb_service_set_data(struct sb_service *, void *);
/* True once the service is stopping; the reason says why. */
bool		 sb_service_is_stopping(struct sb_service *);
const char	*sb_service_stop_reason(struct sb_service *);
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

/* Levels for sb_conn_log and sb_service_log (match log.h). */
#define SB_LOG_WARNING	1
#define SB_LOG_NOTICE	2
#define SB_LOG_INFO	3
#define SB_LOG_DEBUG	4

#endif

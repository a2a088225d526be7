/*
 * switchboard: logging to stderr, with sd-daemon priority prefixes when
 * stderr is connected to the journal and timestamps otherwise.
 */
#ifndef SB_LOG_H
#define SB_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

enum log_style {
	LOG_STYLE_AUTO,		/* journal prefixes if JOURNAL_STREAM matches */
	LOG_STYLE_BARE		/* message only: -t output */
};

void	log_init(enum log_style);
void	log_setlevel(enum log_level);
int	log_level_parse(const char *, enum log_level *);
const char *log_level_name(enum log_level);
int	log_enabled(enum log_level);

void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vmsg(enum log_level, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	log_vprefixed(enum log_level, const char *, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	vfatalx(const char *, va_list)
	    __attribute__((format(printf, 1, 0), noreturn));

#endif

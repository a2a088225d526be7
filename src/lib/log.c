/*
 * switchboard: logging.
 *
 * Everything the daemon says goes through here to stderr. Under systemd
 * (JOURNAL_STREAM names our stderr) each line carries a <N> priority prefix
 * that journald strips; otherwise lines carry a UTC timestamp and a level.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static struct {
	enum log_level	level;
	int		journal;
	int		bare;
} log_state = { LOG_LEVEL_INFO, 0, 0 };

static const char *const log_names[] = {
	"error", "warning", "notice", "info", "debug"
};

/* sd-daemon priorities (syslog numbers) for each level. */
static const int log_prio[] = { 3, 4, 5, 6, 7 };

static int	log_is_journal(void);

/* Does JOURNAL_STREAM name the file our stderr is open on? */
static int
log_is_journal(void)
{
	const char		*env;
	unsigned long long	 dev, ino;
	struct stat		 st;

	if ((env = getenv("JOURNAL_STREAM")) == NULL)
		return (0);
	if (sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return (0);
	if (fstat(STDERR_FILENO, &st) == -1)
		return (0);
	return ((unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino);
}

/* Choose the line format; call once at start-up. */
void
log_init(enum log_style style)
{
	log_state.bare = (style == LOG_STYLE_BARE);
	log_state.journal = !log_state.bare && log_is_journal();
}

/* Set the most verbose level that is written. */
void
log_setlevel(enum log_level level)
{
	log_state.level = level;
}

/* Parse a level name; 0 on success, -1 if unknown. */
int
log_level_parse(const char *name, enum log_level *out)
{
	size_t	i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return (0);
		}
	}
	return (-1);
}

/* The name of a level. */
const char *
log_level_name(enum log_level level)
{
	return (log_names[level]);
}

/* Would a message at this level be written? */
int
log_enabled(enum log_level level)
{
	return (level <= log_state.level);
}

/* Write one line at a level. */
void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char		 stamp[32];
	struct tm	 tm;
	time_t		 now;
	int		 saved = errno;

	if (!log_enabled(level))
		return;
	if (log_state.bare) {
		vfprintf(stderr, fmt, ap);
	} else if (log_state.journal) {
		fprintf(stderr, "<%d>", log_prio[level]);
		vfprintf(stderr, fmt, ap);
	} else {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "%s %s: ", stamp, log_names[level]);
		vfprintf(stderr, fmt, ap);
	}
	fputc('\n', stderr);
	fflush(stderr);
	errno = saved;
}

/* Write one line at a level. */
void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* Write one line with a context prefix ("lobby[1.2.3.4:5 #7]: ..."). */
void
log_vprefixed(enum log_level level, const char *prefix, const char *fmt,
    va_list ap)
{
	char	msg[1024];

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_msg(level, "%s: %s", prefix, msg);
}

/* Log a warning followed by the text of errno. */
void
log_warn(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(LOG_LEVEL_WARNING, "%s: %s", msg, strerror(saved));
}

/* Log a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

/* Log a notice: normal but significant. */
void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_NOTICE, fmt, ap);
	va_end(ap);
}

/* Log an informational message. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

/* Log a debugging message. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

/* Log an error with the text of errno and exit. */
void
fatal(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(LOG_LEVEL_ERROR, "fatal: %s: %s", msg, strerror(saved));
	exit(70);	/* EX_SOFTWARE */
}

/* Log an error and exit. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfatalx(fmt, ap);
}

/* fatalx with a va_list. */
void
vfatalx(const char *fmt, va_list ap)
{
	char	msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_msg(LOG_LEVEL_ERROR, "fatal: %s", msg);
	exit(70);	/* EX_SOFTWARE */
}

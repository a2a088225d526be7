/*
 * switchboard: the registry of handlers, built-in and from plugins.
 */
#ifndef SB_HANDLERS_H
#define SB_HANDLERS_H

#include <switchboard/handler.h>

const struct sb_handler	*handlers_find(const char *);
const struct sb_handler	*handlers_builtin(const char *);
/* The known names, comma-separated, for error messages. */
const char		*handlers_names(void);

#endif

/*
 * switchboard: the registry of built-in handlers.
 */
#ifndef SB_HANDLERS_H
#define SB_HANDLERS_H

#include <switchboard/handler.h>

const struct sb_handler	*handlers_find(const char *);
/* The known names, comma-separated, for error messages. */
const char		*handlers_names(void);

#endif

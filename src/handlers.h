/*
 * switchboard: the registry of built-in handlers.
 */
#ifndef SB_HANDLERS_H
#define SB_HANDLERS_H

#include "handler.h"

extern const struct sb_handler number_text_handler;
extern const struct sb_handler upper_echo_handler;
extern const struct sb_handler chat_relay_handler;

const struct sb_handler	*handlers_find(const char *);
/* The known names, comma-separated, for error messages. */
const char		*handlers_names(void);

#endif

/*
 * switchboard: handler plugins, shared objects loaded from the plugin
 * directory by name. A plugin once loaded stays loaded until the daemon
 * exits, so no service ever runs code that has been unmapped.
 */
#ifndef SB_PLUGIN_LOADER_H
#define SB_PLUGIN_LOADER_H

#include <stddef.h>

#include <switchboard/handler.h>

struct plugin;

const struct plugin	*plugin_load(const char *, const char *, char **);
bool			 plugin_name_valid(const char *);
const char		*plugin_name(const struct plugin *);
const struct sb_handler	*plugin_find_handler(const char *,
			    const struct plugin **);
void			 plugin_handler_names(char *, size_t);
unsigned		 plugin_abi_minor(const struct sb_handler *);

#endif

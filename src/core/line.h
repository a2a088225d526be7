/*
 * switchboard: lines built once and queued to many clients (sb_line in
 * handler.h). Small lines are copied into each output buffer; large ones
 * are shared by reference, so a broadcast costs one copy of the text.
 */
#ifndef SB_LINE_H
#define SB_LINE_H

#include <stdbool.h>
#include <stddef.h>

/* Lines at least this long (with the line ending) are shared. */
#define LINE_SHARE_MIN	2048

struct evbuffer;
struct sb_line;

const char	*line_text(const struct sb_line *, bool, size_t *);
void		 line_add_reference(struct sb_line *, struct evbuffer *, bool);
void		 line_hold(struct sb_line *);

#endif

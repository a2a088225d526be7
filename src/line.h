/*
 * switchboard: lines built once and queued to many clients (sb_line in
 * handler.h). Small lines are copied into each output buffer; large ones
 * are shared by reference, so a broadcast costs one copy of the text.
 */
#ifndef SB_LINE_H
#define SB_LINE_H

#include <stdbool.h>

struct evbuffer;
struct sb_line;

void	line_append(struct sb_line *, struct evbuffer *, bool);

#endif

/*
 * log.h: the engine's structured log, one JSON object per line.
 *
 * Every line has ts (RFC 3339, UTC, microseconds), level, event and the
 * event's own fields.  Lines go to a file in the state dir and, for `run`,
 * also to stderr.  Writing is thread-safe and each line is a single write(2),
 * so a crash never leaves half a line for the next reader.
 */
#ifndef JOPE_LOG_H
#define JOPE_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Open (append) the log file; path NULL means no file.  0 or -1 (errno set). */
int log_open(const char *path, bool to_stderr, enum log_level min_level);
void log_close(void);

/*
 * Emit one event.  fmt is a jansson json_pack format describing an object
 * with the event's fields, e.g.
 *   log_event(LOG_INFO, "connect", "{s:s,s:s}", "connector", c, "device", d);
 * fmt may be NULL for an event with no fields.
 */
void log_event(enum log_level level, const char *event, const char *fmt, ...);

const char *log_level_name(enum log_level level);

#endif

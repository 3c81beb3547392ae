/*
 * log.c: JSON-lines logging for the engine.
 *
 * Each event becomes one object {"ts","level","event",...fields} serialised
 * by jansson and written with a single write(2) to a file opened O_APPEND,
 * so lines from several threads (or a crash mid-write) never interleave.
 * The UI thread never logs to stderr while curses owns the terminal: the
 * console opens the log without stderr.
 */
#include "config.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;
static bool log_stderr;
static enum log_level log_min = LOG_INFO;

const char *
log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_DEBUG: return "debug";
	case LOG_INFO: return "info";
	case LOG_WARN: return "warn";
	case LOG_ERROR: return "error";
	}
	return "info";
}

int
log_open(const char *path, bool to_stderr, enum log_level min_level)
{
	int fd = -1;

	if (path != NULL) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0)
			return -1;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_stderr = to_stderr;
	log_min = min_level;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	log_stderr = false;
	pthread_mutex_unlock(&log_lock);
}

static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void
log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	struct timespec ts;
	char stamp[40];
	json_t *obj, *fields = NULL;
	json_error_t jerr;
	char *line;
	va_list ap;

	if (level < log_min)
		return;
	pthread_mutex_lock(&log_lock);
	bool active = log_fd >= 0 || log_stderr;
	pthread_mutex_unlock(&log_lock);
	if (!active)
		return;

	clock_gettime(CLOCK_REALTIME, &ts);
	format_rfc3339_us((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
	    stamp, sizeof stamp);
	obj = json_pack("{s:s,s:s,s:s}", "ts", stamp, "level",
	    log_level_name(level), "event", event);
	if (fmt != NULL) {
		va_start(ap, fmt);
		fields = json_vpack_ex(&jerr, 0, fmt, ap);
		va_end(ap);
		if (fields != NULL)
			json_object_update(obj, fields);
		else
			json_object_set_new(obj, "log_error",
			    json_string(jerr.text));
		json_decref(fields);
	}
	line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII);
	json_decref(obj);
	if (line == NULL)
		return;
	size_t len = strlen(line);
	line = xrealloc(line, len + 2);
	line[len++] = '\n';
	line[len] = '\0';

	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		write_all(log_fd, line, len);
	if (log_stderr)
		write_all(STDERR_FILENO, line, len);
	pthread_mutex_unlock(&log_lock);
	free(line);
}

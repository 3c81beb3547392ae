/*
 * alarm_board.h: every alarm of a configuration, fed by the engine.
 *
 * The board holds one struct alarm (alarm.h) per configured limit of a
 * point (HH, H, L, LL), two per device (COMM: the last poll failed;
 * HARD_ERROR: rule 7), and the system's own (historian backlog too old,
 * inference link down, spool disk low).  Engine threads feed it values and
 * conditions; every change (activated, cleared, acknowledged) comes back
 * as a struct alarm_change_rec for the engine to record, and the board
 * publishes the shown alarms as an alarm_view (core/alarm_view.h) for the
 * UI.  Every change is also queued in the board, so that the engine can
 * write them to the audit trail from its housekeeping thread alone
 * (alarm_board_take_changes).  One mutex: executor workers feed points and devices concurrently.
 * Times: monotonic ms for the alarm logic, real µs for the records.
 */
#ifndef JOPE_ALARM_BOARD_H
#define JOPE_ALARM_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"
#include "core/alarm_view.h"
#include "plant/alarm.h"

enum system_alarm {
	SYSALARM_HISTORIAN_BACKLOG,     /* oldest waiting record too old */
	SYSALARM_INFERENCE_DOWN,        /* the inference link is down */
	SYSALARM_DISK_LOW,              /* spool's disk below min_free */
	SYSALARM_COUNT_
};

/* One change of one alarm, for the audit trail and the log. */
struct alarm_change_rec {
	char key[ALARM_KEY_MAX];
	char source[ALARM_SOURCE_MAX];
	enum alarm_level level;
	enum alarm_state from, to;
	const char *what;               /* "activated", "cleared", "acked" */
	int priority;
	bool has_value;
	double value, limit;
	int64_t ts_us;
	char user[33];                  /* "acked": who; else "" */
};

#define ALARM_CHANGES_MAX 8             /* per feed: a point's 4 levels */

struct alarm_board;

struct alarm_board *alarm_board_new(const struct model *m);
void alarm_board_free(struct alarm_board *b);

/*
 * Feed point p's new value (good or not); changes into out (at most
 * ALARM_CHANGES_MAX), their number returned.
 */
size_t alarm_board_feed_point(struct alarm_board *b, size_t point,
    double value, bool good, int64_t now_ms, int64_t now_us,
    struct alarm_change_rec *out);
/* Device d's condition of level ALARM_COMM or ALARM_HARD_ERROR. */
size_t alarm_board_feed_device(struct alarm_board *b, size_t device,
    enum alarm_level level, bool condition, int64_t now_ms, int64_t now_us,
    struct alarm_change_rec *out);
size_t alarm_board_feed_system(struct alarm_board *b, enum system_alarm s,
    bool condition, int64_t now_ms, int64_t now_us,
    struct alarm_change_rec *out);

/*
 * Acknowledge the alarm with this key, or (key NULL or "") every shown
 * unacknowledged alarm whose key or name contains filter ("" or NULL:
 * all), as user.  Changes into out (at most max), their number returned;
 * 0 when there was nothing to acknowledge.
 */
size_t alarm_board_ack(struct alarm_board *b, const char *key,
    const char *filter, const char *user, int64_t now_ms, int64_t now_us,
    struct alarm_change_rec *out, size_t max);

/*
 * The changes since the last call, oldest first (at most max; the rest
 * wait for the next call), for the engine to record from one thread.
 * *lost (may be NULL) gets the changes that did not fit the board's
 * queue (ALARM_PENDING_MAX) since the last call.
 */
#define ALARM_PENDING_MAX 1024
size_t alarm_board_take_changes(struct alarm_board *b,
    struct alarm_change_rec *out, size_t max, uint64_t *lost);

/* Whether anything changed since the last publish. */
bool alarm_board_dirty(struct alarm_board *b);
/* The shown alarms in display order (a new view, one reference). */
struct alarm_view *alarm_board_publish(struct alarm_board *b);

#endif

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

/*
 * The alarms of m.  With prev (the board of the configuration before a
 * reload), every alarm whose key is in both keeps its state, times and
 * acknowledgement (the next feed judges it against the new limits), and
 * the activation count goes on: an unacknowledged alarm never vanishes
 * with a reload, and an ongoing one is not raised again.
 */
struct alarm_board *alarm_board_new(const struct model *m,
    const struct alarm_board *prev);
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
 * Acknowledge, as user, the alarm with this key, or (key NULL or "") every
 * shown unacknowledged alarm whose key or name contains filter (ASCII case
 * folded; "" or NULL: all) -- but only activations the operator could
 * have seen: those counted in `seen` (the alarm_view's activations when
 * the acknowledgement began).  An alarm raised later is left for its own
 * acknowledgement.  The changes are queued like every other
 * (alarm_board_take_changes); at most as many as the queue has room for
 * are made per call, *more says whether matching alarms are left: call
 * again after taking the changes.  Returns the number acknowledged.
 */
size_t alarm_board_ack(struct alarm_board *b, const char *key,
    const char *filter, const char *user, uint64_t seen, int64_t now_ms,
    int64_t now_us, bool *more);

/*
 * The oldest queued changes (at most max), left in the queue: the engine
 * records them from one thread, then drops the ones it recorded, so that
 * a change leaves the queue only once it is in the audit trail.  *lost
 * (may be NULL) gets the changes that did not fit the queue
 * (ALARM_PENDING_MAX) since the last call, and resets that count.
 */
#define ALARM_PENDING_MAX 1024
size_t alarm_board_peek_changes(struct alarm_board *b,
    struct alarm_change_rec *out, size_t max, uint64_t *lost);
void alarm_board_drop_changes(struct alarm_board *b, size_t n);

/* Whether anything changed since the last publish. */
bool alarm_board_dirty(struct alarm_board *b);
/* The shown alarms in display order (a new view, one reference). */
struct alarm_view *alarm_board_publish(struct alarm_board *b);

#endif

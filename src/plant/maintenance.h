/*
 * maintenance.h: maintenance windows, as data and rules.
 *
 * A window is announced at a console (two signatures, approval.h
 * ACT_MAINTENANCE_ANNOUNCE) or written in app.json ("maintenance"), and is
 * stored and forwarded like an audit record so that every console sees it
 * after its next sync.  This module is the pure part: a set of windows
 * (add with dedupe by id, cancel, prune), the phase of the plant at a given
 * time (nothing / announced / in maintenance; table in maintenance.c), the
 * banner to show, whether a new batch may start, and the JSON form.
 *
 * Times are real time in microseconds since the epoch, UTC, supplied by the
 * caller (clock_real_us), so the tests drive every boundary with made-up
 * times; no clock, no I/O, no allocation here except the json_t objects.
 * The users' signatures are not in the window: they ride next to it in the
 * audit payload {"action": <maint_window_to_json>, "signatures": [...]}.
 */
#ifndef JOPE_MAINTENANCE_H
#define JOPE_MAINTENANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MAINT_ID_MAX		40	/* id: 1..39 of [A-Za-z0-9._:-] */
#define MAINT_REASON_MAX	256	/* reason: 1..255 bytes of UTF-8 */
#define MAINT_USER_MAX		33	/* announced_by: 0..32 bytes */
#define MAINT_SET_CAP		64

#define MAINT_US_PER_S		INT64_C(1000000)
#define MAINT_US_PER_H		(INT64_C(3600) * MAINT_US_PER_S)
/* The banner appears this long before a window starts (inclusive). */
#define MAINT_ANNOUNCE_US	(24 * MAINT_US_PER_H)
/* A window may last at most this long (a typo in a year must not stop the
   plant for a year). */
#define MAINT_MAX_DURATION_US	(31 * 24 * MAINT_US_PER_H)
/* Default for maint_set_prune: keep windows a week after their end. */
#define MAINT_PRUNE_AFTER_US	(7 * 24 * MAINT_US_PER_H)
/* Times a window may have: 1970-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z. */
#define MAINT_TIME_MAX_US	INT64_C(253402300799999999)

/* How a window came to this console.  Order is stable: names in the .c. */
enum maint_source {
	MAINT_SRC_CONFIG,	/* app.json */
	MAINT_SRC_CONSOLE,	/* announced here, with two signatures */
	MAINT_SRC_HISTORIAN,	/* announced elsewhere, received at a sync */
	MAINT_SRC_COUNT_
};

struct maint_window {
	char id[MAINT_ID_MAX];
	int64_t start_us, end_us;	/* [start, end): end is not inside */
	char reason[MAINT_REASON_MAX];
	char announced_by[MAINT_USER_MAX]; /* user name; "" for config */
	enum maint_source source;
	bool cancelled;			/* final: never undone */
};

enum maint_phase {
	MAINT_NONE,		/* no window within MAINT_ANNOUNCE_US */
	MAINT_ANNOUNCED,	/* start - 24 h <= now < start */
	MAINT_ACTIVE		/* start <= now < end */
};

/* Outcome of changing the set.  Errors are negative. */
enum maint_result {
	MAINT_ADDED = 0,
	MAINT_UPDATED,		/* known id, now cancelled */
	MAINT_UNCHANGED,	/* known id, nothing new */
	MAINT_INVALID = -1,	/* a field is wrong (message in err) */
	MAINT_CONFLICT = -2,	/* known id with another start, end, reason
				   or announcer */
	MAINT_FULL = -3,	/* MAINT_SET_CAP windows already */
	MAINT_NOT_FOUND = -4
};

/* The windows this console knows, in the order they were added. */
struct maint_set {
	struct maint_window w[MAINT_SET_CAP];
	size_t n;
};

/* What the console shows on every screen.  A copy, safe to publish. */
struct maint_banner {
	enum maint_phase phase;
	struct maint_window w;	/* the window it is about (zero when NONE) */
	int64_t until_us;	/* ANNOUNCED: w.start; ACTIVE: when production
				   may resume (see maint_banner) */
	int64_t countdown_us;	/* until_us - now; > 0 unless NONE */
};

const char *maint_phase_name(enum maint_phase p);

/*
 * A date and time of day in UTC as µs since the epoch (Howard Hinnant's
 * days_from_civil: no time zone, no time_t): 0, or -1 when the fields are
 * not one (a year before 1970, a month or day the calendar does not have,
 * a time of day past 23:59:59).
 */
int maint_time_from_civil(int y, int mo, int d, int h, int mi, int s,
    int64_t *us);
const char *maint_source_name(enum maint_source s);

/*
 * Check every field: id, reason (not blank, no control characters, valid
 * UTF-8), announced_by (required for a console window), times within
 * 1970..9999, end after start, at most MAINT_MAX_DURATION_US long.  0, or
 * -1 with a message naming the field in err.
 */
int maint_window_check(const struct maint_window *w, char *err,
    size_t errlen);

/*
 * The stable id of a config window: "cfg-" and 16 hex digits of FNV-1a 64
 * over start, end and reason, so loading the same app.json again (here or
 * at another console) gives the same id.  out has MAINT_ID_MAX bytes.
 */
void maint_config_id(int64_t start_us, int64_t end_us, const char *reason,
    char out[MAINT_ID_MAX]);

void maint_set_init(struct maint_set *s);
/*
 * Add a copy of w after maint_window_check.  A window whose id is known
 * already is not added again: its cancellation is merged (MAINT_UPDATED)
 * or nothing changes (MAINT_UNCHANGED); with another start, end, reason or
 * announcer it is MAINT_CONFLICT.  A cancellation thus travels as the whole
 * window with "cancelled": true and works in whichever order the two
 * records arrive.  On an error the set is unchanged and err says why.
 */
enum maint_result maint_set_add(struct maint_set *s,
    const struct maint_window *w, char *err, size_t errlen);
/* Cancel by id: MAINT_UPDATED, MAINT_UNCHANGED or MAINT_NOT_FOUND. */
enum maint_result maint_set_cancel(struct maint_set *s, const char *id);
const struct maint_window *maint_set_find(const struct maint_set *s,
    const char *id);
/*
 * Remove the windows (cancelled or not) that ended more than keep_us
 * before now (now - end > keep_us); the others keep their order.  Returns
 * how many it removed.  Pointers into the set are invalid afterwards.
 */
size_t maint_set_prune(struct maint_set *s, int64_t now_us, int64_t keep_us);

/* The phase of one window at now; MAINT_NONE when cancelled. */
enum maint_phase maint_window_phase(const struct maint_window *w,
    int64_t now_us);

/*
 * The banner at now (cancelled windows do not count): the active window
 * that ends last, if any; else the upcoming window that starts first, if it
 * starts within MAINT_ANNOUNCE_US; else MAINT_NONE.  While active, until_us
 * is the end of the maintenance that covers now: windows that overlap or
 * touch it extend it, since production resumes only after the last of them.
 */
void maint_banner(const struct maint_set *s, int64_t now_us,
    struct maint_banner *out);

/*
 * Whether a new batch may start at now: false during an active window, and
 * then *blocking (when not NULL) is the one maint_banner would show; true
 * otherwise, *blocking NULL.  A running batch is not this module's concern:
 * it may finish its current run.
 */
bool maint_batch_start_allowed(const struct maint_set *s, int64_t now_us,
    const struct maint_window **blocking);

/*
 * The window that starts first strictly after now (not cancelled), or
 * NULL: a batch expected to end after its start_us runs into maintenance,
 * and the UI warns (it does not refuse).
 */
const struct maint_window *maint_next_start_after(const struct maint_set *s,
    int64_t now_us);

/*
 * A countdown as hours:minutes:seconds, at least two digits each, with no
 * words: "24:00:00", "00:59:30", "00:00:45"; hours go past 24 when needed
 * ("100:00:00").  Rounded up to the whole second, so it shows 00:00:01 up
 * to the last microsecond; zero or negative gives "00:00:00".  Always
 * NUL-terminated.
 */
void maint_format_countdown(int64_t us, char *buf, size_t len);

/*
 * The message for a refused batch start, translated: "Batch start refused:
 * maintenance until 2026-11-22 10:00:00 UTC (reason)".  b is the banner at
 * the time of the refusal (phase MAINT_ACTIVE).  Always NUL-terminated; a
 * truncated result never ends in a partial UTF-8 character.
 */
void maint_refusal_text(const struct maint_banner *b, char *buf, size_t len);

/*
 * The stored form, every key always present, times in RFC 3339 UTC
 * ("2026-11-22T06:00:00Z", with six decimals when not whole seconds):
 *   {"id":..,"start":..,"end":..,"reason":..,"announced_by":..,
 *    "source":"config"|"console"|"historian","cancelled":false}
 * NULL when w does not pass maint_window_check.
 */
json_t *maint_window_to_json(const struct maint_window *w);

/*
 * Parse the stored form or an app.json entry strictly.  "start", "end" and
 * "reason" are required; "id" (default maint_config_id), "announced_by"
 * (""), "source" ("config") and "cancelled" (false) are optional; any other
 * key is an error.  Times must be YYYY-MM-DDTHH:MM:SS, optionally with 1..6
 * decimals, and end in Z.  On success fills *w and returns 0; on error
 * leaves *w alone, writes a message naming the field into err and returns
 * -1.  The sync sets source to MAINT_SRC_HISTORIAN itself after parsing.
 */
int maint_window_from_json(const json_t *j, struct maint_window *w,
    char *err, size_t errlen);

#endif

/*
 * alarm.h: one alarm's life (ISA-18.2, without shelving), as pure logic.
 *
 * An alarm is one (source, level): a point's HH and its H are two alarms,
 * each with its own state.  The caller keeps which point or device an
 * alarm belongs to; this module only knows what happens to it:
 *
 *   alarm_feed_value()      an analog value against the limit of the
 *                           alarm's level (HH, H, L, LL), with deadband,
 *                           on-delay and quality;
 *   alarm_feed_condition()  a true/false condition (communication failure,
 *                           HardError, system alarms) with on-delay;
 *   alarm_ack()             the operator's acknowledgement.
 *
 * The states and their transitions are the table at the top of alarm.c.
 * Times are the caller's monotonic milliseconds (clock_mono_ms), so the
 * unit tests drive delays and flapping windows with made-up times; the
 * engine stamps its records with real time itself when a feed reports a
 * change.  No clock, no I/O, no allocation here.
 *
 * Feed every alarm at every evaluation, changed or not: the on-delay and
 * the flapping window only move when the alarm is fed.
 */
#ifndef JOPE_ALARM_H
#define JOPE_ALARM_H

#include <stdbool.h>
#include <stdint.h>

/* Order is stable (names are written to records): never reorder. */
enum alarm_state {
	ALARM_NORMAL,           /* inactive, acknowledged */
	ALARM_UNACK_ACTIVE,     /* active, not acknowledged */
	ALARM_ACK_ACTIVE,       /* active, acknowledged */
	ALARM_UNACK_CLEARED,    /* returned to normal, not acknowledged */
	ALARM_STATE_COUNT_
};

/* What an alarm watches.  Order is stable: never reorder. */
enum alarm_level {
	ALARM_HH,               /* analog, at or above the high-high limit */
	ALARM_H,                /* analog, at or above the high limit */
	ALARM_L,                /* analog, at or below the low limit */
	ALARM_LL,               /* analog, at or below the low-low limit */
	ALARM_COMM,             /* a device does not answer */
	ALARM_HARD_ERROR,       /* a device is in HardError (rule 7) */
	ALARM_SYSTEM,           /* the console itself: historian backlog,
	                           inference link, spool disk... */
	ALARM_LEVEL_COUNT_
};

/* What a feed did, so the engine knows when to write a record and ring. */
enum alarm_change {
	ALARM_NO_CHANGE,
	ALARM_ACTIVATED,        /* NORMAL or UNACK_CLEARED -> UNACK_ACTIVE */
	ALARM_CLEARED,          /* UNACK_ACTIVE -> UNACK_CLEARED, or
	                           ACK_ACTIVE -> NORMAL */
};

enum alarm_ack_result {
	ALARM_ACK_DONE,         /* UNACK_ACTIVE -> ACK_ACTIVE, or
	                           UNACK_CLEARED -> NORMAL */
	ALARM_ACK_NOTHING,      /* NORMAL or ACK_ACTIVE: nothing to
	                           acknowledge, nothing changed */
};

/*
 * The limits of one analog point; each is optional.  A high alarm raises
 * at value >= limit and clears at value < limit - deadband; a low alarm
 * raises at value <= limit and clears at value > limit + deadband.  So
 * with deadband 0 "in alarm" and "clear" meet exactly at the limit.
 * delay_ms: the raise condition must hold in every good sample for this
 * long before the alarm becomes active (0: at once).  Deadband is in
 * engineering units.  alarm_limits_check() says whether a set is sane.
 */
struct alarm_limits {
	bool has_hh, has_h, has_l, has_ll;
	double hh, h, l, ll;
	double deadband;        /* >= 0 */
	int64_t delay_ms;       /* >= 0 */
};

/* Activation times kept for the flapping window. */
#define ALARM_FLAP_HISTORY 32
/* Default flapping rule: more than 5 activations within 60 s. */
#define ALARM_FLAP_MAX_DEFAULT 5
#define ALARM_FLAP_WINDOW_DEFAULT_MS 60000

/*
 * One alarm.  alarm_init() fills it; the caller may then change priority
 * (1 is the most urgent) and, through alarm_set_flap_rule(), the flapping
 * rule.  Everything else is read-only outside alarm.c.  Times are 0 until
 * the first such event.
 */
struct alarm {
	enum alarm_level level;
	int priority;
	enum alarm_state state;

	/* The on-delay: the raise condition holds since pending_since_ms. */
	bool pending;
	int64_t pending_since_ms;

	int64_t activated_ms;   /* the latest activation */
	int64_t cleared_ms;     /* the latest return to normal */
	int64_t acked_ms;       /* the latest acknowledgement */
	uint32_t activations;   /* since alarm_init */

	/*
	 * Flapping, informational only: the state machine follows its table
	 * whether the alarm flaps or not.  flap_count is the number of
	 * activations in the last flap_window_ms (now - t < window), as of
	 * the latest feed; flapping is flap_count > flap_max.
	 */
	uint32_t flap_max;
	int64_t flap_window_ms;
	uint32_t flap_count;
	bool flapping;
	int64_t flap_times[ALARM_FLAP_HISTORY]; /* ring of activation times */
	uint32_t flap_next, flap_n;
};

/*
 * A NORMAL alarm of this level, with the level's default priority (HH,
 * LL and HARD_ERROR 1; H, L, COMM and SYSTEM 2) and the default flapping
 * rule.
 */
void alarm_init(struct alarm *a, enum alarm_level level);

/*
 * More than max_activations activations within window_ms mark the alarm
 * as flapping.  Refused (false, nothing changed) unless
 * 1 <= max_activations < ALARM_FLAP_HISTORY and window_ms > 0.
 */
bool alarm_set_flap_rule(struct alarm *a, uint32_t max_activations,
    int64_t window_ms);

/*
 * Feed an analog sample to an alarm of level HH, H, L or LL, against the
 * limit of that level in lim (with lim's deadband and delay).
 *
 * A bad sample (good_quality false, or value NaN) is as if it had not been
 * read: it neither raises nor clears, and leaves a running on-delay as it
 * is.  The point's quality problem is an alarm of its own (COMM), not this
 * one's business.  An absent limit, or a level that is not analog, is
 * never in alarm: an active alarm fed so clears.
 */
enum alarm_change alarm_feed_value(struct alarm *a,
    const struct alarm_limits *lim, double value, bool good_quality,
    int64_t now_ms);

/*
 * Feed a true/false condition (true: in alarm) to an alarm of any level:
 * the same on-delay as alarm_feed_value, no deadband, and a false
 * condition clears at once.
 */
enum alarm_change alarm_feed_condition(struct alarm *a, bool cond,
    int64_t delay_ms, int64_t now_ms);

/* The operator acknowledges (table in alarm.c). */
enum alarm_ack_result alarm_ack(struct alarm *a, int64_t now_ms);

/* UNACK_ACTIVE or ACK_ACTIVE. */
bool alarm_is_active(const struct alarm *a);
/* UNACK_ACTIVE or UNACK_CLEARED. */
bool alarm_is_unacked(const struct alarm *a);
/* Anything but NORMAL: the alarm list shows it. */
bool alarm_is_shown(const struct alarm *a);

/*
 * Display order, for qsort over the shown alarms: priority (1 first), then
 * unacknowledged before acknowledged, then active before cleared, then the
 * newest activation first.  Ties return 0: add a key of your own (the
 * point's order) for a fully determined list.
 */
int alarm_display_cmp(const struct alarm *a, const struct alarm *b);

/*
 * Stable English names for records and logs ("normal", "unack_active",
 * "ack_active", "unack_cleared"; "HH", "H", "L", "LL", "COMM",
 * "HARD_ERROR", "SYSTEM"), "?" when out of range.  Never translated.
 */
const char *alarm_state_name(enum alarm_state s);
const char *alarm_level_name(enum alarm_level l);
/* The same, translated, for people. */
const char *alarm_state_label(enum alarm_state s);
const char *alarm_level_label(enum alarm_level l);

/*
 * NULL when the limits make sense, else why not (translated): limits and
 * deadband finite, deadband >= 0, delay >= 0, LL <= L, H <= HH, and every
 * low limit below every high limit (no value is both high and low).
 */
const char *alarm_limits_check(const struct alarm_limits *lim);

#endif

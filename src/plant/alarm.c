/*
 * alarm.c: the ISA-18.2 alarm state machine, its on-delay and deadband,
 * and flapping.
 *
 * States, events and transitions (shelving is out of scope):
 *
 *   row  state          event   next state     result             done by
 *   ---  -------------  ------  -------------  -----------------  -----------
 *    1   NORMAL         active  UNACK_ACTIVE   ALARM_ACTIVATED    activate()
 *    2   NORMAL         ack     (unchanged)    ALARM_ACK_NOTHING  alarm_ack()
 *    3   UNACK_ACTIVE   ack     ACK_ACTIVE     ALARM_ACK_DONE     alarm_ack()
 *    4   UNACK_ACTIVE   clear   UNACK_CLEARED  ALARM_CLEARED      deactivate()
 *    5   ACK_ACTIVE     clear   NORMAL         ALARM_CLEARED      deactivate()
 *    6   ACK_ACTIVE     ack     (unchanged)    ALARM_ACK_NOTHING  alarm_ack()
 *    7   UNACK_CLEARED  ack     NORMAL         ALARM_ACK_DONE     alarm_ack()
 *    8   UNACK_CLEARED  active  UNACK_ACTIVE   ALARM_ACTIVATED    activate()
 *
 * The six rows that change the state are the array transitions[] below,
 * word for word; step() looks them up.  An ack with no row (2, 6) is
 * refused and reported, so the operator hears "nothing to acknowledge".
 *
 * "active" and "clear" are the edges of the alarm's condition, made by
 * follow(), one rule for analog values and true/false conditions:
 *
 *   alarm      sample                          what happens
 *   ---------  ------------------------------  -------------------------
 *   inactive   not in alarm                    the on-delay stops
 *   inactive   in alarm                        the on-delay starts (if not
 *                                              running); once it has run
 *                                              delay_ms: event "active"
 *   active     still in alarm (or within the   nothing
 *              deadband)
 *   active     past limit and deadband         event "clear"
 *   any        bad (quality, NaN)              nothing, on-delay kept
 *
 * So "active" only comes while the alarm is inactive (NORMAL,
 * UNACK_CLEARED) and "clear" only while it is active: the other four
 * cells of the table cannot occur, and a sample that leaves the condition
 * where it was is no event (ALARM_NO_CHANGE).
 *
 * The deadband widens the band the value must leave, never the one it
 * must enter: a high alarm raises at value >= limit and clears at
 * value < limit - deadband (a low one mirrors it).  A value inside the
 * deadband keeps an active alarm active; for an inactive alarm it is
 * simply not in alarm: it raises nothing and stops a running on-delay,
 * which wants the limit itself held in every good sample.
 *
 * Flapping counts activations in a sliding window, kept as a ring of the
 * last ALARM_FLAP_HISTORY activation times inside the alarm, so a feed
 * never allocates.  It is information for the operator and the alarm
 * rationalisation, not a state: a flapping alarm still follows the table.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/i18n.h"
#include "plant/alarm.h"

enum alarm_event {
	EV_ACTIVE,
	EV_CLEAR,
	EV_ACK,
};

static const struct transition {
	enum alarm_state from;
	enum alarm_event event;
	enum alarm_state to;
} transitions[] = {
	{ ALARM_NORMAL,		EV_ACTIVE,	ALARM_UNACK_ACTIVE },
	{ ALARM_UNACK_ACTIVE,	EV_ACK,		ALARM_ACK_ACTIVE },
	{ ALARM_UNACK_ACTIVE,	EV_CLEAR,	ALARM_UNACK_CLEARED },
	{ ALARM_ACK_ACTIVE,	EV_CLEAR,	ALARM_NORMAL },
	{ ALARM_UNACK_CLEARED,	EV_ACK,		ALARM_NORMAL },
	{ ALARM_UNACK_CLEARED,	EV_ACTIVE,	ALARM_UNACK_ACTIVE },
};

static const char *const state_names[ALARM_STATE_COUNT_] = {
	[ALARM_NORMAL]		= "normal",
	[ALARM_UNACK_ACTIVE]	= "unack_active",
	[ALARM_ACK_ACTIVE]	= "ack_active",
	[ALARM_UNACK_CLEARED]	= "unack_cleared",
};

/* Marked for translation here, translated where shown. */
static const char *const state_labels[ALARM_STATE_COUNT_] = {
	[ALARM_NORMAL]		= N_("normal"),
	[ALARM_UNACK_ACTIVE]	= N_("active, unacknowledged"),
	[ALARM_ACK_ACTIVE]	= N_("active, acknowledged"),
	[ALARM_UNACK_CLEARED]	= N_("cleared, unacknowledged"),
};

static const char *const level_names[ALARM_LEVEL_COUNT_] = {
	[ALARM_HH]		= "HH",
	[ALARM_H]		= "H",
	[ALARM_L]		= "L",
	[ALARM_LL]		= "LL",
	[ALARM_COMM]		= "COMM",
	[ALARM_HARD_ERROR]	= "HARD_ERROR",
	[ALARM_SYSTEM]		= "SYSTEM",
};

static const char *const level_labels[ALARM_LEVEL_COUNT_] = {
	/* TRANSLATORS: alarm levels; HH, H, L, LL are the usual ISA
	 * abbreviations of high-high, high, low, low-low. */
	[ALARM_HH]		= N_("HH"),
	[ALARM_H]		= N_("H"),
	[ALARM_L]		= N_("L"),
	[ALARM_LL]		= N_("LL"),
	[ALARM_COMM]		= N_("communication"),
	[ALARM_HARD_ERROR]	= N_("hard error"),
	[ALARM_SYSTEM]		= N_("system"),
};

static const int default_priority[ALARM_LEVEL_COUNT_] = {
	[ALARM_HH]		= 1,
	[ALARM_H]		= 2,
	[ALARM_L]		= 2,
	[ALARM_LL]		= 1,
	[ALARM_COMM]		= 2,
	[ALARM_HARD_ERROR]	= 1,
	[ALARM_SYSTEM]		= 2,
};

void
alarm_init(struct alarm *a, enum alarm_level level)
{
	memset(a, 0, sizeof *a);
	a->level = level;
	a->priority = (unsigned)level < ALARM_LEVEL_COUNT_ ?
	    default_priority[level] : 2;
	a->state = ALARM_NORMAL;
	a->flap_max = ALARM_FLAP_MAX_DEFAULT;
	a->flap_window_ms = ALARM_FLAP_WINDOW_DEFAULT_MS;
}

bool
alarm_set_flap_rule(struct alarm *a, uint32_t max_activations,
    int64_t window_ms)
{
	if (max_activations < 1 || max_activations >= ALARM_FLAP_HISTORY ||
	    window_ms <= 0)
		return false;
	a->flap_max = max_activations;
	a->flap_window_ms = window_ms;
	return true;
}

bool
alarm_is_active(const struct alarm *a)
{
	return a->state == ALARM_UNACK_ACTIVE || a->state == ALARM_ACK_ACTIVE;
}

bool
alarm_is_unacked(const struct alarm *a)
{
	return a->state == ALARM_UNACK_ACTIVE ||
	    a->state == ALARM_UNACK_CLEARED;
}

bool
alarm_is_shown(const struct alarm *a)
{
	return a->state != ALARM_NORMAL;
}

/* --- the table ---------------------------------------------------------- */

/* Take the row for (state, ev); false, and no change, when there is none. */
static bool
step(struct alarm *a, enum alarm_event ev)
{
	for (size_t i = 0; i < sizeof transitions / sizeof transitions[0];
	    i++) {
		if (transitions[i].from == a->state &&
		    transitions[i].event == ev) {
			a->state = transitions[i].to;
			return true;
		}
	}
	return false;
}

/* Rows 1 and 8. */
static enum alarm_change
activate(struct alarm *a, int64_t now_ms)
{
	if (!step(a, EV_ACTIVE))
		return ALARM_NO_CHANGE;
	a->activated_ms = now_ms;
	a->activations++;
	a->flap_times[a->flap_next] = now_ms;
	a->flap_next = (a->flap_next + 1) % ALARM_FLAP_HISTORY;
	if (a->flap_n < ALARM_FLAP_HISTORY)
		a->flap_n++;
	return ALARM_ACTIVATED;
}

/* Rows 4 and 5. */
static enum alarm_change
deactivate(struct alarm *a, int64_t now_ms)
{
	if (!step(a, EV_CLEAR))
		return ALARM_NO_CHANGE;
	a->cleared_ms = now_ms;
	return ALARM_CLEARED;
}

/* Rows 2, 3, 6 and 7. */
enum alarm_ack_result
alarm_ack(struct alarm *a, int64_t now_ms)
{
	if (!step(a, EV_ACK))
		return ALARM_ACK_NOTHING;
	a->acked_ms = now_ms;
	return ALARM_ACK_DONE;
}

/* --- the condition ------------------------------------------------------ */

/* The edges of the condition, with the on-delay (second table above). */
static enum alarm_change
follow(struct alarm *a, bool in_alarm, int64_t delay_ms, int64_t now_ms)
{
	if (alarm_is_active(a))
		return in_alarm ? ALARM_NO_CHANGE : deactivate(a, now_ms);
	if (!in_alarm) {
		a->pending = false;
		a->pending_since_ms = 0;
		return ALARM_NO_CHANGE;
	}
	if (!a->pending) {
		a->pending = true;
		a->pending_since_ms = now_ms;
	}
	if (now_ms - a->pending_since_ms < delay_ms)
		return ALARM_NO_CHANGE;
	a->pending = false;
	a->pending_since_ms = 0;
	return activate(a, now_ms);
}

/* Count the activations inside the window, as of now. */
static void
update_flapping(struct alarm *a, int64_t now_ms)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < a->flap_n; i++)
		if (now_ms - a->flap_times[i] < a->flap_window_ms)
			n++;
	a->flap_count = n;
	a->flapping = n > a->flap_max;
}

static bool
limit_of(const struct alarm_limits *lim, enum alarm_level level,
    double *limit)
{
	switch (level) {
	case ALARM_HH:
		*limit = lim->hh;
		return lim->has_hh;
	case ALARM_H:
		*limit = lim->h;
		return lim->has_h;
	case ALARM_L:
		*limit = lim->l;
		return lim->has_l;
	case ALARM_LL:
		*limit = lim->ll;
		return lim->has_ll;
	default:
		return false;
	}
}

/*
 * Whether a good sample is in alarm: at or past the limit for an inactive
 * alarm, not yet past limit and deadband for an active one.  A negative or
 * NaN deadband counts as 0 (alarm_limits_check refuses both).
 */
static bool
value_in_alarm(const struct alarm *a, const struct alarm_limits *lim,
    double value)
{
	double limit, band = 0.0;

	if (!limit_of(lim, a->level, &limit))
		return false;
	if (alarm_is_active(a) && lim->deadband > 0.0)
		band = lim->deadband;
	if (a->level == ALARM_HH || a->level == ALARM_H)
		return value >= limit - band;
	return value <= limit + band;
}

enum alarm_change
alarm_feed_value(struct alarm *a, const struct alarm_limits *lim,
    double value, bool good_quality, int64_t now_ms)
{
	enum alarm_change c = ALARM_NO_CHANGE;

	if (good_quality && !isnan(value))
		c = follow(a, value_in_alarm(a, lim, value), lim->delay_ms,
		    now_ms);
	update_flapping(a, now_ms);
	return c;
}

enum alarm_change
alarm_feed_condition(struct alarm *a, bool cond, int64_t delay_ms,
    int64_t now_ms)
{
	enum alarm_change c = follow(a, cond, delay_ms, now_ms);

	update_flapping(a, now_ms);
	return c;
}

/* --- display and names -------------------------------------------------- */

/* Unacknowledged before acknowledged, then active before cleared. */
static int
display_rank(const struct alarm *a)
{
	return (alarm_is_unacked(a) ? 0 : 2) + (alarm_is_active(a) ? 0 : 1);
}

int
alarm_display_cmp(const struct alarm *a, const struct alarm *b)
{
	int ra = display_rank(a), rb = display_rank(b);

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->activated_ms != b->activated_ms)
		return a->activated_ms > b->activated_ms ? -1 : 1;
	return 0;
}

const char *
alarm_state_name(enum alarm_state s)
{
	if ((unsigned)s >= ALARM_STATE_COUNT_)
		return "?";
	return state_names[s];
}

const char *
alarm_level_name(enum alarm_level l)
{
	if ((unsigned)l >= ALARM_LEVEL_COUNT_)
		return "?";
	return level_names[l];
}

const char *
alarm_state_label(enum alarm_state s)
{
	if ((unsigned)s >= ALARM_STATE_COUNT_)
		return "?";
	return _(state_labels[s]);
}

const char *
alarm_level_label(enum alarm_level l)
{
	if ((unsigned)l >= ALARM_LEVEL_COUNT_)
		return "?";
	return _(level_labels[l]);
}

/* --- limits ------------------------------------------------------------- */

const char *
alarm_limits_check(const struct alarm_limits *lim)
{
	double low, high;

	if (!isfinite(lim->deadband) || lim->deadband < 0.0)
		return _("the alarm deadband must be a number >= 0");
	if (lim->delay_ms < 0)
		return _("the alarm delay must be >= 0 ms");
	if ((lim->has_hh && !isfinite(lim->hh)) ||
	    (lim->has_h && !isfinite(lim->h)) ||
	    (lim->has_l && !isfinite(lim->l)) ||
	    (lim->has_ll && !isfinite(lim->ll)))
		return _("alarm limits must be finite numbers");
	if (lim->has_ll && lim->has_l && lim->ll > lim->l)
		return _("the LL limit must not be above the L limit");
	if (lim->has_h && lim->has_hh && lim->h > lim->hh)
		return _("the H limit must not be above the HH limit");
	if ((lim->has_l || lim->has_ll) && (lim->has_h || lim->has_hh)) {
		low = lim->has_l ? lim->l : lim->ll;
		high = lim->has_h ? lim->h : lim->hh;
		if (low >= high)
			return _("every low alarm limit must be below every "
			    "high alarm limit");
	}
	return NULL;
}

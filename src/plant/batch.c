/*
 * batch.c: the batch state machine, its runs, and its record.
 *
 *   state     event    next      done by      what happens
 *   --------  -------  --------  -----------  -------------------------------
 *   IDLE      start    RUNNING   batch_apply  run 1 begins; refused in a
 *                                             maintenance window
 *   RUNNING   hold     HELD      batch_apply  the batch clock stands still
 *   RUNNING   stop     STOPPING  batch_apply  the current run goes on to its
 *                                             end
 *   RUNNING   abort    ABORTED   batch_apply  ends at once
 *   RUNNING   run_end  RUNNING   batch_tick   the next run begins (counted,
 *                                             not logged)
 *   HELD      resume   RUNNING   batch_apply  the clock goes on where it
 *                                             stood
 *   HELD      stop     STOPPING  batch_apply  the held run resumes, and the
 *                                             batch completes at its end
 *   HELD      abort    ABORTED   batch_apply  ends at once
 *   STOPPING  run_end  COMPLETE  batch_tick   at the end of the run that was
 *                                             current when stop was asked
 *   STOPPING  abort    ABORTED   batch_apply  ends at once
 *
 * Every other pair is refused and changes nothing; the reason depends on
 * the state alone (refusal_in below): idle "has not started", running
 * "already running", held "is held: resume it or stop it", stopping "is
 * stopping", complete and aborted "start a new batch".  COMPLETE and
 * ABORTED are final: the manager makes a fresh struct for the next batch.
 * run_end is never a command: batch_apply refuses it in every state, and
 * batch_tick does nothing while idle, held or final (a held batch's clock
 * stands, so no run can end).
 *
 * Why these rows:
 * - Hold only from RUNNING.  Stopping means "finish this run", and a hold
 *   would leave that open; while stopping, abort is the way to end sooner.
 * - Stop from HELD goes to STOPPING and the run resumes: stop is graceful,
 *   so the run that was current finishes, and completing at once would
 *   mark a batch complete whose last run never ended.  The UI should say
 *   so on the key ("stop: finish the held run, then complete").
 * - Abort from every active state, at once: it is the way out.
 * - A maintenance window refuses only START (BATCH_REFUSED_MAINTENANCE);
 *   a batch already running is not touched by one.  The manager may ask
 *   it to stop, and it finishes its current run.  The state is checked
 *   first, so a start while running says "already running".
 * - Samples are tagged while RUNNING, HELD and STOPPING: the batch owns
 *   the equipment for all three, and what it measures while held belongs
 *   to its record.
 *
 * Runs.  The batch clock is monotonic time since start minus held time.
 * Run k covers batch-clock time [(k - 1) * run_ms, k * run_ms): half open,
 * so a stop asked exactly at a boundary finishes the run that just began.
 * Which run is current is computed from the times, not from how often
 * batch_tick ran; b->run only says how far ticks have reported.  There is
 * no automatic end at expected_ms: progress may pass 1 and the operator
 * stops the batch.
 *
 * Times.  Durations use the caller's monotonic milliseconds, the record
 * also carries real microseconds.  A monotonic time earlier than the
 * latest transition counts as that time, so elapsed never goes back and a
 * caller's mistake never refuses an abort.  The completion is recorded at
 * the run's end exactly (its real time derived from the tick's), however
 * late the tick that noticed it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "plant/batch.h"

#define REFUSED (-1)

/* The table above: the next state, or R (refused). */
#define R	REFUSED
#define RUN	BATCH_RUNNING
#define HLD	BATCH_HELD
#define STP	BATCH_STOPPING
#define CMP	BATCH_COMPLETE
#define ABT	BATCH_ABORTED
static const int transitions[BATCH_STATE_COUNT_][BATCH_EVENT_COUNT_] = {
	/*                   start hold resume stop abort run_end */
	[BATCH_IDLE]     = { RUN,  R,   R,     R,   R,    R   },
	[BATCH_RUNNING]  = { R,    HLD, R,     STP, ABT,  RUN },
	[BATCH_HELD]     = { R,    R,   RUN,   STP, ABT,  R   },
	[BATCH_STOPPING] = { R,    R,   R,     R,   ABT,  CMP },
	[BATCH_COMPLETE] = { R,    R,   R,     R,   R,    R   },
	[BATCH_ABORTED]  = { R,    R,   R,     R,   R,    R   },
};
#undef R
#undef RUN
#undef HLD
#undef STP
#undef CMP
#undef ABT

static const enum batch_refusal refusal_in[BATCH_STATE_COUNT_] = {
	[BATCH_IDLE]		= BATCH_REFUSED_NOT_STARTED,
	[BATCH_RUNNING]		= BATCH_REFUSED_RUNNING,
	[BATCH_HELD]		= BATCH_REFUSED_HELD,
	[BATCH_STOPPING]	= BATCH_REFUSED_STOPPING,
	[BATCH_COMPLETE]	= BATCH_REFUSED_COMPLETE,
	[BATCH_ABORTED]		= BATCH_REFUSED_ABORTED,
};

static const char *const state_names[BATCH_STATE_COUNT_] = {
	"idle", "running", "held", "stopping", "complete", "aborted",
};

static const char *const event_names[BATCH_EVENT_COUNT_] = {
	"start", "hold", "resume", "stop", "abort", "run_end",
};

/* TRANSLATORS: in every message, %s is the batch id (e.g. B-001). */
static const char *const refusal_formats[BATCH_REFUSAL_COUNT_] = {
	[BATCH_OK]			= "",
	[BATCH_REFUSED_NOT_STARTED]	=
	    N_("batch %s has not started: start it first"),
	[BATCH_REFUSED_RUNNING]		= N_("batch %s is already running"),
	[BATCH_REFUSED_HELD]		=
	    N_("batch %s is held: resume it or stop it"),
	[BATCH_REFUSED_STOPPING]	=
	    N_("batch %s is stopping: it completes at the end of the current "
	    "run; only abort ends it sooner"),
	[BATCH_REFUSED_COMPLETE]	=
	    N_("batch %s is complete: start a new batch"),
	[BATCH_REFUSED_ABORTED]		=
	    N_("batch %s was aborted: start a new batch"),
	[BATCH_REFUSED_MAINTENANCE]	=
	    N_("batch %s cannot start: a maintenance window is in progress; "
	    "start it when the window has ended"),
	[BATCH_REFUSED_SIGNER]		=
	    N_("batch %s: the command needs the user name of its signer "
	    "(1 to 32 characters)"),
	[BATCH_REFUSED_NOT_A_COMMAND]	=
	    N_("batch %s: a run ends by the batch clock, not by a command"),
	[BATCH_REFUSED_BAD_ID]		=
	    N_("a batch id is 1 to 32 characters: letters A-Z and a-z, "
	    "digits, '.', '_' and '-'"),
	[BATCH_REFUSED_BAD_RECIPE]	=
	    N_("batch %s: the recipe needs an id, a name and a version, and "
	    "a run time and an expected time above zero"),
};

static bool
is_final(enum batch_state s)
{
	return s == BATCH_COMPLETE || s == BATCH_ABORTED;
}

/* Is s a string of 1..max - 1 bytes?  (It then fits in char[max].) */
static bool
fits(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strnlen(s, max) < max;
}

/* Copy a string that fits (or NULL, as ""). */
static void
copy(char *dst, const char *src, size_t max)
{
	size_t n = src != NULL ? strnlen(src, max - 1) : 0;

	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static enum batch_refusal
refuse(enum batch_refusal r, const char *id, char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, refusal_formats[r], id);
	return r;
}

static int64_t
clamp_time(const struct batch *b, int64_t mono_ms)
{
	return mono_ms < b->last_mono_ms ? b->last_mono_ms : mono_ms;
}

/* Held time up to t, a hold in progress included. */
static int64_t
held_until(const struct batch *b, int64_t t)
{
	return b->held_total_ms +
	    (b->state == BATCH_HELD ? t - b->held_since_mono_ms : 0);
}

/* The batch clock at t: time since start, held time excluded. */
static int64_t
active_until(const struct batch *b, int64_t t)
{
	return t - b->started_mono_ms - held_until(b, t);
}

/* The run (1..) that is current at batch-clock time a. */
static int64_t
run_at(const struct batch *b, int64_t a)
{
	return a / b->run_ms + 1;
}

/* A hold in progress ends at t: its time joins the held total. */
static void
end_hold(struct batch *b, int64_t t)
{
	if (b->state == BATCH_HELD) {
		b->held_total_ms += t - b->held_since_mono_ms;
		b->held_since_mono_ms = 0;
	}
}

static void
log_transition(struct batch *b, enum batch_event ev, enum batch_state to,
    int64_t mono_ms, int64_t real_us, const struct batch_cmd *cmd)
{
	struct batch_transition *e;

	if (b->nlog < BATCH_LOG_MAX) {
		e = &b->log[b->nlog++];
	} else {
		e = &b->log[BATCH_LOG_MAX - 1];
		b->log_dropped++;
	}
	memset(e, 0, sizeof *e);
	e->event = ev;
	e->from = b->state;
	e->to = to;
	e->mono_ms = mono_ms;
	e->real_us = real_us;
	if (cmd != NULL) {
		copy(e->user, cmd->user, sizeof e->user);
		copy(e->second_user, cmd->second_user, sizeof e->second_user);
	}
	b->state = to;
	b->last_mono_ms = mono_ms;
}

bool
batch_id_valid(const char *id)
{
	size_t n;

	if (id == NULL)
		return false;
	for (n = 0; id[n] != '\0'; n++) {
		char c = id[n];

		if (n >= BATCH_ID_MAX - 1)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return false;
	}
	return n > 0;
}

enum batch_refusal
batch_init(struct batch *b, const char *id, const struct batch_recipe *r,
    char *why, size_t whylen)
{
	if (!batch_id_valid(id))
		return refuse(BATCH_REFUSED_BAD_ID, "", why, whylen);
	if (r == NULL || !fits(r->id, BATCH_RECIPE_ID_MAX) ||
	    !fits(r->name, BATCH_RECIPE_NAME_MAX) ||
	    !fits(r->version, BATCH_RECIPE_VERSION_MAX) ||
	    r->run_ms <= 0 || r->expected_ms <= 0)
		return refuse(BATCH_REFUSED_BAD_RECIPE, id, why, whylen);
	memset(b, 0, sizeof *b);
	b->state = BATCH_IDLE;
	copy(b->id, id, sizeof b->id);
	copy(b->recipe_id, r->id, sizeof b->recipe_id);
	copy(b->recipe_name, r->name, sizeof b->recipe_name);
	copy(b->recipe_version, r->version, sizeof b->recipe_version);
	b->run_ms = r->run_ms;
	b->expected_ms = r->expected_ms;
	return BATCH_OK;
}

static bool
signer_ok(const struct batch_cmd *cmd)
{
	return cmd != NULL && fits(cmd->user, BATCH_USER_MAX) &&
	    (cmd->second_user == NULL ||
	    strnlen(cmd->second_user, BATCH_USER_MAX) < BATCH_USER_MAX);
}

enum batch_refusal
batch_apply(struct batch *b, enum batch_event ev, const struct batch_cmd *cmd,
    struct batch_time now, char *why, size_t whylen)
{
	int64_t t;
	int next;

	if ((unsigned)ev >= BATCH_EVENT_COUNT_ || ev == BATCH_EV_RUN_END)
		return refuse(BATCH_REFUSED_NOT_A_COMMAND, b->id, why, whylen);
	next = transitions[b->state][ev];
	if (next == REFUSED)
		return refuse(refusal_in[b->state], b->id, why, whylen);
	if (ev == BATCH_EV_START && cmd != NULL && cmd->in_maintenance)
		return refuse(BATCH_REFUSED_MAINTENANCE, b->id, why, whylen);
	if (!signer_ok(cmd))
		return refuse(BATCH_REFUSED_SIGNER, b->id, why, whylen);

	t = clamp_time(b, now.mono_ms);
	switch (ev) {
	case BATCH_EV_START:
		b->started_mono_ms = t;
		b->started_real_us = now.real_us;
		copy(b->started_by, cmd->user, sizeof b->started_by);
		b->run = 1;
		break;
	case BATCH_EV_HOLD:
		b->held_since_mono_ms = t;
		b->holds++;
		break;
	case BATCH_EV_STOP:
		/* The run current now, a held one included, completes it. */
		b->stop_run = run_at(b, active_until(b, t));
		end_hold(b, t);
		break;
	case BATCH_EV_ABORT:
		end_hold(b, t);
		b->ended_mono_ms = t;
		b->ended_real_us = now.real_us;
		break;
	default:        /* BATCH_EV_RESUME */
		end_hold(b, t);
		break;
	}
	log_transition(b, ev, (enum batch_state)next, t, now.real_us, cmd);
	return BATCH_OK;
}

unsigned
batch_tick(struct batch *b, struct batch_time now, bool *completed)
{
	int64_t current, ended, end_ms;
	int next;

	if (completed != NULL)
		*completed = false;
	next = transitions[b->state][BATCH_EV_RUN_END];
	if (next == REFUSED)
		return 0;
	current = run_at(b, active_until(b, clamp_time(b, now.mono_ms)));
	/* Runs end and the next begins; only a stopping batch's last one
	   (b->stop_run) changes the state. */
	if (next == (int)b->state || current <= b->stop_run) {
		ended = current - b->run;
		b->run = current;
		return (unsigned)ended;
	}

	ended = b->stop_run - b->run + 1;
	b->run = b->stop_run;
	end_ms = b->started_mono_ms + b->held_total_ms +
	    b->stop_run * b->run_ms;
	b->ended_mono_ms = end_ms;
	b->ended_real_us = now.real_us - (now.mono_ms - end_ms) * 1000;
	log_transition(b, BATCH_EV_RUN_END, (enum batch_state)next, end_ms,
	    b->ended_real_us, NULL);
	if (completed != NULL)
		*completed = true;
	return (unsigned)ended;
}

void
batch_progress(const struct batch *b, int64_t now_ms,
    struct batch_progress *p)
{
	int64_t t, a, run, into;

	memset(p, 0, sizeof *p);
	if (b->state == BATCH_IDLE)
		return;
	t = is_final(b->state) ? b->ended_mono_ms : clamp_time(b, now_ms);
	p->held_ms = held_until(b, t);
	a = active_until(b, t);
	p->elapsed_ms = a;
	p->remaining_ms = a < b->expected_ms ? b->expected_ms - a : 0;
	p->fraction = (double)a / (double)b->expected_ms;

	run = run_at(b, a);
	if ((b->state == BATCH_STOPPING || b->state == BATCH_COMPLETE) &&
	    run > b->stop_run)
		run = b->stop_run;
	into = a - (run - 1) * b->run_ms;
	if (into > b->run_ms)
		into = b->run_ms;
	p->run = run;
	p->run_fraction = (double)into / (double)b->run_ms;
	p->run_remaining_ms = b->run_ms - into;
}

unsigned
batch_allowed_events(const struct batch *b)
{
	unsigned mask = 0;

	for (int ev = 0; ev < BATCH_EVENT_COUNT_; ev++)
		if (ev != BATCH_EV_RUN_END &&
		    transitions[b->state][ev] != REFUSED)
			mask |= BATCH_EV_BIT(ev);
	return mask;
}

bool
batch_tags_samples(const struct batch *b)
{
	return b->state == BATCH_RUNNING || b->state == BATCH_HELD ||
	    b->state == BATCH_STOPPING;
}

static bool
count(struct batch *b, uint64_t *counter, uint64_t n)
{
	if (!batch_tags_samples(b))
		return false;
	*counter += n;
	return true;
}

bool
batch_count_samples(struct batch *b, uint64_t n)
{
	return count(b, &b->samples, n);
}

bool
batch_count_errors(struct batch *b, uint64_t n)
{
	return count(b, &b->errors, n);
}

bool
batch_count_alarms(struct batch *b, uint64_t n)
{
	return count(b, &b->alarms, n);
}

const char *
batch_state_name(enum batch_state s)
{
	return (unsigned)s < BATCH_STATE_COUNT_ ? state_names[s] : NULL;
}

const char *
batch_event_name(enum batch_event ev)
{
	return (unsigned)ev < BATCH_EVENT_COUNT_ ? event_names[ev] : NULL;
}

const char *
batch_refusal_format(enum batch_refusal r)
{
	return (unsigned)r < BATCH_REFUSAL_COUNT_ ? refusal_formats[r] : NULL;
}

/*
 * batch_record.c: a batch's record as JSON, both ways (batch_record.h).
 *
 * Writing is straightforward: every field of struct batch a reader needs,
 * times both as RFC 3339 (for people and SQL) and as integers (for
 * reading back exactly).  Reading back is strict: a record that does not
 * hold together is refused whole, since a restart would otherwise resume
 * a batch on made-up figures.  Monotonic times are not stored; they are
 * rebuilt from the real ones: mono = now_mono - (now_real - real) / 1000.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "plant/batch_record.h"

static json_t *
time_json(int64_t us)
{
	char buf[40];

	if (us <= 0)
		return json_null();
	format_rfc3339_us(us, buf, sizeof buf);
	return json_string(buf);
}

json_t *
batch_record_to_json(const struct batch *b, const char *console,
    int64_t now_us)
{
	json_t *log = json_array(), *j;

	for (size_t i = 0; i < b->nlog && i < BATCH_LOG_MAX; i++) {
		const struct batch_transition *t = &b->log[i];

		json_array_append_new(log, json_pack(
		    "{s:s,s:s,s:s,s:o,s:I,s:s,s:s,s:I}",
		    "event", batch_event_name(t->event),
		    "from", batch_state_name(t->from),
		    "to", batch_state_name(t->to),
		    "time", time_json(t->real_us),
		    "time_us", (json_int_t)t->real_us,
		    "user", t->user, "second_user", t->second_user,
		    "audit_seq", (json_int_t)t->audit_seq));
	}
	j = json_pack("{s:s,s:{s:s,s:s,s:s,s:I,s:I},s:s,s:s,s:s}",
	    "id", b->id,
	    "recipe", "id", b->recipe_id, "name", b->recipe_name,
	    "version", b->recipe_version, "run_ms", (json_int_t)b->run_ms,
	    "expected_ms", (json_int_t)b->expected_ms,
	    "state", batch_state_name(b->state),
	    "started_by", b->started_by,
	    "console", console != NULL ? console : "");
	if (j == NULL) {
		json_decref(log);
		return NULL;
	}
	json_object_set_new(j, "started", time_json(b->started_real_us));
	json_object_set_new(j, "started_us", json_integer(b->started_real_us));
	json_object_set_new(j, "ended", time_json(b->ended_real_us));
	json_object_set_new(j, "ended_us", json_integer(b->ended_real_us));
	json_object_set_new(j, "held_total_ms", json_integer(b->held_total_ms));
	json_object_set_new(j, "holds", json_integer(b->holds));
	/* A hold in progress: since when, in real time (its transition). */
	json_object_set_new(j, "held_since_us", json_integer(
	    b->state == BATCH_HELD && b->nlog > 0 ?
	    b->log[b->nlog - 1].real_us : 0));
	json_object_set_new(j, "run", json_integer(b->run));
	json_object_set_new(j, "stop_run", json_integer(b->stop_run));
	json_object_set_new(j, "samples", json_integer((json_int_t)b->samples));
	json_object_set_new(j, "errors", json_integer((json_int_t)b->errors));
	json_object_set_new(j, "alarms", json_integer((json_int_t)b->alarms));
	json_object_set_new(j, "transitions", log);
	json_object_set_new(j, "transitions_dropped",
	    json_integer((json_int_t)b->log_dropped));
	json_object_set_new(j, "updated", time_json(now_us));
	return j;
}

int
batch_state_from_name(const char *name)
{
	for (int s = 0; s < BATCH_STATE_COUNT_; s++)
		if (name != NULL && strcmp(batch_state_name(s), name) == 0)
			return s;
	return -1;
}

static int
event_from_name(const char *name)
{
	for (int e = 0; e < BATCH_EVENT_COUNT_; e++)
		if (name != NULL && strcmp(batch_event_name(e), name) == 0)
			return e;
	return -1;
}

static bool
get_string(const json_t *o, const char *key, char *dst, size_t max)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || strlen(s) >= max)
		return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

static bool
get_int(const json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* The monotonic time of real time us, as of (now_mono, now_real). */
static int64_t
rebase(int64_t us, int64_t now_mono_ms, int64_t now_real_us)
{
	return us <= 0 ? 0 : now_mono_ms - (now_real_us - us) / 1000;
}

static int
read_transitions(const json_t *arr, struct batch *b, int64_t now_mono_ms,
    int64_t now_real_us)
{
	size_t i;
	json_t *t;

	if (!json_is_array(arr) || json_array_size(arr) > BATCH_LOG_MAX)
		return -1;
	json_array_foreach(arr, i, t) {
		struct batch_transition *e = &b->log[i];
		int ev = event_from_name(json_string_value(
		    json_object_get(t, "event")));
		int from = batch_state_from_name(json_string_value(
		    json_object_get(t, "from")));
		int to = batch_state_from_name(json_string_value(
		    json_object_get(t, "to")));

		if (ev < 0 || from < 0 || to < 0 ||
		    !get_int(t, "time_us", &e->real_us) ||
		    !get_string(t, "user", e->user, sizeof e->user) ||
		    !get_string(t, "second_user", e->second_user,
		    sizeof e->second_user) ||
		    !get_int(t, "audit_seq", &e->audit_seq))
			return -1;
		e->event = (enum batch_event)ev;
		e->from = (enum batch_state)from;
		e->to = (enum batch_state)to;
		e->mono_ms = rebase(e->real_us, now_mono_ms, now_real_us);
	}
	b->nlog = json_array_size(arr);
	return 0;
}

int
batch_record_from_json(const json_t *j, struct batch *out,
    int64_t now_mono_ms, int64_t now_real_us, char *err, size_t errlen)
{
	static struct batch zero;
	struct batch b = zero;
	const json_t *r = json_object_get(j, "recipe");
	int64_t holds, samples, errors, alarms, dropped, held_since;
	int state;

	state = batch_state_from_name(json_string_value(
	    json_object_get(j, "state")));
	if (!json_is_object(j) || !json_is_object(r) || state < 0 ||
	    !get_string(j, "id", b.id, sizeof b.id) || !batch_id_valid(b.id) ||
	    !get_string(r, "id", b.recipe_id, sizeof b.recipe_id) ||
	    !get_string(r, "name", b.recipe_name, sizeof b.recipe_name) ||
	    !get_string(r, "version", b.recipe_version,
	    sizeof b.recipe_version) ||
	    !get_int(r, "run_ms", &b.run_ms) || b.run_ms <= 0 ||
	    !get_int(r, "expected_ms", &b.expected_ms) || b.expected_ms <= 0 ||
	    !get_string(j, "started_by", b.started_by, sizeof b.started_by) ||
	    !get_int(j, "started_us", &b.started_real_us) ||
	    !get_int(j, "ended_us", &b.ended_real_us) ||
	    !get_int(j, "held_total_ms", &b.held_total_ms) ||
	    !get_int(j, "holds", &holds) ||
	    !get_int(j, "held_since_us", &held_since) ||
	    !get_int(j, "run", &b.run) || !get_int(j, "stop_run", &b.stop_run) ||
	    !get_int(j, "samples", &samples) ||
	    !get_int(j, "errors", &errors) ||
	    !get_int(j, "alarms", &alarms) ||
	    !get_int(j, "transitions_dropped", &dropped) ||
	    read_transitions(json_object_get(j, "transitions"), &b,
	    now_mono_ms, now_real_us) != 0) {
		snprintf(err, errlen, "not a batch record: a field is missing "
		    "or wrong");
		return -1;
	}
	if (state != BATCH_IDLE && (b.started_real_us == 0 || b.nlog == 0)) {
		snprintf(err, errlen, "batch %s: %s without a start", b.id,
		    batch_state_name(state));
		return -1;
	}
	b.state = (enum batch_state)state;
	b.holds = (unsigned)holds;
	b.samples = (uint64_t)samples;
	b.errors = (uint64_t)errors;
	b.alarms = (uint64_t)alarms;
	b.log_dropped = (uint64_t)dropped;
	b.started_mono_ms = rebase(b.started_real_us, now_mono_ms, now_real_us);
	b.ended_mono_ms = rebase(b.ended_real_us, now_mono_ms, now_real_us);
	b.held_since_mono_ms = b.state == BATCH_HELD ?
	    rebase(held_since, now_mono_ms, now_real_us) : 0;
	b.last_mono_ms = b.nlog > 0 ? b.log[b.nlog - 1].mono_ms :
	    b.started_mono_ms;
	if (b.last_mono_ms > now_mono_ms)
		b.last_mono_ms = now_mono_ms;   /* a clock stepped back */
	*out = b;
	return 0;
}

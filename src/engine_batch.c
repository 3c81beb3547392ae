/*
 * engine_batch.c: the engine's batch manager (engine_batch.h).
 *
 * One mutex guards the batch in progress: executor threads take it to
 * read the tag and to count, the housekeeper to apply commands and let
 * time pass.  Nothing slow happens under it: the record is copied out and
 * written (spool, audit trail) after the lock is released, by the
 * housekeeper only, so the trail is appended from one thread.
 *
 * A command is checked twice: before its signatures (engine_batch_check,
 * on a copy, so a refused start costs nobody a password) and when it is
 * carried out (batch_apply itself), since nothing else changes the batch
 * between the two on the housekeeping thread but the tick.
 *
 * Batch ids are proposed, not typed: CONSOLE-YYYYMMDD-NN, the console id
 * cut to 12 characters of [A-Za-z0-9._-] (other characters become '-'),
 * the UTC day of the proposal, and the first NN (01..999) whose record the
 * spool does not have.  Two consoles never share a console id, so two
 * batches never share an id in the historian.
 */
#include "config.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compliance/approval.h"
#include "compliance/audit_log.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/util.h"
#include "engine_batch.h"
#include "plant/batch_record.h"

struct engine_batch {
	pthread_mutex_t lock;
	struct spool *sp;
	const struct console_key *key;
	char console[64];
	bool has;                       /* cur is running, held or stopping */
	struct batch cur;
	int64_t next_save_ms;           /* monotonic */
	/* The recent records of the spool, reloaded after every change. */
	bool recent_stale;
	struct batch_brief recent[BATCH_RECENT_MAX];
	size_t nrecent;
	char next_id[BATCH_ID_MAX];
	char next_id_day[9];            /* YYYYMMDD it was proposed for */
};

static int64_t
now_mono(void)
{
	return clock_mono_ms(clock_real());
}

static int64_t
now_real(void)
{
	return clock_real_us(clock_real());
}

int
engine_batch_approval(int ev)
{
	switch (ev) {
	case BATCH_EV_START:	return ACT_BATCH_START;
	case BATCH_EV_HOLD:	return ACT_BATCH_HOLD;
	case BATCH_EV_RESUME:	return ACT_BATCH_RESUME;
	case BATCH_EV_STOP:	return ACT_BATCH_STOP;
	default:		return ACT_BATCH_ABORT;
	}
}

static bool
is_command(int ev)
{
	return ev >= BATCH_EV_START && ev <= BATCH_EV_ABORT;
}

static void
brief_of(const struct batch *b, struct batch_brief *o)
{
	memset(o, 0, sizeof *o);
	str_copy(o->id, b->id, sizeof o->id);
	str_copy(o->recipe_id, b->recipe_id, sizeof o->recipe_id);
	str_copy(o->recipe_name, b->recipe_name, sizeof o->recipe_name);
	str_copy(o->recipe_version, b->recipe_version,
	    sizeof o->recipe_version);
	o->state = b->state;
	str_copy(o->started_by, b->started_by, sizeof o->started_by);
	o->started_us = b->started_real_us;
	o->ended_us = b->ended_real_us;
	o->samples = b->samples;
	o->errors = b->errors;
	o->alarms = b->alarms;
}

/* --- the record ---------------------------------------------------------- */

/* The record into the spool and, with audit, the trail (housekeeper). */
static void
save(struct engine_batch *eb, const struct batch *b, bool audit)
{
	json_t *j = batch_record_to_json(b, eb->console, now_real());
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;
	char err[256];

	if (text == NULL ||
	    spool_batch_put(eb->sp, b->id, batch_state_name(b->state),
	    b->started_real_us, b->ended_real_us, text) != 0)
		log_event(LOG_ERROR, "batch_record_not_saved", "{s:s,s:s}",
		    "batch", b->id, "error", text == NULL ? "json" :
		    spool_last_error(eb->sp));
	if (audit && j != NULL &&
	    audit_log_append(eb->sp, eb->key, "batch_record",
	    b->nlog > 0 ? b->log[b->nlog - 1].user : "", json_incref(j), 0,
	    err, sizeof err) < 0)
		log_event(LOG_ERROR, "audit_append_failed", "{s:s,s:s}", "kind",
		    "batch_record", "error", err);
	free(text);
	json_decref(j);
	eb->recent_stale = true;
}

static int
add_recent(void *ctx, const char *text)
{
	struct engine_batch *eb = ctx;
	json_t *j = json_loads(text, 0, NULL);
	struct batch b;
	char err[128];

	if (j != NULL && eb->nrecent < BATCH_RECENT_MAX &&
	    batch_record_from_json(j, &b, now_mono(), now_real(), err,
	    sizeof err) == 0)
		brief_of(&b, &eb->recent[eb->nrecent++]);
	json_decref(j);
	return 0;
}

static void
load_recent(struct engine_batch *eb)
{
	eb->nrecent = 0;
	if (spool_batch_each(eb->sp, false, BATCH_RECENT_MAX, add_recent,
	    eb) != 0)
		log_event(LOG_ERROR, "batch_records_unreadable", "{s:s}",
		    "error", spool_last_error(eb->sp));
	eb->recent_stale = false;
}

/* --- start and restart --------------------------------------------------- */

static int
take_active(void *ctx, const char *text)
{
	struct engine_batch *eb = ctx;
	json_t *j = json_loads(text, 0, NULL);
	struct batch b;
	char err[128] = "not JSON";

	if (j == NULL || batch_record_from_json(j, &b, now_mono(), now_real(),
	    err, sizeof err) != 0) {
		log_event(LOG_ERROR, "batch_record_unreadable", "{s:s}",
		    "error", err);
	} else if (eb->has) {
		/* Newest first: an older one still "active" is a leftover. */
		log_event(LOG_ERROR, "batch_left_active", "{s:s,s:s}", "batch",
		    b.id, "state", batch_state_name(b.state));
	} else {
		eb->cur = b;
		eb->has = true;
	}
	json_decref(j);
	return 0;
}

struct engine_batch *
engine_batch_new(struct spool *sp, const struct console_key *key,
    const char *console)
{
	struct engine_batch *eb = xcalloc(1, sizeof *eb);

	pthread_mutex_init(&eb->lock, NULL);
	eb->sp = sp;
	eb->key = key;
	str_copy(eb->console, console != NULL ? console : "",
	    sizeof eb->console);
	if (spool_batch_each(sp, true, 0, take_active, eb) != 0)
		log_event(LOG_ERROR, "batch_records_unreadable", "{s:s}",
		    "error", spool_last_error(sp));
	if (eb->has)
		log_event(LOG_INFO, "batch_resumed", "{s:s,s:s,s:I}", "batch",
		    eb->cur.id, "state", batch_state_name(eb->cur.state),
		    "run", (json_int_t)eb->cur.run);
	eb->recent_stale = true;
	return eb;
}

void
engine_batch_free(struct engine_batch *eb)
{
	if (eb == NULL)
		return;
	/* The counts since the last save. */
	if (eb->has)
		save(eb, &eb->cur, false);
	pthread_mutex_destroy(&eb->lock);
	free(eb);
}

/* --- executor threads ---------------------------------------------------- */

bool
engine_batch_tag(struct engine_batch *eb, char id[BATCH_ID_MAX])
{
	bool tag;

	if (eb == NULL)
		return false;
	pthread_mutex_lock(&eb->lock);
	tag = eb->has && batch_tags_samples(&eb->cur);
	if (tag)
		memcpy(id, eb->cur.id, BATCH_ID_MAX);
	pthread_mutex_unlock(&eb->lock);
	return tag;
}

void
engine_batch_count(struct engine_batch *eb, uint64_t samples,
    uint64_t errors)
{
	if (eb == NULL)
		return;
	pthread_mutex_lock(&eb->lock);
	if (eb->has) {
		batch_count_samples(&eb->cur, samples);
		batch_count_errors(&eb->cur, errors);
	}
	pthread_mutex_unlock(&eb->lock);
}

void
engine_batch_count_alarms(struct engine_batch *eb, uint64_t n)
{
	if (eb == NULL)
		return;
	pthread_mutex_lock(&eb->lock);
	if (eb->has)
		batch_count_alarms(&eb->cur, n);
	pthread_mutex_unlock(&eb->lock);
}

/* --- commands ------------------------------------------------------------ */

char *
engine_batch_action(const struct model *m, const struct command *c)
{
	char name[32];
	json_t *a;
	char *out;

	if (!is_command(c->batch_event))
		return NULL;
	snprintf(name, sizeof name, "batch_%s",
	    batch_event_name((enum batch_event)c->batch_event));
	a = json_pack("{s:s,s:s}", "action", name, "batch", c->object);
	if (a != NULL && c->batch_event == BATCH_EV_START) {
		if (c->recipe >= m->nrecipes) {
			json_decref(a);
			return NULL;
		}
		json_object_set_new(a, "recipe",
		    json_string(m->recipes[c->recipe].id));
		json_object_set_new(a, "recipe_version",
		    json_string(m->recipes[c->recipe].version));
	}
	out = a != NULL ? json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER) :
	    NULL;
	json_decref(a);
	return out;
}

static struct batch_cmd
cmd_of(const struct command *c, const struct maint_set *maint)
{
	struct batch_cmd bc = {
		.user = c->signer[0].user,
		.second_user = c->nsigners > 1 ? c->signer[1].user : "",
		.in_maintenance = maint != NULL &&
		    !maint_batch_start_allowed(maint, now_real(), NULL) };

	return bc;
}

/* A fresh batch of c's recipe (START); false with why. */
static bool
new_batch(const struct model *m, const struct command *c, struct batch *b,
    char *why, size_t whylen)
{
	const struct recipe *r;
	char e[128];

	if (c->recipe >= m->nrecipes) {
		snprintf(why, whylen, "%s", _("The recipe is not in the "
		    "configuration in use; nothing was started"));
		return false;
	}
	r = &m->recipes[c->recipe];
	struct batch_recipe br = { r->id, r->name, r->version, r->run_ms,
	    r->expected_ms };
	if (batch_init(b, c->object, &br, e, sizeof e) != BATCH_OK) {
		/* TRANSLATORS: batch id, the English reason. */
		snprintf(why, whylen, _("Batch %s cannot start: %s"), c->object,
		    e);
		return false;
	}
	return true;
}

/* The refusal of r, translated, for batch id. */
static void
refusal_text(enum batch_refusal r, const char *id, char *why, size_t whylen)
{
	const char *f = batch_refusal_format(r);

	if (f == NULL || f[0] == '\0')
		f = "batch %s: refused";
	snprintf(why, whylen, _(f), id);
}

bool
engine_batch_check(struct engine_batch *eb, const struct model *m,
    const struct maint_set *maint, const struct command *c, char *why,
    size_t whylen)
{
	struct batch_cmd bc = cmd_of(c, maint);
	struct batch *b = xcalloc(1, sizeof *b);
	enum batch_refusal r = BATCH_OK;
	const struct maint_window *blocking = NULL;
	char *rec = NULL;
	bool ok = false;

	if (!is_command(c->batch_event)) {
		snprintf(why, whylen, "%s", _("Not a batch command"));
		goto out;
	}
	pthread_mutex_lock(&eb->lock);
	if (eb->has)
		*b = eb->cur;
	pthread_mutex_unlock(&eb->lock);
	if (c->batch_event == BATCH_EV_START && b->id[0] != '\0') {
		refusal_text(BATCH_REFUSED_RUNNING, b->id, why, whylen);
		goto out;
	}
	if (c->batch_event == BATCH_EV_START) {
		if (!new_batch(m, c, b, why, whylen))
			goto out;
		if (spool_batch_get(eb->sp, c->object, &rec) != 0) {
			/* TRANSLATORS: batch id. */
			snprintf(why, whylen, _("Batch %s exists already; look "
			    "again: nothing was started"), c->object);
			goto out;
		}
		if (maint != NULL && !maint_batch_start_allowed(maint,
		    now_real(), &blocking)) {
			struct maint_banner bn;

			maint_banner(maint, now_real(), &bn);
			maint_refusal_text(&bn, why, whylen);
			goto out;
		}
	} else if (b->id[0] == '\0' || strcmp(b->id, c->object) != 0) {
		/* TRANSLATORS: batch id. */
		snprintf(why, whylen, _("Batch %s is not the batch in progress; "
		    "nothing was done"), c->object);
		goto out;
	}
	batch_tick(b, (struct batch_time){ now_mono(), now_real() }, NULL);
	r = batch_apply(b, (enum batch_event)c->batch_event, &bc,
	    (struct batch_time){ now_mono(), now_real() }, NULL, 0);
	if (r != BATCH_OK) {
		refusal_text(r, c->object, why, whylen);
		goto out;
	}
	ok = true;
out:
	free(rec);
	free(b);
	return ok;
}

static void
result_text(const struct batch *b, enum batch_event ev, char *buf,
    size_t len)
{
	switch (ev) {
	case BATCH_EV_START:
		/* TRANSLATORS: batch id, recipe name, recipe version. */
		snprintf(buf, len, _("Batch %s started: %s v%s"), b->id,
		    b->recipe_name, b->recipe_version);
		break;
	case BATCH_EV_HOLD:
		snprintf(buf, len, _("Batch %s held"), b->id);
		break;
	case BATCH_EV_RESUME:
		snprintf(buf, len, _("Batch %s resumed"), b->id);
		break;
	case BATCH_EV_STOP:
		/* TRANSLATORS: batch id, run number. */
		snprintf(buf, len, _("Batch %s stopping: it completes at the "
		    "end of run %lld"), b->id, (long long)b->stop_run);
		break;
	default:
		snprintf(buf, len, _("Batch %s aborted"), b->id);
		break;
	}
}

void
engine_batch_apply(struct engine_batch *eb, const struct model *m,
    const struct maint_set *maint, const struct command *c,
    int64_t audit_seq, struct state *st)
{
	struct batch_cmd bc = cmd_of(c, maint);
	struct batch *b = xcalloc(1, sizeof *b);
	struct batch_time now = { now_mono(), now_real() };
	enum batch_refusal r;
	char text[256];

	pthread_mutex_lock(&eb->lock);
	if (c->batch_event == BATCH_EV_START) {
		if (eb->has) {
			r = BATCH_REFUSED_RUNNING;
			str_copy(b->id, eb->cur.id, sizeof b->id);
		} else if (!new_batch(m, c, b, text, sizeof text)) {
			pthread_mutex_unlock(&eb->lock);
			state_set_command_result(st, false, text);
			free(b);
			return;
		} else if ((r = batch_apply(b, BATCH_EV_START, &bc, now, NULL,
		    0)) == BATCH_OK) {
			eb->cur = *b;
			eb->has = true;
		}
	} else if (!eb->has || strcmp(eb->cur.id, c->object) != 0) {
		r = BATCH_REFUSED_NOT_STARTED;
		str_copy(b->id, c->object, sizeof b->id);
	} else {
		batch_tick(&eb->cur, now, NULL);
		r = batch_apply(&eb->cur, (enum batch_event)c->batch_event,
		    &bc, now, NULL, 0);
	}
	if (r == BATCH_OK) {
		eb->cur.log[eb->cur.nlog - 1].audit_seq = audit_seq;
		*b = eb->cur;
		if (!batch_tags_samples(&eb->cur))
			eb->has = false;        /* aborted */
		eb->next_save_ms = now.mono_ms + ENGINE_BATCH_SAVE_MS;
	}
	pthread_mutex_unlock(&eb->lock);
	if (r != BATCH_OK) {
		/* Signed but not carried out: say so, the trail has both. */
		refusal_text(r, b->id, text, sizeof text);
		log_event(LOG_WARN, "batch_command_refused", "{s:s,s:s}",
		    "batch", b->id, "reason", text);
		state_set_command_result(st, false, text);
		free(b);
		return;
	}
	save(eb, b, true);
	result_text(b, (enum batch_event)c->batch_event, text, sizeof text);
	log_event(LOG_INFO, "batch_transition", "{s:s,s:s,s:s,s:I}", "batch",
	    b->id, "event", batch_event_name(c->batch_event), "state",
	    batch_state_name(b->state), "audit_seq", (json_int_t)audit_seq);
	state_set_command_result(st, true, text);
	free(b);
}

/* --- time and the view --------------------------------------------------- */

/* CONSOLE-YYYYMMDD-NN for today, the first the spool does not know. */
static void
propose_id(struct engine_batch *eb, bool again)
{
	char day[9], prefix[24], id[BATCH_ID_MAX];
	time_t t = (time_t)(now_real() / 1000000);
	struct tm tm;
	size_t n = 0;

	gmtime_r(&t, &tm);
	strftime(day, sizeof day, "%Y%m%d", &tm);
	if (strcmp(day, eb->next_id_day) == 0 && !again &&
	    eb->next_id[0] != '\0')
		return;
	for (const char *p = eb->console; *p != '\0' && n < 12; p++, n++) {
		char ch = *p;

		prefix[n] = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ?
		    ch : '-';
	}
	prefix[n] = '\0';
	if (n == 0)
		str_copy(prefix, "B", sizeof prefix);
	eb->next_id[0] = '\0';
	for (int k = 1; k <= 999; k++) {
		char *rec = NULL;
		int found;

		snprintf(id, sizeof id, "%s-%s-%02d", prefix, day, k);
		found = spool_batch_get(eb->sp, id, &rec);
		free(rec);
		if (found == 0) {
			str_copy(eb->next_id, id, sizeof eb->next_id);
			break;
		}
		if (found < 0)
			break;
	}
	str_copy(eb->next_id_day, day, sizeof eb->next_id_day);
}

static void
build_view(struct engine_batch *eb, const struct batch *b, bool has,
    const struct model *m, const struct maint_set *maint,
    struct batch_view *v)
{
	struct maint_banner bn;
	size_t k = 0;

	memset(v, 0, sizeof *v);
	v->recipe = -1;
	if (has) {
		v->has_current = true;
		brief_of(b, &v->current);
		v->recipe = model_find_recipe(m, b->recipe_id);
		batch_progress(b, now_mono(), &v->progress);
		v->stop_run = b->stop_run;
		v->holds = b->holds;
		v->allowed = batch_allowed_events(b);
	} else if (m->nrecipes > 0) {
		v->allowed = BATCH_EV_BIT(BATCH_EV_START);
	}
	if (maint != NULL && !maint_batch_start_allowed(maint, now_real(),
	    NULL)) {
		maint_banner(maint, now_real(), &bn);
		maint_refusal_text(&bn, v->start_refusal,
		    sizeof v->start_refusal);
	}
	str_copy(v->next_id, eb->next_id, sizeof v->next_id);
	if (has)
		v->recent[k++] = v->current;
	for (size_t i = 0; i < eb->nrecent && k < BATCH_RECENT_MAX; i++)
		if (!has || strcmp(eb->recent[i].id, b->id) != 0)
			v->recent[k++] = eb->recent[i];
	v->nrecent = k;
}

void
engine_batch_tick(struct engine_batch *eb, const struct model *m,
    const struct maint_set *maint, struct state *st)
{
	struct batch_time now = { now_mono(), now_real() };
	struct batch *b = xcalloc(1, sizeof *b);
	struct batch_view *v = xcalloc(1, sizeof *v);
	bool completed = false, due = false, has;

	pthread_mutex_lock(&eb->lock);
	if (eb->has) {
		batch_tick(&eb->cur, now, &completed);
		if (completed)
			eb->has = false;
		due = completed || now.mono_ms >= eb->next_save_ms;
		if (due)
			eb->next_save_ms = now.mono_ms + ENGINE_BATCH_SAVE_MS;
	}
	has = eb->has;
	*b = eb->cur;
	pthread_mutex_unlock(&eb->lock);

	if (completed) {
		char err[256];

		if (audit_log_append(eb->sp, eb->key, "batch_completed", "",
		    json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "batch", b->id,
		    "recipe", b->recipe_id, "runs", (json_int_t)b->stop_run,
		    "samples", (json_int_t)b->samples, "errors",
		    (json_int_t)b->errors, "alarms", (json_int_t)b->alarms),
		    b->ended_real_us, err, sizeof err) < 0)
			log_event(LOG_ERROR, "audit_append_failed", "{s:s,s:s}",
			    "kind", "batch_completed", "error", err);
		log_event(LOG_INFO, "batch_completed", "{s:s,s:I}", "batch",
		    b->id, "runs", (json_int_t)b->stop_run);
	}
	if (due)
		save(eb, b, completed);
	due = eb->recent_stale;         /* a record changed */
	if (due)
		load_recent(eb);
	propose_id(eb, due);
	build_view(eb, b, has, m, maint, v);
	state_set_batch(st, v);
	free(v);
	free(b);
}

/*
 * alarm_board.c: the alarms of one configuration (see alarm_board.h).
 *
 * A flat array of entries, made once from the model: first the points'
 * (one per configured limit, HH before H before L before LL), then two
 * per device (COMM, HARD_ERROR), then the system's.  Each point and device
 * knows where its entries start, so a feed touches only its own.  The
 * state machine of each entry is alarm.c's; this file adds the naming,
 * the record of who acknowledged, the values that raised an alarm and the
 * publishing.  A reload makes a new board: alarms start over (normal)
 * with the new limits, as in most control systems after a download.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/util.h"
#include "plant/alarm_board.h"

enum entry_kind { ENTRY_POINT, ENTRY_DEVICE, ENTRY_SYSTEM };

struct entry {
	struct alarm a;
	enum entry_kind kind;
	size_t index;                   /* point, device or system_alarm */
	char key[ALARM_KEY_MAX];
	char source[ALARM_SOURCE_MAX];
	char name[128];
	char unit[16];
	bool has_value;
	double value, limit;
	int64_t activated_us, cleared_us, acked_us;
	char acked_by[33];
	uint64_t act_seq;               /* the board's count at its activation */
};

struct alarm_board {
	pthread_mutex_t lock;
	const struct model *m;
	struct entry *e;
	size_t n;
	size_t *point_first, *point_count;      /* [npoints] */
	size_t device_first;                    /* + 2 * device */
	size_t system_first;
	uint64_t activations;
	bool dirty;
	struct alarm_change_rec *pending;       /* ring [ALARM_PENDING_MAX] */
	size_t phead, plen;
	uint64_t plost;
};

static const char *const system_keys[SYSALARM_COUNT_] = {
	[SYSALARM_HISTORIAN_BACKLOG] = "historian_backlog",
	[SYSALARM_INFERENCE_DOWN] = "inference_down",
	[SYSALARM_DISK_LOW] = "disk_low",
};

/* English in records and filters; the UI shows them translated. */
static const char *const system_names[SYSALARM_COUNT_] = {
	[SYSALARM_HISTORIAN_BACKLOG] = N_("Historian backlog too old"),
	[SYSALARM_INFERENCE_DOWN] = N_("Inference host down"),
	[SYSALARM_DISK_LOW] = N_("Spool disk space low"),
};

static struct entry *
add_entry(struct alarm_board *b, enum entry_kind kind, size_t index,
    enum alarm_level level, const char *source, const char *name)
{
	struct entry *x = &b->e[b->n++];

	memset(x, 0, sizeof *x);
	alarm_init(&x->a, level);
	x->kind = kind;
	x->index = index;
	snprintf(x->key, sizeof x->key, "%s/%s", source,
	    alarm_level_name(level));
	str_copy(x->source, source, sizeof x->source);
	str_copy(x->name, name, sizeof x->name);
	return x;
}

/* Carry an alarm of the previous board over (lock of prev not needed:
 * only the housekeeper, which is reloading, could change it now). */
static void
carry_over(struct alarm_board *b, const struct alarm_board *prev)
{
	for (size_t i = 0; i < b->n; i++) {
		struct entry *x = &b->e[i];

		for (size_t k = 0; k < prev->n; k++) {
			const struct entry *o = &prev->e[k];

			if (strcmp(o->key, x->key) != 0)
				continue;
			x->a = o->a;
			x->has_value = o->has_value;
			x->value = o->value;
			x->activated_us = o->activated_us;
			x->cleared_us = o->cleared_us;
			x->acked_us = o->acked_us;
			str_copy(x->acked_by, o->acked_by, sizeof x->acked_by);
			x->act_seq = o->act_seq;
			break;
		}
	}
	b->activations = prev->activations;
	b->dirty = true;
}

struct alarm_board *
alarm_board_new(const struct model *m, const struct alarm_board *prev)
{
	struct alarm_board *b = xcalloc(1, sizeof *b);
	size_t cap = 4 * m->npoints + 2 * m->ndevices + SYSALARM_COUNT_ + 1;

	pthread_mutex_init(&b->lock, NULL);
	b->m = m;
	b->e = xcalloc(cap, sizeof *b->e);
	b->pending = xcalloc(ALARM_PENDING_MAX, sizeof *b->pending);
	b->point_first = xcalloc(m->npoints + 1, sizeof *b->point_first);
	b->point_count = xcalloc(m->npoints + 1, sizeof *b->point_count);
	for (size_t i = 0; i < m->npoints; i++) {
		const struct point *p = &m->points[i];
		const struct alarm_limits *l = &p->alarms;
		const bool has[4] = { l->has_hh, l->has_h, l->has_l, l->has_ll };
		const double lim[4] = { l->hh, l->h, l->l, l->ll };

		b->point_first[i] = b->n;
		if (!p->has_alarms)
			continue;
		for (int k = 0; k < 4; k++) {
			struct entry *x;

			if (!has[k])
				continue;
			x = add_entry(b, ENTRY_POINT, i, (enum alarm_level)k,
			    p->id, p->name[0] ? p->name : p->id);
			str_copy(x->unit, p->unit, sizeof x->unit);
			x->limit = lim[k];
			b->point_count[i]++;
		}
	}
	b->device_first = b->n;
	for (size_t d = 0; d < m->ndevices; d++) {
		const struct device *dv = &m->devices[d];
		const char *name = dv->name[0] ? dv->name : dv->id;

		add_entry(b, ENTRY_DEVICE, d, ALARM_COMM, dv->id, name);
		add_entry(b, ENTRY_DEVICE, d, ALARM_HARD_ERROR, dv->id, name);
	}
	b->system_first = b->n;
	for (int s = 0; s < SYSALARM_COUNT_; s++) {
		struct entry *x = add_entry(b, ENTRY_SYSTEM, (size_t)s,
		    ALARM_SYSTEM, "system", system_names[s]);

		snprintf(x->key, sizeof x->key, "system/%s", system_keys[s]);
	}
	if (prev != NULL)
		carry_over(b, prev);
	return b;
}

void
alarm_board_free(struct alarm_board *b)
{
	if (b == NULL)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b->e);
	free(b->pending);
	free(b->point_first);
	free(b->point_count);
	free(b);
}

/* The record of a change of x (lock held), and the entry's own times. */
static void
note(struct alarm_board *b, struct entry *x, enum alarm_state from,
    const char *what, const char *user, int64_t now_us,
    struct alarm_change_rec *out)
{
	if (strcmp(what, "activated") == 0) {
		x->activated_us = now_us;
		x->cleared_us = 0;
		x->acked_us = 0;
		x->acked_by[0] = '\0';
		x->act_seq = ++b->activations;
	} else if (strcmp(what, "cleared") == 0) {
		x->cleared_us = now_us;
	} else {
		x->acked_us = now_us;
	}
	b->dirty = true;
	memset(out, 0, sizeof *out);
	str_copy(out->key, x->key, sizeof out->key);
	str_copy(out->source, x->source, sizeof out->source);
	out->level = x->a.level;
	out->from = from;
	out->to = x->a.state;
	out->what = what;
	out->priority = x->a.priority;
	out->has_value = x->has_value;
	out->value = x->value;
	out->limit = x->limit;
	out->ts_us = now_us;
	str_copy(out->user, user, sizeof out->user);
	if (b->plen == ALARM_PENDING_MAX) {
		b->plost++;
		return;
	}
	b->pending[(b->phead + b->plen++) % ALARM_PENDING_MAX] = *out;
}

size_t
alarm_board_peek_changes(struct alarm_board *b, struct alarm_change_rec *out,
    size_t max, uint64_t *lost)
{
	size_t n = 0;

	pthread_mutex_lock(&b->lock);
	for (; n < max && n < b->plen; n++)
		out[n] = b->pending[(b->phead + n) % ALARM_PENDING_MAX];
	if (lost != NULL)
		*lost = b->plost;
	b->plost = 0;
	pthread_mutex_unlock(&b->lock);
	return n;
}

void
alarm_board_drop_changes(struct alarm_board *b, size_t n)
{
	pthread_mutex_lock(&b->lock);
	if (n > b->plen)
		n = b->plen;
	b->phead = (b->phead + n) % ALARM_PENDING_MAX;
	b->plen -= n;
	pthread_mutex_unlock(&b->lock);
}

static const char *
change_name(enum alarm_change c)
{
	return c == ALARM_ACTIVATED ? "activated" : "cleared";
}

size_t
alarm_board_feed_point(struct alarm_board *b, size_t point, double value,
    bool good, int64_t now_ms, int64_t now_us, struct alarm_change_rec *out)
{
	const struct point *p;
	size_t n = 0;

	if (point >= b->m->npoints)
		return 0;
	p = &b->m->points[point];
	pthread_mutex_lock(&b->lock);
	for (size_t k = 0; k < b->point_count[point]; k++) {
		struct entry *x = &b->e[b->point_first[point] + k];
		enum alarm_state from = x->a.state;
		bool was_flapping = x->a.flapping;
		enum alarm_change c = alarm_feed_value(&x->a, &p->alarms,
		    value, good, now_ms);

		if (c == ALARM_ACTIVATED) {
			x->has_value = true;
			x->value = value;
		}
		if (x->a.flapping != was_flapping)
			b->dirty = true;
		if (c != ALARM_NO_CHANGE && n < ALARM_CHANGES_MAX)
			note(b, x, from, change_name(c), "", now_us, &out[n++]);
	}
	pthread_mutex_unlock(&b->lock);
	return n;
}

static size_t
feed_entry(struct alarm_board *b, struct entry *x, bool cond, int64_t now_ms,
    int64_t now_us, struct alarm_change_rec *out)
{
	enum alarm_state from = x->a.state;
	enum alarm_change c = alarm_feed_condition(&x->a, cond, 0, now_ms);

	if (c == ALARM_NO_CHANGE)
		return 0;
	note(b, x, from, change_name(c), "", now_us, out);
	return 1;
}

size_t
alarm_board_feed_device(struct alarm_board *b, size_t device,
    enum alarm_level level, bool condition, int64_t now_ms, int64_t now_us,
    struct alarm_change_rec *out)
{
	size_t n, at = b->device_first + 2 * device +
	    (level == ALARM_HARD_ERROR ? 1 : 0);

	if (device >= b->m->ndevices ||
	    (level != ALARM_COMM && level != ALARM_HARD_ERROR))
		return 0;
	pthread_mutex_lock(&b->lock);
	n = feed_entry(b, &b->e[at], condition, now_ms, now_us, out);
	pthread_mutex_unlock(&b->lock);
	return n;
}

size_t
alarm_board_feed_system(struct alarm_board *b, enum system_alarm s,
    bool condition, int64_t now_ms, int64_t now_us,
    struct alarm_change_rec *out)
{
	size_t n;

	if ((int)s < 0 || s >= SYSALARM_COUNT_)
		return 0;
	pthread_mutex_lock(&b->lock);
	n = feed_entry(b, &b->e[b->system_first + (size_t)s], condition,
	    now_ms, now_us, out);
	pthread_mutex_unlock(&b->lock);
	return n;
}

static bool
matches(const struct entry *x, const char *filter)
{
	return filter == NULL || filter[0] == '\0' ||
	    strcasestr(x->key, filter) != NULL ||
	    strcasestr(x->name, filter) != NULL;
}

size_t
alarm_board_ack(struct alarm_board *b, const char *key, const char *filter,
    const char *user, uint64_t seen, int64_t now_ms, int64_t now_us,
    bool *more)
{
	struct alarm_change_rec rec;
	size_t n = 0;

	*more = false;
	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < b->n; i++) {
		struct entry *x = &b->e[i];
		enum alarm_state from = x->a.state;

		if (key != NULL && key[0] != '\0' ? strcmp(x->key, key) != 0 :
		    !matches(x, filter))
			continue;
		if (!alarm_is_unacked(&x->a) || x->act_seq > seen)
			continue;       /* nothing to do, or not seen yet */
		if (b->plen == ALARM_PENDING_MAX) {
			*more = true;   /* no room for its record: next call */
			break;
		}
		if (alarm_ack(&x->a, now_ms) != ALARM_ACK_DONE)
			continue;
		str_copy(x->acked_by, user, sizeof x->acked_by);
		note(b, x, from, "acked", user, now_us, &rec);
		n++;
	}
	pthread_mutex_unlock(&b->lock);
	return n;
}

bool
alarm_board_dirty(struct alarm_board *b)
{
	bool d;

	pthread_mutex_lock(&b->lock);
	d = b->dirty;
	pthread_mutex_unlock(&b->lock);
	return d;
}

static int
cmp_rows(const void *pa, const void *pb)
{
	const struct entry *a = *(const struct entry *const *)pa;
	const struct entry *b = *(const struct entry *const *)pb;
	int c = alarm_display_cmp(&a->a, &b->a);

	if (c != 0)
		return c;
	return a < b ? -1 : a > b;      /* configuration order */
}

struct alarm_view *
alarm_board_publish(struct alarm_board *b)
{
	struct entry **shown;
	struct alarm_view *v;
	size_t n = 0;

	pthread_mutex_lock(&b->lock);
	shown = xcalloc(b->n + 1, sizeof *shown);
	for (size_t i = 0; i < b->n; i++)
		if (alarm_is_shown(&b->e[i].a))
			shown[n++] = &b->e[i];
	qsort(shown, n, sizeof *shown, cmp_rows);
	v = alarm_view_new(n);
	for (size_t i = 0; i < n; i++) {
		const struct entry *x = shown[i];
		struct alarm_row *r = &v->rows[i];

		str_copy(r->key, x->key, sizeof r->key);
		str_copy(r->source, x->source, sizeof r->source);
		str_copy(r->name, x->name, sizeof r->name);
		str_copy(r->unit, x->unit, sizeof r->unit);
		r->level = (int)x->a.level;
		r->state = (int)x->a.state;
		r->priority = x->a.priority;
		r->flapping = x->a.flapping;
		r->has_value = x->has_value;
		r->value = x->value;
		r->limit = x->limit;
		r->activated_us = x->activated_us;
		r->cleared_us = x->cleared_us;
		r->acked_us = x->acked_us;
		str_copy(r->acked_by, x->acked_by, sizeof r->acked_by);
		if (alarm_is_unacked(&x->a))
			v->unacked++;
		if (alarm_is_active(&x->a))
			v->active++;
	}
	v->activations = b->activations;
	b->dirty = false;
	pthread_mutex_unlock(&b->lock);
	free(shown);
	return v;
}

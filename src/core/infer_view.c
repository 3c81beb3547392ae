/*
 * infer_view.c: the inference view's reference counting and updates.
 *
 * The client builds a new view from the previous one for every change
 * (copy on write), so a published view is never modified and a snapshot
 * may hold it as long as it likes.  A copy is about 60 KB (the series'
 * histories) and happens once per spectrum: every two seconds in the demo.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/infer_view.h"
#include "core/util.h"

struct infer_view *
infer_view_new(const struct infer_view *prev)
{
	struct infer_view *v = xmalloc(sizeof *v);

	if (prev != NULL) {
		/* All but the reference count, which other threads change. */
		size_t skip = offsetof(struct infer_view, spectrum_id);

		memcpy((char *)v + skip, (const char *)prev + skip,
		    sizeof *v - skip);
		if (prev->npixels > 0) {
			v->pixels = xmalloc(prev->npixels * sizeof *v->pixels);
			memcpy(v->pixels, prev->pixels,
			    prev->npixels * sizeof *v->pixels);
		}
	} else {
		memset(v, 0, sizeof *v);
	}
	atomic_init(&v->refs, 1);
	return v;
}

void
infer_view_set_spectrum(struct infer_view *v, const char *id, int64_t ts_us,
    const float *pixels, size_t n)
{
	free(v->pixels);
	v->pixels = n > 0 ? xmalloc(n * sizeof *v->pixels) : NULL;
	if (n > 0)
		memcpy(v->pixels, pixels, n * sizeof *v->pixels);
	v->npixels = n;
	str_copy(v->spectrum_id, id, sizeof v->spectrum_id);
	v->spectrum_ts_us = ts_us;
	v->predicted = false;
	v->spectrum_error[0] = '\0';
}

static struct infer_series *
find_series(struct infer_view *v, const char *name)
{
	for (size_t i = 0; i < v->nseries; i++)
		if (strcmp(v->series[i].name, name) == 0)
			return &v->series[i];
	if (v->nseries >= INFER_VIEW_OUTPUTS)
		return NULL;
	memset(&v->series[v->nseries], 0, sizeof v->series[0]);
	str_copy(v->series[v->nseries].name, name, sizeof v->series[0].name);
	return &v->series[v->nseries++];
}

void
infer_view_add(struct infer_view *v, const char *name, const char *unit,
    const char *point_id, int64_t ts_us, double value)
{
	struct infer_series *s = find_series(v, name);

	if (s == NULL)
		return;
	str_copy(s->unit, unit, sizeof s->unit);
	str_copy(s->point_id, point_id, sizeof s->point_id);
	if (s->n == INFER_VIEW_HISTORY) {
		memmove(s->ts_us, s->ts_us + 1, (s->n - 1) * sizeof *s->ts_us);
		memmove(s->value, s->value + 1, (s->n - 1) * sizeof *s->value);
		s->n--;
	}
	s->ts_us[s->n] = ts_us;
	s->value[s->n] = value;
	s->n++;
}

void
infer_view_acquire(const struct infer_view *v)
{
	if (v != NULL)
		atomic_fetch_add(&((struct infer_view *)v)->refs, 1);
}

void
infer_view_release(const struct infer_view *v)
{
	struct infer_view *w = (struct infer_view *)v;

	if (w == NULL || atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	free(w->pixels);
	free(w);
}

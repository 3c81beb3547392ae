/*
 * scheduler.c: fires the model's periodic events on the monotonic clock.
 *
 * At start every event gets its first due time: the next multiple of its
 * period plus its phase.  The scheduler thread sleeps until the earliest due
 * event, then, for each device the event names, submits one read task with
 * that device's points of the event, and one task per spectrum it names.  Two guards keep the executor from
 * drowning when it cannot keep up:
 *   - coalescing: if the task submitted at the previous tick for the same
 *     (event, device) still waits in the queue, no second one is queued;
 *     the tick is counted as coalesced;
 *   - missed ticks: if the thread wakes more than a whole period late (the
 *     machine was suspended, the process was stopped), the ticks in between
 *     are counted as missed, not replayed.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "collect/readplan.h"
#include "collect/scheduler.h"
#include "core/log.h"
#include "core/util.h"

struct device_group {
	size_t device;
	size_t *points;
	size_t npoints;
	uint64_t last_task;
};

struct event_run {
	const struct periodic_event *ev;
	int64_t due_ms;
	struct device_group *groups;
	size_t ngroups;
	uint64_t *spectrum_task;        /* [ev->nspectra]: last submitted */
};

struct scheduler {
	const struct model *m;
	struct executor *ex;
	struct clock *clk;
	struct event_run *events;
	size_t nevents;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	struct scheduler_stats stats;
};

/* Split an event's points by device, keeping the configured order. */
static void
group_event(const struct model *m, struct event_run *er)
{
	const struct periodic_event *ev = er->ev;

	er->groups = xcalloc(ev->npoints + 1, sizeof *er->groups);
	for (size_t i = 0; i < ev->npoints; i++) {
		size_t dev = m->points[ev->points[i]].device;
		struct device_group *g = NULL;

		for (size_t j = 0; j < er->ngroups; j++)
			if (er->groups[j].device == dev)
				g = &er->groups[j];
		if (g == NULL) {
			g = &er->groups[er->ngroups++];
			g->device = dev;
			g->points = xcalloc(ev->npoints, sizeof *g->points);
		}
		g->points[g->npoints++] = ev->points[i];
	}
	/* Sorted once here, so the executor's read plan need not sort. */
	for (size_t j = 0; j < er->ngroups; j++)
		readplan_sort(m, er->groups[j].points, er->groups[j].npoints);
}

static void
fire_event(struct scheduler *s, struct event_run *er)
{
	for (size_t i = 0; i < er->ngroups; i++) {
		struct device_group *g = &er->groups[i];

		if (g->last_task != 0 &&
		    executor_task_queued(s->ex, g->device, g->last_task)) {
			pthread_mutex_lock(&s->lock);
			s->stats.coalesced++;
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		g->last_task = executor_submit_read(s->ex, g->device,
		    g->points, g->npoints);
	}
	for (size_t i = 0; i < er->ev->nspectra; i++) {
		size_t sp = er->ev->spectra[i];
		size_t dev = s->m->spectra[sp].device;

		if (er->spectrum_task[i] != 0 && executor_task_queued(s->ex,
		    dev, er->spectrum_task[i])) {
			pthread_mutex_lock(&s->lock);
			s->stats.coalesced++;
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		er->spectrum_task[i] = executor_submit_spectrum(s->ex, dev, sp);
	}
}

/* Advance er past now; count whole periods skipped.  Lock held. */
static void
advance_due(struct scheduler *s, struct event_run *er, int64_t now)
{
	int64_t period = er->ev->period_ms;

	er->due_ms += period;
	if (er->due_ms <= now) {
		int64_t skipped = (now - er->due_ms) / period + 1;

		s->stats.missed += (uint64_t)skipped;
		er->due_ms += skipped * period;
		log_event(LOG_WARN, "ticks_missed", "{s:s,s:I}",
		    "event", er->ev->id, "count", (json_int_t)skipped);
	}
}

static void *
scheduler_main(void *arg)
{
	struct scheduler *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int64_t now = clock_mono_ms(s->clk);
		int64_t next = -1;

		for (size_t i = 0; i < s->nevents; i++) {
			struct event_run *er = &s->events[i];

			if (er->due_ms <= now) {
				s->stats.ticks++;
				pthread_mutex_unlock(&s->lock);
				fire_event(s, er);
				pthread_mutex_lock(&s->lock);
				advance_due(s, er, now);
			}
			if (next < 0 || er->due_ms < next)
				next = er->due_ms;
		}
		if (!s->stopping)
			clock_timedwait(s->clk, &s->wake, &s->lock, next);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct scheduler *
scheduler_start(const struct model *m, struct executor *ex, struct clock *clk)
{
	struct scheduler *s = xcalloc(1, sizeof *s);
	int64_t now = clock_mono_ms(clk);
	sigset_t all, old;

	s->m = m;
	s->ex = ex;
	s->clk = clk;
	s->nevents = m->nevents;
	s->events = xcalloc(m->nevents + 1, sizeof *s->events);
	for (size_t i = 0; i < m->nevents; i++) {
		struct event_run *er = &s->events[i];
		int64_t period = m->events[i].period_ms;

		er->ev = &m->events[i];
		er->due_ms = (now / period + 1) * period + er->ev->phase_ms;
		group_event(m, er);
		er->spectrum_task = xcalloc(er->ev->nspectra + 1,
		    sizeof *er->spectrum_task);
	}
	pthread_mutex_init(&s->lock, NULL);
	clock_cond_init(&s->wake);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&s->thread, NULL, scheduler_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return s;
}

void
scheduler_get_stats(struct scheduler *s, struct scheduler_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}

void
scheduler_stop(struct scheduler *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->nevents; i++) {
		for (size_t j = 0; j < s->events[i].ngroups; j++)
			free(s->events[i].groups[j].points);
		free(s->events[i].groups);
		free(s->events[i].spectrum_task);
	}
	free(s->events);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

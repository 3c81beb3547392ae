/*
 * health.c: rolling latency percentiles and the link-state rule.
 *
 * The state of the inference link, checked in this order (first match):
 *
 *   condition                                              state
 *   -----------------------------------------------------  --------
 *   no good heartbeat yet, started < heartbeat + timeout   UNKNOWN
 *     ago (the first answer may still come)
 *   last good heartbeat (or the start, if none) more       DOWN
 *     than 2 * (heartbeat + timeout) ago: two heartbeats
 *     in a row unanswered (each may wait a timeout behind
 *     a predict, and takes one itself when unanswered)
 *   no good heartbeat yet                                  DOWN
 *   a problem (timeout, malformed/mismatched reply,        DEGRADED
 *     error reply) less than INFER_DEGRADED_HOLD
 *     heartbeats ago
 *   p95 above the target over >= INFER_P95_MIN_SAMPLES     DEGRADED
 *     round trips
 *   otherwise                                              UP
 *
 * So one lost heartbeat makes the link degraded, the second one down, and
 * a link that comes back is degraded for a while before it counts as up:
 * an operator sees that something happened even when it was short.
 *
 * Percentiles are nearest-rank over a copy of the window, sorted: the
 * window is at most latency_window (default 1,000) round trips and the
 * client computes them once per publish, not per request.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "inference/health.h"

void
latency_init(struct latency_window *w, size_t cap)
{
	memset(w, 0, sizeof *w);
	w->cap = cap > 0 ? cap : 1;
	w->ms = xcalloc(w->cap, sizeof *w->ms);
	w->sorted = xcalloc(w->cap, sizeof *w->sorted);
}

void
latency_free(struct latency_window *w)
{
	free(w->ms);
	free(w->sorted);
	memset(w, 0, sizeof *w);
}

void
latency_add(struct latency_window *w, double ms)
{
	w->ms[w->next] = ms;
	w->next = (w->next + 1) % w->cap;
	if (w->n < w->cap)
		w->n++;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p% of values <= it. */
static double
rank(const double *sorted, size_t n, double p)
{
	size_t k = (size_t)((p / 100.0) * (double)n + 0.999999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return sorted[k - 1];
}

void
latency_percentiles(const struct latency_window *w, double *p50,
    double *p95, double *p99, double *max)
{
	*p50 = *p95 = *p99 = *max = 0.0;
	if (w->n == 0)
		return;
	memcpy(w->sorted, w->ms, w->n * sizeof *w->sorted);
	qsort(w->sorted, w->n, sizeof *w->sorted, cmp_double);
	*p50 = rank(w->sorted, w->n, 50.0);
	*p95 = rank(w->sorted, w->n, 95.0);
	*p99 = rank(w->sorted, w->n, 99.0);
	*max = w->sorted[w->n - 1];
}

enum link_state
infer_health(const struct infer_health_input *in)
{
	int64_t since = in->last_good_heartbeat_ms > 0 ?
	    in->last_good_heartbeat_ms : in->started_ms;

	if (in->last_good_heartbeat_ms == 0 &&
	    in->now_ms - in->started_ms < in->heartbeat_ms + in->timeout_ms)
		return LINK_UNKNOWN;
	if (in->now_ms - since > 2 * (in->heartbeat_ms + in->timeout_ms))
		return LINK_DOWN;
	if (in->last_good_heartbeat_ms == 0)
		return LINK_DOWN;
	if (in->last_problem_ms > 0 && in->now_ms - in->last_problem_ms <
	    INFER_DEGRADED_HOLD * in->heartbeat_ms)
		return LINK_DEGRADED;
	if (in->latency_n >= INFER_P95_MIN_SAMPLES &&
	    in->p95_ms > in->target_p95_ms)
		return LINK_DEGRADED;
	return LINK_UP;
}

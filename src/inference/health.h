/*
 * health.h: how well the inference link is doing, as data.
 *
 * Two small pure parts the client (client.c) feeds and reads:
 *
 *   struct latency_window  the round trips of the last N predicts (a
 *                          ring), and their nearest-rank percentiles;
 *   infer_health()         the link state from the times of the last good
 *                          heartbeat and of the last problem, and from p95.
 *
 * Times are the caller's monotonic milliseconds, so the unit tests drive
 * the rule with made-up times; no clock, no I/O here.
 */
#ifndef JOPE_INFER_HEALTH_H
#define JOPE_INFER_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/state.h"

struct latency_window {
	double *ms;             /* [cap] ring of round trips */
	double *sorted;         /* [cap] scratch for the percentiles */
	size_t cap, n, next;
};

void latency_init(struct latency_window *w, size_t cap);
void latency_free(struct latency_window *w);
void latency_add(struct latency_window *w, double ms);
/*
 * Nearest-rank percentiles of the round trips in the window (0 when it is
 * empty): p50, p95, p99 and the largest.
 */
void latency_percentiles(const struct latency_window *w, double *p50,
    double *p95, double *p99, double *max);

struct infer_health_input {
	int64_t now_ms;
	int64_t started_ms;             /* the client's start */
	int64_t last_good_heartbeat_ms; /* 0: none yet */
	int64_t last_problem_ms;        /* timeout, rejected or error reply;
	                                   0: none */
	int64_t heartbeat_ms, timeout_ms;
	double p95_ms;                  /* of the latency window */
	size_t latency_n;               /* round trips in it */
	double target_p95_ms;
};

/* Problems this recent (in heartbeat intervals) keep the link degraded. */
#define INFER_DEGRADED_HOLD 5
/* A p95 counts only over at least this many round trips. */
#define INFER_P95_MIN_SAMPLES 5

/*
 * The link state (table in health.c): LINK_UNKNOWN before the first
 * heartbeat could have been answered, LINK_DOWN when two heartbeats in a
 * row went unanswered (none good for 2 * (heartbeat + timeout)), LINK_DEGRADED after a recent problem or with p95
 * above the target, LINK_UP otherwise.
 */
enum link_state infer_health(const struct infer_health_input *in);

#endif

/*
 * scheduler.h: turns the model's periodic events into executor tasks.
 *
 * One thread keeps the next due time of every periodic event on the
 * monotonic clock.  When an event is due it submits one read task per device
 * for the event's points.  A tick that finds the previous task for the same
 * device and event still queued is coalesced (not queued twice) and counted;
 * ticks missed while the machine slept are counted, not replayed.
 */
#ifndef JOPE_SCHEDULER_H
#define JOPE_SCHEDULER_H

#include <stdint.h>

#include "collect/executor.h"
#include "config/model.h"
#include "core/clock.h"

struct scheduler;

struct scheduler_stats {
	uint64_t ticks;         /* events fired */
	uint64_t coalesced;     /* ticks not queued: same task still waiting */
	uint64_t missed;        /* ticks skipped because we were late */
};

struct scheduler *scheduler_start(const struct model *m, struct executor *ex,
    struct clock *clk);
void scheduler_get_stats(struct scheduler *s, struct scheduler_stats *out);
void scheduler_stop(struct scheduler *s);

#endif

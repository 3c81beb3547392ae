/*
 * clock.c: the real clock and a virtual clock for tests.
 *
 * The real clock reads CLOCK_MONOTONIC for scheduling and CLOCK_REALTIME for
 * record timestamps, and waits with pthread_cond_timedwait on condition
 * variables created with CLOCK_MONOTONIC (clock_cond_init), so that a jump of
 * the wall clock never stretches a keep-alive or a guard interval.
 *
 * The virtual clock only moves when a test calls clock_virtual_advance.  Its
 * timed wait sleeps in short real slices and re-checks the virtual time, so a
 * worker waiting for a 20 s guard wakes within a millisecond of the test
 * advancing past it, without any registry of waiters.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/util.h"

struct clock {
	bool is_virtual;
	_Atomic int64_t mono_ms;
	_Atomic int64_t real_us;
};

static struct clock real_clock = { .is_virtual = false };

struct clock *
clock_real(void)
{
	return &real_clock;
}

struct clock *
clock_virtual_new(int64_t mono_ms, int64_t real_us)
{
	struct clock *c = xcalloc(1, sizeof *c);

	c->is_virtual = true;
	atomic_store(&c->mono_ms, mono_ms);
	atomic_store(&c->real_us, real_us);
	return c;
}

void
clock_virtual_advance(struct clock *c, int64_t ms)
{
	atomic_fetch_add(&c->mono_ms, ms);
	atomic_fetch_add(&c->real_us, ms * 1000);
}

void
clock_virtual_free(struct clock *c)
{
	if (c != NULL && c->is_virtual)
		free(c);
}

static int64_t
timespec_ms(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

int64_t
clock_mono_ms(struct clock *c)
{
	struct timespec ts;

	if (c->is_virtual)
		return atomic_load(&c->mono_ms);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_ms(&ts);
}

int64_t
clock_real_us(struct clock *c)
{
	struct timespec ts;

	if (c->is_virtual)
		return atomic_load(&c->real_us);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
clock_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

static void
deadline_timespec(int64_t deadline_ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(deadline_ms / 1000);
	ts->tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
}

int
clock_timedwait(struct clock *c, pthread_cond_t *cond, pthread_mutex_t *mutex,
    int64_t deadline_ms)
{
	struct timespec ts;
	int rc;

	if (!c->is_virtual) {
		if (deadline_ms < 0)
			return pthread_cond_wait(cond, mutex);
		deadline_timespec(deadline_ms, &ts);
		rc = pthread_cond_timedwait(cond, mutex, &ts);
		return rc == ETIMEDOUT ? ETIMEDOUT : 0;
	}

	if (deadline_ms >= 0 && clock_mono_ms(c) >= deadline_ms)
		return ETIMEDOUT;
	/* One real millisecond, then report a (spurious) wake-up. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline_timespec(timespec_ms(&ts) + 1, &ts);
	pthread_cond_timedwait(cond, mutex, &ts);
	if (deadline_ms >= 0 && clock_mono_ms(c) >= deadline_ms)
		return ETIMEDOUT;
	return 0;
}

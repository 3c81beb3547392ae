/*
 * clock.h: the one way the engine reads time and waits for it.
 *
 * Scheduling uses a monotonic clock in milliseconds; records carry real time
 * in microseconds since the Unix epoch.  Both go through this interface so
 * that tests can drive the 10 s keep-alive, 20 s guard and 5 min HardError
 * windows with a virtual clock that advances in milliseconds of real time.
 */
#ifndef JOPE_CLOCK_H
#define JOPE_CLOCK_H

#include <pthread.h>
#include <stdint.h>

struct clock;

/* The process-wide real clock (CLOCK_MONOTONIC / CLOCK_REALTIME). */
struct clock *clock_real(void);

/* A virtual clock starting at mono_ms / real_us; advance it by hand. */
struct clock *clock_virtual_new(int64_t mono_ms, int64_t real_us);
void clock_virtual_advance(struct clock *c, int64_t ms);
void clock_virtual_free(struct clock *c);

int64_t clock_mono_ms(struct clock *c);
int64_t clock_real_us(struct clock *c);

/*
 * Wait on cond (mutex held) until signalled or until the monotonic deadline
 * of this clock passes.  Returns 0 when woken (possibly spuriously) and
 * ETIMEDOUT when the deadline has passed.  deadline_ms < 0 waits forever.
 */
int clock_timedwait(struct clock *c, pthread_cond_t *cond,
    pthread_mutex_t *mutex, int64_t deadline_ms);

/* Initialise a condition variable that clock_timedwait can use. */
void clock_cond_init(pthread_cond_t *cond);

#endif

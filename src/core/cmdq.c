/*
 * cmdq.c: a bounded FIFO of commands from the UI thread to the engine.
 *
 * A fixed ring under a mutex: push never waits (a full queue is refused and
 * the UI says so), pop waits on a monotonic condition variable with a
 * timeout so the engine's housekeeping thread can do its other rounds.
 * Commands are copied by value; the passwords of a signed command are
 * pointers to sodium_malloc'ed memory and move with the copy, so the ring
 * never holds a second copy of a password, and cmdq_free wipes those of
 * commands nobody popped.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/cmdq.h"
#include "core/util.h"

#define CMDQ_SIZE 64

struct cmdq {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct command ring[CMDQ_SIZE];
	size_t head, count;
	bool interrupted;
};

struct cmdq *
cmdq_new(void)
{
	struct cmdq *q = xcalloc(1, sizeof *q);

	pthread_mutex_init(&q->lock, NULL);
	clock_cond_init(&q->ready);
	return q;
}

void
cmdq_free(struct cmdq *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->count; i++)
		command_wipe(&q->ring[(q->head + i) % CMDQ_SIZE]);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->ready);
	free(q);
}

bool
cmdq_push(struct cmdq *q, const struct command *c)
{
	bool ok = false;

	pthread_mutex_lock(&q->lock);
	if (q->count < CMDQ_SIZE) {
		q->ring[(q->head + q->count) % CMDQ_SIZE] = *c;
		q->count++;
		ok = true;
		pthread_cond_signal(&q->ready);
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

bool
cmdq_pop(struct cmdq *q, struct command *c, int timeout_ms)
{
	struct clock *clk = clock_real();
	int64_t deadline = clock_mono_ms(clk) + timeout_ms;
	bool got = false;

	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && !q->interrupted) {
		if (clock_timedwait(clk, &q->ready, &q->lock, deadline) ==
		    ETIMEDOUT)
			break;
	}
	if (q->count > 0) {
		*c = q->ring[q->head];
		/* The passwords moved to *c: the ring forgets them. */
		memset(&q->ring[q->head], 0, sizeof q->ring[q->head]);
		q->head = (q->head + 1) % CMDQ_SIZE;
		q->count--;
		got = true;
	}
	q->interrupted = false;
	pthread_mutex_unlock(&q->lock);
	return got;
}

void
cmdq_interrupt(struct cmdq *q)
{
	pthread_mutex_lock(&q->lock);
	q->interrupted = true;
	pthread_cond_broadcast(&q->ready);
	pthread_mutex_unlock(&q->lock);
}

char *
command_password_dup(const char *password, size_t len)
{
	char *p;

	if (len >= COMMAND_PASSWORD_MAX || sodium_init() < 0 ||
	    (p = sodium_malloc(COMMAND_PASSWORD_MAX)) == NULL)
		return NULL;
	memcpy(p, password, len);
	p[len] = '\0';
	return p;
}

void
command_password_free(char *password)
{
	if (password != NULL)
		sodium_free(password);  /* wipes first */
}

void
command_wipe(struct command *c)
{
	for (size_t i = 0; i < COMMAND_SIGNERS_MAX; i++) {
		command_password_free(c->signer[i].password);
		c->signer[i].password = NULL;
	}
}

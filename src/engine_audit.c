/*
 * engine_audit.c: the audit trail walked, checked and published for the
 * console (engine_audit.h).
 *
 * The thread sleeps on a condition variable; it wakes when nudged (the
 * engine appended an event) or after POLL_MS, reads the ends of the trail
 * (one short query) and walks it when the head moved, or when FULL_WALK_MS
 * passed since the last walk (an edit of an old event is caught within that
 * time), never sooner than MIN_GAP_MS after the last walk, so a burst of
 * events (a failed login and the lock-out that follows) costs one walk.
 *
 * A walk starts at the spool's base (the last event uploaded to the
 * historian and deleted here; from seq 1 when none has left) and checks
 * every event with audit_verify_next: sequence, link to the previous hash,
 * its own hash, the console's signature and each user's signature, against
 * the public keys of the keystore (disabled users keep theirs).  Events are
 * read in batches of BATCH events so the spool's lock is held only while
 * they are copied, never while they are checked; collection goes on
 * writing samples meanwhile.  The last AUDIT_RECENT_MAX events seen are
 * kept in a ring and published newest first, with the outcome: intact or
 * broken, how many events were checked, and the first fault.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "compliance/audit.h"
#include "compliance/keystore.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/util.h"
#include "engine_audit.h"

#define POLL_MS 1000
#define MIN_GAP_MS 1000
#define FULL_WALK_MS 60000
#define BATCH 256

struct audit_watch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, nudged;
	struct spool *spool;
	unsigned char console_pk[32];
	char *keystore_path;
	struct state *state;
	int64_t last_head;              /* head seq at the last walk, -1 */
	int64_t last_walk_ms;           /* monotonic; 0 never */
};

/* One event copied out of the spool. */
struct copied {
	struct audit_event e;
	char *payload;
};

struct event_chunk {
	struct copied ev[BATCH];
	size_t n;
};

static int
copy_event(void *ctx, const struct spool_audit *r)
{
	struct event_chunk *b = ctx;
	struct copied *c = &b->ev[b->n++];

	memset(c, 0, sizeof *c);
	c->e.seq = r->seq;
	c->e.ts_us = r->ts_us;
	/* A kind or actor too long for the event stays cut: hash fault. */
	str_copy(c->e.kind, r->kind, sizeof c->e.kind);
	str_copy(c->e.actor, r->actor, sizeof c->e.actor);
	c->payload = xstrdup(r->payload);
	c->e.payload = c->payload;
	memcpy(c->e.prev_hash, r->prev_hash, 32);
	memcpy(c->e.hash, r->hash, 32);
	memcpy(c->e.sig, r->sig, 64);
	return b->n >= BATCH;
}

static int
user_key(void *ctx, int64_t user_id, unsigned char pk[32])
{
	const struct keystore *ks = ctx;
	const struct ks_user *u = ks != NULL ? keystore_find_id(ks, user_id) :
	    NULL;

	if (u == NULL)
		return -1;
	memcpy(pk, u->public_key, 32);
	return 0;
}

/* The ring of the newest events, in the order walked. */
struct ring {
	struct copied ev[AUDIT_RECENT_MAX];
	size_t next, n;
};

static void
ring_put(struct ring *r, struct copied *c)
{
	struct copied *slot = &r->ev[r->next];

	if (r->n == AUDIT_RECENT_MAX)
		free(slot->payload);
	else
		r->n++;
	*slot = *c;
	slot->e.payload = slot->payload;
	c->payload = NULL;
	r->next = (r->next + 1) % AUDIT_RECENT_MAX;
}

static void
ring_publish(struct ring *r, struct state *st,
    const struct audit_status *status)
{
	struct audit_list *l = audit_list_new(r->n);

	for (size_t i = 0; i < r->n; i++) {
		size_t k = (r->next + AUDIT_RECENT_MAX - 1 - i) %
		    AUDIT_RECENT_MAX;
		const struct audit_event *e = &r->ev[k].e;

		audit_list_add(l, e->seq, e->ts_us, e->kind, e->actor,
		    e->payload);
		free(r->ev[k].payload);
	}
	state_set_audit(st, l, status);
}

static void
walk(struct audit_watch *w)
{
	static struct ring ring;        /* large; one walker thread */
	static struct event_chunk b;
	struct audit_status status;
	struct audit_verifier v;
	struct keystore *ks = NULL;
	unsigned char base_hash[32], head_hash[32];
	int64_t base, head, from;
	char err[256], why[256];

	memset(&status, 0, sizeof status);
	memset(&ring, 0, sizeof ring);
	if (spool_audit_ends(w->spool, &base, base_hash, &head,
	    head_hash) != 0) {
		log_event(LOG_ERROR, "audit_walk_failed", "{s:s}", "error",
		    spool_last_error(w->spool));
		return;
	}
	if (keystore_open(w->keystore_path, &ks, err, sizeof err) != 0) {
		log_event(LOG_WARN, "audit_walk_keystore", "{s:s}", "error",
		    err);
		ks = NULL;      /* user signatures then cannot verify: said so */
	}
	audit_verifier_init(&v, w->console_pk, base == 0);
	v.user_key = user_key;
	v.ctx = ks;
	if (base > 0) {
		v.started = true;
		v.next_seq = base + 1;
		memcpy(v.prev, base_hash, 32);
	}
	status.base_seq = base;
	status.intact = true;
	from = base + 1;
	for (;;) {
		b.n = 0;
		if (spool_audit_each(w->spool, from, copy_event, &b) != 0) {
			snprintf(status.fault, sizeof status.fault, "%s",
			    spool_last_error(w->spool));
			status.intact = false;
			for (size_t i = 0; i < b.n; i++)
				free(b.ev[i].payload);
			break;
		}
		for (size_t i = 0; i < b.n; i++) {
			if (audit_verify_next(&v, &b.ev[i].e, why,
			    sizeof why) != AUDIT_OK && status.intact) {
				status.intact = false;
				status.fault_seq = b.ev[i].e.seq;
				str_copy(status.fault, why,
				    sizeof status.fault);
			}
			from = b.ev[i].e.seq + 1;
			ring_put(&ring, &b.ev[i]);
		}
		if (b.n < BATCH)
			break;
	}
	/* The head moved past what the spool holds: events were removed. */
	if (status.intact && head > base && v.next_seq <= head) {
		status.intact = false;
		status.fault_seq = v.next_seq;
		snprintf(status.fault, sizeof status.fault, _("events %lld to "
		    "%lld are missing from the spool"), (long long)v.next_seq,
		    (long long)head);
	}
	keystore_free(ks);
	status.verified = true;
	status.checked = v.checked;
	status.user_signatures = v.user_signatures;
	status.head_seq = head;
	status.at_us = clock_real_us(clock_real());
	if (!status.intact) {
		unsigned char h1[32], h2[32];
		int64_t base2, head2;

		/*
		 * The uploader may have taken events out of the spool while
		 * we walked (the base moved): that is no break.  Look again
		 * at the next tick instead of publishing a false alarm.
		 */
		if (spool_audit_ends(w->spool, &base2, h1, &head2, h2) == 0 &&
		    base2 != base) {
			for (size_t i = 0; i < ring.n; i++)
				free(ring.ev[i].payload);
			w->last_head = -1;
			return;
		}
		log_event(LOG_ERROR, "audit_chain_broken", "{s:I,s:s}", "seq",
		    (json_int_t)status.fault_seq, "why", status.fault);
	}
	ring_publish(&ring, w->state, &status);
	w->last_head = head;
}

/* Has the head moved since the last walk?  (One short query.) */
static bool
head_moved(struct audit_watch *w)
{
	unsigned char h1[32], h2[32];
	int64_t base, head;

	if (spool_audit_ends(w->spool, &base, h1, &head, h2) != 0)
		return false;
	return head != w->last_head;
}

static void *
watch_main(void *arg)
{
	struct audit_watch *w = arg;
	struct clock *clk = clock_real();

	for (;;) {
		int64_t now = clock_mono_ms(clk), deadline = now + POLL_MS;
		bool nudged;

		pthread_mutex_lock(&w->lock);
		while (!w->stop && !w->nudged) {
			if (clock_timedwait(clk, &w->cond, &w->lock,
			    deadline) == ETIMEDOUT)
				break;
		}
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		nudged = w->nudged;
		pthread_mutex_unlock(&w->lock);
		now = clock_mono_ms(clk);
		if (w->last_walk_ms != 0 && now - w->last_walk_ms < MIN_GAP_MS) {
			/* Too soon: keep the nudge for the next round. */
			struct timespec pause = { 0, 100 * 1000000L };

			nanosleep(&pause, NULL);
			continue;
		}
		pthread_mutex_lock(&w->lock);
		w->nudged = false;
		pthread_mutex_unlock(&w->lock);
		if (nudged || w->last_walk_ms == 0 || head_moved(w) ||
		    now - w->last_walk_ms >= FULL_WALK_MS) {
			walk(w);
			w->last_walk_ms = clock_mono_ms(clk);
		}
	}
	return NULL;
}

struct audit_watch *
audit_watch_start(struct spool *sp, const struct console_key *key,
    const char *state_dir, struct state *st)
{
	struct audit_watch *w = xcalloc(1, sizeof *w);
	size_t n = strlen(state_dir) + sizeof "/keystore.json";
	sigset_t all, old;
	int rc;

	w->spool = sp;
	memcpy(w->console_pk, console_key_public(key), 32);
	w->keystore_path = xmalloc(n);
	snprintf(w->keystore_path, n, "%s/keystore.json", state_dir);
	w->state = st;
	w->last_head = -1;
	pthread_mutex_init(&w->lock, NULL);
	clock_cond_init(&w->cond);
	/* Signals are the UI loop's: none reaches this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->thread, NULL, watch_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w->keystore_path);
		free(w);
		return NULL;
	}
	return w;
}

void
audit_watch_nudge(struct audit_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->nudged = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void
audit_watch_stop(struct audit_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->keystore_path);
	free(w);
}

/*
 * audit.h: the tamper-evident audit trail, one hash chain per console.
 *
 * An event is (seq, time, kind, actor, payload).  Its canonical bytes are
 *
 *     "jope-audit-v1\n" seq "\n" time "\n" kind "\n" actor "\n"
 *     hex(prev_hash) "\n" payload
 *
 * (time in RFC 3339 UTC with microseconds, payload a compact JSON object).
 * hash = SHA-256(canonical bytes); the console's Ed25519 key signs the
 * canonical bytes.  Each event carries the hash of the one before (zeros
 * before the first), so an edited, deleted, inserted or reordered event
 * breaks the chain at a place the verifier names.  User signatures
 * (esign.h) ride in the payload: {"action": {...}, "signatures": [...]}, each
 * over SHA-256 of the action as compact JSON with sorted keys.
 */
#ifndef JOPE_AUDIT_H
#define JOPE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_KIND_MAX  48
#define AUDIT_ACTOR_MAX 33

struct audit_event {
	int64_t seq;                    /* 1, 2, 3... per console */
	int64_t ts_us;
	char kind[AUDIT_KIND_MAX];      /* e.g. "login_failed", "config_apply" */
	char actor[AUDIT_ACTOR_MAX];    /* user name, "" for the system */
	const char *payload;            /* compact JSON object */
	unsigned char prev_hash[32];
	unsigned char hash[32];
	unsigned char sig[64];          /* the console's */
};

/* The canonical bytes (malloc'ed, NUL-terminated; *len without the NUL). */
char *audit_message(const struct audit_event *e, size_t *len);
/* Set e->hash and e->sig for e->seq and e->prev_hash; 0 or -1. */
int audit_seal(struct audit_event *e, const unsigned char console_sk[64]);

enum audit_fault {
	AUDIT_OK,
	AUDIT_SEQ,              /* not the seq that should come next */
	AUDIT_PREV,             /* prev_hash is not the previous event's hash */
	AUDIT_HASH,             /* the content does not give the stored hash */
	AUDIT_SIGNATURE,        /* the console's signature does not verify */
	AUDIT_USER_SIGNATURE,   /* a user's signature does not verify */
	AUDIT_MALFORMED         /* kind, actor or payload not well-formed */
};
const char *audit_fault_name(enum audit_fault f);

/* Walks a chain in seq order, one event at a time. */
struct audit_verifier {
	const unsigned char *console_pk;
	/* Public key of a user id: 0, or -1 when unknown. */
	int (*user_key)(void *ctx, int64_t user_id, unsigned char pk[32]);
	void *ctx;
	bool started;
	bool from_start;        /* the first event must be seq 1, prev zeros */
	int64_t next_seq;
	unsigned char prev[32];
	int64_t checked, user_signatures;
};

void audit_verifier_init(struct audit_verifier *v,
    const unsigned char console_pk[32], bool from_start);
/*
 * Check the next event; on a fault why says precisely what differs (with
 * the seq).  After a fault the verifier continues from this event, so a
 * caller may report further faults or stop at the first.
 */
enum audit_fault audit_verify_next(struct audit_verifier *v,
    const struct audit_event *e, char *why, size_t len);

/*
 * The payload of an event that carries signed action: {"action": action,
 * "signatures": [...]} (malloc'ed).  audit_action_hash gives what each
 * signature must cover.
 */
void audit_action_hash(const char *action_json, unsigned char out[32]);

#endif

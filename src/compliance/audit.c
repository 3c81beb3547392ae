/*
 * audit.c: sealing and verifying the audit chain (audit.h).
 *
 * Sealing and verifying share audit_message(), so the bytes the console
 * signs and the bytes a verifier (or an auditor with openssl) checks can
 * never drift apart.  The verifier checks, in this order: the seq follows,
 * prev_hash is the previous event's hash, the content gives the stored hash,
 * the console's signature, then every user signature in the payload, each
 * against the signer's recorded public key and over this event's action.
 */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "compliance/audit.h"
#include "compliance/esign.h"
#include "core/i18n.h"
#include "core/util.h"

#define AUDIT_MAGIC "jope-audit-v1"

static bool
line_safe(const char *s)
{
	return strchr(s, '\n') == NULL && strchr(s, '\r') == NULL;
}

char *
audit_message(const struct audit_event *e, size_t *len)
{
	char ts[40], prev[65], *out;
	size_t n;
	int k;

	format_rfc3339_us(e->ts_us, ts, sizeof ts);
	sodium_bin2hex(prev, sizeof prev, e->prev_hash, sizeof e->prev_hash);
	n = strlen(AUDIT_MAGIC) + 24 + strlen(ts) + strlen(e->kind) +
	    strlen(e->actor) + 64 + strlen(e->payload) + 8;
	out = xmalloc(n);
	k = snprintf(out, n, "%s\n%" PRId64 "\n%s\n%s\n%s\n%s\n%s", AUDIT_MAGIC,
	    e->seq, ts, e->kind, e->actor, prev, e->payload);
	if (len != NULL)
		*len = (size_t)k;
	return out;
}

int
audit_seal(struct audit_event *e, const unsigned char console_sk[64])
{
	size_t n;
	char *msg;

	if (!line_safe(e->kind) || !line_safe(e->actor) || e->payload == NULL)
		return -1;
	msg = audit_message(e, &n);
	crypto_hash_sha256(e->hash, (const unsigned char *)msg, n);
	crypto_sign_detached(e->sig, NULL, (const unsigned char *)msg, n,
	    console_sk);
	free(msg);
	return 0;
}

const char *
audit_fault_name(enum audit_fault f)
{
	switch (f) {
	case AUDIT_OK: return "ok";
	case AUDIT_SEQ: return "seq";
	case AUDIT_PREV: return "prev_hash";
	case AUDIT_HASH: return "hash";
	case AUDIT_SIGNATURE: return "signature";
	case AUDIT_USER_SIGNATURE: return "user_signature";
	case AUDIT_MALFORMED: return "malformed";
	}
	return "?";
}

void
audit_verifier_init(struct audit_verifier *v,
    const unsigned char console_pk[32], bool from_start)
{
	memset(v, 0, sizeof *v);
	v->console_pk = console_pk;
	v->from_start = from_start;
	v->next_seq = 1;
}

void
audit_action_hash(const char *action_json, unsigned char out[32])
{
	json_t *a = json_loads(action_json, JSON_DECODE_ANY, NULL);
	char *canon = a != NULL ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY) : NULL;
	const char *bytes = canon != NULL ? canon : action_json;

	crypto_hash_sha256(out, (const unsigned char *)bytes, strlen(bytes));
	free(canon);
	json_decref(a);
}

/* The user signatures of a payload; AUDIT_OK when all verify (or none). */
static enum audit_fault
verify_users(struct audit_verifier *v, const struct audit_event *e,
    char *why, size_t len)
{
	json_t *root, *sigs, *action, *sj;
	unsigned char want[32], pk[32];
	enum audit_fault f = AUDIT_OK;
	char *action_text;
	size_t i;

	root = json_loads(e->payload, 0, NULL);
	if (!json_is_object(root)) {
		snprintf(why, len, _("event %" PRId64 ": the payload is not a "
		    "JSON object"), e->seq);
		json_decref(root);
		return AUDIT_MALFORMED;
	}
	sigs = json_object_get(root, "signatures");
	if (sigs == NULL) {
		json_decref(root);
		return AUDIT_OK;
	}
	action = json_object_get(root, "action");
	if (!json_is_array(sigs) || action == NULL) {
		snprintf(why, len, _("event %" PRId64 ": signatures without an "
		    "action"), e->seq);
		json_decref(root);
		return AUDIT_MALFORMED;
	}
	action_text = json_dumps(action, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);
	audit_action_hash(action_text, want);
	free(action_text);
	json_array_foreach(sigs, i, sj) {
		struct esig s;
		char err[160];

		if (esig_from_json(sj, &s, err, sizeof err) != 0) {
			snprintf(why, len, _("event %" PRId64 ": signature %zu: "
			    "%s"), e->seq, i + 1, err);
			f = AUDIT_MALFORMED;
			break;
		}
		if (memcmp(s.payload_hash, want, sizeof want) != 0) {
			snprintf(why, len, _("event %" PRId64 ": signature %zu "
			    "(%s) is over another action"), e->seq, i + 1,
			    s.user);
			f = AUDIT_USER_SIGNATURE;
			break;
		}
		if (v->user_key == NULL ||
		    v->user_key(v->ctx, s.user_id, pk) != 0) {
			snprintf(why, len, _("event %" PRId64 ": signature %zu: "
			    "no public key for user id %" PRId64), e->seq, i + 1,
			    s.user_id);
			f = AUDIT_USER_SIGNATURE;
			break;
		}
		if (esig_verify(&s, pk) != 0) {
			snprintf(why, len, _("event %" PRId64 ": the signature of "
			    "%s (user id %" PRId64 ") does not verify"), e->seq,
			    s.user, s.user_id);
			f = AUDIT_USER_SIGNATURE;
			break;
		}
		v->user_signatures++;
	}
	json_decref(root);
	return f;
}

enum audit_fault
audit_verify_next(struct audit_verifier *v, const struct audit_event *e,
    char *why, size_t len)
{
	static const unsigned char zeros[32];
	unsigned char hash[32];
	enum audit_fault f = AUDIT_OK;
	char have[65], want[65];
	size_t n;
	char *msg;

	why[0] = '\0';
	if (!line_safe(e->kind) || !line_safe(e->actor) || e->payload == NULL) {
		snprintf(why, len, _("event %" PRId64 ": kind or actor spans "
		    "lines"), e->seq);
		f = AUDIT_MALFORMED;
		goto next;
	}
	if ((v->started || v->from_start) && e->seq != v->next_seq) {
		snprintf(why, len, e->seq < v->next_seq ?
		    _("event %" PRId64 " comes after event %" PRId64 ": events "
		    "reordered or inserted") :
		    _("event %" PRId64 " follows event %" PRId64 ": events "
		    "missing"), e->seq, v->next_seq - 1);
		f = AUDIT_SEQ;
		goto next;
	}
	if ((v->started || v->from_start) &&
	    memcmp(e->prev_hash, v->started ? v->prev : zeros, 32) != 0) {
		sodium_bin2hex(have, sizeof have, e->prev_hash, 32);
		sodium_bin2hex(want, sizeof want, v->started ? v->prev : zeros,
		    32);
		snprintf(why, len, _("event %" PRId64 ": prev_hash %.16s... is "
		    "not the hash of the event before (%.16s...)"), e->seq,
		    have, want);
		f = AUDIT_PREV;
		goto next;
	}
	msg = audit_message(e, &n);
	crypto_hash_sha256(hash, (const unsigned char *)msg, n);
	if (memcmp(hash, e->hash, 32) != 0) {
		sodium_bin2hex(have, sizeof have, e->hash, 32);
		sodium_bin2hex(want, sizeof want, hash, 32);
		snprintf(why, len, _("event %" PRId64 " (%s): its content gives "
		    "hash %.16s..., the stored hash is %.16s...: the event was "
		    "changed"), e->seq, e->kind, want, have);
		f = AUDIT_HASH;
	} else if (crypto_sign_verify_detached(e->sig,
	    (const unsigned char *)msg, n, v->console_pk) != 0) {
		snprintf(why, len, _("event %" PRId64 " (%s): the console's "
		    "signature does not verify"), e->seq, e->kind);
		f = AUDIT_SIGNATURE;
	}
	free(msg);
	if (f == AUDIT_OK)
		f = verify_users(v, e, why, len);
next:
	v->started = true;
	v->next_seq = e->seq + 1;
	memcpy(v->prev, e->hash, 32);
	if (f == AUDIT_OK)
		v->checked++;
	return f;
}

/*
 * audit_log.c: sealing events into the spool's audit trail (audit_log.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compliance/audit.h"
#include "compliance/audit_log.h"
#include "core/i18n.h"
#include "core/util.h"

struct seal_ctx {
	const struct console_key *key;
};

/* spool_audit_append's callback: the spool has set seq and prev_hash. */
static int
seal(void *ctx, struct spool_audit *r)
{
	struct seal_ctx *c = ctx;
	struct audit_event e;

	memset(&e, 0, sizeof e);
	e.seq = r->seq;
	e.ts_us = r->ts_us;
	str_copy(e.kind, r->kind, sizeof e.kind);
	str_copy(e.actor, r->actor, sizeof e.actor);
	e.payload = r->payload;
	memcpy(e.prev_hash, r->prev_hash, 32);
	if (strcmp(e.kind, r->kind) != 0 || strcmp(e.actor, r->actor) != 0 ||
	    audit_seal(&e, console_key_secret(c->key)) != 0)
		return -1;
	memcpy(r->hash, e.hash, 32);
	memcpy(r->sig, e.sig, 64);
	return 0;
}

int64_t
audit_log_append(struct spool *sp, const struct console_key *key,
    const char *kind, const char *actor, json_t *payload, int64_t ts_us,
    char *err, size_t errlen)
{
	struct seal_ctx ctx = { key };
	struct spool_audit r;
	struct timespec now;
	char *text;
	int rc;

	if (payload == NULL || !json_is_object(payload)) {
		json_decref(payload);
		str_copy(err, _("audit event without a payload"), errlen);
		return -1;
	}
	text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(payload);
	if (text == NULL) {
		str_copy(err, _("audit event payload cannot be serialised"),
		    errlen);
		return -1;
	}
	if (ts_us == 0) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	}
	memset(&r, 0, sizeof r);
	r.ts_us = ts_us;
	r.kind = kind;
	r.actor = actor != NULL ? actor : "";
	r.payload = text;
	rc = spool_audit_append(sp, &r, seal, &ctx);
	free(text);
	if (rc != 0) {
		str_copy(err, spool_last_error(sp), errlen);
		return -1;
	}
	return r.seq;
}

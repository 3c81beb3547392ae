/*
 * cmd_audit.c: `jope-smb audit verify [--historian] [--json]` and
 * `jope-smb audit export [--since TIME] --out DIR [--historian]`.
 *
 * Both walk one console's hash chain (compliance/audit.h) in seq order, from
 * one of two places:
 *
 *   spool      the events not yet uploaded, from the chain's base (the last
 *              event that left for the historian: its seq and hash are kept
 *              in the spool) to its head; keys from STATE_DIR/console.key
 *              and STATE_DIR/keystore.json.
 *   historian  every event the historian holds for this spool's source
 *              (jope_sources.spool_id = spool_id()), from seq 1, read in
 *              one REPEATABLE READ snapshot through a cursor; keys from
 *              console_keys and user_keys (the local files fill in a key
 *              the historian lacks, with a note).
 *
 * verify feeds every event to audit_verify_next(), which names the first
 * broken link and goes on, so the further faults are listed too (at most
 * MAX_FAULTS).  Around the walk it checks what the rows alone cannot show:
 * in the spool, that the last event is the head the spool recorded (events
 * cut off the end); in the historian, that it holds the spool's base event
 * with the same hash (uploaded events that vanished).  A console may append
 * or upload while the spool is verified: when the ends moved during a walk
 * that found faults, the walk is repeated (at most WALK_TRIES times) so a
 * concurrent upload is never reported as a broken chain.  Exit 0 intact,
 * EXIT_AUDIT_BROKEN (5) broken, 1 when it could not be checked at all.
 *
 * export writes what an auditor needs to check every signature with stock
 * OpenSSL, without this program (doc/audit.md): audit.jsonl (one event a
 * line, with the exact signed bytes in base64), console.pem and users.jsonl
 * (public keys as SubjectPublicKeyInfo PEM).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "commands.h"
#include "compliance/audit.h"
#include "compliance/console_key.h"
#include "compliance/esign.h"
#include "compliance/keystore.h"
#include "core/i18n.h"
#include "core/util.h"
#include "historian/pgconn.h"
#include "store/spool.h"

#define MAX_FAULTS	20
#define WALK_TRIES	3
#define PROGRESS_MIN	2000	/* events: below this no progress bar */
#define PROGRESS_WIDTH	30
#define FETCH_ROWS	"2000"	/* events per round trip */

/* --- keys ---------------------------------------------------------------- */

struct user_key {
	int64_t id;
	unsigned char pk[32];
	char name[KS_NAME_MAX + 1];
	char full_name[KS_FULL_NAME_MAX + 1];
	char role[16];
	bool disabled;
};

struct keyring {
	unsigned char console_pk[32];
	bool have_console;
	struct user_key *u;
	size_t n;
	struct keyring *fallback;	/* asked when a key is not here */
	int64_t fallback_used;
};

static void
keyring_add(struct keyring *k, const struct user_key *u)
{
	k->u = xrealloc(k->u, (k->n + 1) * sizeof *k->u);
	k->u[k->n++] = *u;
}

static const struct user_key *
keyring_find(const struct keyring *k, int64_t id)
{
	for (size_t i = 0; k != NULL && i < k->n; i++)
		if (k->u[i].id == id)
			return &k->u[i];
	return NULL;
}

/* audit_verifier.user_key. */
static int
ring_user_key(void *ctx, int64_t id, unsigned char pk[32])
{
	struct keyring *k = ctx;
	const struct user_key *u = keyring_find(k, id);

	if (u == NULL && (u = keyring_find(k->fallback, id)) != NULL)
		k->fallback_used++;
	if (u == NULL)
		return -1;
	memcpy(pk, u->pk, 32);
	return 0;
}

/* The local keys: console.key and keystore.json of the state dir. */
static int
keyring_local(const char *state_dir, struct keyring *k)
{
	struct console_key *ck;
	struct keystore *ks;
	char path[4096], err[1024];

	memset(k, 0, sizeof *k);
	if ((ck = console_key_open(state_dir, err, sizeof err)) == NULL) {
		fprintf(stderr, "jope-smb: %s\n", err);
		return -1;
	}
	memcpy(k->console_pk, console_key_public(ck), 32);
	k->have_console = true;
	console_key_free(ck);
	snprintf(path, sizeof path, "%s/keystore.json", state_dir);
	if (keystore_open(path, &ks, err, sizeof err) != 0) {
		fprintf(stderr, "jope-smb: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < keystore_count(ks); i++) {
		const struct ks_user *u = keystore_user_at(ks, i);
		struct user_key uk;

		memset(&uk, 0, sizeof uk);
		uk.id = u->id;
		memcpy(uk.pk, u->public_key, 32);
		str_copy(uk.name, u->name, sizeof uk.name);
		str_copy(uk.full_name, u->full_name, sizeof uk.full_name);
		str_copy(uk.role, ks_role_name(u->role), sizeof uk.role);
		uk.disabled = u->disabled;
		keyring_add(k, &uk);
	}
	keystore_free(ks);
	return 0;
}

/* --- walking ------------------------------------------------------------- */

struct fault {
	int64_t seq;
	enum audit_fault what;
	char why[512];
};

struct walk {
	/* verify */
	struct audit_verifier v;
	struct fault faults[MAX_FAULTS];
	size_t nfaults;
	int64_t more_faults;
	/* export */
	FILE *out;
	int64_t since_us;
	int64_t exported;
	bool write_failed;
	/* both */
	bool verify;
	bool any;
	int64_t first_seq, last_seq;
	unsigned char last_hash[32];
	int64_t probe_seq;		/* the hash of this event is kept */
	unsigned char probe_hash[32];
	bool probe_found;
	/* progress */
	bool show_progress;
	int64_t done, total;
	int last_pct;
};

static void
add_fault(struct walk *w, int64_t seq, enum audit_fault what,
    const char *why)
{
	struct fault *f;

	if (w->nfaults == MAX_FAULTS) {
		w->more_faults++;
		return;
	}
	f = &w->faults[w->nfaults++];
	f->seq = seq;
	f->what = what;
	str_copy(f->why, why, sizeof f->why);
}

static void
progress(struct walk *w)
{
	int pct, fill;

	w->done++;
	if (!w->show_progress)
		return;
	pct = w->total > 0 ? (int)(w->done * 100 / w->total) : 100;
	if (pct > 100)
		pct = 100;
	if (pct == w->last_pct)
		return;
	w->last_pct = pct;
	fill = pct * PROGRESS_WIDTH / 100;
	fprintf(stderr, "\r%s [", _("audit trail"));
	for (int i = 0; i < PROGRESS_WIDTH; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%% %" PRId64 "/%" PRId64, pct, w->done,
	    w->total);
	fflush(stderr);
}

static void
progress_begin(struct walk *w, int64_t total)
{
	w->done = 0;
	w->total = total;
	w->last_pct = -1;
	w->show_progress = isatty(STDERR_FILENO) == 1 &&
	    total >= PROGRESS_MIN;
}

static void
progress_end(struct walk *w)
{
	if (w->show_progress)
		fprintf(stderr, "\r%*s\r", 72, "");
	w->show_progress = false;
}

static char *
base64(const void *data, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(len);

	sodium_bin2base64(out, len, data, n, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

static json_t *
hex_json(const unsigned char *b, size_t n)
{
	char buf[129];

	sodium_bin2hex(buf, sizeof buf, b, n);
	return json_string(buf);
}

/* One event as a line of audit.jsonl. */
static void
export_event(struct walk *w, const struct audit_event *e)
{
	json_t *line, *users, *root, *sigs, *sj;
	char ts[40], *msg, *b64, *text;
	size_t n, i;

	if (e->ts_us < w->since_us)
		return;
	format_rfc3339_us(e->ts_us, ts, sizeof ts);
	msg = audit_message(e, &n);
	line = json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq,
	    "time", ts, "kind", e->kind, "actor", e->actor, "payload",
	    e->payload);
	if (line == NULL) {	/* text that is not UTF-8: only by tampering */
		line = json_pack("{s:I,s:s}", "seq", (json_int_t)e->seq,
		    "time", ts);
		json_object_set_new(line, "error", json_string(_("kind, "
		    "actor or payload is not UTF-8 text")));
	}
	json_object_set_new(line, "prev_hash", hex_json(e->prev_hash, 32));
	json_object_set_new(line, "hash", hex_json(e->hash, 32));
	b64 = base64(e->sig, 64);
	json_object_set_new(line, "signature", json_string(b64));
	free(b64);
	b64 = base64(msg, n);
	json_object_set_new(line, "message_b64", json_string(b64));
	free(b64);
	free(msg);
	users = json_array();
	root = json_loads(e->payload, 0, NULL);
	sigs = json_object_get(root, "signatures");
	json_array_foreach(sigs, i, sj) {
		struct esig s;
		char err[256], *m;
		json_t *u;

		if (esig_from_json(sj, &s, err, sizeof err) != 0 ||
		    (m = esig_message(&s)) == NULL) {
			json_array_append_new(users, json_pack("{s:s}",
			    "error", err));
			continue;
		}
		u = json_pack("{s:I,s:s,s:s,s:s}", "user_id",
		    (json_int_t)s.user_id, "user", s.user, "full_name",
		    s.full_name, "meaning", esig_meaning_name(s.meaning));
		b64 = base64(m, strlen(m));
		json_object_set_new(u, "message_b64", json_string(b64));
		free(b64);
		b64 = base64(s.sig, 64);
		json_object_set_new(u, "sig", json_string(b64));
		free(b64);
		free(m);
		json_array_append_new(users, u);
	}
	json_decref(root);
	json_object_set_new(line, "user_signatures", users);
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL || fprintf(w->out, "%s\n", text) < 0)
		w->write_failed = true;
	free(text);
	json_decref(line);
	w->exported++;
}

static void
walk_event(struct walk *w, const struct audit_event *e, bool fits)
{
	char why[512];
	enum audit_fault f;

	if (!w->any)
		w->first_seq = e->seq;
	w->any = true;
	w->last_seq = e->seq;
	memcpy(w->last_hash, e->hash, 32);
	if (e->seq == w->probe_seq && !w->probe_found) {
		memcpy(w->probe_hash, e->hash, 32);
		w->probe_found = true;
	}
	progress(w);
	if (!w->verify) {
		export_event(w, e);
		return;
	}
	if (!fits) {
		/* A kind or actor longer than any the console writes. */
		snprintf(why, sizeof why, _("event %" PRId64 ": kind or actor "
		    "is too long"), e->seq);
		add_fault(w, e->seq, AUDIT_MALFORMED, why);
		w->v.started = true;
		w->v.next_seq = e->seq + 1;
		memcpy(w->v.prev, e->hash, 32);
		return;
	}
	f = audit_verify_next(&w->v, e, why, sizeof why);
	if (f != AUDIT_OK)
		add_fault(w, e->seq, f, why);
}

/* An event from its parts; false when kind or actor does not fit. */
static bool
make_event(struct audit_event *e, int64_t seq, int64_t ts_us,
    const char *kind, const char *actor, const char *payload)
{
	memset(e, 0, sizeof *e);
	e->seq = seq;
	e->ts_us = ts_us;
	e->payload = payload;
	return str_copy(e->kind, kind, sizeof e->kind) < sizeof e->kind &&
	    str_copy(e->actor, actor, sizeof e->actor) < sizeof e->actor;
}

static int
spool_cb(void *ctx, const struct spool_audit *r)
{
	struct audit_event e;
	bool fits = make_event(&e, r->seq, r->ts_us, r->kind, r->actor,
	    r->payload);

	memcpy(e.prev_hash, r->prev_hash, 32);
	memcpy(e.hash, r->hash, 32);
	memcpy(e.sig, r->sig, 64);
	walk_event(ctx, &e, fits);
	return 0;
}

/* --- the spool ----------------------------------------------------------- */

struct ends {
	int64_t base_seq, head_seq;
	unsigned char base_hash[32], head_hash[32];
};

static int
read_ends(struct spool *sp, struct ends *e)
{
	if (spool_audit_ends(sp, &e->base_seq, e->base_hash, &e->head_seq,
	    e->head_hash) != 0) {
		fprintf(stderr, "jope-smb: %s\n", spool_last_error(sp));
		return -1;
	}
	return 0;
}

static int
open_spool(const struct options *o, struct spool **sp)
{
	struct app_config app;
	char *path, err[1024];
	struct stat st;

	if (command_load_app(o, &app, &path) != 0)
		return -1;
	if (stat(path, &st) != 0) {
		fprintf(stderr, _("jope-smb: no spool at %s: nothing has been "
		    "recorded on state dir %s\n"), path, options_state_dir(o));
		free(path);
		return -1;
	}
	if (spool_open(path, sp, err, sizeof err) != 0) {
		fprintf(stderr, "jope-smb: %s\n", err);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/* The checks at the ends of the spool's chain, after a walk. */
static void
check_spool_ends(struct walk *w, const struct ends *e)
{
	char why[512];

	if (!w->any && e->head_seq > e->base_seq) {
		snprintf(why, sizeof why, _("the spool holds no event after "
		    "event %" PRId64 ", but its head is event %" PRId64 ": "
		    "events missing"), e->base_seq, e->head_seq);
		add_fault(w, e->base_seq + 1, AUDIT_SEQ, why);
	} else if (w->any && w->last_seq < e->head_seq) {
		snprintf(why, sizeof why, _("the trail ends at event %" PRId64
		    ", but the spool's head is event %" PRId64 ": events at "
		    "the end missing"), w->last_seq, e->head_seq);
		add_fault(w, w->last_seq + 1, AUDIT_SEQ, why);
	} else if (w->any && w->last_seq > e->head_seq) {
		snprintf(why, sizeof why, _("event %" PRId64 " lies beyond the "
		    "spool's head (event %" PRId64 "): events inserted"),
		    w->last_seq, e->head_seq);
		add_fault(w, e->head_seq + 1, AUDIT_SEQ, why);
	} else if (w->any && memcmp(w->last_hash, e->head_hash, 32) != 0 &&
	    (w->nfaults == 0 || w->faults[w->nfaults - 1].seq !=
	    w->last_seq)) {
		snprintf(why, sizeof why, _("event %" PRId64 ": its hash is not "
		    "the head hash the spool recorded"), w->last_seq);
		add_fault(w, w->last_seq, AUDIT_HASH, why);
	}
}

static bool
ends_equal(const struct ends *a, const struct ends *b)
{
	return a->base_seq == b->base_seq && a->head_seq == b->head_seq &&
	    memcmp(a->base_hash, b->base_hash, 32) == 0 &&
	    memcmp(a->head_hash, b->head_hash, 32) == 0;
}

static int
verify_spool(struct spool *sp, struct keyring *k, struct walk *w)
{
	struct ends before, after;

	for (int attempt = 0; attempt < WALK_TRIES; attempt++) {
		memset(w, 0, sizeof *w);
		w->verify = true;
		if (read_ends(sp, &before) != 0)
			return -1;
		audit_verifier_init(&w->v, k->console_pk, before.base_seq == 0);
		w->v.user_key = ring_user_key;
		w->v.ctx = k;
		if (before.base_seq > 0) {
			w->v.started = true;
			w->v.next_seq = before.base_seq + 1;
			memcpy(w->v.prev, before.base_hash, 32);
		}
		progress_begin(w, before.head_seq - before.base_seq);
		if (spool_audit_each(sp, 0, spool_cb, w) != 0) {
			progress_end(w);
			fprintf(stderr, "jope-smb: %s\n", spool_last_error(sp));
			return -1;
		}
		progress_end(w);
		if (read_ends(sp, &after) != 0)
			return -1;
		if (w->nfaults == 0 && !ends_equal(&before, &after) &&
		    w->last_seq >= before.head_seq)
			return 0;	/* appended meanwhile: intact to there */
		check_spool_ends(w, &after);
		if (w->nfaults == 0 || ends_equal(&before, &after))
			return 0;
	}
	return 0;
}

/* --- the historian ------------------------------------------------------- */

struct hist {
	PGconn *c;
	int timeout_ms;
	char source_id[16];
};

static PGconn *
hist_connect(const struct app_config *app, const struct options *o)
{
	struct pg_params p;
	char err[512];
	PGconn *c;

	if (app->historian_conninfo[0] == '\0') {
		fprintf(stderr, _("jope-smb: no historian configured "
		    "(historian.conninfo in %s/app.json)\n"),
		    options_config_dir(o));
		return NULL;
	}
	p = (struct pg_params){ .conninfo = app->historian_conninfo,
	    .password_file = app->historian.password_file,
	    .application_name = "jope-smb audit",
	    .timeout_ms = (int)app->historian.timeout_ms };
	if ((c = pg_connect(&p, -1, err, sizeof err)) == NULL)
		fprintf(stderr, _("jope-smb: cannot connect to the historian: "
		    "%s\n"), err);
	return c;
}

static PGresult *
hist_query(struct hist *h, const char *sql, int n, const char *const *p)
{
	char err[512];
	PGresult *r = pg_query(h->c, sql, n, p, -1, h->timeout_ms, err,
	    sizeof err);

	if (r == NULL)
		fprintf(stderr, _("jope-smb: historian: %s\n"), err);
	return r;
}

static int
hist_exec(struct hist *h, const char *sql)
{
	char err[512];

	if (pg_command(h->c, sql, -1, h->timeout_ms, err, sizeof err) != 0) {
		fprintf(stderr, _("jope-smb: historian: %s\n"), err);
		return -1;
	}
	return 0;
}

static void
hex_field(const PGresult *r, int row, int col, unsigned char *out, size_t n)
{
	const char *s = PQgetvalue(r, row, col);
	size_t got = 0;

	memset(out, 0, n);
	if (sodium_hex2bin(out, n, s, strlen(s), NULL, &got, NULL) != 0 ||
	    got != n)
		memset(out, 0, n);	/* the check will say */
}

/*
 * Open the historian's view of this spool: source id, keys (the local ones
 * as fallback, k->fallback = local).  0 or -1.
 */
static int
hist_open(struct hist *h, struct spool *sp, struct keyring *k,
    struct keyring *local)
{
	const char *p1[1] = { spool_id(sp) };
	PGresult *r;

	memset(k, 0, sizeof *k);
	k->fallback = local;
	if ((r = hist_query(h, "SELECT source_id FROM jope_sources WHERE"
	    " spool_id = $1", 1, p1)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		fprintf(stderr, _("jope-smb: the historian knows no source with "
		    "this spool's id %s: nothing was uploaded from it\n"),
		    spool_id(sp));
		PQclear(r);
		return -1;
	}
	str_copy(h->source_id, PQgetvalue(r, 0, 0), sizeof h->source_id);
	PQclear(r);
	p1[0] = h->source_id;
	if ((r = hist_query(h, "SELECT encode(public_key, 'hex') FROM"
	    " console_keys WHERE source_id = $1", 1, p1)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		hex_field(r, 0, 0, k->console_pk, 32);
		k->have_console = true;
		if (local->have_console && memcmp(k->console_pk,
		    local->console_pk, 32) != 0)
			fprintf(stderr, _("jope-smb: note: the console key in "
			    "the historian is not the one in the state dir; "
			    "the historian's is used\n"));
	} else if (local->have_console) {
		memcpy(k->console_pk, local->console_pk, 32);
		k->have_console = true;
		fprintf(stderr, _("jope-smb: note: the historian holds no "
		    "console key for this source; using the state dir's "
		    "console.key\n"));
	}
	PQclear(r);
	if ((r = hist_query(h, "SELECT user_id, encode(public_key, 'hex'),"
	    " name, full_name, role, disabled FROM user_keys WHERE"
	    " source_id = $1 ORDER BY user_id", 1, p1)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct user_key uk;

		memset(&uk, 0, sizeof uk);
		uk.id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		hex_field(r, i, 1, uk.pk, 32);
		str_copy(uk.name, PQgetvalue(r, i, 2), sizeof uk.name);
		str_copy(uk.full_name, PQgetvalue(r, i, 3),
		    sizeof uk.full_name);
		str_copy(uk.role, PQgetvalue(r, i, 4), sizeof uk.role);
		uk.disabled = PQgetvalue(r, i, 5)[0] == 't';
		keyring_add(k, &uk);
	}
	PQclear(r);
	return 0;
}

/*
 * Walk the historian's events of the source, from since_us on (0: all),
 * in one snapshot.  *max_seq gets the highest seq stored.  0 or -1.
 */
static int
hist_walk(struct hist *h, int64_t since_us, struct walk *w, int64_t *max_seq)
{
	const char *p1[1] = { h->source_id };
	char sql[1024], since[96] = "";
	PGresult *r;
	int ret = -1;

	if (since_us > 0)
		snprintf(since, sizeof since, " AND time >= 'epoch'::timestamptz"
		    " + %" PRId64 " * interval '1 microsecond'", since_us);
	if (hist_exec(h, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != 0)
		return -1;
	snprintf(sql, sizeof sql, "SELECT count(*), coalesce(max(seq), 0) FROM"
	    " audit_events WHERE source_id = $1%s", since);
	if ((r = hist_query(h, sql, 1, p1)) == NULL)
		goto out;
	progress_begin(w, strtoll(PQgetvalue(r, 0, 0), NULL, 10));
	*max_seq = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	/* Time as µs since the epoch, exact on any server version. */
	snprintf(sql, sizeof sql, "DECLARE jope_audit NO SCROLL CURSOR FOR"
	    " SELECT seq, extract(epoch FROM date_trunc('second', time))"
	    "::bigint * 1000000 + (extract(microseconds FROM time)::bigint"
	    " %% 1000000), kind, coalesce(actor, ''), payload,"
	    " encode(prev_hash, 'hex'), encode(hash, 'hex'),"
	    " encode(signature, 'hex') FROM audit_events"
	    " WHERE source_id = %s%s ORDER BY seq", h->source_id, since);
	if (hist_exec(h, sql) != 0)
		goto out;
	for (;;) {
		int n;

		if ((r = hist_query(h, "FETCH " FETCH_ROWS " FROM jope_audit",
		    0, NULL)) == NULL)
			goto out;
		if ((n = PQntuples(r)) == 0) {
			PQclear(r);
			break;
		}
		for (int i = 0; i < n; i++) {
			struct audit_event e;
			bool fits = make_event(&e, strtoll(PQgetvalue(r, i, 0),
			    NULL, 10), strtoll(PQgetvalue(r, i, 1), NULL, 10),
			    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
			    PQgetvalue(r, i, 4));

			hex_field(r, i, 5, e.prev_hash, 32);
			hex_field(r, i, 6, e.hash, 32);
			hex_field(r, i, 7, e.sig, 64);
			walk_event(w, &e, fits);
		}
		PQclear(r);
	}
	ret = 0;
out:
	progress_end(w);
	hist_exec(h, ret == 0 ? "COMMIT" : "ROLLBACK");
	return ret;
}

/* What the spool says the historian must hold: its base event. */
static void
check_hist_base(struct walk *w, const struct ends *e, int64_t max_seq)
{
	char why[512];

	if (e->base_seq == 0)
		return;
	if (max_seq < e->base_seq) {
		snprintf(why, sizeof why, _("the historian ends at event %"
		    PRId64 ", but events up to %" PRId64 " were uploaded to it:"
		    " events missing"), max_seq, e->base_seq);
		add_fault(w, max_seq + 1, AUDIT_SEQ, why);
	} else if (w->probe_found &&
	    memcmp(w->probe_hash, e->base_hash, 32) != 0) {
		snprintf(why, sizeof why, _("event %" PRId64 " in the historian "
		    "is not the event that was uploaded: its hash differs from "
		    "the one the spool kept"), e->base_seq);
		add_fault(w, e->base_seq, AUDIT_HASH, why);
	}
}

/* --- verify -------------------------------------------------------------- */

static int
report(const struct options *o, const char *source, const struct walk *w,
    const struct keyring *k)
{
	bool intact = w->nfaults == 0;

	if (o->json) {
		json_t *faults = json_array(), *root;
		char *text;

		for (size_t i = 0; i < w->nfaults; i++)
			json_array_append_new(faults, json_pack("{s:I,s:s,s:s}",
			    "seq", (json_int_t)w->faults[i].seq, "fault",
			    audit_fault_name(w->faults[i].what), "message",
			    w->faults[i].why));
		root = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:o,s:I}", "source",
		    source, "intact", intact, "events",
		    (json_int_t)w->v.checked, "user_signatures",
		    (json_int_t)w->v.user_signatures, "first_seq",
		    (json_int_t)(w->any ? w->first_seq : 0), "last_seq",
		    (json_int_t)(w->any ? w->last_seq : 0), "faults", faults,
		    "more_faults", (json_int_t)w->more_faults);
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(text);
		free(text);
		json_decref(root);
	} else if (intact) {
		printf(_("intact: %" PRId64 " events, %" PRId64 " user "
		    "signatures\n"), w->v.checked, w->v.user_signatures);
		if (w->any)
			printf(_("(%s: events %" PRId64 " to %" PRId64 ")\n"),
			    source, w->first_seq, w->last_seq);
		else
			printf(_("(%s: no events)\n"), source);
	} else {
		printf(_("BROKEN: the first broken link is event %" PRId64
		    " (%s): %s\n"), w->faults[0].seq,
		    audit_fault_name(w->faults[0].what), w->faults[0].why);
		if (w->nfaults > 1)
			printf(_("Further faults:\n"));
		for (size_t i = 1; i < w->nfaults; i++)
			printf("  %s %" PRId64 " (%s): %s\n", _("event"),
			    w->faults[i].seq,
			    audit_fault_name(w->faults[i].what),
			    w->faults[i].why);
		if (w->more_faults > 0)
			printf(_("  ... and %" PRId64 " more\n"),
			    w->more_faults);
		printf(_("%" PRId64 " events checked intact, %" PRId64 " user "
		    "signatures verified (%s)\n"), w->v.checked,
		    w->v.user_signatures, source);
	}
	if (k->fallback_used > 0)
		fprintf(stderr, _("jope-smb: note: %" PRId64 " user key(s) were "
		    "taken from the state dir's keystore, not the historian\n"),
		    k->fallback_used);
	return intact ? EXIT_OK : EXIT_AUDIT_BROKEN;
}

static int
audit_verify(const struct options *o)
{
	struct keyring local, hk;
	struct spool *sp = NULL;
	struct walk *w = xcalloc(1, sizeof *w);
	int rc = EXIT_FAILURE_;

	memset(&local, 0, sizeof local);
	memset(&hk, 0, sizeof hk);
	if (open_spool(o, &sp) != 0 ||
	    keyring_local(options_state_dir(o), &local) != 0)
		goto out;
	if (!o->historian) {
		if (verify_spool(sp, &local, w) == 0)
			rc = report(o, _("spool"), w, &local);
	} else {
		struct app_config app;
		struct hist h;
		struct ends ends;
		int64_t max_seq = 0;

		memset(&h, 0, sizeof h);
		if (command_load_app(o, &app, NULL) != 0 ||
		    (h.c = hist_connect(&app, o)) == NULL)
			goto out;
		h.timeout_ms = (int)app.historian.timeout_ms;
		if (read_ends(sp, &ends) == 0 && hist_open(&h, sp, &hk,
		    &local) == 0) {
			char prev[40];
			/*
			 * A restored spool is a new source in the historian
			 * whose chain continues the old spool's at the backup:
			 * it starts above 1 (the restore event names the old
			 * spool, whose trail is checked on its own).
			 */
			bool restored = spool_previous_id(sp, prev,
			    sizeof prev) == 1;

			if (restored)
				fprintf(stderr, _("jope-smb: note: this spool was "
				    "restored from a backup of spool %s; its "
				    "trail in the historian continues that "
				    "spool's\n"), prev);
			w->verify = true;
			w->probe_seq = ends.base_seq;
			audit_verifier_init(&w->v, hk.console_pk, !restored);
			w->v.user_key = ring_user_key;
			w->v.ctx = &hk;
			if (hist_walk(&h, 0, w, &max_seq) == 0) {
				check_hist_base(w, &ends, max_seq);
				rc = report(o, _("historian"), w, &hk);
			}
		}
		PQfinish(h.c);
	}
out:
	free(local.u);
	free(hk.u);
	if (sp != NULL)
		spool_close(sp);
	free(w);
	return rc;
}

/* --- export -------------------------------------------------------------- */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * --since: "YYYY-MM-DD", optionally followed by "T" or " " and HH:MM,
 * HH:MM:SS or HH:MM:SS.ffffff, then "Z", "+HH:MM", "-HH:MM" or nothing
 * (UTC).  0 with *us, or -1.
 */
static int
parse_since(const char *s, int64_t *us)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, k = 0, oh = 0, om = 0;
	int64_t frac = 0, t;
	const char *p;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &k) != 3 || k != 10)
		return -1;
	p = s + k;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		k = 0;
		if (sscanf(p, "%2d:%2d%n", &h, &mi, &k) != 2 || k != 5)
			return -1;
		p += k;
		if (*p == ':') {
			k = 0;
			if (sscanf(p, ":%2d%n", &sec, &k) != 1 || k != 3)
				return -1;
			p += k;
			if (*p == '.') {
				int digits = 0;

				for (p++; *p >= '0' && *p <= '9'; p++, digits++)
					if (digits < 6)
						frac = frac * 10 + (*p - '0');
				if (digits == 0)
					return -1;
				for (; digits < 6; digits++)
					frac *= 10;
			}
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;

		k = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5 ||
		    oh > 23 || om > 59)
			return -1;
		oh *= sign;
		om *= sign;
		p += 1 + k;
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    (oh * 3600 + om * 60);
	*us = t * 1000000 + frac;
	return 0;
}

static FILE *
create_file(const char *dir, const char *name, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		fprintf(stderr, _("jope-smb: cannot write %s: %s\n"), path,
		    strerror(errno));
	return f;
}

static int
close_file(FILE *f, const char *path, bool failed)
{
	if (ferror(f) || failed) {
		fclose(f);
		fprintf(stderr, _("jope-smb: cannot write %s\n"), path);
		return -1;
	}
	if (fclose(f) != 0) {
		fprintf(stderr, _("jope-smb: cannot write %s: %s\n"), path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* console.pem and users.jsonl from the keyring (and its fallback). */
static int
export_keys(const char *dir, const struct keyring *k)
{
	char path[4096], *pem;
	FILE *f;
	int rc = 0;

	if (!k->have_console) {
		fprintf(stderr, _("jope-smb: no console key to export\n"));
		return -1;
	}
	if ((f = create_file(dir, "console.pem", path, sizeof path)) == NULL)
		return -1;
	pem = ed25519_public_pem(k->console_pk);
	fputs(pem, f);
	free(pem);
	if (close_file(f, path, false) != 0)
		return -1;
	if ((f = create_file(dir, "users.jsonl", path, sizeof path)) == NULL)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		const struct keyring *r = pass == 0 ? k : k->fallback;

		for (size_t i = 0; r != NULL && i < r->n; i++) {
			const struct user_key *u = &r->u[i];
			json_t *j;
			char *text;

			if (pass == 1 && keyring_find(k, u->id) != NULL)
				continue;
			pem = ed25519_public_pem(u->pk);
			j = json_pack("{s:I,s:s,s:s,s:s,s:b,s:s}", "id",
			    (json_int_t)u->id, "name", u->name, "full_name",
			    u->full_name, "role", u->role, "disabled",
			    u->disabled, "public_key_pem", pem);
			free(pem);
			text = j != NULL ? json_dumps(j, JSON_COMPACT |
			    JSON_PRESERVE_ORDER) : NULL;
			if (text == NULL || fprintf(f, "%s\n", text) < 0)
				rc = -1;
			free(text);
			json_decref(j);
		}
	}
	if (close_file(f, path, rc != 0) != 0)
		return -1;
	return 0;
}

static int
audit_export(const struct options *o)
{
	struct keyring local, hk, *keys = &local;
	struct spool *sp = NULL;
	struct walk *w = xcalloc(1, sizeof *w);
	char path[4096];
	int64_t since = 0, max_seq = 0;
	int rc = EXIT_FAILURE_;

	memset(&local, 0, sizeof local);
	memset(&hk, 0, sizeof hk);
	if (o->since != NULL && parse_since(o->since, &since) != 0) {
		fprintf(stderr, _("jope-smb: --since: not a time: '%s' (use "
		    "2026-11-21, 2026-11-21T08:00:00Z or "
		    "2026-11-21T08:00:00+08:00)\n"), o->since);
		free(w);
		return EXIT_USAGE;
	}
	if (open_spool(o, &sp) != 0 ||
	    keyring_local(options_state_dir(o), &local) != 0)
		goto out;
	if (make_dirs(o->out_dir, 0755) != 0) {
		fprintf(stderr, _("jope-smb: cannot create %s: %s\n"),
		    o->out_dir, strerror(errno));
		goto out;
	}
	if ((w->out = create_file(o->out_dir, "audit.jsonl", path,
	    sizeof path)) == NULL)
		goto out;
	w->since_us = since;
	if (!o->historian) {
		progress_begin(w, 0);
		if (spool_audit_each(sp, 0, spool_cb, w) != 0) {
			fprintf(stderr, "jope-smb: %s\n", spool_last_error(sp));
			fclose(w->out);
			goto out;
		}
	} else {
		struct app_config app;
		struct hist h;
		int hrc = -1;

		memset(&h, 0, sizeof h);
		if (command_load_app(o, &app, NULL) == 0 &&
		    (h.c = hist_connect(&app, o)) != NULL) {
			h.timeout_ms = (int)app.historian.timeout_ms;
			if (hist_open(&h, sp, &hk, &local) == 0) {
				keys = &hk;
				hrc = hist_walk(&h, since, w, &max_seq);
			}
			PQfinish(h.c);
		}
		if (hrc != 0) {
			fclose(w->out);
			goto out;
		}
	}
	if (close_file(w->out, path, w->write_failed) != 0 ||
	    export_keys(o->out_dir, keys) != 0)
		goto out;
	printf(_("Exported %" PRId64 " events from the %s to %s (audit.jsonl, "
	    "console.pem, users.jsonl).\n"), w->exported, o->historian ?
	    _("historian") : _("spool"), o->out_dir);
	rc = EXIT_OK;
out:
	free(local.u);
	free(hk.u);
	if (sp != NULL)
		spool_close(sp);
	free(w);
	return rc;
}

int
cmd_audit(const struct options *o)
{
	const char *sub = o->argc > 0 ? o->argv[0] : "";

	if (o->argc != 1 || (strcmp(sub, "verify") != 0 &&
	    strcmp(sub, "export") != 0)) {
		fprintf(stderr, _("jope-smb: audit: expected 'audit verify "
		    "[--historian] [--json]' or 'audit export [--since=TIME] "
		    "--out=DIR [--historian]'\n"));
		return EXIT_USAGE;
	}
	if (strcmp(sub, "verify") == 0) {
		if (o->since != NULL || o->out_dir != NULL) {
			fprintf(stderr, _("jope-smb: --since and --out belong to "
			    "'audit export'\n"));
			return EXIT_USAGE;
		}
		return audit_verify(o);
	}
	if (o->out_dir == NULL) {
		fprintf(stderr, _("jope-smb: audit export needs --out=DIR\n"));
		return EXIT_USAGE;
	}
	return audit_export(o);
}

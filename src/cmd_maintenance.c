/*
 * cmd_maintenance.c: `jope-smb maintenance list [--json]`,
 * `jope-smb maintenance announce --start TIME --end TIME --reason TEXT` and
 * `jope-smb maintenance cancel ID`.
 *
 * A console knows maintenance windows from two places: app.json's
 * "maintenance" (source config, part of the configuration in use) and its
 * spool (spool_maint_*): those announced here (source console) and those
 * announced at other consoles, brought by the uploader from the historian
 * (source historian).  list shows them all, merged by the rules of
 * maint_set_add, with their phase now and the banner the console shows.
 *
 * announce and cancel change what every console shows, so they are signed
 * like `config apply`: the signatures app.json requires for
 * maintenance_announce (two by default: a supervisor or admin, then a
 * supervisor or QA), four answers each from the terminal or one line each
 * from standard input (cli_sign.h, doc/change-control.md).  The signed
 * action is {"action":"maintenance_announce"|"maintenance_cancel",
 * "window": <maint_window_to_json>}; signing_record puts it with its
 * signatures into the audit trail (kind maintenance_announce or
 * maintenance_cancel), which carries it to the historian and from there
 * to the other consoles; then the window is stored in the spool, where the
 * engine of this console finds it.
 *
 * The announcer of a window is its first signer, and the window is part of
 * what both sign, so announce uses cli_sign_collect_named, which makes
 * the window (name_window) once the first user name is in.
 * Its id is "m-" and 16 hex digits of a BLAKE2b hash of start, end,
 * reason, first signer and the time of the announcement: unique, and
 * fixed from then on.  cancel signs the known window with "cancelled":
 * true through cli_sign_collect.  Every refusal (bad times, a window over
 * already, an unknown or cancelled id, a window of app.json, a signature
 * refused) changes nothing and says why.
 *
 *   command                exit status
 *   ---------------------  -------------------------------------------------
 *   maintenance list       0, 1 when the configuration or spool cannot be read
 *   maintenance announce   0 announced; 1 refused, nothing changed
 *   maintenance cancel     0 cancelled; 1 refused, nothing changed
 *   (any)                  2 usage error
 */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli_sign.h"
#include "cli_table.h"
#include "commands.h"
#include "compliance/approval.h"
#include "compliance/config_store.h"
#include "compliance/console_key.h"
#include "compliance/esign.h"
#include "compliance/keystore.h"
#include "compliance/signing.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/util.h"
#include "engine.h"
#include "plant/maintenance.h"
#include "store/spool.h"
#include "term_password.h"

struct session {
	const struct options *o;
	struct app_config app;
	struct maint_window *config_w;	/* app.json's windows */
	size_t nconfig;
	char *spool_path;
	struct spool *sp;		/* NULL: no spool yet (list only) */
	struct console_key *key;
	struct signing_env env;
};

/* --- opening ------------------------------------------------------------ */

/* Whether the state dir or config dir holds a configuration at all. */
static bool
has_config(const struct options *o)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/app.json", options_config_dir(o));
	if (access(path, F_OK) == 0)
		return true;
	snprintf(path, sizeof path, "%s/" CONFIG_STORE_DIR "/CURRENT",
	    options_state_dir(o));
	return access(path, F_OK) == 0;
}

/*
 * The configuration in use (with its windows) and the spool; for signing
 * also the console key.  Without a spool, list works on app.json alone.
 */
static int
session_open(struct session *s, const struct options *o, bool signing)
{
	char err[1024];
	struct stat st;

	memset(s, 0, sizeof *s);
	s->o = o;
	if (has_config(o)) {
		struct model *m = command_load_model(o);

		if (m == NULL)
			return -1;
		s->app = m->app;
		if (m->nmaintenance > 0) {
			s->config_w = xcalloc(m->nmaintenance,
			    sizeof *s->config_w);
			memcpy(s->config_w, m->maintenance, m->nmaintenance *
			    sizeof *s->config_w);
			s->nconfig = m->nmaintenance;
		}
		model_free(m);
		s->spool_path = engine_spool_path_for(&s->app,
		    options_state_dir(o));
	} else if (command_load_app(o, &s->app, &s->spool_path) != 0)
		return -1;
	if (!signing && stat(s->spool_path, &st) != 0)
		return 0;
	if (spool_open(s->spool_path, &s->sp, err, sizeof err) != 0) {
		fprintf(stderr, "jope-smb: %s\n", err);
		return -1;
	}
	if (!signing)
		return 0;
	if ((s->key = console_key_load(options_state_dir(o), err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "jope-smb: %s\n", err);
		return -1;
	}
	s->env = (struct signing_env){
		.state_dir = options_state_dir(o),
		.spool = s->sp,
		.key = s->key,
		.policy = &s->app.signatures,
		.max_failures = s->app.compliance.max_failures,
		.lockout_us = s->app.compliance.lockout_ms * 1000,
	};
	return 0;
}

static void
session_close(struct session *s)
{
	console_key_free(s->key);
	spool_close(s->sp);
	free(s->config_w);
	free(s->spool_path);
}

static int64_t
now_us(void)
{
	return clock_real_us(clock_real());
}

static void
time_text(int64_t us, char *buf, size_t len)
{
	/* Whole seconds as people write them; else with microseconds. */
	format_rfc3339_us(us, buf, len);
	if (us % 1000000 == 0) {
		char *dot = strchr(buf, '.');

		if (dot != NULL)
			str_copy(dot, "Z", 2);
	}
}

/* The stored form of w as compact text (malloc'ed), NULL when invalid. */
static char *
window_text(const struct maint_window *w)
{
	json_t *j = maint_window_to_json(w);
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	return text;
}

/* {"action": kind, "window": ...} as text (malloc'ed), NULL when invalid. */
static char *
action_text(const char *kind, const struct maint_window *w)
{
	json_t *win = maint_window_to_json(w), *j;
	char *text;

	if (win == NULL)
		return NULL;
	j = json_pack("{s:s,s:o}", "action", kind, "window", win);
	text = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) :
	    NULL;
	json_decref(j);
	return text;
}

/* --- the windows known ------------------------------------------------------ */

struct known {
	struct maint_set set;
};

static void
known_add(struct known *k, const struct maint_window *w)
{
	char err[256];

	if (maint_set_add(&k->set, w, err, sizeof err) < 0)
		fprintf(stderr, _("jope-smb: warning: maintenance window %s "
		    "left out: %s\n"), w->id, err);
}

static int
known_spool_cb(void *ctx, const char *text)
{
	struct known *k = ctx;
	json_t *j = json_loads(text, 0, NULL);
	struct maint_window w;
	char err[256];

	if (j == NULL || maint_window_from_json(j, &w, err, sizeof err) != 0) {
		fprintf(stderr, _("jope-smb: warning: a maintenance window in "
		    "the spool cannot be read: %s\n"), j == NULL ?
		    _("not JSON") : err);
		json_decref(j);
		return 0;
	}
	json_decref(j);
	known_add(k, &w);
	return 0;
}

/* app.json's windows, then the spool's; 0 or -1 after saying why. */
static int
known_load(struct session *s, struct known *k)
{
	memset(k, 0, sizeof *k);
	maint_set_init(&k->set);
	for (size_t i = 0; i < s->nconfig; i++)
		known_add(k, &s->config_w[i]);
	if (s->sp != NULL && spool_maint_each(s->sp, known_spool_cb, k) != 0) {
		fprintf(stderr, "jope-smb: %s\n", spool_last_error(s->sp));
		return -1;
	}
	return 0;
}

/* What a window is now, as a stable name. */
static const char *
status_name(const struct maint_window *w, int64_t now)
{
	if (w->cancelled)
		return "cancelled";
	if (now >= w->end_us)
		return "over";
	switch (maint_window_phase(w, now)) {
	case MAINT_ACTIVE:
		return "active";
	case MAINT_ANNOUNCED:
		return "announced";
	case MAINT_NONE:
		break;
	}
	return "scheduled";
}

static const char *
status_text(const char *name)
{
	if (strcmp(name, "cancelled") == 0)
		return _("cancelled");
	if (strcmp(name, "over") == 0)
		return _("over");
	if (strcmp(name, "active") == 0)
		return _("in maintenance");
	if (strcmp(name, "announced") == 0)
		return _("announced");
	return _("scheduled");
}

/* --- maintenance list ------------------------------------------------------- */

/* {"now", "phase" (of the banner), "window_id" (its window), "windows"}. */
static void
print_json_windows(const char *when, const struct maint_banner *b,
    json_t *list)
{
	json_t *root = json_pack("{s:s,s:s,s:o,s:o}", "now", when, "phase",
	    maint_phase_name(b->phase), "window_id", b->phase == MAINT_NONE ?
	    json_null() : json_string(b->w.id), "windows", list);
	char *text = root != NULL ? json_dumps(root, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER) : NULL;

	if (text != NULL)
		puts(text);
	free(text);
	json_decref(root);
}

static int
maint_list(struct session *s)
{
	struct maint_banner b;
	struct known k;
	int64_t now = now_us();
	char when[40];

	if (known_load(s, &k) != 0)
		return EXIT_FAILURE_;
	maint_banner(&k.set, now, &b);
	format_rfc3339_us(now, when, sizeof when);
	if (s->o->json) {
		json_t *list = json_array();

		for (size_t i = 0; i < k.set.n; i++) {
			const struct maint_window *w = &k.set.w[i];
			json_t *j = maint_window_to_json(w);

			json_object_set_new(j, "phase", json_string(
			    maint_phase_name(maint_window_phase(w, now))));
			json_object_set_new(j, "status",
			    json_string(status_name(w, now)));
			json_array_append_new(list, j);
		}
		print_json_windows(when, &b, list);
		return EXIT_OK;
	}
	if (k.set.n == 0) {
		printf(_("No maintenance window is known.\n"));
		return EXIT_OK;
	}
	if (b.phase == MAINT_NONE)
		printf(_("Now %s: no maintenance banner.\n"), when);
	else {
		char until[40];

		time_text(b.until_us, until, sizeof until);
		printf(b.phase == MAINT_ACTIVE ? _("Now %s: IN MAINTENANCE "
		    "until %s (%s)\n") : _("Now %s: maintenance announced "
		    "from %s (%s)\n"), when, until, b.w.reason);
	}
	{
		const char *head[7] = { _("ID"), _("START"), _("END"),
		    _("STATUS"), _("SOURCE"), _("ANNOUNCED BY"), _("REASON") };
		struct cli_table *t = cli_table_new(7, head);

		for (size_t i = 0; i < k.set.n; i++) {
			const struct maint_window *w = &k.set.w[i];
			char start[40], end[40];
			const char *row[7] = { w->id, start, end,
			    status_text(status_name(w, now)),
			    maint_source_name(w->source),
			    w->announced_by[0] != '\0' ? w->announced_by : "-",
			    w->reason };

			time_text(w->start_us, start, sizeof start);
			time_text(w->end_us, end, sizeof end);
			cli_table_add(t, row);
		}
		cli_table_print(t, stdout);
		cli_table_free(t);
	}
	return EXIT_OK;
}

/* --- maintenance announce ---------------------------------------------------- */

/* "m-" and 16 hex digits of BLAKE2b over what makes the window unique. */
static void
make_id(struct maint_window *w, int64_t now)
{
	unsigned char h[crypto_generichash_BYTES_MIN];
	char msg[1024];

	snprintf(msg, sizeof msg, "%" PRId64 "|%" PRId64 "|%s|%s|%" PRId64,
	    w->start_us, w->end_us, w->reason, w->announced_by, now);
	crypto_generichash(h, sizeof h, (const unsigned char *)msg,
	    strlen(msg), NULL, 0);
	snprintf(w->id, sizeof w->id, "m-");
	for (size_t i = 0; i < 8; i++)
		snprintf(w->id + 2 + 2 * i, sizeof w->id - 2 - 2 * i, "%02x",
		    h[i]);
}

/*
 * The window of the options (start, end, reason), announced by "?" until
 * the first signer is known; 0, or -1 after saying why.
 */
static int
draft_window(const struct options *o, struct maint_window *w)
{
	json_t *j;
	char err[512];
	int rc;

	if (o->start == NULL || o->end == NULL || o->reason == NULL) {
		fprintf(stderr, _("jope-smb: maintenance announce needs --start, "
		    "--end and --reason\n"));
		return -1;
	}
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", "m-0", "start",
	    o->start, "end", o->end, "reason", o->reason, "announced_by", "?",
	    "source", "console");
	rc = j != NULL ? maint_window_from_json(j, w, err, sizeof err) : -1;
	json_decref(j);
	if (rc != 0) {
		fprintf(stderr, _("jope-smb: maintenance announce: %s; nothing "
		    "was changed\n"), j != NULL ? err : _("not valid text"));
		return -1;
	}
	if (w->end_us <= now_us()) {
		fprintf(stderr, _("jope-smb: maintenance announce: the window "
		    "ends at %s, which is past; nothing was changed\n"),
		    o->end);
		return -1;
	}
	return 0;
}

/*
 * The window named after its announcer, the first signer, once that name
 * is in (cli_sign_collect_named): the action both sign, or NULL after
 * saying why.
 */
static char *
name_window(void *ctx, const char *first_user)
{
	struct maint_window *w = ctx, named = *w;
	char err[512];

	str_copy(named.announced_by, first_user, sizeof named.announced_by);
	make_id(&named, now_us());
	if (strlen(first_user) >= sizeof named.announced_by ||
	    maint_window_check(&named, err, sizeof err) != 0) {
		fprintf(stderr, _("jope-smb: %s cannot announce a window: the "
		    "user name does not fit; nothing was changed\n"),
		    first_user);
		return NULL;
	}
	*w = named;
	return action_text("maintenance_announce", w);
}

/* Record the signed action and store the window; the exit status. */
static int
record_and_store(struct session *s, const char *kind,
    const char *action_json, const struct maint_window *w,
    const struct esig *sigs, size_t n)
{
	char msg[512], *text;
	int64_t seq;

	seq = signing_record(&s->env, ACT_MAINTENANCE_ANNOUNCE, kind,
	    action_json, sigs, n, msg, sizeof msg);
	if (seq < 0) {
		fprintf(stderr, _("jope-smb: %s; nothing was changed\n"), msg);
		return EXIT_FAILURE_;
	}
	/* Recorded: the trail carries it to the other consoles already. */
	text = window_text(w);
	if (text == NULL || spool_maint_put(s->sp, w->id, w->end_us,
	    text) != 0) {
		fprintf(stderr, _("jope-smb: the window is recorded in the "
		    "audit trail (event %" PRId64 ") but could not be stored "
		    "in the spool: %s\n"), seq, text == NULL ? "json" :
		    spool_last_error(s->sp));
		free(text);
		return EXIT_FAILURE_;
	}
	free(text);
	if (w->cancelled)
		printf(_("Maintenance window %s is cancelled (audit event "
		    "%" PRId64 "); every console shows it after its next sync "
		    "with the historian.\n"), w->id, seq);
	else
		printf(_("Maintenance window %s announced (audit event %" PRId64
		    "); every console shows it after its next sync with the "
		    "historian.\n"), w->id, seq);
	return EXIT_OK;
}

static int
maint_announce(struct session *s, struct maint_window *w)
{
	struct esig sigs[2];
	char *action_json = NULL, start[40], end[40];
	size_t n = 0;
	int rc;

	memset(sigs, 0, sizeof sigs);
	time_text(w->start_us, start, sizeof start);
	time_text(w->end_us, end, sizeof end);
	printf(_("Announcing maintenance from %s to %s (%s) to every "
	    "console:\n"), start, end, w->reason);
	fflush(stdout);
	action_json = action_text("maintenance_announce", w);
	if (cli_sign_collect_named(&s->env, ACT_MAINTENANCE_ANNOUNCE,
	    name_window, w, _("jope-smb: a signature on a maintenance window "
	    "needs a reason; nothing was changed\n"), sigs, &n,
	    &action_json) != 0) {
		free(action_json);
		return EXIT_FAILURE_;
	}
	rc = record_and_store(s, "maintenance_announce", action_json, w, sigs,
	    n);
	free(action_json);
	return rc;
}

/* --- maintenance cancel ------------------------------------------------------ */

static int
maint_cancel(struct session *s, const char *id)
{
	const struct maint_window *known;
	struct maint_window w;
	struct esig sigs[2];
	struct known k;
	char *action_json, start[40], end[40];
	size_t n = 0;
	int rc;

	if (known_load(s, &k) != 0)
		return EXIT_FAILURE_;
	if ((known = maint_set_find(&k.set, id)) == NULL) {
		fprintf(stderr, _("jope-smb: no maintenance window %s is known "
		    "here ('maintenance list' shows them); nothing was "
		    "changed\n"), id);
		return EXIT_FAILURE_;
	}
	w = *known;
	if (w.source == MAINT_SRC_CONFIG) {
		fprintf(stderr, _("jope-smb: window %s comes from app.json: "
		    "remove it there and apply the configuration; nothing was "
		    "changed\n"), id);
		return EXIT_FAILURE_;
	}
	if (w.cancelled) {
		fprintf(stderr, _("jope-smb: window %s is cancelled already; "
		    "nothing was changed\n"), id);
		return EXIT_FAILURE_;
	}
	if (now_us() >= w.end_us) {
		fprintf(stderr, _("jope-smb: window %s is over already; nothing "
		    "was changed\n"), id);
		return EXIT_FAILURE_;
	}
	w.cancelled = true;
	if ((action_json = action_text("maintenance_cancel", &w)) == NULL) {
		fprintf(stderr, _("jope-smb: window %s cannot be written as "
		    "JSON; nothing was changed\n"), id);
		return EXIT_FAILURE_;
	}
	time_text(w.start_us, start, sizeof start);
	time_text(w.end_us, end, sizeof end);
	printf(_("Cancelling maintenance window %s from %s to %s (%s), "
	    "announced by %s:\n"), id, start, end, w.reason, w.announced_by);
	fflush(stdout);
	memset(sigs, 0, sizeof sigs);
	if (cli_sign_collect(&s->env, ACT_MAINTENANCE_ANNOUNCE, action_json,
	    _("jope-smb: a signature on a maintenance window needs a reason; "
	    "nothing was changed\n"), sigs, &n) != 0) {
		free(action_json);
		return EXIT_FAILURE_;
	}
	rc = record_and_store(s, "maintenance_cancel", action_json, &w, sigs,
	    n);
	free(action_json);
	return rc;
}

/* --- dispatch -------------------------------------------------------------- */

static int
usage_error(void)
{
	fprintf(stderr, _("jope-smb: maintenance: expected one of\n"
	    "  maintenance list [--json]\n"
	    "  maintenance announce --start=TIME --end=TIME --reason=TEXT\n"
	    "  maintenance cancel ID\n"));
	return EXIT_USAGE;
}

int
cmd_maintenance(const struct options *o)
{
	const char *sub = o->argc > 0 ? o->argv[0] : "";
	struct maint_window draft;
	struct session s;
	int rc;

	if (strcmp(sub, "list") == 0 || strcmp(sub, "announce") == 0) {
		if (o->argc != 1)
			return usage_error();
	} else if (strcmp(sub, "cancel") == 0) {
		if (o->argc != 2 || o->argv[1][0] == '\0')
			return usage_error();
	} else
		return usage_error();
	if (strcmp(sub, "announce") == 0) {
		if (o->start == NULL || o->end == NULL || o->reason == NULL) {
			draft_window(o, &draft);
			return EXIT_USAGE;
		}
		/* Checked before anyone is asked to sign. */
		if (draft_window(o, &draft) != 0)
			return EXIT_FAILURE_;
		if (sodium_init() < 0) {
			fprintf(stderr, _("jope-smb: libsodium cannot be "
			    "initialised\n"));
			return EXIT_FAILURE_;
		}
	}
	if (session_open(&s, o, strcmp(sub, "list") != 0) != 0) {
		session_close(&s);
		return EXIT_FAILURE_;
	}
	if (strcmp(sub, "list") == 0)
		rc = maint_list(&s);
	else if (strcmp(sub, "announce") == 0)
		rc = maint_announce(&s, &draft);
	else
		rc = maint_cancel(&s, o->argv[1]);
	session_close(&s);
	return rc;
}

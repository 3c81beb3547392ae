/*
 * cmd_db.c: `jope-smb db status|migrate|down N`, the historian's schema.
 *
 * The schema changes only through these commands (migrate.h); the console's
 * uploader never migrates by itself, it waits and says what to run.  Every
 * change is an audit event of the state dir's trail: a migration records
 * who ran it and the steps; rolling back drops tables with their data, so
 * `db down` shows what it would undo, does nothing without --yes, and then
 * needs the signatures app.json requires for schema_rollback (two by
 * default: an admin and QA), asked like `config apply` asks them.
 */
#include "config.h"

#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_sign.h"
#include "commands.h"
#include "compliance/audit_log.h"
#include "compliance/console_key.h"
#include "compliance/signing.h"
#include "core/i18n.h"
#include "core/util.h"
#include "historian/migrate.h"
#include "historian/pgconn.h"
#include "store/spool.h"

static PGconn *
db_connect(const struct options *o, struct model **mp)
{
	struct model *m = command_load_model(o);
	struct pg_params p;
	char err[512];
	PGconn *c;

	*mp = m;
	if (m == NULL)
		return NULL;
	if (m->app.historian_conninfo[0] == '\0') {
		fprintf(stderr, _("jope-smb: no historian configured "
		    "(historian.conninfo in %s/app.json)\n"),
		    options_config_dir(o));
		return NULL;
	}
	p = (struct pg_params){ .conninfo = m->app.historian_conninfo,
	    .password_file = m->app.historian.password_file,
	    .application_name = "jope-smb db",
	    .timeout_ms = (int)m->app.historian.timeout_ms };
	if ((c = pg_connect(&p, -1, err, sizeof err)) == NULL)
		fprintf(stderr, _("jope-smb: cannot connect to the historian: "
		    "%s\n"), err);
	return c;
}

/* "user@host", for schema_migrations.applied_by. */
static void
who_am_i(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	char host[128] = "";

	gethostname(host, sizeof host - 1);
	snprintf(buf, len, "%s@%s", pw != NULL ? pw->pw_name : "?", host);
}

/* The state dir's audit trail, where schema changes are recorded. */
struct trail {
	struct app_config app;
	struct spool *sp;
	struct console_key *key;
};

static int
trail_open(const struct options *o, struct trail *t)
{
	char *path = NULL, err[512];

	memset(t, 0, sizeof *t);
	if (command_load_app(o, &t->app, &path) != 0)
		return -1;
	if (spool_open(path, &t->sp, err, sizeof err) != 0 ||
	    (t->key = console_key_load(options_state_dir(o), err,
	    sizeof err)) == NULL) {
		fprintf(stderr, _("jope-smb: the audit trail cannot be opened: "
		    "%s; nothing was changed\n"), err);
		free(path);
		spool_close(t->sp);
		t->sp = NULL;
		return -1;
	}
	free(path);
	return 0;
}

static void
trail_close(struct trail *t)
{
	console_key_free(t->key);
	spool_close(t->sp);
}

/* An audit event of a schema change; a failure to record is said. */
static void
trail_event(struct trail *t, const char *kind, json_t *payload)
{
	char err[256];

	if (audit_log_append(t->sp, t->key, kind, "", payload, 0, err,
	    sizeof err) < 0)
		fprintf(stderr, _("jope-smb: the audit event %s could not be "
		    "recorded: %s\n"), kind, err);
}

static void
print_step(void *ctx, const struct migration *m, bool up)
{
	json_t *steps = ctx;

	printf(up ? _("applied  %04d %s\n") : _("reverted %04d %s\n"),
	    m->version, m->name);
	fflush(stdout);
	json_array_append_new(steps, json_pack("{s:i,s:s,s:s}", "version",
	    m->version, "name", m->name, "checksum", m->checksum));
}

static const struct migration_applied *
find_applied(const struct migration_applied *a, size_t n, int version)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].version == version)
			return &a[i];
	return NULL;
}

/* One migration's state: applied, pending, modified, unknown. */
static const char *
migration_state(const struct migration *m, const struct migration_applied *a)
{
	if (m == NULL)
		return "unknown";
	if (a == NULL)
		return "pending";
	return strcmp(a->checksum, m->checksum) == 0 ? "applied" : "modified";
}

static const char *
state_text(const char *s)
{
	if (strcmp(s, "applied") == 0)
		return _("applied");
	if (strcmp(s, "pending") == 0)
		return _("pending");
	if (strcmp(s, "modified") == 0)
		return _("applied, but the script has changed since");
	return _("applied by a newer jope-smb");
}

static int
db_status(const struct options *o, PGconn *c)
{
	struct migration_applied *a;
	size_t n;
	int latest = migrate_latest(), current = 0, top;
	bool clean = true;
	char err[512], server[160];
	json_t *list = json_array();

	if (migrate_applied(c, &a, &n, err, sizeof err) != 0) {
		fprintf(stderr, _("jope-smb: cannot read the schema: %s\n"), err);
		json_decref(list);
		return EXIT_FAILURE_;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i].version > current)
			current = a[i].version;
	top = current > latest ? current : latest;
	pg_describe(c, server, sizeof server);
	for (int v = 1; v <= top; v++) {
		const struct migration *m = migrate_get(v);
		const struct migration_applied *ap = find_applied(a, n, v);
		const char *st;

		if (m == NULL && ap == NULL)
			continue;
		st = migration_state(m, ap);
		if (strcmp(st, "applied") != 0)
			clean = false;
		json_array_append_new(list, json_pack("{s:i,s:s,s:s,s:s?,s:s?}",
		    "version", v, "name", m != NULL ? m->name : ap->name,
		    "state", st, "applied_at", ap != NULL ? ap->applied_at : NULL,
		    "applied_by", ap != NULL ? ap->applied_by : NULL));
	}
	if (o->json) {
		json_t *root = json_pack("{s:s,s:i,s:i,s:b,s:o}", "server",
		    server, "version", current, "latest", latest,
		    "up_to_date", clean, "migrations", list);
		char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		puts(s);
		free(s);
		json_decref(root);
	} else {
		size_t i;
		json_t *e;

		printf(_("Historian:  %s\n"), server);
		printf(_("Schema:     version %d; this program knows %d\n"),
		    current, latest);
		json_array_foreach(list, i, e) {
			const char *at = json_string_value(json_object_get(e,
			    "applied_at"));

			printf("  %04d %-20s %s", (int)json_integer_value(
			    json_object_get(e, "version")),
			    json_string_value(json_object_get(e, "name")),
			    state_text(json_string_value(json_object_get(e,
			    "state"))));
			if (at != NULL)
				printf(_(" (%s by %s)"), at, json_string_value(
				    json_object_get(e, "applied_by")));
			putchar('\n');
		}
		if (!clean)
			printf(_("Not up to date: run 'jope-smb db migrate'.\n"));
		json_decref(list);
	}
	free(a);
	return clean ? EXIT_OK : EXIT_SCHEMA;
}

static int
db_migrate(const struct options *o, PGconn *c)
{
	char err[512], who[200], server[160];
	json_t *steps = json_array();
	struct trail t;
	int n, from = 0;

	if (trail_open(o, &t) != 0) {
		json_decref(steps);
		return EXIT_FAILURE_;
	}
	who_am_i(who, sizeof who);
	pg_describe(c, server, sizeof server);
	(void)migrate_current(c, &from, err, sizeof err);
	n = migrate_up(c, migrate_latest(), who, print_step, steps, err,
	    sizeof err);
	if (json_array_size(steps) > 0)
		trail_event(&t, "schema_migrated", json_pack("{s:s,s:s,s:i,s:o}",
		    "server", server, "by", who, "from", from, "steps", steps));
	else
		json_decref(steps);
	trail_close(&t);
	if (n < 0) {
		fprintf(stderr, _("jope-smb: migration failed: %s\n"
		    "The failed step changed nothing.\n"), err);
		return EXIT_FAILURE_;
	}
	if (n == 0)
		printf(_("The schema is up to date (version %d).\n"),
		    migrate_latest());
	return EXIT_OK;
}

static int
db_down(const struct options *o, PGconn *c, int target)
{
	char err[512], server[160], *action_text;
	struct esig sigs[2];
	struct trail t;
	json_t *steps, *action;
	size_t nsigs = 0;
	int current, n, rc = EXIT_FAILURE_;

	if (migrate_current(c, &current, err, sizeof err) != 0) {
		fprintf(stderr, _("jope-smb: cannot read the schema: %s\n"), err);
		return EXIT_FAILURE_;
	}
	if (target >= current) {
		printf(_("The schema is at version %d: nothing to roll back.\n"),
		    current);
		return EXIT_OK;
	}
	if (!o->yes) {
		fprintf(stderr, _("jope-smb: rolling back from version %d to %d "
		    "would run:\n"), current, target);
		for (int v = current; v > target; v--) {
			const struct migration *m = migrate_get(v);

			fprintf(stderr, "  %04d %s\n", v, m != NULL ? m->name :
			    "?");
		}
		fprintf(stderr, _("This drops the tables of those versions with "
		    "their data. Nothing was done; add --yes to do it.\n"));
		return EXIT_USAGE;
	}
	if (trail_open(o, &t) != 0)
		return EXIT_FAILURE_;
	pg_describe(c, server, sizeof server);
	action = json_pack("{s:s,s:s,s:i,s:i}", "action", "schema_rollback",
	    "server", server, "from", current, "to", target);
	action_text = json_dumps(action, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(action);
	{
		struct signing_env env = {
			.state_dir = options_state_dir(o),
			.spool = t.sp,
			.key = t.key,
			.policy = &t.app.signatures,
			.max_failures = t.app.compliance.max_failures,
			.lockout_us = t.app.compliance.lockout_ms * 1000,
		};

		printf(_("Rolling the schema of %s back from version %d to %d "
		    "drops tables with their data; it needs %d signature(s).\n"),
		    server, current, target,
		    t.app.signatures.rule[ACT_SCHEMA_ROLLBACK].signatures);
		fflush(stdout);
		if (cli_sign_collect(&env, ACT_SCHEMA_ROLLBACK, action_text,
		    _("jope-smb: a signature on a schema roll-back needs a "
		    "reason; nothing was changed\n"), sigs, &nsigs) != 0)
			goto out;
		/* The approval is on record before anything is dropped. */
		if (signing_record(&env, ACT_SCHEMA_ROLLBACK, "schema_rollback",
		    action_text, sigs, nsigs, err, sizeof err) < 0) {
			fprintf(stderr, _("jope-smb: the roll-back cannot be "
			    "recorded: %s; nothing was changed\n"), err);
			goto out;
		}
	}
	steps = json_array();
	n = migrate_down(c, target, print_step, steps, err, sizeof err);
	if (n < 0) {
		fprintf(stderr, _("jope-smb: roll-back failed: %s\n"
		    "The failed step changed nothing.\n"), err);
		trail_event(&t, "action_failed", json_pack("{s:s,s:s,s:o}",
		    "action", "schema_rollback", "error", err, "steps_done",
		    steps));
		goto out;
	}
	trail_event(&t, "schema_rolled_back", json_pack("{s:s,s:i,s:o}",
	    "server", server, "to", target, "steps", steps));
	rc = EXIT_OK;
out:
	free(action_text);
	trail_close(&t);
	return rc;
}

int
cmd_db(const struct options *o)
{
	const char *sub = o->argc > 0 ? o->argv[0] : "status";
	struct model *m = NULL;
	long target = 0;
	PGconn *c;
	int rc;

	if (strcmp(sub, "status") != 0 && strcmp(sub, "migrate") != 0 &&
	    strcmp(sub, "down") != 0) {
		fprintf(stderr, _("jope-smb: db: unknown subcommand '%s' "
		    "(status, migrate, down N)\n"), sub);
		return EXIT_USAGE;
	}
	if (strcmp(sub, "down") == 0) {
		char *end = NULL;

		if (o->argc > 1)
			target = strtol(o->argv[1], &end, 10);
		if (o->argc != 2 || end == o->argv[1] || *end != '\0' ||
		    target < 0 || target > 9999) {
			fprintf(stderr, _("jope-smb: db down needs the version "
			    "to roll back to, e.g. 'db down 1' (0: remove "
			    "everything)\n"));
			return EXIT_USAGE;
		}
	} else if (o->argc > 1) {
		fprintf(stderr, _("jope-smb: db %s takes no arguments\n"), sub);
		return EXIT_USAGE;
	}
	if (migrate_latest() == 0) {
		fprintf(stderr, _("jope-smb: this build has no valid historian "
		    "migrations\n"));
		return EXIT_FAILURE_;
	}
	if ((c = db_connect(o, &m)) == NULL) {
		model_free(m);
		return EXIT_FAILURE_;
	}
	if (strcmp(sub, "status") == 0)
		rc = db_status(o, c);
	else if (strcmp(sub, "migrate") == 0)
		rc = db_migrate(o, c);
	else
		rc = db_down(o, c, (int)target);
	PQfinish(c);
	model_free(m);
	return rc;
}

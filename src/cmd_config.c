/*
 * cmd_config.c: `jope-smb config diff|apply|versions|rollback N`, change
 * control of the configuration (doc/change-control.md).
 *
 * The engine runs only applied versions (compliance/config_store.h); the
 * config dir is where the next one is prepared.  These commands compare
 * it with the version in use, take it into use with the configured
 * signatures, list the versions and bring an earlier one back, always as
 * a new version (versions are never rewritten).  A running console or
 * `jope-smb run` notices the new version within a second and reloads it.
 *
 *   command            exit status
 *   -----------------  ---------------------------------------------------
 *   config diff        0 no difference, 1 invalid config (every error
 *                      listed) or no store, 4 differences (listed)
 *   config apply       0 applied; 1 refused with nothing changed: invalid
 *   config rollback N  config, no difference, a signature refused or
 *                      failed, another change first
 *   config versions    0, 1 when the store cannot be read
 *   (any)              2 usage error
 *
 * Signatures (ACT_CONFIG_APPLY; by default two: a supervisor or admin,
 * then QA; the rules of the version in use) are asked for in order by
 * cli_sign.c, each with four answers read from the terminal (the password
 * without echo) or, when standard input is not a terminal, one line each
 * from it (term_password.h):
 *
 *   1. user name of signer 1
 *   2. password of signer 1
 *   3. meaning of signer 1: performed, reviewed, approved or verified
 *      (an empty line: approved)
 *   4. reason of signer 1 (not empty)
 *   5-8. the same for signer 2, who must be another person
 *
 * Each signature is checked when its four answers are in (policy first,
 * then the password, failures audited by signing.c); the first refusal
 * ends the command with nothing changed.  Input that ends early is audited
 * as signature_cancelled.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_sign.h"
#include "cli_table.h"
#include "commands.h"
#include "compliance/approval.h"
#include "compliance/config_change.h"
#include "compliance/config_diff.h"
#include "compliance/config_store.h"
#include "compliance/console_key.h"
#include "compliance/esign.h"
#include "compliance/signing.h"
#include "config/config.h"
#include "core/i18n.h"
#include "core/util.h"
#include "engine.h"
#include "store/spool.h"

/* What a signing needs: the trail and the console key. */
struct session {
	const struct options *o;
	struct config_store *cs;
	struct spool *sp;
	struct console_key *key;
	struct signing_env env;
};

static void
print_json(json_t *root)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text != NULL)
		puts(text);
	free(text);
	json_decref(root);
}

static json_t *
errors_json(const struct config_errors *errs)
{
	json_t *list = json_array();

	for (size_t i = 0; i < errs->n; i++) {
		const struct config_error *e = &errs->v[i];

		json_array_append_new(list, json_pack("{s:s,s:i,s:i,s:s,s:s}",
		    "file", e->file, "line", e->line, "column", e->column,
		    "path", e->path, "message", e->message));
	}
	return list;
}

static int
session_open_store(struct session *s)
{
	char err[1024];

	if ((s->cs = config_store_open(options_state_dir(s->o), err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "jope-smb: %s\n", err);
		return -1;
	}
	return 0;
}

static void
session_close(struct session *s)
{
	console_key_free(s->key);
	if (s->sp != NULL)
		spool_close(s->sp);
	config_store_close(s->cs);
}

/* Why a change could not be prepared: every error, or the one message. */
static void
print_refusal(const struct options *o, const struct config_errors *errs,
    const char *err)
{
	if (o->json) {
		print_json(json_pack("{s:b,s:o,s:s}", "valid", errs->n == 0,
		    "errors", errors_json(errs), "message", err));
		return;
	}
	config_errors_print(errs, stderr);
	fprintf(stderr, "jope-smb: %s\n", err);
}

static void
print_diff_lines(const json_t *diff)
{
	json_t *e;
	size_t i;

	json_array_foreach(diff, i, e) {
		char *line = config_diff_format(e);

		printf("  %s\n", line);
		free(line);
	}
}

/* --- config diff ------------------------------------------------------- */

static int
config_diff(struct session *s)
{
	struct config_errors errs = { 0 };
	struct config_change c;
	const char *dir = options_config_dir(s->o);
	char err[1024] = "";
	size_t n;
	int rc;

	if (config_change_prepare_apply(s->cs, dir, &c, &errs, err,
	    sizeof err) != 0) {
		print_refusal(s->o, &errs, err);
		config_errors_free(&errs);
		config_change_free(&c);
		return EXIT_FAILURE_;
	}
	n = json_array_size(c.diff);
	rc = n > 0 ? EXIT_CONFIG_DIFFERS : EXIT_OK;
	if (s->o->json) {
		print_json(json_pack("{s:b,s:s,s:i,s:O}", "valid", 1,
		    "config_dir", dir, "applied_version", c.old_version,
		    "differences", c.diff));
	} else if (c.old_version == 0) {
		printf(_("No configuration has been applied yet; everything in "
		    "%s is new (the console takes it as version 1 on its first "
		    "start):\n"), dir);
		print_diff_lines(c.diff);
	} else if (n == 0) {
		if (config_files_equal(&c.old_files, &c.new_files))
			printf(_("%s holds the applied version %d: no "
			    "difference.\n"), dir, c.old_version);
		else
			printf(_("%s holds the content of the applied version "
			    "%d: no difference (the files differ in formatting "
			    "only).\n"), dir, c.old_version);
	} else {
		printf(_("%s differs from the applied version %d in %zu "
		    "place(s):\n"), dir, c.old_version, n);
		print_diff_lines(c.diff);
		printf(_("Run 'jope-smb config apply' to take it into use (it "
		    "needs its signatures).\n"));
	}
	config_change_free(&c);
	return rc;
}

/* --- signatures ----------------------------------------------------------- */

/* The spool of the configuration in use, and the console key. */
static int
open_trail(struct session *s, const struct config_change *c)
{
	struct app_config app;
	char *path = NULL, err[1024];

	if (command_load_app(s->o, &app, &path) != 0)
		return -1;
	if (spool_open(path, &s->sp, err, sizeof err) != 0) {
		fprintf(stderr, "jope-smb: %s\n", err);
		free(path);
		return -1;
	}
	free(path);
	if ((s->key = console_key_load(options_state_dir(s->o), err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "jope-smb: %s\n", err);
		return -1;
	}
	s->env = (struct signing_env){
		.state_dir = options_state_dir(s->o),
		.spool = s->sp,
		.key = s->key,
		.policy = &c->policy,
		.max_failures = c->max_failures,
		.lockout_us = c->lockout_us,
	};
	return 0;
}

/* --- config apply, config rollback ---------------------------------------- */

/* Show, sign and commit a prepared change. */
static int
sign_and_commit(struct session *s, struct config_change *c)
{
	struct esig sigs[2];
	size_t n = 0;
	char err[1024];
	int64_t seq;

	memset(sigs, 0, sizeof sigs);
	if (open_trail(s, c) != 0 || cli_sign_collect(&s->env,
	    ACT_CONFIG_APPLY, c->action_json, _("jope-smb: a signature on a "
	    "configuration change needs a reason; nothing was changed\n"),
	    sigs, &n) != 0)
		return EXIT_FAILURE_;
	seq = config_change_commit(s->cs, &s->env, c, sigs, n, err,
	    sizeof err);
	if (seq < 0) {
		fprintf(stderr, _("jope-smb: %s\n"), err);
		return EXIT_FAILURE_;
	}
	printf(_("Configuration version %d is now in use (audit event %" PRId64
	    "); a running console or 'jope-smb run' takes it into use within "
	    "a second.\n"), c->new_version, seq);
	return EXIT_OK;
}

static int
config_apply(struct session *s)
{
	struct config_errors errs = { 0 };
	struct config_change c;
	const char *dir = options_config_dir(s->o);
	char err[1024] = "";
	int rc;

	if (config_change_prepare_apply(s->cs, dir, &c, &errs, err,
	    sizeof err) != 0) {
		print_refusal(s->o, &errs, err);
		config_errors_free(&errs);
		config_change_free(&c);
		return EXIT_FAILURE_;
	}
	if (json_array_size(c.diff) == 0) {
		fprintf(stderr, _("jope-smb: nothing to apply: %s holds the "
		    "applied version %d; nothing was changed\n"), dir,
		    c.old_version);
		config_change_free(&c);
		return EXIT_FAILURE_;
	}
	printf(_("Applying %s as configuration version %d (in use: %d), "
	    "%zu difference(s):\n"), dir, c.new_version, c.old_version,
	    json_array_size(c.diff));
	print_diff_lines(c.diff);
	fflush(stdout);
	rc = sign_and_commit(s, &c);
	config_change_free(&c);
	return rc;
}

static int
config_rollback(struct session *s, const char *arg)
{
	struct config_errors errs = { 0 };
	struct config_change c;
	char err[1024] = "", *end;
	long v;
	int rc;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v <= 0 ||
	    v > 100000000L) {
		fprintf(stderr, _("jope-smb: config rollback: expected a "
		    "version number, got '%s'\n"), arg);
		return EXIT_USAGE;
	}
	if (config_change_prepare_rollback(s->cs, (int)v, &c, &errs, err,
	    sizeof err) != 0) {
		print_refusal(s->o, &errs, err);
		config_errors_free(&errs);
		config_change_free(&c);
		return EXIT_FAILURE_;
	}
	if (json_array_size(c.diff) == 0) {
		fprintf(stderr, _("jope-smb: nothing to roll back: version %d "
		    "has the content of the version in use (%d); nothing was "
		    "changed\n"), c.rollback_to, c.old_version);
		config_change_free(&c);
		return EXIT_FAILURE_;
	}
	printf(_("Rolling back to the content of version %d as configuration "
	    "version %d (in use: %d), %zu difference(s):\n"), c.rollback_to,
	    c.new_version, c.old_version, json_array_size(c.diff));
	print_diff_lines(c.diff);
	fflush(stdout);
	rc = sign_and_commit(s, &c);
	config_change_free(&c);
	return rc;
}

/* --- config versions ----------------------------------------------------- */

static void
signers_text(const json_t *m, char *buf, size_t len)
{
	json_t *sig;
	size_t i;

	buf[0] = '\0';
	json_array_foreach(json_object_get(m, "signatures"), i, sig) {
		const char *u = json_string_value(json_object_get(sig, "user"));

		if (buf[0] != '\0')
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, u != NULL ? u : "?", len - strlen(buf) - 1);
	}
	if (buf[0] == '\0') {
		const char *by = json_string_value(json_object_get(m,
		    "installed_by"));

		snprintf(buf, len, _("(installed by %s)"), by != NULL ? by :
		    "?");
	}
}

static int
config_versions(struct session *s)
{
	json_t *list = config_store_list(s->cs), *m;
	struct cli_table *table;
	char err[1024];
	int cur = 0;
	size_t i;

	if (config_store_current(s->cs, &cur, err, sizeof err) != 0) {
		fprintf(stderr, "jope-smb: %s\n", err);
		json_decref(list);
		return EXIT_FAILURE_;
	}
	if (s->o->json) {
		print_json(json_pack("{s:s,s:i,s:o}", "store",
		    config_store_path(s->cs), "current", cur, "versions",
		    list));
		return EXIT_OK;
	}
	if (json_array_size(list) == 0) {
		printf(_("No configuration version in %s yet: the console makes "
		    "version 1 of the config dir on its first start.\n"),
		    config_store_path(s->cs));
		json_decref(list);
		return EXIT_OK;
	}
	{
		const char *head[6] = { "", _("VERSION"), _("TIME"), _("KIND"),
		    _("AUDIT"), _("SIGNED BY") };

		table = cli_table_new(6, head);
	}
	json_array_foreach(list, i, m) {
		int v = (int)json_integer_value(json_object_get(m, "version"));
		const char *time_ = json_string_value(json_object_get(m,
		    "time"));
		const char *kind = json_string_value(json_object_get(m, "kind"));
		const char *error = json_string_value(json_object_get(m,
		    "error"));
		char kindbuf[32], who[512], seq[24], num[16];
		const char *row[6] = { v == cur ? "*" : "", num,
		    time_ != NULL ? time_ : "?", kindbuf, seq, who };

		snprintf(num, sizeof num, "%d", v);
		if (error != NULL) {
			const char *bad[6] = { row[0], num, error, "", "", "" };

			cli_table_add(table, bad);
			continue;
		}
		if (kind != NULL && strcmp(kind, "rollback") == 0)
			snprintf(kindbuf, sizeof kindbuf, _("rollback to %d"),
			    (int)json_integer_value(json_object_get(m,
			    "rollback_to")));
		else
			str_copy(kindbuf, kind != NULL ? kind : "?",
			    sizeof kindbuf);
		snprintf(seq, sizeof seq, "#%" PRId64, (int64_t)
		    json_integer_value(json_object_get(m, "audit_seq")));
		signers_text(m, who, sizeof who);
		cli_table_add(table, row);
	}
	cli_table_print(table, stdout);
	cli_table_free(table);
	printf(_("* the version in use\n"));
	json_decref(list);
	return EXIT_OK;
}

/* --- dispatch -------------------------------------------------------------- */

static int
usage_error(void)
{
	fprintf(stderr, _("jope-smb: config: expected one of\n"
	    "  config diff [--json]\n"
	    "  config apply\n"
	    "  config versions [--json]\n"
	    "  config rollback N\n"));
	return EXIT_USAGE;
}

int
cmd_config(const struct options *o)
{
	const char *sub = o->argc > 0 ? o->argv[0] : "";
	struct session s;
	int rc;

	if ((strcmp(sub, "rollback") == 0) != (o->argc == 2) ||
	    o->argc < 1 || o->argc > 2)
		return usage_error();
	if (strcmp(sub, "diff") != 0 && strcmp(sub, "apply") != 0 &&
	    strcmp(sub, "versions") != 0 && strcmp(sub, "rollback") != 0)
		return usage_error();
	memset(&s, 0, sizeof s);
	s.o = o;
	if (session_open_store(&s) != 0)
		return EXIT_FAILURE_;
	if (strcmp(sub, "diff") == 0)
		rc = config_diff(&s);
	else if (strcmp(sub, "apply") == 0)
		rc = config_apply(&s);
	else if (strcmp(sub, "versions") == 0)
		rc = config_versions(&s);
	else
		rc = config_rollback(&s, o->argv[1]);
	session_close(&s);
	return rc;
}

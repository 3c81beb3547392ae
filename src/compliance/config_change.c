/*
 * config_change.c: applying and rolling back configurations as signed
 * actions, and the engine's first version (config_change.h).
 *
 * The action every signer signs holds everything an auditor needs to see
 * what was approved without this program: the old and new version numbers,
 * the SHA-256 of each file before and after, the full old and new contents
 * (as JSON) and the difference.  It is built once, in prepare, and the same
 * bytes are signed by each signer and recorded (signing_record), so the
 * signatures and the recorded action can never disagree.
 *
 * Order of commit, and why: the store's lock is taken first and the
 * current and latest versions are checked again, so two applies from two
 * shells cannot both build on the same version (the second is refused, its
 * signatures unused).  The new version is staged (files written and
 * fsync'ed) before the audit event, so a full disk refuses the change
 * before anything is recorded.  The manifest names the event's seq, so it
 * can only be written after the event; a failure in that last step (rename,
 * CURRENT) is itself recorded as action_failed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance/audit_log.h"
#include "compliance/config_change.h"
#include "compliance/config_diff.h"
#include "core/i18n.h"
#include "core/util.h"

/* The config dir as the record names it: absolute when it can be. */
static char *
dir_name(const char *dir)
{
	char *abs = realpath(dir, NULL);

	return abs != NULL ? abs : xstrdup(dir);
}

const char *
config_change_kind_name(enum config_change_kind k)
{
	return k == CONFIG_CHANGE_ROLLBACK ? "config_rollback" :
	    "config_apply";
}

int
config_version_load(const struct config_store *cs, int version,
    struct model **out, struct config_errors *errs, char *err,
    size_t errlen)
{
	struct config_files f;
	char *dir;
	int rc;

	*out = NULL;
	if (config_store_read(cs, version, &f, NULL, err, errlen) != 0)
		return -1;
	config_files_free(&f);
	dir = config_store_dir(cs, version);
	rc = config_load(dir, out, errs);
	if (rc != 0)
		snprintf(err, errlen, _("configuration version %d (%s) is not "
		    "valid for this program: %zu error(s)"), version, dir,
		    errs->n);
	free(dir);
	return rc;
}

/* The file's JSON (a new reference), or JSON null. */
static json_t *
text_json(const char *text)
{
	json_t *j = text != NULL ? json_loads(text, 0, NULL) : NULL;

	return j != NULL ? j : json_null();
}

static json_t *
files_json(const struct config_files *f, bool present)
{
	return json_pack("{s:o,s:o}",
	    "app.json", present ? text_json(f->app) : json_null(),
	    "devices.json", present ? text_json(f->devices) : json_null());
}

static json_t *
hash_pair(const char *old, const char *new_)
{
	return json_pack("{s:s?,s:s}", "old_sha256", old, "new_sha256", new_);
}

static int
build_action(struct config_change *c, char *err, size_t errlen)
{
	bool has_old = c->old_version > 0;
	json_t *a;

	a = json_pack("{s:s,s:i,s:i}", "action",
	    config_change_kind_name(c->kind), "old_version", c->old_version,
	    "new_version", c->new_version);
	if (c->kind == CONFIG_CHANGE_APPLY)
		json_object_set_new(a, "config_dir",
		    json_string(c->config_dir));
	else
		json_object_set_new(a, "rollback_to",
		    json_integer(c->rollback_to));
	json_object_set_new(a, "files", json_pack("{s:o,s:o}",
	    "app.json", hash_pair(has_old ? c->old_files.app_sha256 : NULL,
	    c->new_files.app_sha256),
	    "devices.json", hash_pair(has_old ? c->old_files.devices_sha256 :
	    NULL, c->new_files.devices_sha256)));
	json_object_set_new(a, "old", files_json(&c->old_files, has_old));
	json_object_set_new(a, "new", files_json(&c->new_files, true));
	json_object_set(a, "diff", c->diff);
	c->action_json = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(a);
	if (c->action_json == NULL) {
		snprintf(err, errlen, _("cannot serialise the action"));
		return -1;
	}
	return 0;
}

/*
 * What apply and rollback share once the new files are known and valid
 * (new_model is their model): the version in use, its rules, the new
 * number, the difference and the action.
 */
static int
finish_prepare(struct config_store *cs, struct config_change *c,
    const struct model *new_model, char *err, size_t errlen)
{
	const struct app_config *rules = &new_model->app;
	struct config_errors errs = { 0 };
	struct model *cur = NULL;

	if (config_store_current(cs, &c->old_version, err, errlen) != 0)
		return -1;
	approval_defaults(&c->policy);
	if (c->old_version > 0) {
		if (config_store_read(cs, c->old_version, &c->old_files, NULL,
		    err, errlen) != 0)
			return -1;
		/*
		 * The rules of the version in use.  If this program can no
		 * longer load it, the safe defaults (two signatures) rule.
		 */
		if (config_version_load(cs, c->old_version, &cur, &errs, err,
		    errlen) == 0) {
			rules = &cur->app;
			c->policy = cur->app.signatures;
		}
		config_errors_free(&errs);
		err[0] = '\0';
	}
	c->max_failures = rules->compliance.max_failures;
	c->lockout_us = rules->compliance.lockout_ms * 1000;
	model_free(cur);
	c->new_version = config_store_latest(cs) + 1;
	c->diff = config_diff_texts(c->old_version > 0 ? c->old_files.app :
	    NULL, c->old_version > 0 ? c->old_files.devices : NULL,
	    c->new_files.app, c->new_files.devices, err, errlen);
	if (c->diff == NULL)
		return -1;
	return build_action(c, err, errlen);
}

int
config_change_prepare_apply(struct config_store *cs, const char *config_dir,
    struct config_change *c, struct config_errors *errs, char *err,
    size_t errlen)
{
	struct config_files again;
	struct model *m = NULL;
	bool same;
	int rc;

	memset(c, 0, sizeof *c);
	c->kind = CONFIG_CHANGE_APPLY;
	c->config_dir = dir_name(config_dir);
	/* Bytes first, then the check: what is validated is what is kept. */
	if (config_files_read(config_dir, &c->new_files, err, errlen) != 0) {
		if (config_load(config_dir, &m, errs) == 0)
			model_free(m);
		return -1;
	}
	if (config_load(config_dir, &m, errs) != 0) {
		snprintf(err, errlen, _("configuration in %s rejected: %zu "
		    "error(s); nothing was applied"), config_dir, errs->n);
		return -1;
	}
	if (config_files_read(config_dir, &again, err, errlen) != 0) {
		model_free(m);
		return -1;
	}
	same = config_files_equal(&again, &c->new_files);
	config_files_free(&again);
	if (!same) {
		snprintf(err, errlen, _("the files in %s changed while they "
		    "were read; nothing was applied, try again"), config_dir);
		model_free(m);
		return -1;
	}
	rc = finish_prepare(cs, c, m, err, errlen);
	model_free(m);
	return rc;
}

int
config_change_prepare_rollback(struct config_store *cs, int version,
    struct config_change *c, struct config_errors *errs, char *err,
    size_t errlen)
{
	struct model *m = NULL;
	int cur, rc;

	memset(c, 0, sizeof *c);
	c->kind = CONFIG_CHANGE_ROLLBACK;
	c->rollback_to = version;
	if (config_store_current(cs, &cur, err, errlen) != 0)
		return -1;
	if (version == cur) {
		snprintf(err, errlen, _("configuration version %d is the one "
		    "in use; nothing to roll back"), version);
		return -1;
	}
	if (config_store_read(cs, version, &c->new_files, NULL, err,
	    errlen) != 0)
		return -1;
	/* The rules may have changed since: it must still be valid. */
	if (config_version_load(cs, version, &m, errs, err, errlen) != 0)
		return -1;
	rc = finish_prepare(cs, c, m, err, errlen);
	model_free(m);
	return rc;
}

void
config_change_free(struct config_change *c)
{
	free(c->config_dir);
	config_files_free(&c->old_files);
	config_files_free(&c->new_files);
	json_decref(c->diff);
	free(c->action_json);
	memset(c, 0, sizeof *c);
}

/* The event that a signed change could not be completed. */
static void
audit_failed(const struct signing_env *env, const struct config_change *c,
    int64_t seq, const char *why)
{
	char err[256];

	(void)audit_log_append(env->spool, env->key, "action_failed", "",
	    json_pack("{s:s,s:i,s:I,s:s}", "action",
	    config_change_kind_name(c->kind), "new_version", c->new_version,
	    "audit_seq", (json_int_t)seq, "error", why), 0, err, sizeof err);
}

int64_t
config_change_commit(struct config_store *cs, const struct signing_env *env,
    struct config_change *c, const struct esig *sigs, size_t n, char *err,
    size_t errlen)
{
	char *stage = NULL;
	json_t *manifest, *sj;
	int64_t seq = -1;
	int cur;

	if (config_store_lock(cs, err, errlen) != 0)
		return -1;
	if (config_store_current(cs, &cur, err, errlen) != 0)
		goto out;
	if (cur != c->old_version ||
	    config_store_latest(cs) + 1 != c->new_version) {
		snprintf(err, errlen, _("another configuration change was made "
		    "meanwhile (version %d is now in use); nothing was changed: "
		    "review the difference again"), cur);
		goto out;
	}
	if (config_store_stage(cs, &c->new_files, &stage, err, errlen) != 0)
		goto out;
	seq = signing_record(env, ACT_CONFIG_APPLY,
	    config_change_kind_name(c->kind), c->action_json, sigs, n, err,
	    errlen);
	if (seq < 0)
		goto out;
	sj = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(sj, esig_to_json(&sigs[i]));
	manifest = json_pack("{s:s,s:i,s:o,s:I}", "kind",
	    c->kind == CONFIG_CHANGE_ROLLBACK ? "rollback" : "apply",
	    "previous", c->old_version, "signatures", sj, "audit_seq",
	    (json_int_t)seq);
	if (c->kind == CONFIG_CHANGE_ROLLBACK)
		json_object_set_new(manifest, "rollback_to",
		    json_integer(c->rollback_to));
	else
		json_object_set_new(manifest, "config_dir",
		    json_string(c->config_dir));
	if (config_store_commit(cs, &stage, c->new_version, manifest, err,
	    errlen) != 0 || config_store_set_current(cs, c->new_version, err,
	    errlen) != 0) {
		audit_failed(env, c, seq, err);
		seq = -1;
	}
out:
	config_store_discard(cs, &stage);
	config_store_unlock(cs);
	return seq;
}

/* --- the running engine's view ------------------------------------------ */

static int
json_differs(const char *a, const char *b)
{
	json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
	int differs = ja == NULL || jb == NULL || !json_equal(ja, jb);

	json_decref(ja);
	json_decref(jb);
	return differs;
}

int
config_dir_differs(const struct config_store *cs, int version,
    const char *config_dir, char *err, size_t errlen)
{
	struct config_files v, d;
	char derr[256];
	int rc;

	if (config_store_read(cs, version, &v, NULL, err, errlen) != 0)
		return -1;
	if (config_files_read(config_dir, &d, derr, sizeof derr) != 0) {
		config_files_free(&v);
		return 1;
	}
	rc = !config_files_equal(&v, &d) && (json_differs(v.app, d.app) ||
	    json_differs(v.devices, d.devices));
	config_files_free(&v);
	config_files_free(&d);
	return rc;
}

int
config_boot_begin(struct config_store *cs, const char *config_dir,
    struct config_boot *b, char *err, size_t errlen)
{
	struct config_files f;
	int v;

	memset(b, 0, sizeof *b);
	b->cs = cs;
	b->config_dir = dir_name(config_dir);
	for (int locked = 0; locked < 2; locked++) {
		if (config_store_current(cs, &v, err, errlen) != 0)
			return -1;
		if (v > 0) {
			config_store_unlock(cs);
			if (config_store_read(cs, v, &f, NULL, err, errlen) != 0)
				return -1;
			config_files_free(&f);
			b->version = v;
			b->dir = config_store_dir(cs, v);
			return 0;
		}
		/* None yet: look again under the lock (an apply may race). */
		if (locked == 0 && config_store_lock(cs, err, errlen) != 0)
			return -1;
	}
	if (config_files_read(config_dir, &b->files, err, errlen) != 0 ||
	    config_store_stage(cs, &b->files, &b->stage, err, errlen) != 0)
		return -1;
	b->initial = true;
	b->version = config_store_latest(cs) + 1;
	b->dir = xstrdup(b->stage);
	return 0;
}

int
config_boot_finish(struct config_boot *b, struct spool *sp,
    const struct console_key *key, const char *operator_name, char *err,
    size_t errlen)
{
	int64_t seq;
	json_t *manifest;

	if (!b->initial)
		return 0;
	seq = audit_log_append(sp, key, "config_initial", "",
	    json_pack("{s:i,s:s,s:s,s:{s:{s:s,s:I},s:{s:s,s:I}}}",
	    "version", b->version, "config_dir", b->config_dir, "operator",
	    operator_name, "files",
	    "app.json", "sha256", b->files.app_sha256, "bytes",
	    (json_int_t)b->files.app_len,
	    "devices.json", "sha256", b->files.devices_sha256, "bytes",
	    (json_int_t)b->files.devices_len), 0, err, errlen);
	if (seq < 0)
		return -1;
	manifest = json_pack("{s:s,s:i,s:s,s:s,s:[],s:I}", "kind", "initial",
	    "previous", 0, "config_dir", b->config_dir, "installed_by",
	    operator_name, "signatures", "audit_seq", (json_int_t)seq);
	if (config_store_commit(b->cs, &b->stage, b->version, manifest, err,
	    errlen) != 0 || config_store_set_current(b->cs, b->version, err,
	    errlen) != 0)
		return -1;
	b->initial = false;
	free(b->dir);
	b->dir = config_store_dir(b->cs, b->version);
	config_store_unlock(b->cs);
	return 0;
}

void
config_boot_end(struct config_boot *b)
{
	if (b->cs != NULL) {
		config_store_discard(b->cs, &b->stage);
		config_store_unlock(b->cs);
	}
	free(b->dir);
	free(b->config_dir);
	config_files_free(&b->files);
	memset(b, 0, sizeof *b);
}

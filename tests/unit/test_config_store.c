/*
 * test_config_store.c: the specification of the configuration versions
 * and of their difference, as tests.
 *
 * The store: an empty one has no version in use; a version staged and
 * committed reads back byte for byte with a manifest that records its
 * number, time, and the SHA-256 and size of each file; CURRENT names the
 * version in use and is replaced whole (a stamp of it notices the
 * replacement, and only once); a version number is never written twice;
 * a half-written version (a .tmp-* directory, as a crash leaves it) is
 * ignored by every reader and removed by the next writer; a version
 * changed by hand, or a CURRENT that is not a number, is refused.
 *
 * The difference: a changed value is one entry with its JSON path, old and
 * new; array elements with ids are matched by id (an element removed from
 * the middle is one entry, not a change of every one after it; a change
 * of order alone is one "reordered" entry); other arrays go by index;
 * members added and removed; odd keys quoted; numbers shown in their
 * shortest exact form; formatting alone is no difference.  And a change
 * prepared from a config dir: an invalid one is refused with every error,
 * a valid one is compared with the version in use.  Each test gets its own
 * directory from mkdtemp(3), removed after.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "compliance/config_change.h"
#include "compliance/config_diff.h"
#include "compliance/config_store.h"
#include "config/config.h"
#include "core/util.h"
#include "tests/unit/tmpdir.h"

#define APP1	"{\"site\": \"Test\", \"console_id\": \"c1\"}\n"
#define DEV1	"{\"connectors\": [], \"devices\": [], \"points\": []}\n"
#define APP2	"{\"site\": \"Test 2\", \"console_id\": \"c1\"}\n"

struct fixture {
	char dir[64];
	char state[96];
	char cfg[96];
	struct config_store *cs;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[512];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/jope-cstore-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->state, sizeof f->state, "%s/state", f->dir);
	snprintf(f->cfg, sizeof f->cfg, "%s/cfg", f->dir);
	mkdir(f->cfg, 0700);
	f->cs = config_store_open(f->state, err, sizeof err);
	if (f->cs == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	config_store_close(f->cs);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static void
write_text(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Stage and commit app/dev as version v (the lock taken and released). */
static void
put_version(struct config_store *cs, int v, const char *app, const char *dev)
{
	struct config_files files;
	char *tmp = NULL, err[512] = "";

	config_files_set(&files, app, strlen(app), dev, strlen(dev));
	assert_int_equal(config_store_lock(cs, err, sizeof err), 0);
	if (config_store_stage(cs, &files, &tmp, err, sizeof err) != 0)
		fail_msg("stage: %s", err);
	if (config_store_commit(cs, &tmp, v, json_pack("{s:s}", "kind",
	    "apply"), err, sizeof err) != 0)
		fail_msg("commit %d: %s", v, err);
	assert_null(tmp);
	config_store_unlock(cs);
	config_files_free(&files);
}

static int
count_tmp(const struct config_store *cs)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c '^\\.tmp-'",
	    config_store_path(cs));
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

/* --- the store ----------------------------------------------------------- */

static void
test_empty_store(void **state)
{
	struct fixture *f = *state;
	char err[512];
	json_t *list;
	int v = -1;

	assert_int_equal(config_store_current(f->cs, &v, err, sizeof err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(config_store_latest(f->cs), 0);
	list = config_store_list(f->cs);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void
test_write_read_current(void **state)
{
	struct fixture *f = *state;
	struct config_files got;
	json_t *m = NULL;
	char err[512] = "", path[256];
	struct stat st;
	int v = 0;

	put_version(f->cs, 1, APP1, DEV1);
	assert_int_equal(config_store_set_current(f->cs, 1, err, sizeof err),
	    0);
	assert_int_equal(config_store_current(f->cs, &v, err, sizeof err), 0);
	assert_int_equal(v, 1);
	if (config_store_read(f->cs, 1, &got, &m, err, sizeof err) != 0)
		fail_msg("read: %s", err);
	assert_string_equal(got.app, APP1);
	assert_string_equal(got.devices, DEV1);
	assert_int_equal(json_integer_value(json_object_get(m, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(m, "kind")),
	    "apply");
	assert_non_null(json_string_value(json_object_get(m, "time")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(m, "files"), "app.json"), "sha256")),
	    got.app_sha256);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_object_get(m, "files"), "devices.json"), "bytes")),
	    strlen(DEV1));
	/* Never modified: the files are read-only. */
	snprintf(path, sizeof path, "%s/0001/app.json",
	    config_store_path(f->cs));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0400);
	json_decref(m);
	config_files_free(&got);

	put_version(f->cs, 2, APP2, DEV1);
	assert_int_equal(config_store_latest(f->cs), 2);
	assert_int_equal(config_store_current(f->cs, &v, err, sizeof err), 0);
	assert_int_equal(v, 1);         /* written is not in use */
	assert_int_equal(config_store_set_current(f->cs, 2, err, sizeof err),
	    0);
	assert_int_equal(config_store_current(f->cs, &v, err, sizeof err), 0);
	assert_int_equal(v, 2);
	/* CURRENT only names versions that exist. */
	assert_int_equal(config_store_set_current(f->cs, 7, err, sizeof err),
	    -1);
	assert_int_equal(config_store_current(f->cs, &v, err, sizeof err), 0);
	assert_int_equal(v, 2);
}

static void
test_version_never_rewritten(void **state)
{
	struct fixture *f = *state;
	struct config_files files, got;
	char *tmp = NULL, err[512] = "";

	put_version(f->cs, 1, APP1, DEV1);
	config_files_set(&files, APP2, strlen(APP2), DEV1, strlen(DEV1));
	assert_int_equal(config_store_lock(f->cs, err, sizeof err), 0);
	assert_int_equal(config_store_stage(f->cs, &files, &tmp, err,
	    sizeof err), 0);
	assert_int_equal(config_store_commit(f->cs, &tmp, 1, NULL, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "exists already"));
	assert_null(tmp);               /* the stage is gone */
	config_store_unlock(f->cs);
	assert_int_equal(count_tmp(f->cs), 0);
	assert_int_equal(config_store_read(f->cs, 1, &got, NULL, err,
	    sizeof err), 0);
	assert_string_equal(got.app, APP1);
	config_files_free(&got);
	config_files_free(&files);
}

static void
test_half_written_ignored(void **state)
{
	struct fixture *f = *state;
	char dir[256], err[512] = "";
	json_t *list;
	int v = 0;

	put_version(f->cs, 1, APP1, DEV1);
	assert_int_equal(config_store_set_current(f->cs, 1, err, sizeof err),
	    0);
	/* What a crash in the middle of writing version 2 leaves. */
	snprintf(dir, sizeof dir, "%s/.tmp-999-abcdef",
	    config_store_path(f->cs));
	assert_int_equal(mkdir(dir, 0700), 0);
	write_text(dir, "app.json", APP2);
	write_text(config_store_path(f->cs), "CURRENT.tmp", "2\n");
	assert_int_equal(config_store_latest(f->cs), 1);
	list = config_store_list(f->cs);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	assert_int_equal(config_store_current(f->cs, &v, err, sizeof err), 0);
	assert_int_equal(v, 1);
	/* The next writer clears it away. */
	assert_int_equal(count_tmp(f->cs), 1);
	assert_int_equal(config_store_lock(f->cs, err, sizeof err), 0);
	config_store_unlock(f->cs);
	assert_int_equal(count_tmp(f->cs), 0);
	snprintf(dir, sizeof dir, "%s/CURRENT.tmp", config_store_path(f->cs));
	assert_int_not_equal(access(dir, F_OK), 0);
	put_version(f->cs, 2, APP2, DEV1);
	assert_int_equal(config_store_latest(f->cs), 2);
}

static void
test_tampered_version_refused(void **state)
{
	struct fixture *f = *state;
	struct config_files got;
	char dir[256], err[512] = "";
	json_t *list;

	put_version(f->cs, 1, APP1, DEV1);
	snprintf(dir, sizeof dir, "%s/0001", config_store_path(f->cs));
	write_text(dir, "devices.json", "{\"connectors\": [], \"devices\": [], "
	    "\"points\": [] }\n");
	assert_int_equal(config_store_read(f->cs, 1, &got, NULL, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "devices.json"));
	assert_non_null(strstr(err, "does not match"));
	list = config_store_list(f->cs);
	assert_non_null(json_object_get(json_array_get(list, 0), "error"));
	json_decref(list);
	/* A version that does not exist. */
	assert_int_equal(config_store_read(f->cs, 5, &got, NULL, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "5"));
}

static void
test_bad_current_refused(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	int v = 0;

	write_text(config_store_path(f->cs), "CURRENT", "two\n");
	assert_int_equal(config_store_current(f->cs, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "CURRENT"));
}

static void
test_stamp_notices_current(void **state)
{
	struct fixture *f = *state;
	struct config_store_stamp st;
	char err[512] = "";

	config_store_stamp(f->cs, &st);
	assert_false(st.exists);
	assert_false(config_store_changed(f->cs, &st));
	put_version(f->cs, 1, APP1, DEV1);
	put_version(f->cs, 2, APP2, DEV1);
	assert_int_equal(config_store_set_current(f->cs, 1, err, sizeof err),
	    0);
	assert_true(config_store_changed(f->cs, &st));
	assert_false(config_store_changed(f->cs, &st));
	assert_int_equal(config_store_set_current(f->cs, 2, err, sizeof err),
	    0);
	assert_true(config_store_changed(f->cs, &st));
	assert_false(config_store_changed(f->cs, &st));
}

static void
test_dir_differs(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";

	put_version(f->cs, 1, APP1, DEV1);
	write_text(f->cfg, "app.json", APP1);
	write_text(f->cfg, "devices.json", DEV1);
	assert_int_equal(config_dir_differs(f->cs, 1, f->cfg, err,
	    sizeof err), 0);
	/* Formatting alone is no difference. */
	write_text(f->cfg, "app.json", "{\"site\":\"Test\",\n"
	    "  \"console_id\":\"c1\"}");
	assert_int_equal(config_dir_differs(f->cs, 1, f->cfg, err,
	    sizeof err), 0);
	write_text(f->cfg, "app.json", APP2);
	assert_int_equal(config_dir_differs(f->cs, 1, f->cfg, err,
	    sizeof err), 1);
	write_text(f->cfg, "app.json", "{ not json");
	assert_int_equal(config_dir_differs(f->cs, 1, f->cfg, err,
	    sizeof err), 1);
	assert_int_equal(config_dir_differs(f->cs, 3, f->cfg, err,
	    sizeof err), -1);
}

/* --- the difference ------------------------------------------------------- */

static json_t *
diff_of(const char *a, const char *b)
{
	json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
	json_t *out = json_array();

	assert_non_null(ja);
	assert_non_null(jb);
	config_diff_json("devices.json", ja, jb, out);
	json_decref(ja);
	json_decref(jb);
	return out;
}

static void
assert_line(const json_t *diff, size_t i, const char *want)
{
	char *line = config_diff_format(json_array_get(diff, i));

	assert_non_null(line);
	assert_string_equal(line, want);
	free(line);
}

static void
test_diff_changed_value(void **state)
{
	json_t *d;

	(void)state;
	d = diff_of("{\"points\": [{\"id\": \"a\", \"scale\": 1}, "
	    "{\"id\": \"b\"}, {\"id\": \"c\"}, {\"id\": \"d\", \"scale\": 0.1}]}",
	    "{\"points\": [{\"id\": \"a\", \"scale\": 1}, "
	    "{\"id\": \"b\"}, {\"id\": \"c\"}, {\"id\": \"d\", \"scale\": 0.01}]}");
	assert_int_equal(json_array_size(d), 1);
	assert_line(d, 0, "devices.json $.points[3].scale: 0.1 → 0.01");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 0), "op")), "changed");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 0), "id")), "d");
	json_decref(d);
	/* The same again: nothing. */
	d = diff_of("{\"a\": [1, 2, {\"x\": null}]}", "{\"a\": [1, 2, {\"x\": null}]}");
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
}

static void
test_diff_by_id(void **state)
{
	json_t *d;

	(void)state;
	/* b removed from the middle, e added at the end, d's name changed. */
	d = diff_of("{\"devices\": [{\"id\": \"a\"}, {\"id\": \"b\", \"n\": 1}, "
	    "{\"id\": \"c\"}, {\"id\": \"d\", \"name\": \"x\"}]}",
	    "{\"devices\": [{\"id\": \"a\"}, {\"id\": \"c\"}, "
	    "{\"id\": \"d\", \"name\": \"y\"}, {\"id\": \"e\"}]}");
	assert_int_equal(json_array_size(d), 3);
	assert_line(d, 0, "devices.json $.devices[2].name: \"x\" → \"y\"");
	assert_line(d, 1, "devices.json $.devices[3] (id \"e\"): added "
	    "{\"id\":\"e\"}");
	assert_line(d, 2, "devices.json $.devices[1] (id \"b\"): removed "
	    "{\"id\":\"b\",\"n\":1}");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 2), "op")), "removed");
	assert_null(json_object_get(json_array_get(d, 2), "new"));
	json_decref(d);
}

static void
test_diff_reordered(void **state)
{
	json_t *d;

	(void)state;
	d = diff_of("{\"devices\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}",
	    "{\"devices\": [{\"id\": \"b\"}, {\"id\": \"a\"}]}");
	assert_int_equal(json_array_size(d), 1);
	assert_line(d, 0, "devices.json $.devices: order [\"a\",\"b\"] → "
	    "[\"b\",\"a\"]");
	json_decref(d);
}

static void
test_diff_by_index_and_members(void **state)
{
	json_t *d;

	(void)state;
	/* Duplicate ids: by index.  Members added and removed, odd keys. */
	d = diff_of("{\"l\": [{\"id\": \"a\"}, {\"id\": \"a\"}], \"gone\": true, "
	    "\"x y\": 1, \"n\": [1, 2, 3]}",
	    "{\"l\": [{\"id\": \"a\"}, {\"id\": \"b\"}], \"x y\": 2, "
	    "\"n\": [1, 5], \"new\": {\"k\": 1e300}}");
	assert_int_equal(json_array_size(d), 6);
	assert_line(d, 0, "devices.json $.l[1].id: \"a\" → \"b\"");
	assert_line(d, 1, "devices.json $[\"x y\"]: 1 → 2");
	assert_line(d, 2, "devices.json $.n[1]: 2 → 5");
	assert_line(d, 3, "devices.json $.n[2]: removed 3");
	assert_line(d, 4, "devices.json $.new: added {\"k\":1e300}");
	assert_line(d, 5, "devices.json $.gone: removed true");
	json_decref(d);
	/* A type change, and 1 → 1.0 (the file changed). */
	d = diff_of("{\"a\": 1, \"b\": \"1\"}", "{\"a\": 1.0, \"b\": 1}");
	assert_int_equal(json_array_size(d), 2);
	assert_line(d, 0, "devices.json $.a: 1 → 1.0");
	assert_line(d, 1, "devices.json $.b: \"1\" → 1");
	json_decref(d);
}

static void
test_diff_texts(void **state)
{
	char err[256] = "";
	json_t *d;

	(void)state;
	/* No old version: every member is new. */
	d = config_diff_texts(NULL, NULL, APP1, DEV1, err, sizeof err);
	assert_non_null(d);
	assert_int_equal(json_array_size(d), 5);
	assert_line(d, 0, "app.json $.site: added \"Test\"");
	json_decref(d);
	d = config_diff_texts(APP1, DEV1, APP2, DEV1, err, sizeof err);
	assert_int_equal(json_array_size(d), 1);
	assert_line(d, 0, "app.json $.site: \"Test\" → \"Test 2\"");
	json_decref(d);
	assert_null(config_diff_texts(APP1, DEV1, "{ oops", DEV1, err,
	    sizeof err));
	assert_non_null(strstr(err, "app.json:1:"));
}

static void
test_diff_value_shortest(void **state)
{
	json_t *v;
	char *s;

	(void)state;
	v = json_real(0.1);
	s = config_diff_value(v);
	assert_string_equal(s, "0.1");
	free(s);
	json_decref(v);
	v = json_real(0.1 + 1e-17 * 3);     /* not 0.1: needs 17 digits */
	s = config_diff_value(v);
	assert_true(strtod(s, NULL) == json_real_value(v));
	free(s);
	json_decref(v);
	v = json_string("濃度 µS");
	s = config_diff_value(v);
	assert_string_equal(s, "\"濃度 µS\"");
	free(s);
	json_decref(v);
}

/* --- a change prepared from a config dir ---------------------------------- */

static void
test_prepare_invalid_refused(void **state)
{
	struct fixture *f = *state;
	struct config_errors errs = { 0 };
	struct config_change c;
	char err[512] = "";

	write_text(f->cfg, "app.json", "{\"site\": 5, \"colour\": 1}");
	write_text(f->cfg, "devices.json", "{\"devices\": 7}");
	assert_int_equal(config_change_prepare_apply(f->cs, f->cfg, &c, &errs,
	    err, sizeof err), -1);
	assert_true(errs.n >= 2);
	assert_non_null(strstr(err, "rejected"));
	assert_int_equal(config_store_latest(f->cs), 0);
	config_errors_free(&errs);
	config_change_free(&c);
}

static void
test_prepare_demo(void **state)
{
	struct fixture *f = *state;
	struct config_errors errs = { 0 };
	struct config_change c;
	const char *top = getenv("top_srcdir");
	char demo[512], err[512] = "";
	json_t *action;

	if (top == NULL)
		top = ".";
	snprintf(demo, sizeof demo, "%s/config/demo", top);
	if (access(demo, R_OK) != 0)
		skip();
	if (config_change_prepare_apply(f->cs, demo, &c, &errs, err,
	    sizeof err) != 0)
		fail_msg("prepare: %s", err);
	assert_int_equal(c.old_version, 0);
	assert_int_equal(c.new_version, 1);
	assert_true(json_array_size(c.diff) > 0);
	action = json_loads(c.action_json, 0, NULL);
	assert_non_null(action);
	assert_string_equal(json_string_value(json_object_get(action,
	    "action")), "config_apply");
	assert_true(json_is_object(json_object_get(json_object_get(action,
	    "new"), "devices.json")));
	assert_true(json_is_null(json_object_get(json_object_get(action,
	    "old"), "devices.json")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(action, "files"), "app.json"), "new_sha256")),
	    c.new_files.app_sha256);
	/* The defaults rule without a version in use: two signatures. */
	assert_int_equal(c.policy.rule[ACT_CONFIG_APPLY].signatures, 2);
	json_decref(action);
	config_change_free(&c);
	/* As version 1, then the same files: no difference to apply. */
	{
		struct config_files files;
		char *tmp = NULL;

		assert_int_equal(config_files_read(demo, &files, err,
		    sizeof err), 0);
		assert_int_equal(config_store_lock(f->cs, err, sizeof err), 0);
		assert_int_equal(config_store_stage(f->cs, &files, &tmp, err,
		    sizeof err), 0);
		assert_int_equal(config_store_commit(f->cs, &tmp, 1, NULL, err,
		    sizeof err), 0);
		assert_int_equal(config_store_set_current(f->cs, 1, err,
		    sizeof err), 0);
		config_store_unlock(f->cs);
		config_files_free(&files);
	}
	if (config_change_prepare_apply(f->cs, demo, &c, &errs, err,
	    sizeof err) != 0)
		fail_msg("prepare again: %s", err);
	assert_int_equal(c.old_version, 1);
	assert_int_equal(c.new_version, 2);
	assert_int_equal(json_array_size(c.diff), 0);
	config_change_free(&c);
	/* Rolling back to the version in use: refused. */
	assert_int_equal(config_change_prepare_rollback(f->cs, 1, &c, &errs,
	    err, sizeof err), -1);
	assert_non_null(strstr(err, "in use"));
	config_change_free(&c);
	config_errors_free(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_read_current, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_version_never_rewritten,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_written_ignored,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_version_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_current_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stamp_notices_current,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_differs, setup,
		    teardown),
		cmocka_unit_test(test_diff_changed_value),
		cmocka_unit_test(test_diff_by_id),
		cmocka_unit_test(test_diff_reordered),
		cmocka_unit_test(test_diff_by_index_and_members),
		cmocka_unit_test(test_diff_texts),
		cmocka_unit_test(test_diff_value_shortest),
		cmocka_unit_test_setup_teardown(test_prepare_invalid_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_demo, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

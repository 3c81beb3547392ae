/*
 * test_state.c: the state snapshot and its wake-up descriptor, and the
 * command queue: what the UI thread relies on to never block.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmdq.h"
#include "core/state.h"
#include "core/util.h"

static struct model *
make_model(void)
{
	struct model *m = xcalloc(1, sizeof *m);

	str_copy(m->app.site, "Test Site", sizeof m->app.site);
	str_copy(m->app.console_id, "c1", sizeof m->app.console_id);
	m->nconnectors = 1;
	m->connectors = xcalloc(1, sizeof *m->connectors);
	str_copy(m->connectors[0].id, "line0", MODEL_ID_MAX);
	m->ndevices = 1;
	m->devices = xcalloc(1, sizeof *m->devices);
	str_copy(m->devices[0].id, "pump", MODEL_ID_MAX);
	m->npoints = 2;
	m->points = xcalloc(2, sizeof *m->points);
	str_copy(m->points[0].id, "flow", MODEL_ID_MAX);
	str_copy(m->points[0].unit, "mL/min", MODEL_UNIT_MAX);
	str_copy(m->points[1].id, "pressure", MODEL_ID_MAX);
	return m;
}

static void
free_model(struct model *m)
{
	free(m->connectors);
	free(m->devices);
	free(m->points);
	free(m);
}

static bool
readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

static void
test_updates_wake_and_coalesce(void **state)
{
	struct model *m = make_model();
	struct state *st = state_new(m);
	struct snapshot snap = { 0 };
	struct point_result r[2] = {
		{ .point = 0, .ok = true, .value = 12.5, .ts_us = 100 },
		{ .point = 1, .ok = false, .ts_us = 100,
		  .err = { .code = COLLECT_TIMEOUT, .text = "read: timeout" } },
	};

	(void)state;
	assert_false(readable(state_wake_fd(st)));
	state_set_device_conn(st, 0, DEVICE_CONNECTED, NULL);
	state_record_poll(st, 0, r, 2);
	state_record_poll(st, 0, r, 1);
	assert_true(readable(state_wake_fd(st)));
	state_drain_wake(st);
	assert_false(readable(state_wake_fd(st)));  /* one wake for three */

	state_copy(st, &snap);
	assert_int_equal(snap.version, 3);
	assert_int_equal(snap.devices[0].conn, DEVICE_CONNECTED);
	assert_int_equal(snap.devices[0].polls, 2);
	assert_int_equal(snap.devices[0].errors, 1);
	assert_string_equal(snap.devices[0].last_error, "");  /* last good */
	assert_true(snap.points[0].has_value);
	assert_true(snap.points[0].value == 12.5);
	assert_false(snap.points[1].has_value);
	assert_int_equal(snap.samples_total, 2);
	assert_int_equal(snap.errors_total, 1);

	/* The copy is the reader's: later updates do not change it. */
	r[0].value = 99;
	state_record_poll(st, 0, r, 1);
	assert_true(snap.points[0].value == 12.5);
	state_copy(st, &snap);                       /* reuses its arrays */
	assert_true(snap.points[0].value == 99);

	snapshot_free(&snap);
	state_free(st);
	free_model(m);
}

static void
test_snapshot_json(void **state)
{
	struct model *m = make_model();
	struct state *st = state_new(m);
	struct snapshot snap = { 0 };
	struct point_result r = { .point = 0, .ok = true, .value = 7.25,
	    .ts_us = 1763701268123456 };
	json_t *root;
	char *s;

	(void)state;
	state_record_poll(st, 0, &r, 1);
	{
		struct spool_counts sc = { .samples = 10, .errors = 2,
		    .oldest_us = 1763701268000000 };

		sc.rows[SPOOL_SAMPLES] = 10;
		sc.rows[SPOOL_ERRORS] = 2;
		state_set_spool(st, &sc, 1 << 20, false);
	}
	state_copy(st, &snap);
	s = snapshot_to_json(&snap, NULL, NULL);
	assert_non_null(s);
	root = json_loads(s, 0, NULL);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "site")),
	    "Test Site");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    root, "historian"), "state")), "not_configured");
	json_t *p0 = json_array_get(json_object_get(root, "points"), 0);
	assert_true(json_real_value(json_object_get(p0, "value")) == 7.25);
	assert_string_equal(json_string_value(json_object_get(p0, "ts")),
	    "2025-11-21T05:01:08.123456Z");
	json_t *p1 = json_array_get(json_object_get(root, "points"), 1);
	assert_true(json_is_null(json_object_get(p1, "value")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    root, "spool"), "samples")), 10);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    root, "spool"), "errors")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    root, "spool"), "oldest")), "2025-11-21T05:01:08.000000Z");
	json_decref(root);
	free(s);
	snapshot_free(&snap);
	state_free(st);
	free_model(m);
}

static void
test_cmdq_bounded_fifo(void **state)
{
	struct cmdq *q = cmdq_new();
	struct command c = { .kind = CMD_READ_DEVICE_NOW }, out;
	int pushed = 0;

	(void)state;
	assert_false(cmdq_pop(q, &out, 0));
	for (int i = 0; i < 1000; i++) {
		c.device = (size_t)i;
		if (cmdq_push(q, &c))
			pushed++;
	}
	assert_true(pushed > 0 && pushed < 1000);    /* full is refused */
	for (int i = 0; i < pushed; i++) {
		assert_true(cmdq_pop(q, &out, 0));
		assert_int_equal(out.device, i);     /* first in, first out */
	}
	assert_false(cmdq_pop(q, &out, 10));
	cmdq_free(q);
}

/* The audit list is shared by snapshots, and outlives the state's swap. */
static void
test_audit_list_shared(void **state)
{
	struct model *m = make_model();
	struct state *st = state_new(m);
	struct snapshot a = { 0 }, b = { 0 };
	struct audit_list *l = audit_list_new(2);
	struct audit_status status = { .verified = true, .intact = true,
	    .checked = 2 };

	(void)state;
	assert_true(audit_list_add(l, 2, 20, "write_setpoint", "olga",
	    "{\"action\":{}}"));
	assert_true(audit_list_add(l, 1, 10, "console_start", "", "{}"));
	assert_false(audit_list_add(l, 0, 0, "x", "", "{}"));  /* full */
	state_set_audit(st, l, &status);
	state_copy(st, &a);
	state_copy(st, &b);
	assert_ptr_equal(a.audit, b.audit);
	assert_int_equal(a.audit->n, 2);
	assert_string_equal(a.audit->rows[0].kind, "write_setpoint");
	assert_true(a.audit_status.intact);
	/* A new list: old snapshots keep theirs until copied again. */
	state_set_audit(st, audit_list_new(0), NULL);
	assert_string_equal(a.audit->rows[1].kind, "console_start");
	state_copy(st, &a);
	assert_int_equal(a.audit->n, 0);
	assert_int_equal(a.audit_status.checked, 2);  /* status kept */
	snapshot_free(&a);
	snapshot_free(&b);
	state_set_signing_result(st, 7, false, "Not signed by sam: no");
	state_copy(st, &a);
	assert_int_equal(a.signing_done_id, 7);
	assert_false(a.signing_ok);
	assert_string_equal(a.command_text, "Not signed by sam: no");
	snapshot_free(&a);
	state_free(st);
	free_model(m);
}

/* Passwords move with a command; what nobody popped is wiped at free. */
static void
test_cmdq_passwords(void **state)
{
	struct cmdq *q = cmdq_new();
	struct command c = { .kind = CMD_WRITE_POINT }, out;

	(void)state;
	c.nsigners = 1;
	c.signer[0].password = command_password_dup("secret12", 8);
	assert_non_null(c.signer[0].password);
	assert_string_equal(c.signer[0].password, "secret12");
	assert_true(cmdq_push(q, &c));
	assert_true(cmdq_pop(q, &out, 0));
	assert_ptr_equal(out.signer[0].password, c.signer[0].password);
	command_wipe(&out);
	assert_null(out.signer[0].password);
	c.signer[0].password = command_password_dup("another1", 8);
	assert_true(cmdq_push(q, &c));
	cmdq_free(q);           /* wipes the one left (ASan: no leak) */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_updates_wake_and_coalesce),
		cmocka_unit_test(test_snapshot_json),
		cmocka_unit_test(test_cmdq_bounded_fifo),
		cmocka_unit_test(test_audit_list_shared),
		cmocka_unit_test(test_cmdq_passwords),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}

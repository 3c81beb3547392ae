/*
 * test_capacity.c: check-config's capacity warnings, case by case.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/capacity.h"
#include "core/util.h"

static const struct executor_defaults dflt = { 10000, 20000, 3, 300000, 512 };

/* ndev devices on one TCP line, each with one u16 point and its own event. */
static struct model *
line_model(size_t ndev, const int64_t *periods)
{
	struct model *m = xcalloc(1, sizeof *m);

	m->nconnectors = 1;
	m->connectors = xcalloc(1, sizeof *m->connectors);
	str_copy(m->connectors[0].id, "line", MODEL_ID_MAX);
	m->connectors[0].kind = CONNECTOR_TCP;
	m->ndevices = m->npoints = m->nevents = ndev;
	m->devices = xcalloc(ndev, sizeof *m->devices);
	m->points = xcalloc(ndev, sizeof *m->points);
	m->events = xcalloc(ndev, sizeof *m->events);
	for (size_t i = 0; i < ndev; i++) {
		snprintf(m->devices[i].id, MODEL_ID_MAX, "dev%zu", i);
		snprintf(m->points[i].id, MODEL_ID_MAX, "p%zu", i);
		m->points[i].device = i;
		m->points[i].table = TABLE_HOLDING_REGISTER;
		m->points[i].type = VALUE_U16;
		m->events[i].period_ms = periods[i];
		m->events[i].points = xcalloc(1, sizeof(size_t));
		m->events[i].points[0] = i;
		m->events[i].npoints = 1;
	}
	return m;
}

static void
test_single_device_held_open(void **state)
{
	int64_t periods[] = { 1000 };
	struct model *m = line_model(1, periods);
	struct capacity_report r;

	(void)state;
	capacity_check(m, &dflt, &r);
	assert_int_equal(r.n, 0);
	capacity_report_free(&r);
	model_free(m);
}

static void
test_single_device_misses_after_guard(void **state)
{
	int64_t periods[] = { 15000 };     /* 10 s keep + 20 s guard > 15 s */
	struct model *m = line_model(1, periods);
	struct capacity_report r;

	(void)state;
	capacity_check(m, &dflt, &r);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.v[0].text, "dev0"));
	assert_non_null(strstr(r.v[0].text, "miss periods"));
	capacity_report_free(&r);
	model_free(m);
}

static void
test_shared_line_starves(void **state)
{
	int64_t periods[] = { 1000, 1000 };
	struct model *m = line_model(2, periods);
	struct capacity_report r;

	(void)state;
	capacity_check(m, &dflt, &r);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.v[0].text, "line line"));
	assert_non_null(strstr(r.v[0].text, "starve"));
	capacity_report_free(&r);

	/* With a max hold the line rotates; 1 s periods still cannot be met. */
	m->connectors[0].max_hold_ms = 2000;
	capacity_check(m, &dflt, &r);
	assert_int_equal(r.n, 2);
	assert_non_null(strstr(r.v[0].text, "miss periods"));
	capacity_report_free(&r);
	model_free(m);
}

static void
test_shared_line_slow_periods_fit(void **state)
{
	int64_t periods[] = { 120000, 120000 };
	struct model *m = line_model(2, periods);
	struct capacity_report r;

	(void)state;
	capacity_check(m, &dflt, &r);          /* 2 x ~30 s round < 120 s */
	assert_int_equal(r.n, 0);
	capacity_report_free(&r);
	model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_device_held_open),
		cmocka_unit_test(test_single_device_misses_after_guard),
		cmocka_unit_test(test_shared_line_starves),
		cmocka_unit_test(test_shared_line_slow_periods_fit),
	};

	return cmocka_run_group_tests_name("capacity", tests, NULL, NULL);
}

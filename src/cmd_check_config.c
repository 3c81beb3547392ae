/*
 * cmd_check_config.c: `jope-smb check-config [--json]`.
 *
 * Validates app.json and devices.json exactly as the engine would at start,
 * prints every error as file:line:column: path: message and exits 1, or
 * prints a one-line summary and exits 0.  A valid configuration is then
 * checked for capacity (capacity.h): warnings name the line and devices
 * that would starve or miss periods, and do not change the exit status.
 * Nothing is ever applied here.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "collect/capacity.h"
#include "commands.h"
#include "config/config.h"
#include "core/i18n.h"

static void
print_json(const struct model *m, const struct config_errors *errs,
    const struct capacity_report *cap)
{
	json_t *root = json_object(), *list = json_array();
	json_t *warnings = json_array();

	for (size_t i = 0; i < errs->n; i++) {
		const struct config_error *e = &errs->v[i];

		json_array_append_new(list, json_pack("{s:s,s:i,s:i,s:s,s:s}",
		    "file", e->file, "line", e->line, "column", e->column,
		    "path", e->path, "message", e->message));
	}
	json_object_set_new(root, "valid", json_boolean(m != NULL));
	json_object_set_new(root, "errors", list);
	for (size_t i = 0; m != NULL && i < cap->n; i++)
		json_array_append_new(warnings, json_pack("{s:s,s:s}",
		    "connector", m->connectors[cap->v[i].connector].id,
		    "message", cap->v[i].text));
	json_object_set_new(root, "warnings", warnings);
	if (m != NULL)
		json_object_set_new(root, "counts", json_pack(
		    "{s:I,s:I,s:I,s:I}",
		    "connectors", (json_int_t)m->nconnectors,
		    "devices", (json_int_t)m->ndevices,
		    "points", (json_int_t)m->npoints,
		    "events", (json_int_t)m->nevents));
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

int
cmd_check_config(const struct options *o)
{
	struct config_errors errs = { 0 };
	struct model *m = NULL;
	struct capacity_report cap = { 0 };
	const char *dir = options_config_dir(o);
	int rc;

	rc = config_load(dir, &m, &errs);
	if (rc == 0) {
		options_apply(o, &m->app.executor);
		capacity_check(m, &m->app.executor, &cap);
	}
	if (o->json) {
		print_json(rc == 0 ? m : NULL, &errs, &cap);
	} else if (rc != 0) {
		config_errors_print(&errs, stdout);
		printf(_("%s: %zu error(s); the configuration is rejected "
		    "whole\n"), dir, errs.n);
	} else {
		printf(_("%s: configuration valid: %zu connector(s), "
		    "%zu device(s), %zu point(s), %zu periodic event(s)\n"),
		    dir, m->nconnectors, m->ndevices, m->npoints, m->nevents);
		for (size_t i = 0; i < cap.n; i++)
			printf(_("%s: warning: %s\n"), dir, cap.v[i].text);
	}
	capacity_report_free(&cap);
	config_errors_free(&errs);
	model_free(m);
	return rc == 0 ? EXIT_OK : EXIT_FAILURE_;
}

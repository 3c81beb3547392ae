/*
 * config.h: loading and validating app.json and devices.json.
 *
 * Loading is all or nothing, like the meter-collector's configuration
 * transaction: both files are parsed and every rule is checked; if anything
 * is wrong the caller gets the complete list of errors, each with
 * file:line:column and a JSON path, and no model at all.
 */
#ifndef JOPE_CONFIG_H
#define JOPE_CONFIG_H

#include <stdio.h>

#include "config/model.h"

struct config_error {
	char file[256];             /* as given: DIR/app.json */
	int line, column;           /* 1-based; 0 when unknown (file missing) */
	char path[256];             /* JSON path: $.devices[2].connector */
	char message[256];          /* translated, no trailing period */
};

struct config_errors {
	struct config_error *v;
	size_t n, cap;
};

/*
 * Load DIR/app.json and DIR/devices.json.  On success returns 0 and *out is a
 * new model (free with model_free).  On failure returns -1, *out is NULL and
 * errs lists every problem found.  errs must be zeroed before the call and is
 * freed with config_errors_free.
 */
int config_load(const char *dir, struct model **out, struct config_errors *errs);

/* Print each error as "file:line:column: path: message\n". */
void config_errors_print(const struct config_errors *errs, FILE *fp);
void config_errors_free(struct config_errors *errs);

#endif

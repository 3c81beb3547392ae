/*
 * config_check.c: the error list and the checked getters of config_check.h.
 *
 * Errors are kept in file order (sorted once per file) so that a long list
 * reads top to bottom; an unknown key gets the closest allowed key as a
 * suggestion (edit distance), since most unknown keys are typos.
 */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_check.h"
#include "core/i18n.h"
#include "core/util.h"

/* --- the error list ------------------------------------------------------- */

static void
errs_add(struct config_errors *errs, const char *file, int line, int column,
    const char *path, const char *message)
{
	struct config_error *e;

	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? errs->cap * 2 : 16;
		errs->v = xrealloc(errs->v, errs->cap * sizeof(*errs->v));
	}
	e = &errs->v[errs->n++];
	memset(e, 0, sizeof(*e));
	str_copy(e->file, file, sizeof(e->file));
	e->line = line;
	e->column = column;
	str_copy(e->path, path, sizeof(e->path));
	str_copy(e->message, message, sizeof(e->message));
}

static void __attribute__((format(printf, 5, 0)))
vreport_at(const struct ctx *c, int line, int column, const char *path,
    const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	errs_add(c->errs, c->file, line, column, path, msg);
}

/* Report at a known position. */
void
cfg_report_at(const struct ctx *c, int line, int column, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_at(c, line, column, path, fmt, ap);
	va_end(ap);
}

/* Report at the value (or key) with this path; 0:0 if it cannot be found. */
void
cfg_report(const struct ctx *c, const char *path, enum jsonpos_kind kind,
    const char *fmt, ...)
{
	const struct jsonpos_entry *e = jsonpos_find(&c->pos, path, kind);
	va_list ap;

	va_start(ap, fmt);
	vreport_at(c, e ? e->line : 0, e ? e->column : 0, path, fmt, ap);
	va_end(ap);
}

struct sorted_error {
	int line, column;
	size_t seq;
};

static int
cmp_sorted_error(const void *a, const void *b)
{
	const struct sorted_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Order errors [from, n) of one file by position, keeping ties in order. */
void
cfg_sort_errors(struct config_errors *errs, size_t from)
{
	size_t n = errs->n - from, k;
	struct sorted_error *s;
	struct config_error *tmp;

	if (n < 2)
		return;
	s = xcalloc(n, sizeof(*s));
	for (k = 0; k < n; k++) {
		s[k].line = errs->v[from + k].line;
		s[k].column = errs->v[from + k].column;
		s[k].seq = from + k;
	}
	qsort(s, n, sizeof(*s), cmp_sorted_error);
	tmp = xcalloc(n, sizeof(*tmp));
	for (k = 0; k < n; k++)
		tmp[k] = errs->v[s[k].seq];
	memcpy(errs->v + from, tmp, n * sizeof(*tmp));
	free(tmp);
	free(s);
}

void
config_errors_print(const struct config_errors *errs, FILE *fp)
{
	size_t k;

	for (k = 0; k < errs->n; k++) {
		const struct config_error *e = &errs->v[k];

		fprintf(fp, "%s:%d:%d: %s: %s\n", e->file, e->line, e->column,
		    e->path, e->message);
	}
}

void
config_errors_free(struct config_errors *errs)
{
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}

/* --- types and keys ------------------------------------------------------- */

static const char *
json_kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return _("an object");
	case JSON_ARRAY:
		return _("an array");
	case JSON_STRING:
		return _("a string");
	case JSON_INTEGER:
		return _("an integer");
	case JSON_REAL:
		return _("a number");
	case JSON_TRUE:
	case JSON_FALSE:
		return _("a boolean");
	case JSON_NULL:
		break;
	}
	return _("null");
}

static const char *
want_name(enum want w)
{
	switch (w) {
	case W_STRING:
		return _("a string");
	case W_INTEGER:
		return _("an integer");
	case W_NUMBER:
		return _("a number");
	case W_OBJECT:
		return _("an object");
	case W_BOOLEAN:
		return _("a boolean");
	case W_ARRAY:
		break;
	}
	return _("an array");
}

static int
has_type(const json_t *v, enum want w)
{
	switch (w) {
	case W_STRING:
		return json_is_string(v);
	case W_INTEGER:
		return json_is_integer(v);
	case W_NUMBER:
		return json_is_number(v);
	case W_OBJECT:
		return json_is_object(v);
	case W_BOOLEAN:
		return json_is_boolean(v);
	case W_ARRAY:
		break;
	}
	return json_is_array(v);
}

int
cfg_check_type(const struct ctx *c, const json_t *v, const char *path,
    enum want w)
{
	if (has_type(v, w))
		return 0;
	cfg_report(c, path, JSONPOS_VALUE, _("expected %s, got %s"), want_name(w),
	    json_kind_name(v));
	return -1;
}

/* Edit distance, capped: enough to suggest "unit_id" for "unti_id". */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, up;
	size_t row[64];

	if (lb >= ARRAY_LEN(row) || la >= 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			cur = prev + (a[i - 1] != b[j - 1]);
			if (up + 1 < cur)
				cur = up + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			prev = up;
			row[j] = cur;
		}
	}
	return row[lb];
}

static const char *
closest_key(const char *key, const char *const *allowed)
{
	const char *best = NULL;
	size_t d, bestd = 3;

	for (; *allowed != NULL; allowed++) {
		d = edit_distance(key, *allowed);
		if (d < bestd) {
			bestd = d;
			best = *allowed;
		}
	}
	return best;
}

static int
key_listed(const char *key, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return 1;
	return 0;
}

/* Report every key of obj that is not in allowed (NULL-terminated). */
void
cfg_check_keys(const struct ctx *c, json_t *obj, const char *path,
    const char *const *allowed)
{
	char kpath[PATH_LEN];
	const char *key, *near;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (key_listed(key, allowed))
			continue;
		jsonpos_path_key(kpath, sizeof(kpath), path, key);
		if ((near = closest_key(key, allowed)) != NULL)
			cfg_report(c, kpath, JSONPOS_KEY,
			    _("unknown key \"%.64s\" (did you mean \"%s\"?)"),
			    key, near);
		else
			cfg_report(c, kpath, JSONPOS_KEY,
			    _("unknown key \"%.64s\""), key);
	}
}

/* Keys that exist in the schema but not for this kind of connector. */
void
cfg_reject_keys(const struct ctx *c, json_t *obj, const char *path,
    const char *const *keys, const char *kind)
{
	char kpath[PATH_LEN];

	for (; *keys != NULL; keys++) {
		if (json_object_get(obj, *keys) == NULL)
			continue;
		jsonpos_path_key(kpath, sizeof(kpath), path, *keys);
		cfg_report(c, kpath, JSONPOS_KEY,
		    _("\"%s\" does not apply to a %s connector"), *keys, kind);
	}
}

/* Repeated keys: jansson keeps the last one silently; we refuse. */
void
cfg_check_duplicate_keys(const struct ctx *c)
{
	size_t k;

	for (k = 0; k < c->pos.n; k++) {
		const struct jsonpos_entry *e = &c->pos.v[k];

		if (e->kind != JSONPOS_KEY || e->dup_line == 0)
			continue;
		cfg_report_at(c, e->line, e->column, e->path,
		    _("duplicate key (first at line %d, column %d)"),
		    e->dup_line, e->dup_column);
	}
}

/* --- getters: 1 found and valid, 0 absent (default kept), -1 reported ----- */

json_t *
cfg_get_member(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, char *cpath)
{
	json_t *v;

	jsonpos_path_key(cpath, PATH_LEN, path, key);
	v = json_object_get(obj, key);
	if (v == NULL && (flags & REQ))
		cfg_report(c, path, JSONPOS_VALUE, _("missing required key \"%s\""),
		    key);
	return v;
}

json_t *
cfg_get_typed(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, enum want w, char *cpath)
{
	json_t *v = cfg_get_member(c, obj, path, key, flags, cpath);

	if (v == NULL || cfg_check_type(c, v, cpath, w) == -1)
		return NULL;
	return v;
}

int
cfg_get_string(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, char *dst, size_t len)
{
	char cpath[PATH_LEN];
	json_t *v = cfg_get_member(c, obj, path, key, flags, cpath);
	const char *s;

	if (v == NULL)
		return 0;
	if (cfg_check_type(c, v, cpath, W_STRING) == -1)
		return -1;
	s = json_string_value(v);
	if ((flags & NONEMPTY) && *s == '\0') {
		cfg_report(c, cpath, JSONPOS_VALUE, _("must not be empty"));
		return -1;
	}
	if (strlen(s) >= len) {
		cfg_report(c, cpath, JSONPOS_VALUE,
		    _("too long (at most %zu bytes)"), len - 1);
		return -1;
	}
	str_copy(dst, s, len);
	return 1;
}

int
cfg_get_bool(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, int *out)
{
	char cpath[PATH_LEN];
	json_t *v = cfg_get_typed(c, obj, path, key, flags, W_BOOLEAN, cpath);

	if (v == NULL)
		return json_object_get(obj, key) == NULL ? 0 : -1;
	*out = json_is_true(v);
	return 1;
}

static int
id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= MODEL_ID_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* An id (dst has MODEL_ID_MAX bytes); left untouched unless valid. */
int
cfg_get_id(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, char *dst)
{
	char cpath[PATH_LEN];
	json_t *v = cfg_get_typed(c, obj, path, key, flags, W_STRING, cpath);

	if (v == NULL)
		return json_object_get(obj, key) ? -1 : 0;
	if (!id_valid(json_string_value(v))) {
		cfg_report(c, cpath, JSONPOS_VALUE, _("invalid id: use 1 to 63 "
		    "characters from A-Z a-z 0-9 _ . -"));
		return -1;
	}
	str_copy(dst, json_string_value(v), MODEL_ID_MAX);
	return 1;
}

int
cfg_get_int(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, long long min, long long max, long long *out)
{
	char cpath[PATH_LEN];
	json_t *v = cfg_get_typed(c, obj, path, key, flags, W_INTEGER, cpath);
	long long n;

	if (v == NULL)
		return json_object_get(obj, key) ? -1 : 0;
	n = (long long)json_integer_value(v);
	if (n < min || n > max) {
		cfg_report(c, cpath, JSONPOS_VALUE,
		    _("%lld is out of range (%lld..%lld)"), n, min, max);
		return -1;
	}
	*out = n;
	return 1;
}

int
cfg_get_number(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, double min, double max, double *out)
{
	char cpath[PATH_LEN];
	json_t *v = cfg_get_typed(c, obj, path, key, flags, W_NUMBER, cpath);
	double d;

	if (v == NULL)
		return json_object_get(obj, key) ? -1 : 0;
	d = json_number_value(v);
	if (d < min || d > max) {
		cfg_report(c, cpath, JSONPOS_VALUE,
		    _("%g is out of range (%g..%g)"), d, min, max);
		return -1;
	}
	*out = d;
	return 1;
}

/* A string that must be one of names[] (NULL-terminated); *out its index. */
int
cfg_get_enum(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, const char *const *names, int *out)
{
	char cpath[PATH_LEN], list[200];
	json_t *v = cfg_get_typed(c, obj, path, key, flags, W_STRING, cpath);
	const char *s;
	size_t used = 0;
	int k;

	if (v == NULL)
		return json_object_get(obj, key) ? -1 : 0;
	s = json_string_value(v);
	for (k = 0; names[k] != NULL; k++) {
		if (strcmp(s, names[k]) == 0) {
			*out = k;
			return 1;
		}
	}
	list[0] = '\0';
	for (k = 0; names[k] != NULL && used < sizeof(list); k++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%s\"%s\"", k ? ", " : "", names[k]);
	cfg_report(c, cpath, JSONPOS_VALUE, _("\"%.64s\" is not one of %s"), s,
	    list);
	return -1;
}

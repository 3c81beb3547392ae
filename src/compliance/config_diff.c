/*
 * config_diff.c: the difference of two configurations (config_diff.h).
 *
 * A plain recursive walk of both JSON trees.  The one idea beyond it is
 * matching array elements by their "id": in devices.json a device removed
 * from the middle of the list would otherwise show as a change of every
 * device after it, and nobody could review that.  Paths use the syntax of
 * check-config's errors ($.points[3].scale, $["odd key"]), so a line of the
 * diff can be looked up the same way as an error.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance/config_diff.h"
#include "core/i18n.h"
#include "core/util.h"

static void diff_value(const char *file, const char *path, const json_t *a,
    const json_t *b, const char *id, json_t *out);

static void
add_entry(json_t *out, const char *file, const char *path, const char *op,
    const char *id, const json_t *a, const json_t *b)
{
	json_t *e = json_pack("{s:s,s:s,s:s}", "file", file, "path", path,
	    "op", op);

	if (id != NULL)
		json_object_set_new(e, "id", json_string(id));
	if (a != NULL)
		json_object_set(e, "old", (json_t *)a);
	if (b != NULL)
		json_object_set(e, "new", (json_t *)b);
	json_array_append_new(out, e);
}

static bool
is_identifier(const char *k)
{
	if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') ||
	    *k == '_'))
		return false;
	for (k++; *k; k++)
		if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') ||
		    (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	return true;
}

/* path + ".key" or path + "[\"key\"]" (malloc'ed). */
static char *
path_member(const char *path, const char *key)
{
	size_t n;
	char *p;

	if (is_identifier(key)) {
		n = strlen(path) + strlen(key) + 2;
		p = xmalloc(n);
		snprintf(p, n, "%s.%s", path, key);
	} else {
		json_t *s = json_string(key);
		char *q = s != NULL ? json_dumps(s, JSON_ENCODE_ANY) : NULL;

		n = strlen(path) + (q != NULL ? strlen(q) : 3) + 3;
		p = xmalloc(n);
		snprintf(p, n, "%s[%s]", path, q != NULL ? q : "\"?\"");
		free(q);
		json_decref(s);
	}
	return p;
}

static char *
path_index(const char *path, size_t i)
{
	size_t n = strlen(path) + 24;
	char *p = xmalloc(n);

	snprintf(p, n, "%s[%zu]", path, i);
	return p;
}

static void
diff_object(const char *file, const char *path, const json_t *a,
    const json_t *b, const char *id, json_t *out)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)b, key, v) {
		json_t *old = json_object_get(a, key);
		char *p = path_member(path, key);

		if (old == NULL)
			add_entry(out, file, p, "added", NULL, NULL, v);
		else
			diff_value(file, p, old, v, id, out);
		free(p);
	}
	json_object_foreach((json_t *)a, key, v) {
		char *p;

		if (json_object_get(b, key) != NULL)
			continue;
		p = path_member(path, key);
		add_entry(out, file, p, "removed", NULL, v, NULL);
		free(p);
	}
}

/*
 * An index of an array whose elements are all objects with a unique string
 * "id": id -> position.  NULL when the array is not like that.
 */
static json_t *
id_index(const json_t *arr)
{
	json_t *idx = json_object(), *el;
	size_t i;

	json_array_foreach(arr, i, el) {
		const char *id = json_string_value(json_object_get(el, "id"));

		if (!json_is_object(el) || id == NULL ||
		    json_object_get(idx, id) != NULL) {
			json_decref(idx);
			return NULL;
		}
		json_object_set_new(idx, id, json_integer((json_int_t)i));
	}
	return idx;
}

/* The ids of arr that are also in other, in arr's order. */
static json_t *
common_ids(const json_t *arr, const json_t *other_idx)
{
	json_t *ids = json_array(), *el;
	size_t i;

	json_array_foreach(arr, i, el) {
		const char *id = json_string_value(json_object_get(el, "id"));

		if (json_object_get(other_idx, id) != NULL)
			json_array_append_new(ids, json_string(id));
	}
	return ids;
}

static json_t *
all_ids(const json_t *arr)
{
	json_t *ids = json_array(), *el;
	size_t i;

	json_array_foreach(arr, i, el)
		json_array_append(ids, json_object_get(el, "id"));
	return ids;
}

static void
diff_array_by_id(const char *file, const char *path, const json_t *a,
    const json_t *b, const json_t *ia, const json_t *ib, json_t *out)
{
	json_t *el, *ca, *cb;
	size_t i;

	json_array_foreach(b, i, el) {
		const char *id = json_string_value(json_object_get(el, "id"));
		json_t *at = json_object_get(ia, id);
		char *p = path_index(path, i);

		if (at == NULL)
			add_entry(out, file, p, "added", id, NULL, el);
		else
			diff_value(file, p, json_array_get(a,
			    (size_t)json_integer_value(at)), el, id, out);
		free(p);
	}
	json_array_foreach(a, i, el) {
		const char *id = json_string_value(json_object_get(el, "id"));
		char *p;

		if (json_object_get(ib, id) != NULL)
			continue;
		p = path_index(path, i);
		add_entry(out, file, p, "removed", id, el, NULL);
		free(p);
	}
	ca = common_ids(a, ib);
	cb = common_ids(b, ia);
	if (!json_equal(ca, cb)) {
		json_t *oa = all_ids(a), *ob = all_ids(b);

		add_entry(out, file, path, "reordered", NULL, oa, ob);
		json_decref(oa);
		json_decref(ob);
	}
	json_decref(ca);
	json_decref(cb);
}

static void
diff_array(const char *file, const char *path, const json_t *a,
    const json_t *b, const char *id, json_t *out)
{
	json_t *ia = id_index(a), *ib = id_index(b);
	size_t na = json_array_size(a), nb = json_array_size(b);

	if (ia != NULL && ib != NULL && (na > 0 || nb > 0)) {
		diff_array_by_id(file, path, a, b, ia, ib, out);
	} else {
		for (size_t i = 0; i < na || i < nb; i++) {
			char *p = path_index(path, i);

			if (i >= na)
				add_entry(out, file, p, "added", NULL, NULL,
				    json_array_get(b, i));
			else if (i >= nb)
				add_entry(out, file, p, "removed", NULL,
				    json_array_get(a, i), NULL);
			else
				diff_value(file, p, json_array_get(a, i),
				    json_array_get(b, i), id, out);
			free(p);
		}
	}
	json_decref(ia);
	json_decref(ib);
}

static void
diff_value(const char *file, const char *path, const json_t *a,
    const json_t *b, const char *id, json_t *out)
{
	if (json_is_object(a) && json_is_object(b))
		diff_object(file, path, a, b, id, out);
	else if (json_is_array(a) && json_is_array(b))
		diff_array(file, path, a, b, id, out);
	else if (!json_equal((json_t *)a, (json_t *)b))
		add_entry(out, file, path, "changed", id, a, b);
}

void
config_diff_json(const char *file, const json_t *a, const json_t *b,
    json_t *out)
{
	json_t *empty = json_object();

	if (a == NULL && b == NULL) {
		json_decref(empty);
		return;
	}
	/* A missing file: every member of the other one comes or goes. */
	if (a == NULL && json_is_object(b))
		a = empty;
	if (b == NULL && json_is_object(a))
		b = empty;
	if (a == NULL || b == NULL)
		add_entry(out, file, "$", a == NULL ? "added" : "removed", NULL,
		    a, b);
	else
		diff_value(file, "$", a, b, NULL, out);
	json_decref(empty);
}

static json_t *
parse_text(const char *name, const char *text, bool *bad, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (text == NULL)
		return NULL;
	if ((j = json_loads(text, 0, &je)) == NULL) {
		snprintf(err, errlen, _("%s:%d:%d: %s"), name, je.line,
		    je.column, je.text);
		*bad = true;
	}
	return j;
}

json_t *
config_diff_texts(const char *old_app, const char *old_devices,
    const char *new_app, const char *new_devices, char *err, size_t errlen)
{
	bool bad = false;
	json_t *oa = parse_text("app.json", old_app, &bad, err, errlen);
	json_t *od = parse_text("devices.json", old_devices, &bad, err, errlen);
	json_t *na = parse_text("app.json", new_app, &bad, err, errlen);
	json_t *nd = parse_text("devices.json", new_devices, &bad, err, errlen);
	json_t *out = NULL;

	if (!bad) {
		out = json_array();
		config_diff_json("app.json", oa, na, out);
		config_diff_json("devices.json", od, nd, out);
	}
	json_decref(oa);
	json_decref(od);
	json_decref(na);
	json_decref(nd);
	return out;
}

char *
config_diff_value(const json_t *v)
{
	char *text = NULL;

	if (v == NULL)
		return xstrdup("null");
	/* The shortest precision that reads back as the same value. */
	for (int prec = 15; prec <= 17; prec++) {
		json_t *back;
		bool same;

		free(text);
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
		    JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(prec));
		if (text == NULL)
			return xstrdup("?");
		back = json_loads(text, JSON_DECODE_ANY, NULL);
		same = back != NULL && json_equal(back, (json_t *)v);
		json_decref(back);
		if (same)
			break;
	}
	return text;
}

char *
config_diff_format(const json_t *e)
{
	const char *file = json_string_value(json_object_get(e, "file"));
	const char *path = json_string_value(json_object_get(e, "path"));
	const char *op = json_string_value(json_object_get(e, "op"));
	json_t *idj = json_object_get(e, "id");
	char *a = config_diff_value(json_object_get(e, "old"));
	char *b = config_diff_value(json_object_get(e, "new"));
	char *id = idj != NULL ? config_diff_value(idj) : NULL;
	char *line;
	int n;

	if (file == NULL)
		file = "?";
	if (path == NULL)
		path = "$";
	if (op == NULL)
		op = "";
	if (strcmp(op, "added") == 0 && id != NULL)
		n = asprintf(&line, _("%s %s (id %s): added %s"), file, path, id,
		    b);
	else if (strcmp(op, "added") == 0)
		n = asprintf(&line, _("%s %s: added %s"), file, path, b);
	else if (strcmp(op, "removed") == 0 && id != NULL)
		n = asprintf(&line, _("%s %s (id %s): removed %s"), file, path,
		    id, a);
	else if (strcmp(op, "removed") == 0)
		n = asprintf(&line, _("%s %s: removed %s"), file, path, a);
	else if (strcmp(op, "reordered") == 0)
		n = asprintf(&line, _("%s %s: order %s → %s"), file, path, a, b);
	else
		n = asprintf(&line, _("%s %s: %s → %s"), file, path, a, b);
	free(a);
	free(b);
	free(id);
	if (n < 0)
		return xstrdup("?");
	return line;
}

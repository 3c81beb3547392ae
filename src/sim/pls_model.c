/*
 * pls_model.c: load, check and apply a linear calibration model.
 *
 * The file is parsed by jansson (duplicate keys rejected) and then walked
 * once, top down, stopping at the first mistake: a model is small, is
 * written by a tool, and one precise message is worth more than a list.
 * jansson keeps no positions, so only when there is a mistake to report is
 * the text scanned again with jsonpos (config/jsonpos.h) to turn the JSON
 * path into a line and column; a good file costs one parse.
 *
 * The coefficients of every output live in one block of doubles, and each
 * output remembers the range outside which its coefficients are zero.  A
 * band-selective model (see tools/gen-pls-model.c) has a few dozen
 * non-zero coefficients per output, so a prediction reads a few hundred
 * pixels instead of outputs * pixels, with no change in the result: a zero
 * coefficient adds exactly nothing to a sum of finite numbers.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/jsonpos.h"
#include "core/i18n.h"
#include "core/util.h"
#include "sim/pls_model.h"

#define MODEL_FILE_MAX (16 * 1024 * 1024)   /* bytes; 1024 x 16 outputs
                                               fit many times over */
#define PATH_LEN 128

struct loader {
	const char *name;           /* the file, in every message */
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
};

/*
 * Report one mistake at path (a value, or with key_kind the key itself):
 * NAME:LINE:COLUMN: PATH: message when the position is known.  Returns -1
 * so that callers can "return fail(...)".
 */
static int
fail(const struct loader *l, const char *path, int key_kind,
    const char *fmt, ...)
{
	struct jsonpos jp;
	const struct jsonpos_entry *e = NULL;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memset(&jp, 0, sizeof jp);
	if (jsonpos_scan(&jp, l->text, l->len) == 0)
		e = jsonpos_find(&jp, path,
		    key_kind ? JSONPOS_KEY : JSONPOS_VALUE);
	if (e != NULL)
		snprintf(l->err, l->errlen, "%s:%d:%d: %s: %s", l->name,
		    e->line, e->column, path, msg);
	else
		snprintf(l->err, l->errlen, "%s: %s: %s", l->name, path, msg);
	jsonpos_free(&jp);
	return -1;
}

/* Every key of o is one of keys (NULL-terminated). */
static int
check_keys(const struct loader *l, json_t *o, const char *path,
    const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		size_t k;

		for (k = 0; keys[k] != NULL; k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (keys[k] == NULL) {
			char kpath[PATH_LEN];

			jsonpos_path_key(kpath, sizeof kpath, path, key);
			return fail(l, kpath, 1, _("unknown key"));
		}
	}
	return 0;
}

/* o[key], which must be there. */
static json_t *
member(const struct loader *l, json_t *o, const char *path, const char *key,
    char *kpath)
{
	json_t *v = json_object_get(o, key);

	jsonpos_path_key(kpath, PATH_LEN, path, key);
	if (v == NULL)
		fail(l, path, 0, _("missing \"%s\""), key);
	return v;
}

/* A string of 1..len-1 bytes 0x21..0x7e (an id on the wire). */
static int
get_id(const struct loader *l, json_t *o, const char *path, const char *key,
    char *out, size_t len)
{
	char kpath[PATH_LEN];
	json_t *v = member(l, o, path, key, kpath);
	const char *s;
	size_t n;

	if (v == NULL)
		return -1;
	if (!json_is_string(v))
		return fail(l, kpath, 0, _("not a string"));
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n >= len)
		return fail(l, kpath, 0, _("must be 1 to %zu characters"),
		    len - 1);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return fail(l, kpath, 0, _("only printable ASCII "
			    "without spaces is allowed"));
	memcpy(out, s, n + 1);
	return 0;
}

static int
load_output(const struct loader *l, json_t *o, const char *path,
    struct pls_model *m, size_t k)
{
	static const char *const keys[] = { "name", "unit", "intercept",
	    "coefficients", NULL };
	struct pls_output *out = &m->outputs[k];
	double *coef = m->block + k * m->pixels;
	char kpath[PATH_LEN], epath[PATH_LEN];
	json_t *v;
	size_t i;

	if (!json_is_object(o))
		return fail(l, path, 0, _("not an object"));
	if (check_keys(l, o, path, keys) != 0 ||
	    get_id(l, o, path, "name", out->name, sizeof out->name) != 0)
		return -1;
	for (size_t j = 0; j < k; j++)
		if (strcmp(m->outputs[j].name, out->name) == 0) {
			jsonpos_path_key(kpath, sizeof kpath, path, "name");
			return fail(l, kpath, 0, _("output %s is already "
			    "defined"), out->name);
		}

	if ((v = member(l, o, path, "unit", kpath)) == NULL)
		return -1;
	if (!json_is_string(v))
		return fail(l, kpath, 0, _("not a string"));
	if (json_string_length(v) >= sizeof out->unit)
		return fail(l, kpath, 0, _("longer than %zu bytes"),
		    sizeof out->unit - 1);
	for (const unsigned char *u = (const unsigned char *)
	    json_string_value(v); *u != '\0'; u++)
		if (*u < 0x20 || *u == 0x7f)
			return fail(l, kpath, 0, _("a control character in "
			    "the unit"));
	str_copy(out->unit, json_string_value(v), sizeof out->unit);

	if ((v = member(l, o, path, "intercept", kpath)) == NULL)
		return -1;
	if (!json_is_number(v))
		return fail(l, kpath, 0, _("not a number"));
	out->intercept = json_number_value(v);

	if ((v = member(l, o, path, "coefficients", kpath)) == NULL)
		return -1;
	if (!json_is_array(v))
		return fail(l, kpath, 0, _("not an array"));
	if (json_array_size(v) != m->pixels)
		return fail(l, kpath, 0, _("%zu numbers, expected %zu"),
		    json_array_size(v), m->pixels);
	out->first = m->pixels;
	out->end = 0;
	for (i = 0; i < m->pixels; i++) {
		json_t *x = json_array_get(v, i);

		if (!json_is_number(x)) {
			jsonpos_path_index(epath, sizeof epath, kpath, i);
			return fail(l, epath, 0, _("not a number"));
		}
		coef[i] = json_number_value(x);
		if (coef[i] != 0.0) {
			if (out->first == m->pixels)
				out->first = i;
			out->end = i + 1;
		}
	}
	if (out->first > out->end)
		out->first = out->end = 0;      /* all zero: a constant */
	out->coef = coef;
	return 0;
}

static int
load_root(const struct loader *l, json_t *root, struct pls_model *m)
{
	static const char *const keys[] = { "id", "version", "pixels",
	    "description", "outputs", NULL };
	char kpath[PATH_LEN], opath[PATH_LEN];
	json_t *v, *outputs;
	json_int_t px;

	if (!json_is_object(root))
		return fail(l, "$", 0, _("not an object"));
	if (check_keys(l, root, "$", keys) != 0 ||
	    get_id(l, root, "$", "id", m->id, sizeof m->id) != 0 ||
	    get_id(l, root, "$", "version", m->version,
	    sizeof m->version) != 0)
		return -1;
	if ((v = json_object_get(root, "description")) != NULL &&
	    !json_is_string(v))
		return fail(l, "$.description", 0, _("not a string"));

	if ((v = member(l, root, "$", "pixels", kpath)) == NULL)
		return -1;
	if (!json_is_integer(v))
		return fail(l, kpath, 0, _("not an integer"));
	px = json_integer_value(v);
	if (px < 1 || px > INFER_MAX_PIXELS)
		return fail(l, kpath, 0, _("must be 1 to %d"),
		    INFER_MAX_PIXELS);
	m->pixels = (size_t)px;

	if ((outputs = member(l, root, "$", "outputs", kpath)) == NULL)
		return -1;
	if (!json_is_array(outputs))
		return fail(l, kpath, 0, _("not an array"));
	if (json_array_size(outputs) < 1 ||
	    json_array_size(outputs) > INFER_MAX_OUTPUTS)
		return fail(l, kpath, 0, _("%zu outputs, expected 1 to %d"),
		    json_array_size(outputs), INFER_MAX_OUTPUTS);
	m->noutputs = json_array_size(outputs);
	m->block = xcalloc(m->noutputs * m->pixels, sizeof *m->block);
	for (size_t k = 0; k < m->noutputs; k++) {
		jsonpos_path_index(opath, sizeof opath, kpath, k);
		if (load_output(l, json_array_get(outputs, k), opath, m,
		    k) != 0)
			return -1;
	}
	return 0;
}

int
pls_model_parse(const char *text, size_t len, const char *name,
    struct pls_model **out, char *err, size_t errlen)
{
	struct loader l = { name, text, len, err, errlen };
	struct pls_model *m;
	json_error_t je;
	json_t *root;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		struct jsonpos jp;

		memset(&jp, 0, sizeof jp);
		jsonpos_scan(&jp, text, len);
		snprintf(err, errlen, "%s:%d:%d: %s: %s", name, je.line,
		    je.column, jp.err_path != NULL ? jp.err_path : "$",
		    je.text);
		jsonpos_free(&jp);
		return -1;
	}
	m = xcalloc(1, sizeof *m);
	if (load_root(&l, root, m) != 0) {
		json_decref(root);
		pls_model_free(m);
		return -1;
	}
	json_decref(root);
	*out = m;
	return 0;
}

int
pls_model_load(const char *path, struct pls_model **out, char *err,
    size_t errlen)
{
	char *text;
	size_t len = 0, cap = 65536;
	FILE *fp;
	int rc, saved;

	*out = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		saved = errno;
		snprintf(err, errlen, _("%s: cannot read: %s"), path,
		    strerror(saved));
		errno = saved;
		return -1;
	}
	text = xmalloc(cap);
	for (;;) {
		size_t n = fread(text + len, 1, cap - len, fp);

		len += n;
		if (len < cap)
			break;
		if (cap >= MODEL_FILE_MAX) {
			snprintf(err, errlen, _("%s: larger than %d bytes"),
			    path, MODEL_FILE_MAX);
			free(text);
			fclose(fp);
			errno = EFBIG;
			return -1;
		}
		cap *= 2;
		text = xrealloc(text, cap);
	}
	if (ferror(fp)) {
		saved = errno;
		snprintf(err, errlen, _("%s: cannot read: %s"), path,
		    strerror(saved));
		free(text);
		fclose(fp);
		errno = saved;
		return -1;
	}
	fclose(fp);
	rc = pls_model_parse(text, len, path, out, err, errlen);
	free(text);
	if (rc != 0)
		errno = EINVAL;
	return rc;
}

void
pls_model_free(struct pls_model *m)
{
	if (m == NULL)
		return;
	free(m->block);
	free(m);
}

int
pls_model_predict(const struct pls_model *m, const float *pixels,
    size_t n, double *out)
{
	if (n != m->pixels)
		return -1;
	for (size_t k = 0; k < m->noutputs; k++) {
		const struct pls_output *o = &m->outputs[k];
		double acc0 = 0.0, acc1 = 0.0;
		size_t i = o->first;

		/* Two chains: half the latency of one dependent sum. */
		for (; i + 1 < o->end; i += 2) {
			acc0 += o->coef[i] * (double)pixels[i];
			acc1 += o->coef[i + 1] * (double)pixels[i + 1];
		}
		if (i < o->end)
			acc0 += o->coef[i] * (double)pixels[i];
		out[k] = o->intercept + (acc0 + acc1);
	}
	return 0;
}

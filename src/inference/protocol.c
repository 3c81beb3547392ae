/*
 * protocol.c: the inference protocol's wire codec (protocol.h; the
 * protocol itself is doc/inference-protocol.md).
 *
 * Two directions over one set of rules.  check_msg() is the single
 * statement of what a valid message is (string kinds and lengths, counts,
 * ranges, finite numbers, unique names); infer_encode() runs it before it
 * builds anything, and infer_decode() runs it after it has turned the JSON
 * into a struct.  So whatever one side may send, the other accepts, and
 * whatever decodes re-encodes to the same message: the fuzz target
 * (tests/fuzz/fuzz_infer_protocol.c) checks exactly that property.
 *
 * Decoding goes in three steps, each refusing what the next cannot hold:
 *   1. frames: 1 or 2, frame 0 non-empty and at most INFER_HEADER_MAX;
 *   2. header: json_loadb with JSON_REJECT_DUPLICATES (a repeated key is
 *      ambiguous: two readers could take different values), a JSON object,
 *      "v" == 1, a known "type", then the keys of that type, each checked
 *      for presence and JSON type, and strings for length before they are
 *      copied into the fixed buffers of struct infer_msg;
 *   3. check_msg() on the result, then the frame count of the type.
 * Keys a message does not define are ignored, whatever their content, so
 * a newer peer can add fields without a version bump.  On any failure the
 * message is wiped again (only pixels and pixels_cap survive): a caller
 * that ignores the -1 still finds nothing it could mistake for data.
 *
 * Why the pixels travel outside JSON: a 1024-pixel spectrum printed as
 * JSON numbers is 10-16 kB of text that must be formatted and parsed
 * digit by digit, where the f32le frame is 4 kB copied with shifts.  The
 * header stays JSON (small, readable in a capture, easy from any
 * language).  Pixel bytes are assembled and taken apart explicitly,
 * least significant byte first, so the wire form is the same on any host;
 * only IEEE-754 float32 with the same byte order as uint32_t is assumed,
 * which holds on every platform this console runs on.  NaN and infinity
 * are refused in both directions: a spectrum with them is a broken
 * spectrum, and a model fed one returns garbage rather than an error.
 *
 * Numbers in JSON.  Integers ("v", "ts_us", "pixels", "server_us") must be
 * JSON integers: 1024.0 is refused, so there is one spelling for each
 * value.  Reals ("value", "uptime_s", "data") may be written either way.
 * Doubles are written with 17 significant digits (jansson's default) and
 * so read back bit for bit; the pixels of an "encoding":"json" predict are
 * float32 and are written with 9 digits, which is enough for a float32 to
 * read back bit for bit, and keeps the header under INFER_HEADER_MAX for
 * most spectra (the worst case, 16384 pixels of 15 characters each, does
 * not fit: infer_encode says so; use f32le).
 *
 * Nothing here prints, locks or allocates beyond what it returns.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "inference/protocol.h"

/* Where an error message goes, and the message type it is about. */
struct ctx {
	const char *what;       /* "predict", ..., or "header" before "type" */
	char *err;
	size_t errlen;
};

static int fail(const struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Always -1, after writing "what: reason" into c->err. */
static int
fail(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->err == NULL || c->errlen == 0)
		return -1;
	n = snprintf(c->err, c->errlen, "%s: ", c->what);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * A string from the wire, made safe to quote in a log line: at most 24
 * bytes, anything but printable ASCII shown as '?'.
 */
static const char *
quote_wire(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 4 < buflen && i < 24; i++)
		buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < len && n + 4 < buflen) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

const char *
infer_type_name(enum infer_type t)
{
	switch (t) {
	case INFER_PREDICT:
		return "predict";
	case INFER_HEARTBEAT:
		return "heartbeat";
	case INFER_MODELS:
		return "models";
	case INFER_PREDICTIONS:
		return "predictions";
	case INFER_ERROR:
		return "error";
	}
	return "?";
}

static int
type_from_name(const char *s, enum infer_type *t)
{
	static const enum infer_type all[] = { INFER_PREDICT, INFER_HEARTBEAT,
	    INFER_MODELS, INFER_PREDICTIONS, INFER_ERROR };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(s, infer_type_name(all[i])) == 0) {
			*t = all[i];
			return 0;
		}
	return -1;
}

/* ---- strings -------------------------------------------------------- */

/*
 * The two kinds of strings.  An id ("id", "model", "spectrum",
 * "model_version", "server", a model's "id" and "version", "code") is
 * printable ASCII without spaces, 0x21..0x7e: it ends up in file names,
 * log keys and SQL, and must look the same everywhere.  Text (an output's
 * "name" and "unit", an error's "message") is UTF-8 without control
 * characters (C0, DEL, C1): it is shown on the operator's screen.
 */
enum str_kind { STR_ID, STR_TEXT };

/*
 * Offset of the first byte of s[0..len) that is not well-formed UTF-8 (no
 * overlong forms, no surrogates, nothing above U+10FFFF) or that starts a
 * control character, or len when there is none.  *ctrl tells which.
 */
static size_t
text_bad_at(const unsigned char *s, size_t len, int *ctrl)
{
	size_t i = 0;

	*ctrl = 0;
	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t k;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f) {
				*ctrl = 1;
				return i;
			}
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3;
		else
			return i;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (k >= len - i)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t j = 2; j <= k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return i;
		/* C1 controls U+0080..U+009F: 0xc2 0x80..0x9f. */
		if (c == 0xc2 && s[i + 1] <= 0x9f) {
			*ctrl = 1;
			return i;
		}
		i += k + 1;
	}
	return len;
}

/*
 * 0 when s (a NUL-terminated string in a buffer of cap bytes) is a valid
 * string of the kind: 1..cap-1 bytes (0..cap-1 when empty_ok).  path names
 * the field in the error.
 */
static int
check_str(const struct ctx *c, const char *path, const char *s, size_t cap,
    enum str_kind kind, int empty_ok)
{
	size_t len = strnlen(s, cap);
	size_t bad;
	int ctrl;

	if (len == cap)
		return fail(c, "\"%s\" is not terminated within its %zu bytes",
		    path, cap);
	if (len == 0 && !empty_ok)
		return fail(c, "\"%s\" is empty", path);
	if (kind == STR_ID) {
		for (size_t i = 0; i < len; i++) {
			unsigned char b = (unsigned char)s[i];

			if (b < 0x21 || b > 0x7e)
				return fail(c, "\"%s\" has byte 0x%02x at "
				    "offset %zu; ids are printable ASCII "
				    "without spaces", path, b, i);
		}
		return 0;
	}
	bad = text_bad_at((const unsigned char *)s, len, &ctrl);
	if (bad < len)
		return fail(c, ctrl ? "\"%s\" has a control character at "
		    "offset %zu" : "\"%s\" is not valid UTF-8 at offset %zu",
		    path, bad);
	return 0;
}

/* ---- validation, shared by encode and decode ------------------------ */

/*
 * Field paths for error messages ("models[2].outputs[0].unit"): at most
 * 26 bytes as the limits stand; a longer one would only be cut short.
 * (vsnprintf, so that gcc's truncation warning does not guess lengths.)
 */
#define PATH_LEN 64

static void path_fmt(char *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
path_fmt(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
}

static int
check_outputs(const struct ctx *c, const char *prefix,
    const struct infer_output *o, size_t n, int values)
{
	char path[PATH_LEN];

	if (n < 1)
		return fail(c, "\"%s\" is empty: a model has at least one "
		    "output", prefix);
	if (n > INFER_MAX_OUTPUTS)
		return fail(c, "\"%s\" has %zu entries, at most %d", prefix, n,
		    INFER_MAX_OUTPUTS);
	for (size_t i = 0; i < n; i++) {
		path_fmt(path, "%s[%zu].name", prefix, i);
		if (check_str(c, path, o[i].name, sizeof o[i].name, STR_TEXT,
		    0) != 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(o[i].name, o[j].name) == 0)
				return fail(c, "\"%s\" repeats \"%s\" of "
				    "%s[%zu]", path, o[i].name, prefix, j);
		path_fmt(path, "%s[%zu].unit", prefix, i);
		if (check_str(c, path, o[i].unit, sizeof o[i].unit, STR_TEXT,
		    1) != 0)
			return -1;
		if (values && !isfinite(o[i].value))
			return fail(c, "\"%s[%zu].value\" is not finite",
			    prefix, i);
	}
	return 0;
}

static int
check_models(const struct ctx *c, const struct infer_msg *m, int outputs)
{
	char path[PATH_LEN];

	if (m->nmodels > INFER_MAX_MODELS)
		return fail(c, "\"models\" has %zu entries, at most %d",
		    m->nmodels, INFER_MAX_MODELS);
	for (size_t i = 0; i < m->nmodels; i++) {
		const struct infer_model_info *mi = &m->models[i];

		path_fmt(path, "models[%zu].id", i);
		if (check_str(c, path, mi->id, sizeof mi->id, STR_ID, 0) != 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(mi->id, m->models[j].id) == 0)
				return fail(c, "\"%s\" repeats \"%s\" of "
				    "models[%zu]", path, mi->id, j);
		path_fmt(path, "models[%zu].version", i);
		if (check_str(c, path, mi->version, sizeof mi->version, STR_ID,
		    0) != 0)
			return -1;
		if (mi->pixels < 1 || mi->pixels > INFER_MAX_PIXELS)
			return fail(c, "\"models[%zu].pixels\" is %lu, must be "
			    "1..%d", i, (unsigned long)mi->pixels,
			    INFER_MAX_PIXELS);
		path_fmt(path, "models[%zu].outputs", i);
		if (outputs) {
			if (check_outputs(c, path, mi->outputs, mi->noutputs,
			    0) != 0)
				return -1;
		} else if (mi->noutputs != 0) {
			return fail(c, "\"%s\" lists %zu outputs; only a models "
			    "reply carries them", path, mi->noutputs);
		}
	}
	return 0;
}

/*
 * Everything a message of m->type must satisfy, except the pixel values
 * themselves (checked where they are converted, to read them once) and
 * the receiver's pixels_cap.  Fields of other types are not looked at.
 */
static int
check_msg(const struct ctx *c, const struct infer_msg *m)
{
	if (check_str(c, "id", m->id, sizeof m->id, STR_ID,
	    m->type == INFER_ERROR) != 0)
		return -1;
	switch (m->type) {
	case INFER_PREDICT:
		if (check_str(c, "model", m->model, sizeof m->model, STR_ID,
		    0) != 0 || check_str(c, "spectrum", m->spectrum,
		    sizeof m->spectrum, STR_ID, 0) != 0)
			return -1;
		if (m->ts_us < 0)
			return fail(c, "\"ts_us\" is %lld, must be >= 0",
			    (long long)m->ts_us);
		if (m->npixels < 1 || m->npixels > INFER_MAX_PIXELS)
			return fail(c, "\"pixels\" is %zu, must be 1..%d",
			    m->npixels, INFER_MAX_PIXELS);
		if (m->pixels == NULL)
			return fail(c, "no pixel buffer");
		return 0;
	case INFER_PREDICTIONS:
		if (check_str(c, "model", m->model, sizeof m->model, STR_ID,
		    0) != 0 || check_str(c, "model_version", m->model_version,
		    sizeof m->model_version, STR_ID, 0) != 0 ||
		    check_str(c, "spectrum", m->spectrum, sizeof m->spectrum,
		    STR_ID, 0) != 0)
			return -1;
		if (m->ts_us < 0)
			return fail(c, "\"ts_us\" is %lld, must be >= 0",
			    (long long)m->ts_us);
		if (check_outputs(c, "outputs", m->outputs, m->noutputs,
		    1) != 0)
			return -1;
		if (m->server_us < 0)
			return fail(c, "\"server_us\" is %lld, must be >= 0",
			    (long long)m->server_us);
		return 0;
	case INFER_HEARTBEAT:
		if (!m->is_reply)
			return 0;
		if (check_str(c, "server", m->server, sizeof m->server, STR_ID,
		    0) != 0)
			return -1;
		if (!isfinite(m->uptime_s) || m->uptime_s < 0)
			return fail(c, "\"uptime_s\" is %g, must be finite and "
			    ">= 0", m->uptime_s);
		return check_models(c, m, 0);
	case INFER_MODELS:
		return m->is_reply ? check_models(c, m, 1) : 0;
	case INFER_ERROR:
		if (check_str(c, "code", m->code, sizeof m->code, STR_ID,
		    0) != 0)
			return -1;
		return check_str(c, "message", m->message, sizeof m->message,
		    STR_TEXT, 0);
	}
	return fail(c, "unknown message type %d", (int)m->type);
}

/* ---- encode --------------------------------------------------------- */

/* A float32's bits are NaN or infinity: the exponent is all ones. */
static int
bits_nonfinite(uint32_t u)
{
	return (u & 0x7f800000u) == 0x7f800000u;
}

/*
 * The same test for a whole spectrum, without a branch or a compare per
 * pixel: adding 1 to the exponent field carries into bit 31 exactly when
 * the field is all ones.  OR this over the pixels, then test bit 31.
 */
static uint32_t
bits_nonfinite_mark(uint32_t u)
{
	return (u & 0x7f800000u) + 0x00800000u;
}

static uint32_t
le32_at(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}


static json_t *
outputs_json(const struct infer_output *o, size_t n, int values)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++) {
		json_t *e = values ?
		    json_pack("{s:s, s:s, s:f}", "name", o[i].name, "unit",
		    o[i].unit, "value", o[i].value) :
		    json_pack("{s:s, s:s}", "name", o[i].name, "unit",
		    o[i].unit);

		if (json_array_append_new(a, e) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
models_json(const struct infer_msg *m, int outputs)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < m->nmodels; i++) {
		const struct infer_model_info *mi = &m->models[i];
		json_t *e = json_pack("{s:s, s:s, s:I}", "id", mi->id,
		    "version", mi->version, "pixels", (json_int_t)mi->pixels);

		if (e != NULL && outputs &&
		    json_object_set_new(e, "outputs", outputs_json(mi->outputs,
		    mi->noutputs, 0)) != 0) {
			json_decref(e);
			e = NULL;
		}
		if (json_array_append_new(a, e) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The predict header; the pixels go into "data" (json) or *bin (f32le). */
static json_t *
predict_json(const struct ctx *c, const struct infer_msg *m,
    unsigned char **bin, int *failed)
{
	const char *enc = m->json_pixels ? "json" : "f32le";
	json_t *o, *data = NULL;
	size_t i;

	*failed = 0;
	if (m->json_pixels) {
		data = json_array();
		for (i = 0; data != NULL && i < m->npixels; i++) {
			if (!isfinite(m->pixels[i])) {
				json_decref(data);
				*failed = fail(c, "pixel %zu is not finite", i);
				return NULL;
			}
			if (json_array_append_new(data,
			    json_real(m->pixels[i])) != 0) {
				json_decref(data);
				data = NULL;
			}
		}
		if (data == NULL)
			return NULL;
	} else {
		const float *px = m->pixels;
		size_t n = m->npixels;
		unsigned char *b = malloc(4 * n);
		uint32_t bad = 0;

		if (b == NULL)
			return NULL;
		for (i = 0; i < n; i++) {
			uint32_t u;

			memcpy(&u, &px[i], 4);
			bad |= bits_nonfinite_mark(u);
			b[4 * i] = (unsigned char)u;
			b[4 * i + 1] = (unsigned char)(u >> 8);
			b[4 * i + 2] = (unsigned char)(u >> 16);
			b[4 * i + 3] = (unsigned char)(u >> 24);
		}
		for (i = 0; (bad & 0x80000000u) && i < n; i++)
			if (!isfinite(m->pixels[i])) {
				free(b);
				*failed = fail(c, "pixel %zu is not finite", i);
				return NULL;
			}
		*bin = b;
	}
	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:s}",
	    "v", INFER_PROTOCOL_VERSION, "type", "predict", "id", m->id,
	    "model", m->model, "spectrum", m->spectrum,
	    "ts_us", (json_int_t)m->ts_us, "pixels", (json_int_t)m->npixels,
	    "encoding", enc);
	if (o != NULL && data != NULL &&
	    json_object_set_new(o, "data", data) != 0) {
		json_decref(o);
		o = NULL;
	} else if (o == NULL) {
		json_decref(data);
	}
	return o;
}

static json_t *
header_json(const struct ctx *c, const struct infer_msg *m,
    unsigned char **bin, int *failed)
{
	const int v = INFER_PROTOCOL_VERSION;
	const char *type = infer_type_name(m->type);

	*failed = 0;
	switch (m->type) {
	case INFER_PREDICT:
		return predict_json(c, m, bin, failed);
	case INFER_PREDICTIONS:
		return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:I}",
		    "v", v, "type", type, "id", m->id, "model", m->model,
		    "model_version", m->model_version,
		    "spectrum", m->spectrum, "ts_us", (json_int_t)m->ts_us,
		    "outputs", outputs_json(m->outputs, m->noutputs, 1),
		    "server_us", (json_int_t)m->server_us);
	case INFER_HEARTBEAT:
		if (!m->is_reply)
			break;
		return json_pack("{s:i, s:s, s:s, s:s, s:f, s:o}",
		    "v", v, "type", type, "id", m->id, "server", m->server,
		    "uptime_s", m->uptime_s, "models", models_json(m, 0));
	case INFER_MODELS:
		if (!m->is_reply)
			break;
		return json_pack("{s:i, s:s, s:s, s:o}", "v", v, "type", type,
		    "id", m->id, "models", models_json(m, 1));
	case INFER_ERROR:
		return json_pack("{s:i, s:s, s:s, s:s, s:s}", "v", v,
		    "type", type, "id", m->id, "code", m->code,
		    "message", m->message);
	}
	return json_pack("{s:i, s:s, s:s}", "v", v, "type", type, "id", m->id);
}

int
infer_encode(const struct infer_msg *m, struct infer_frame frames[2],
    void **bin, char *err, size_t errlen)
{
	struct ctx c = { infer_type_name(m->type), err, errlen };
	unsigned char *b = NULL;
	size_t flags = JSON_COMPACT;
	json_t *o;
	char *hdr;
	size_t len;
	int failed;

	frames[0].data = frames[1].data = NULL;
	frames[0].len = frames[1].len = 0;
	*bin = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (check_msg(&c, m) != 0)
		return -1;
	o = header_json(&c, m, &b, &failed);
	if (o == NULL) {
		free(b);
		return failed ? -1 : fail(&c, "out of memory");
	}
	/* Only a predict has reals of float precision (the pixels). */
	if (m->type == INFER_PREDICT)
		flags |= JSON_REAL_PRECISION(9);
	hdr = json_dumps(o, flags);
	json_decref(o);
	if (hdr == NULL) {
		free(b);
		return fail(&c, "out of memory");
	}
	len = strlen(hdr);
	if (len > INFER_HEADER_MAX) {
		free(hdr);
		free(b);
		return fail(&c, "header would be %zu bytes, at most %d%s", len,
		    INFER_HEADER_MAX, m->type == INFER_PREDICT ?
		    " (send the pixels as f32le)" : "");
	}
	frames[0].data = hdr;
	frames[0].len = len;
	if (b == NULL)
		return 1;
	frames[1].data = b;
	frames[1].len = 4 * m->npixels;
	*bin = b;
	return 2;
}

/* ---- decode --------------------------------------------------------- */

static void
path_of(char *buf, const char *prefix, const char *key)
{
	if (prefix == NULL)
		path_fmt(buf, "%s", key);
	else
		path_fmt(buf, "%s.%s", prefix, key);
}

/* o[key], or NULL after saying that it is missing. */
static json_t *
get(const struct ctx *c, json_t *o, const char *prefix, const char *key)
{
	json_t *v = json_object_get(o, key);
	char path[PATH_LEN];

	if (v == NULL) {
		path_of(path, prefix, key);
		fail(c, "\"%s\" is missing", path);
	}
	return v;
}

/* Copy the string o[key] into dst (cap bytes); checked by check_msg. */
static int
get_str(const struct ctx *c, json_t *o, const char *prefix, const char *key,
    char *dst, size_t cap)
{
	json_t *v = get(c, o, prefix, key);
	char path[PATH_LEN];
	const char *s;
	size_t len;

	if (v == NULL)
		return -1;
	path_of(path, prefix, key);
	if (!json_is_string(v))
		return fail(c, "\"%s\" must be a string", path);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= cap)
		return fail(c, "\"%s\" is %zu bytes, at most %zu", path, len,
		    cap - 1);
	if (strlen(s) != len)
		return fail(c, "\"%s\" contains a NUL character", path);
	memcpy(dst, s, len + 1);
	return 0;
}

static int
get_int(const struct ctx *c, json_t *o, const char *prefix, const char *key,
    json_int_t min, json_int_t max, json_int_t *out)
{
	json_t *v = get(c, o, prefix, key);
	char path[PATH_LEN];

	if (v == NULL)
		return -1;
	path_of(path, prefix, key);
	if (!json_is_integer(v))
		return fail(c, "\"%s\" must be an integer", path);
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return fail(c, "\"%s\" is %lld, must be %lld..%lld", path,
		    (long long)*out, (long long)min, (long long)max);
	return 0;
}

/* A finite number (integer or real). */
static int
get_num(const struct ctx *c, json_t *o, const char *prefix, const char *key,
    double *out)
{
	json_t *v = get(c, o, prefix, key);
	char path[PATH_LEN];

	if (v == NULL)
		return -1;
	path_of(path, prefix, key);
	if (!json_is_number(v))
		return fail(c, "\"%s\" must be a number", path);
	*out = json_number_value(v);
	if (!isfinite(*out))
		return fail(c, "\"%s\" is not finite", path);
	return 0;
}

/* The array o[key] of at most max entries. */
static json_t *
get_array(const struct ctx *c, json_t *o, const char *prefix,
    const char *key, size_t max)
{
	json_t *v = get(c, o, prefix, key);
	char path[PATH_LEN];

	if (v == NULL)
		return NULL;
	path_of(path, prefix, key);
	if (!json_is_array(v)) {
		fail(c, "\"%s\" must be an array", path);
		return NULL;
	}
	if (json_array_size(v) > max) {
		fail(c, "\"%s\" has %zu entries, at most %zu", path,
		    json_array_size(v), max);
		return NULL;
	}
	return v;
}

/* The element i of array a (named prefix), which must be an object. */
static json_t *
get_object_at(const struct ctx *c, json_t *a, const char *prefix, size_t i,
    char *path)
{
	json_t *e = json_array_get(a, i);

	path_fmt(path, "%s[%zu]", prefix, i);
	if (!json_is_object(e)) {
		fail(c, "\"%s\" must be an object", path);
		return NULL;
	}
	return e;
}

static int
decode_outputs(const struct ctx *c, json_t *o, const char *prefix,
    struct infer_output *out, size_t *n, int values)
{
	char outer[PATH_LEN], path[PATH_LEN];
	json_t *a;

	path_of(outer, prefix, "outputs");
	a = get_array(c, o, prefix, "outputs", INFER_MAX_OUTPUTS);
	if (a == NULL)
		return -1;
	*n = json_array_size(a);
	for (size_t i = 0; i < *n; i++) {
		json_t *e = get_object_at(c, a, outer, i, path);

		if (e == NULL ||
		    get_str(c, e, path, "name", out[i].name,
		    sizeof out[i].name) != 0 ||
		    get_str(c, e, path, "unit", out[i].unit,
		    sizeof out[i].unit) != 0 ||
		    (values && get_num(c, e, path, "value",
		    &out[i].value) != 0))
			return -1;
	}
	return 0;
}

static int
decode_models(const struct ctx *c, json_t *o, struct infer_msg *m,
    int outputs)
{
	char path[PATH_LEN];
	json_t *a = get_array(c, o, NULL, "models", INFER_MAX_MODELS);

	if (a == NULL)
		return -1;
	m->nmodels = json_array_size(a);
	for (size_t i = 0; i < m->nmodels; i++) {
		struct infer_model_info *mi = &m->models[i];
		json_t *e = get_object_at(c, a, "models", i, path);
		json_int_t px;

		if (e == NULL ||
		    get_str(c, e, path, "id", mi->id, sizeof mi->id) != 0 ||
		    get_str(c, e, path, "version", mi->version,
		    sizeof mi->version) != 0 ||
		    get_int(c, e, path, "pixels", 1, INFER_MAX_PIXELS, &px) != 0)
			return -1;
		mi->pixels = (uint32_t)px;
		if (outputs && decode_outputs(c, e, path, mi->outputs,
		    &mi->noutputs, 0) != 0)
			return -1;
	}
	return 0;
}

static int
expect_frames(const struct ctx *c, size_t nframes, size_t want)
{
	if (nframes == want)
		return 0;
	return fail(c, "%zu frame%s, expected %zu%s", nframes,
	    nframes == 1 ? "" : "s", want,
	    want == 2 ? " (header and f32le pixels)" : " (header only)");
}

static int
decode_pixels_f32le(const struct ctx *c, const struct infer_frame *f,
    struct infer_msg *m, size_t n)
{
	const unsigned char *b = f->data;
	float *px = m->pixels;  /* a local: stores to it cannot alias m */
	uint32_t bad = 0;

	if (f->len != 4 * n)
		return fail(c, "frame 1 has %zu bytes, expected %zu for %zu "
		    "pixels", f->len, 4 * n, n);
	/* No early exit: the loop stays one the compiler can vectorize. */
	for (size_t i = 0; i < n; i++) {
		uint32_t u = le32_at(b + 4 * i);

		bad |= bits_nonfinite_mark(u);
		memcpy(&px[i], &u, 4);
	}
	for (size_t i = 0; (bad & 0x80000000u) && i < n; i++) {
		uint32_t u = le32_at(b + 4 * i);

		if (bits_nonfinite(u))
			return fail(c, "pixel %zu is not finite (%s)", i,
			    (u & 0x007fffffu) ? "NaN" : "infinity");
	}
	return 0;
}

static int
decode_pixels_json(const struct ctx *c, json_t *o, struct infer_msg *m,
    size_t n)
{
	json_t *a = get_array(c, o, NULL, "data", INFER_MAX_PIXELS);

	if (a == NULL)
		return -1;
	if (json_array_size(a) != n)
		return fail(c, "\"data\" has %zu values, expected %zu "
		    "(\"pixels\")", json_array_size(a), n);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		double d;

		if (!json_is_number(v))
			return fail(c, "\"data[%zu]\" must be a number", i);
		d = json_number_value(v);
		/*
		 * Refused when it would round to infinity: at or beyond
		 * FLT_MAX plus half an ulp, 2^128 - 2^103.  Just below that
		 * it is FLT_MAX (9 digits of FLT_MAX read as a double land
		 * there), assigned outright so no conversion overflows.
		 */
		if (!(fabs(d) < 0x1.ffffffp127))
			return fail(c, "\"data[%zu]\" is outside the float32 "
			    "range", i);
		if (d > FLT_MAX)
			m->pixels[i] = FLT_MAX;
		else if (d < -FLT_MAX)
			m->pixels[i] = -FLT_MAX;
		else
			m->pixels[i] = (float)d;
	}
	return 0;
}

static int
decode_predict(const struct ctx *c, json_t *o, const struct infer_frame *f,
    size_t nframes, struct infer_msg *m)
{
	json_int_t ts, px;
	char enc[8], q[32];
	json_t *e;

	if (get_str(c, o, NULL, "model", m->model, sizeof m->model) != 0 ||
	    get_str(c, o, NULL, "spectrum", m->spectrum,
	    sizeof m->spectrum) != 0 ||
	    get_int(c, o, NULL, "ts_us", 0, INT64_MAX, &ts) != 0 ||
	    get_int(c, o, NULL, "pixels", 1, INFER_MAX_PIXELS, &px) != 0)
		return -1;
	m->ts_us = ts;
	e = get(c, o, NULL, "encoding");
	if (e == NULL)
		return -1;
	if (!json_is_string(e))
		return fail(c, "\"encoding\" must be a string");
	if (json_string_length(e) < sizeof enc)
		memcpy(enc, json_string_value(e), json_string_length(e) + 1);
	else
		enc[0] = '\0';
	if (strcmp(enc, "f32le") == 0)
		m->json_pixels = false;
	else if (strcmp(enc, "json") == 0)
		m->json_pixels = true;
	else
		return fail(c, "\"encoding\" is \"%s\", expected \"f32le\" or "
		    "\"json\"", quote_wire(json_string_value(e),
		    json_string_length(e), q, sizeof q));
	if (m->pixels == NULL || (size_t)px > m->pixels_cap)
		return fail(c, "%lld pixels, the receiving buffer holds %zu",
		    (long long)px, m->pixels == NULL ? 0 : m->pixels_cap);
	if (expect_frames(c, nframes, m->json_pixels ? 1 : 2) != 0)
		return -1;
	if ((m->json_pixels ? decode_pixels_json(c, o, m, (size_t)px) :
	    decode_pixels_f32le(c, &f[1], m, (size_t)px)) != 0)
		return -1;
	m->npixels = (size_t)px;
	return 0;
}

static int
decode_body(const struct ctx *c, json_t *o, const struct infer_frame *f,
    size_t nframes, struct infer_msg *m)
{
	json_int_t n;

	switch (m->type) {
	case INFER_PREDICT:
		return decode_predict(c, o, f, nframes, m);
	case INFER_PREDICTIONS:
		m->is_reply = true;
		if (get_str(c, o, NULL, "model", m->model,
		    sizeof m->model) != 0 ||
		    get_str(c, o, NULL, "model_version", m->model_version,
		    sizeof m->model_version) != 0 ||
		    get_str(c, o, NULL, "spectrum", m->spectrum,
		    sizeof m->spectrum) != 0 ||
		    get_int(c, o, NULL, "ts_us", 0, INT64_MAX, &n) != 0)
			return -1;
		m->ts_us = n;
		if (decode_outputs(c, o, NULL, m->outputs, &m->noutputs,
		    1) != 0 ||
		    get_int(c, o, NULL, "server_us", 0, INT64_MAX, &n) != 0)
			return -1;
		m->server_us = n;
		break;
	case INFER_HEARTBEAT:
		/* Any reply field makes it a reply, which then needs all. */
		m->is_reply = json_object_get(o, "server") != NULL ||
		    json_object_get(o, "uptime_s") != NULL ||
		    json_object_get(o, "models") != NULL;
		if (m->is_reply && (get_str(c, o, NULL, "server", m->server,
		    sizeof m->server) != 0 ||
		    get_num(c, o, NULL, "uptime_s", &m->uptime_s) != 0 ||
		    decode_models(c, o, m, 0) != 0))
			return -1;
		break;
	case INFER_MODELS:
		m->is_reply = json_object_get(o, "models") != NULL;
		if (m->is_reply && decode_models(c, o, m, 1) != 0)
			return -1;
		break;
	case INFER_ERROR:
		m->is_reply = true;
		if (get_str(c, o, NULL, "code", m->code, sizeof m->code) != 0 ||
		    get_str(c, o, NULL, "message", m->message,
		    sizeof m->message) != 0)
			return -1;
		break;
	}
	return expect_frames(c, nframes, 1);
}

static int
decode_header(struct ctx *c, json_t *o, const struct infer_frame *f,
    size_t nframes, struct infer_msg *m)
{
	json_t *v;
	char q[32];

	if (!json_is_object(o))
		return fail(c, "frame 0 is not a JSON object");
	v = get(c, o, NULL, "v");
	if (v == NULL)
		return -1;
	if (!json_is_integer(v))
		return fail(c, "\"v\" must be an integer");
	if (json_integer_value(v) != INFER_PROTOCOL_VERSION)
		return fail(c, "protocol version %lld, this side speaks %d",
		    (long long)json_integer_value(v), INFER_PROTOCOL_VERSION);
	v = get(c, o, NULL, "type");
	if (v == NULL)
		return -1;
	if (!json_is_string(v))
		return fail(c, "\"type\" must be a string");
	if (type_from_name(json_string_value(v), &m->type) != 0)
		return fail(c, "unknown type \"%s\"", quote_wire(
		    json_string_value(v), json_string_length(v), q, sizeof q));
	c->what = infer_type_name(m->type);
	if (get_str(c, o, NULL, "id", m->id, sizeof m->id) != 0 ||
	    decode_body(c, o, f, nframes, m) != 0)
		return -1;
	return check_msg(c, m);
}

int
infer_decode(const struct infer_frame *frames, size_t nframes,
    struct infer_msg *m, char *err, size_t errlen)
{
	struct ctx c = { "header", err, errlen };
	float *pixels = m->pixels;
	size_t cap = m->pixels_cap;
	json_error_t je;
	json_t *o;
	int rc;

	memset(m, 0, sizeof *m);
	m->pixels = pixels;
	m->pixels_cap = cap;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (nframes == 0)
		return fail(&c, "no frames");
	if (nframes > 2)
		return fail(&c, "%zu frames, at most 2", nframes);
	if (frames[0].len == 0)
		return fail(&c, "frame 0 is empty");
	if (frames[0].len > INFER_HEADER_MAX)
		return fail(&c, "frame 0 has %zu bytes, at most %d",
		    frames[0].len, INFER_HEADER_MAX);
	o = json_loadb(frames[0].data, frames[0].len, JSON_REJECT_DUPLICATES,
	    &je);
	if (o == NULL) {
		/* jansson quotes the offending bytes: make them printable. */
		for (char *p = je.text; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?';
		return fail(&c, "frame 0 is not valid JSON: %s (at byte %d)",
		    je.text, je.position);
	}
	rc = decode_header(&c, o, frames, nframes, m);
	json_decref(o);
	if (rc != 0) {
		memset(m, 0, sizeof *m);
		m->pixels = pixels;
		m->pixels_cap = cap;
	}
	return rc;
}

/*
 * test_infer_protocol.c: the inference protocol codec (inference/protocol.h),
 * pinned down by exact wire bytes, round trips and every way a message can
 * be malformed.
 *
 * Round trips cover each message type and both pixel encodings, and check
 * the header text and frame bytes the encoder writes (so the key names,
 * their order and the little-endian float layout cannot drift unnoticed).
 * The examples of doc/inference-protocol.md are decoded verbatim: if the
 * document and the code disagree, test_doc_examples fails.  Rejection
 * tests are tables: each row is one malformed message and a piece of the
 * reason that must be given, and every rejected decode must leave the
 * message wiped.  The encoder is held to the same rules: a message it
 * refuses allocates nothing (LeakSanitizer sees to that under
 * --enable-sanitizers).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inference/protocol.h"

#define CAP 16

static float pixbuf[INFER_MAX_PIXELS];
static float pixbuf2[INFER_MAX_PIXELS];

/* Strings of n 'a's, for length limits. */
static char a15[16], a16[17], a31[32], a32[33], a63[64], a64[65];
static char a255[256], a256[257];

static void
fill_a(char *s, size_t n)
{
	memset(s, 'a', n);
	s[n] = '\0';
}

static int
setup_strings(void **state)
{
	(void)state;
	fill_a(a15, 15);
	fill_a(a16, 16);
	fill_a(a31, 31);
	fill_a(a32, 32);
	fill_a(a63, 63);
	fill_a(a64, 64);
	fill_a(a255, 255);
	fill_a(a256, 256);
	return 0;
}

static float
f32_of(uint32_t u)
{
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static uint32_t
bits_of(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

static uint64_t
bits64_of(double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	return u;
}

static void
init_msg(struct infer_msg *m, enum infer_type t, const char *id)
{
	memset(m, 0, sizeof *m);
	m->type = t;
	snprintf(m->id, sizeof m->id, "%s", id);
}

/* A decode target full of junk, with the given pixel buffer. */
static void
junk_msg(struct infer_msg *m, float *px, size_t cap)
{
	memset(m, 0xab, sizeof *m);
	m->pixels = px;
	m->pixels_cap = cap;
}

static int
decode1(const char *hdr, struct infer_msg *m, char *err, size_t errlen)
{
	struct infer_frame f = { hdr, strlen(hdr) };

	return infer_decode(&f, 1, m, err, errlen);
}

/* Encode m, decode the result into out (buffer pixbuf2); returns nframes. */
static int
round_trip(const struct infer_msg *m, struct infer_msg *out, char *hdr,
    size_t hdrlen)
{
	struct infer_frame fr[2];
	char err[256];
	void *bin;
	int n;

	n = infer_encode(m, fr, &bin, err, sizeof err);
	if (n < 0)
		print_error("encode: %s\n", err);
	assert_true(n == 1 || n == 2);
	assert_true(fr[0].len < hdrlen);
	memcpy(hdr, fr[0].data, fr[0].len);
	hdr[fr[0].len] = '\0';
	junk_msg(out, pixbuf2, INFER_MAX_PIXELS);
	if (infer_decode(fr, (size_t)n, out, err, sizeof err) != 0)
		print_error("decode: %s\n", err);
	assert_string_equal(err, "");
	free((void *)fr[0].data);
	free(bin);
	return n;
}

/* After a failed decode: nothing left that looks like data. */
static void
assert_wiped(const struct infer_msg *m, const float *px, size_t cap)
{
	assert_ptr_equal(m->pixels, px);
	assert_int_equal(m->pixels_cap, cap);
	assert_int_equal(m->type, 0);
	assert_string_equal(m->id, "");
	assert_string_equal(m->model, "");
	assert_string_equal(m->code, "");
	assert_int_equal(m->npixels, 0);
	assert_int_equal(m->noutputs, 0);
	assert_int_equal(m->nmodels, 0);
	assert_false(m->is_reply);
	assert_true(m->ts_us == 0);
}

static void
expect_reject(const struct infer_frame *f, size_t n, size_t cap,
    const char *want, const char *label)
{
	struct infer_msg m;
	char err[512];

	junk_msg(&m, pixbuf, cap);
	if (infer_decode(f, n, &m, err, sizeof err) != -1 ||
	    strstr(err, want) == NULL) {
		print_error("case %s: want \"%s\", got \"%s\"\n", label, want,
		    err);
		fail();
	}
	assert_wiped(&m, pixbuf, cap);
}

static void
test_type_names(void **state)
{
	(void)state;
	assert_string_equal(infer_type_name(INFER_PREDICT), "predict");
	assert_string_equal(infer_type_name(INFER_HEARTBEAT), "heartbeat");
	assert_string_equal(infer_type_name(INFER_MODELS), "models");
	assert_string_equal(infer_type_name(INFER_PREDICTIONS), "predictions");
	assert_string_equal(infer_type_name(INFER_ERROR), "error");
	assert_string_equal(infer_type_name((enum infer_type)42), "?");
}

/* Exact wire form of a binary predict: header text and pixel bytes. */
static void
test_predict_f32le_wire(void **state)
{
	static const unsigned char want[] = {
		0x00, 0x00, 0x80, 0x3f,         /* 1.0f */
		0x00, 0x00, 0x20, 0xc0,         /* -2.5f */
		0x01, 0x00, 0x00, 0x00,         /* smallest subnormal */
		0x00, 0x00, 0x00, 0x80,         /* -0.0f */
		0xff, 0xff, 0x7f, 0x7f,         /* FLT_MAX */
	};
	float px[5] = { 1.0f, -2.5f, f32_of(1), -0.0f, FLT_MAX };
	struct infer_frame fr[2];
	struct infer_msg m, out;
	char err[256];
	void *bin;

	(void)state;
	init_msg(&m, INFER_PREDICT, "r1");
	strcpy(m.model, "pls-api");
	strcpy(m.spectrum, "raman1");
	m.ts_us = 1718000000123456;
	m.pixels = px;
	m.npixels = 5;
	assert_int_equal(infer_encode(&m, fr, &bin, err, sizeof err), 2);
	assert_string_equal(err, "");
	assert_int_equal(fr[0].len, strlen(fr[0].data));
	assert_memory_equal(fr[0].data, "{\"v\":1,\"type\":\"predict\","
	    "\"id\":\"r1\",\"model\":\"pls-api\",\"spectrum\":\"raman1\","
	    "\"ts_us\":1718000000123456,\"pixels\":5,\"encoding\":\"f32le\"}",
	    fr[0].len);
	assert_ptr_equal(fr[1].data, bin);
	assert_int_equal(fr[1].len, sizeof want);
	assert_memory_equal(fr[1].data, want, sizeof want);

	junk_msg(&out, pixbuf, CAP);
	assert_int_equal(infer_decode(fr, 2, &out, err, sizeof err), 0);
	assert_int_equal(out.type, INFER_PREDICT);
	assert_false(out.is_reply);
	assert_false(out.json_pixels);
	assert_string_equal(out.id, "r1");
	assert_string_equal(out.model, "pls-api");
	assert_string_equal(out.spectrum, "raman1");
	assert_true(out.ts_us == 1718000000123456);
	assert_int_equal(out.npixels, 5);
	assert_ptr_equal(out.pixels, pixbuf);
	assert_int_equal(out.pixels_cap, CAP);
	for (int i = 0; i < 5; i++)
		assert_int_equal(bits_of(out.pixels[i]), bits_of(px[i]));
	/* Fields of other types stay zero. */
	assert_int_equal(out.noutputs, 0);
	assert_string_equal(out.model_version, "");
	free((void *)fr[0].data);
	free(bin);
}

/* Frame bytes written by hand decode to the values they spell. */
static void
test_predict_f32le_decode_bytes(void **state)
{
	static const char hdr[] = "{\"v\":1,\"type\":\"predict\",\"id\":\"x\","
	    "\"model\":\"m\",\"spectrum\":\"s\",\"ts_us\":0,\"pixels\":3,"
	    "\"encoding\":\"f32le\"}";
	static const unsigned char px[] = {
		0x79, 0xe9, 0xf6, 0x42,         /* 123.456f = 0x42F6E979 */
		0x00, 0x00, 0x80, 0xbf,         /* -1.0f */
		0xff, 0xff, 0x7f, 0x00,         /* largest subnormal */
	};
	struct infer_frame fr[2] = { { hdr, sizeof hdr - 1 },
	    { px, sizeof px } };
	struct infer_msg m;
	char err[256];

	(void)state;
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(infer_decode(fr, 2, &m, err, sizeof err), 0);
	assert_int_equal(m.npixels, 3);
	assert_true(m.pixels[0] == 123.456f);
	assert_true(m.pixels[1] == -1.0f);
	assert_int_equal(bits_of(m.pixels[2]), 0x007fffff);
	assert_true(m.ts_us == 0);
}

static void
test_predict_json_round_trip(void **state)
{
	float px[6] = { 1.0f, -2.5f, f32_of(1), -0.0f, FLT_MAX, 0.1f };
	struct infer_msg m, out;
	char hdr[4096];

	(void)state;
	init_msg(&m, INFER_PREDICT, "r2");
	strcpy(m.model, "pls-api");
	strcpy(m.spectrum, "raman1");
	m.ts_us = 5;
	m.pixels = px;
	m.npixels = 6;
	m.json_pixels = true;
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_non_null(strstr(hdr, "\"pixels\":6,\"encoding\":\"json\","
	    "\"data\":[1.0,-2.5,"));
	/* 9 significant digits: 0.1f, not 0.100000001490116. */
	assert_non_null(strstr(hdr, ",0.100000001]}"));
	assert_int_equal(out.type, INFER_PREDICT);
	assert_true(out.json_pixels);
	assert_int_equal(out.npixels, 6);
	assert_string_equal(out.id, "r2");
	assert_true(out.ts_us == 5);
	for (int i = 0; i < 6; i++)
		assert_int_equal(bits_of(out.pixels[i]), bits_of(px[i]));
}

/* Every float32 survives JSON text bit for bit (9 digits suffice). */
static void
test_predict_json_exact(void **state)
{
	static float px[4096];
	struct infer_msg m, out;
	static char hdr[INFER_HEADER_MAX + 1];
	uint32_t x = 2463534242u;

	(void)state;
	for (size_t i = 0; i < 4096; i++) {
		do {    /* xorshift32, finite patterns only */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
		} while ((x & 0x7f800000u) == 0x7f800000u);
		px[i] = f32_of(x);
	}
	init_msg(&m, INFER_PREDICT, "r3");
	strcpy(m.model, "m");
	strcpy(m.spectrum, "s");
	m.pixels = px;
	m.npixels = 4096;
	m.json_pixels = true;
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_int_equal(out.npixels, 4096);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(bits_of(out.pixels[i]), bits_of(px[i]));
}

static void
test_predictions_round_trip(void **state)
{
	static const double vals[4] = { 12.84, -0.0, 1e-300, DBL_MAX };
	struct infer_msg m, out;
	char hdr[4096];

	(void)state;
	init_msg(&m, INFER_PREDICTIONS, "r1");
	strcpy(m.model, "pls-api");
	strcpy(m.model_version, "2024.06.1");
	strcpy(m.spectrum, "raman1");
	m.ts_us = 1718000000123456;
	m.server_us = 850;
	m.noutputs = 4;
	strcpy(m.outputs[0].name, "api_r");
	strcpy(m.outputs[0].unit, "g/L");
	strcpy(m.outputs[1].name, "api_s");
	strcpy(m.outputs[1].unit, "\xc2\xb5g/L");      /* µg/L */
	strcpy(m.outputs[2].name, "\xe7\xb4\x94\xe5\xba\xa6");  /* 純度 */
	strcpy(m.outputs[2].unit, "");
	strcpy(m.outputs[3].name, "max");
	strcpy(m.outputs[3].unit, a15);
	for (int i = 0; i < 4; i++)
		m.outputs[i].value = vals[i];
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_non_null(strstr(hdr, "{\"v\":1,\"type\":\"predictions\","
	    "\"id\":\"r1\",\"model\":\"pls-api\",\"model_version\":"
	    "\"2024.06.1\",\"spectrum\":\"raman1\",\"ts_us\":1718000000123456,"
	    "\"outputs\":[{\"name\":\"api_r\",\"unit\":\"g/L\",\"value\":"));
	assert_non_null(strstr(hdr, "],\"server_us\":850}"));
	assert_int_equal(out.type, INFER_PREDICTIONS);
	assert_true(out.is_reply);
	assert_string_equal(out.model, "pls-api");
	assert_string_equal(out.model_version, "2024.06.1");
	assert_string_equal(out.spectrum, "raman1");
	assert_true(out.ts_us == 1718000000123456);
	assert_true(out.server_us == 850);
	assert_int_equal(out.noutputs, 4);
	for (int i = 0; i < 4; i++) {
		assert_string_equal(out.outputs[i].name, m.outputs[i].name);
		assert_string_equal(out.outputs[i].unit, m.outputs[i].unit);
		assert_true(bits64_of(out.outputs[i].value) ==
		    bits64_of(vals[i]));
	}
	assert_int_equal(out.npixels, 0);
}

static void
test_heartbeat_round_trip(void **state)
{
	struct infer_msg m, out;
	char hdr[4096];

	(void)state;
	init_msg(&m, INFER_HEARTBEAT, "h1");
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_string_equal(hdr, "{\"v\":1,\"type\":\"heartbeat\",\"id\":\"h1\"}");
	assert_int_equal(out.type, INFER_HEARTBEAT);
	assert_false(out.is_reply);
	assert_string_equal(out.id, "h1");

	m.is_reply = true;
	strcpy(m.server, "inference-a");
	m.uptime_s = 86412.5;
	m.nmodels = 2;
	strcpy(m.models[0].id, "pls-api");
	strcpy(m.models[0].version, "2024.06.1");
	m.models[0].pixels = 1024;
	strcpy(m.models[1].id, "pls-ee");
	strcpy(m.models[1].version, "7");
	m.models[1].pixels = INFER_MAX_PIXELS;
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_string_equal(hdr, "{\"v\":1,\"type\":\"heartbeat\",\"id\":\"h1\","
	    "\"server\":\"inference-a\",\"uptime_s\":86412.5,\"models\":["
	    "{\"id\":\"pls-api\",\"version\":\"2024.06.1\",\"pixels\":1024},"
	    "{\"id\":\"pls-ee\",\"version\":\"7\",\"pixels\":16384}]}");
	assert_true(out.is_reply);
	assert_string_equal(out.server, "inference-a");
	assert_true(out.uptime_s == 86412.5);
	assert_int_equal(out.nmodels, 2);
	assert_string_equal(out.models[1].id, "pls-ee");
	assert_string_equal(out.models[1].version, "7");
	assert_int_equal(out.models[1].pixels, INFER_MAX_PIXELS);
	assert_int_equal(out.models[0].noutputs, 0);

	/* A server with no model loaded still answers. */
	m.nmodels = 0;
	m.uptime_s = 0;
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_true(out.is_reply);
	assert_int_equal(out.nmodels, 0);
	assert_non_null(strstr(hdr, "\"uptime_s\":0.0,\"models\":[]}"));
}

static void
test_models_round_trip(void **state)
{
	struct infer_msg m, out;
	char hdr[8192];

	(void)state;
	init_msg(&m, INFER_MODELS, "q1");
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_string_equal(hdr, "{\"v\":1,\"type\":\"models\",\"id\":\"q1\"}");
	assert_int_equal(out.type, INFER_MODELS);
	assert_false(out.is_reply);

	m.is_reply = true;
	m.nmodels = INFER_MAX_MODELS;
	for (int i = 0; i < INFER_MAX_MODELS; i++) {
		struct infer_model_info *mi = &m.models[i];

		snprintf(mi->id, sizeof mi->id, "model-%d", i);
		strcpy(mi->version, "1.0");
		mi->pixels = (uint32_t)(100 + i);
		mi->noutputs = (size_t)(i == 0 ? INFER_MAX_OUTPUTS : 1 + i);
		for (size_t j = 0; j < mi->noutputs; j++) {
			snprintf(mi->outputs[j].name,
			    sizeof mi->outputs[j].name, "out%zu", j);
			strcpy(mi->outputs[j].unit, j % 2 ? "%" : "g/L");
			mi->outputs[j].value = 99; /* not sent in models */
		}
	}
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_non_null(strstr(hdr, "{\"v\":1,\"type\":\"models\",\"id\":\"q1\","
	    "\"models\":[{\"id\":\"model-0\",\"version\":\"1.0\",\"pixels\":100,"
	    "\"outputs\":[{\"name\":\"out0\",\"unit\":\"g/L\"},"
	    "{\"name\":\"out1\",\"unit\":\"%\"},"));
	assert_null(strstr(hdr, "value"));
	assert_true(out.is_reply);
	assert_int_equal(out.nmodels, INFER_MAX_MODELS);
	for (int i = 0; i < INFER_MAX_MODELS; i++) {
		assert_string_equal(out.models[i].id, m.models[i].id);
		assert_int_equal(out.models[i].pixels, 100 + i);
		assert_int_equal(out.models[i].noutputs, m.models[i].noutputs);
		for (size_t j = 0; j < out.models[i].noutputs; j++) {
			assert_string_equal(out.models[i].outputs[j].name,
			    m.models[i].outputs[j].name);
			assert_string_equal(out.models[i].outputs[j].unit,
			    m.models[i].outputs[j].unit);
			assert_true(out.models[i].outputs[j].value == 0);
		}
	}

	/* No models at all is a valid answer. */
	m.nmodels = 0;
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_true(out.is_reply);
	assert_int_equal(out.nmodels, 0);
}

static void
test_error_round_trip(void **state)
{
	struct infer_msg m, out;
	char hdr[4096];

	(void)state;
	init_msg(&m, INFER_ERROR, "r9");
	strcpy(m.code, INFER_ERR_UNKNOWN_MODEL);
	strcpy(m.message, "no model \"pls-apx\"; loaded: pls-api");
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_string_equal(hdr, "{\"v\":1,\"type\":\"error\",\"id\":\"r9\","
	    "\"code\":\"unknown_model\",\"message\":\"no model \\\"pls-apx\\\";"
	    " loaded: pls-api\"}");
	assert_int_equal(out.type, INFER_ERROR);
	assert_true(out.is_reply);
	assert_string_equal(out.code, "unknown_model");
	assert_string_equal(out.message, m.message);

	/* The one place an empty id is allowed: the request had none. */
	m.id[0] = '\0';
	strcpy(m.code, a31);
	strcpy(m.message, a255);
	assert_int_equal(round_trip(&m, &out, hdr, sizeof hdr), 1);
	assert_string_equal(out.id, "");
	assert_string_equal(out.code, a31);
	assert_string_equal(out.message, a255);
}

/* The examples in doc/inference-protocol.md, verbatim. */
static void
test_doc_examples(void **state)
{
	static const char *const ok[] = {
		"{\"v\":1,\"type\":\"predict\",\"id\":\"c7f3-000118\","
		"\"model\":\"pls-api\",\"spectrum\":\"raman1\","
		"\"ts_us\":1718264523123456,\"pixels\":4,"
		"\"encoding\":\"json\",\"data\":[1021.5,1033.25,998,1002.75]}",
		"{\"v\":1,\"type\":\"predictions\",\"id\":\"c7f3-000118\","
		"\"model\":\"pls-api\",\"model_version\":\"2024.06.1\","
		"\"spectrum\":\"raman1\",\"ts_us\":1718264523123456,"
		"\"outputs\":[{\"name\":\"api_r\",\"unit\":\"g/L\","
		"\"value\":12.84},{\"name\":\"api_s\",\"unit\":\"g/L\","
		"\"value\":0.31},{\"name\":\"ee\",\"unit\":\"%\","
		"\"value\":95.2}],\"server_us\":850}",
		"{\"v\":1,\"type\":\"heartbeat\",\"id\":\"c7f3-000120\"}",
		"{\"v\":1,\"type\":\"heartbeat\",\"id\":\"c7f3-000120\","
		"\"server\":\"inference-a\",\"uptime_s\":86412.5,"
		"\"models\":[{\"id\":\"pls-api\",\"version\":\"2024.06.1\","
		"\"pixels\":1024}]}",
		"{\"v\":1,\"type\":\"models\",\"id\":\"c7f3-000121\"}",
		"{\"v\":1,\"type\":\"models\",\"id\":\"c7f3-000121\","
		"\"models\":[{\"id\":\"pls-api\",\"version\":\"2024.06.1\","
		"\"pixels\":1024,\"outputs\":[{\"name\":\"api_r\","
		"\"unit\":\"g/L\"},{\"name\":\"api_s\",\"unit\":\"g/L\"},"
		"{\"name\":\"ee\",\"unit\":\"%\"}]}]}",
		"{\"v\":1,\"type\":\"error\",\"id\":\"c7f3-000122\","
		"\"code\":\"unknown_model\","
		"\"message\":\"no model \\\"pls-apx\\\"; loaded: pls-api\"}",
	};
	static const enum infer_type types[] = { INFER_PREDICT,
	    INFER_PREDICTIONS, INFER_HEARTBEAT, INFER_HEARTBEAT, INFER_MODELS,
	    INFER_MODELS, INFER_ERROR };
	static const bool replies[] = { false, true, false, true, false, true,
	    true };
	struct infer_msg m;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		junk_msg(&m, pixbuf, CAP);
		if (decode1(ok[i], &m, err, sizeof err) != 0)
			print_error("example %zu: %s\n", i, err);
		assert_string_equal(err, "");
		assert_int_equal(m.type, types[i]);
		assert_int_equal(m.is_reply, replies[i]);
	}
	/* A few values, so that "decoded" means "decoded right". */
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1(ok[0], &m, err, sizeof err), 0);
	assert_int_equal(m.npixels, 4);
	assert_true(m.pixels[2] == 998.0f && m.pixels[3] == 1002.75f);
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1(ok[1], &m, err, sizeof err), 0);
	assert_int_equal(m.noutputs, 3);
	assert_string_equal(m.outputs[2].unit, "%");
	assert_true(m.outputs[2].value == 95.2);
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1(ok[6], &m, err, sizeof err), 0);
	assert_string_equal(m.message, "no model \"pls-apx\"; loaded: pls-api");
}

/* Keys a message does not define are ignored, wherever they are. */
static void
test_unknown_keys_ignored(void **state)
{
	static const unsigned char one[4] = { 0x00, 0x00, 0x80, 0x3f };
	struct infer_frame fr[2];
	struct infer_msg m;
	char err[256];

	(void)state;
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1("{\"v\":1,\"type\":\"heartbeat\",\"id\":\"h\","
	    "\"priority\":{\"nested\":[1,null,\"x\"]},\"trace\":\"abc\"}",
	    &m, err, sizeof err), 0);
	assert_false(m.is_reply);
	/* Outputs in a heartbeat's model list are not read. */
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1("{\"v\":1,\"type\":\"heartbeat\",\"id\":\"h\","
	    "\"server\":\"s\",\"uptime_s\":3,\"models\":[{\"id\":\"a\","
	    "\"version\":\"1\",\"pixels\":9,\"outputs\":\"whatever\","
	    "\"gpu\":true}]}", &m, err, sizeof err), 0);
	assert_int_equal(m.nmodels, 1);
	assert_int_equal(m.models[0].noutputs, 0);
	assert_true(m.uptime_s == 3.0);
	/* "data" next to f32le is not read; the frame is. */
	fr[0].data = "{\"v\":1,\"type\":\"predict\",\"id\":\"p\",\"model\":\"m\","
	    "\"spectrum\":\"s\",\"ts_us\":1,\"pixels\":1,\"encoding\":\"f32le\","
	    "\"data\":[\"no\"],\"value\":null}";
	fr[0].len = strlen(fr[0].data);
	fr[1].data = one;
	fr[1].len = 4;
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(infer_decode(fr, 2, &m, err, sizeof err), 0);
	assert_true(m.pixels[0] == 1.0f);
	/* Outputs in a predict are nothing to it. */
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1("{\"v\":1,\"type\":\"predict\",\"id\":\"p\","
	    "\"model\":\"m\",\"spectrum\":\"s\",\"ts_us\":1,\"pixels\":1,"
	    "\"encoding\":\"json\",\"data\":[2],\"outputs\":7}", &m, err,
	    sizeof err), 0);
	assert_int_equal(m.noutputs, 0);
	assert_true(m.pixels[0] == 2.0f);
}

/* Limits are inclusive where the header says so. */
static void
test_limits_accepted(void **state)
{
	char hdr[1024];
	struct infer_msg m;
	char err[256];

	(void)state;
	snprintf(hdr, sizeof hdr, "{\"v\":1,\"type\":\"heartbeat\","
	    "\"id\":\"%s\"}", a63);
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1(hdr, &m, err, sizeof err), 0);
	assert_string_equal(m.id, a63);
	/* Every printable ASCII byte but space is allowed in an id. */
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1("{\"v\":1,\"type\":\"heartbeat\","
	    "\"id\":\"!\\\"#$%&'()*+,-./:;<=>?@[\\\\]^_`{|}~\"}", &m, err,
	    sizeof err), 0);
	assert_string_equal(m.id, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
	snprintf(hdr, sizeof hdr, "{\"v\":1,\"type\":\"predictions\","
	    "\"id\":\"r\",\"model\":\"m\",\"model_version\":\"v\","
	    "\"spectrum\":\"s\",\"ts_us\":9223372036854775807,"
	    "\"outputs\":[{\"name\":\"%s\",\"unit\":\"%s\",\"value\":-1e308}],"
	    "\"server_us\":0}", a63, a15);
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1(hdr, &m, err, sizeof err), 0);
	assert_true(m.ts_us == INT64_MAX);
	assert_string_equal(m.outputs[0].unit, a15);
	assert_true(m.outputs[0].value == -1e308);
	/* A header of exactly INFER_HEADER_MAX bytes. */
	{
		static char big[INFER_HEADER_MAX];
		const char *h = "{\"v\":1,\"type\":\"heartbeat\",\"id\":\"h\"}";
		struct infer_frame f = { big, sizeof big };

		memset(big, ' ', sizeof big);
		memcpy(big, h, strlen(h));
		junk_msg(&m, pixbuf, CAP);
		assert_int_equal(infer_decode(&f, 1, &m, err, sizeof err), 0);
		f.len = sizeof big - 1;
		assert_int_equal(infer_decode(&f, 1, &m, err, sizeof err), 0);
	}
	/* pixels == pixels_cap fits. */
	junk_msg(&m, pixbuf, 2);
	assert_int_equal(decode1("{\"v\":1,\"type\":\"predict\",\"id\":\"p\","
	    "\"model\":\"m\",\"spectrum\":\"s\",\"ts_us\":0,\"pixels\":2,"
	    "\"encoding\":\"json\",\"data\":[1,-3.4e38]}", &m, err,
	    sizeof err), 0);
	assert_int_equal(m.npixels, 2);
	assert_true(m.pixels[1] == -3.4e38f);
	/* Above FLT_MAX but rounding to it (how 9 digits print it). */
	junk_msg(&m, pixbuf, 3);
	assert_int_equal(decode1("{\"v\":1,\"type\":\"predict\",\"id\":\"p\","
	    "\"model\":\"m\",\"spectrum\":\"s\",\"ts_us\":0,\"pixels\":3,"
	    "\"encoding\":\"json\",\"data\":[3.40282347e+38,"
	    "-3.40282356e38,1e-50]}", &m, err, sizeof err), 0);
	assert_true(m.pixels[0] == FLT_MAX);
	assert_true(m.pixels[1] == -FLT_MAX);
	assert_true(m.pixels[2] == 0.0f);
}

/* Header rows: a format with at most one %s, its argument, the reason. */
struct bad_header {
	const char *fmt;
	const char *arg;
	const char *want;
};

#define HB "{\"v\":1,\"type\":\"heartbeat\","
#define PJ "{\"v\":1,\"type\":\"predict\",\"id\":\"p\",\"model\":\"m\"," \
	"\"spectrum\":\"s\","
#define PR "{\"v\":1,\"type\":\"predictions\",\"id\":\"r\",\"model\":\"m\"," \
	"\"model_version\":\"v\",\"spectrum\":\"s\",\"ts_us\":1,"
#define OUT1 "\"outputs\":[{\"name\":\"a\",\"unit\":\"u\",\"value\":1}]"
#define HR HB "\"id\":\"h\",\"server\":\"s\",\"uptime_s\":1,"
#define MR "{\"v\":1,\"type\":\"models\",\"id\":\"q\","
#define ER "{\"v\":1,\"type\":\"error\",\"id\":\"e\","

static const struct bad_header bad_headers[] = {
	/* frame 0 as a whole */
	{ "[]", NULL, "header: frame 0 is not a JSON object" },
	{ "[{\"v\":1,\"type\":\"heartbeat\",\"id\":\"h\"}]", NULL,
	    "not a JSON object" },
	{ "\"heartbeat\"", NULL, "header: frame 0 is not valid JSON" },
	{ "{\"v\":1,\"type\":\"heart", NULL, "not valid JSON" },
	{ HB "\"id\":\"h\"", NULL, "not valid JSON" },
	{ HB "\"id\":\"h\"} x", NULL, "not valid JSON" },
	{ HB "\"id\":\"h\"}{}", NULL, "not valid JSON" },
	{ HB "\"id\":\"h\",\"id\":\"i\"}", NULL, "duplicate" },
	{ "{\"v\":1,\"v\":1,\"type\":\"heartbeat\",\"id\":\"h\"}", NULL,
	    "duplicate" },
	{ HR "\"models\":[{\"id\":\"a\",\"id\":\"b\",\"version\":\"1\","
	    "\"pixels\":1}]}", NULL, "duplicate" },
	{ HB "\"id\":\"h\\u0000\"}", NULL, "not valid JSON" },
	{ HB "\"id\":\"\xff\"}", NULL, "not valid JSON" },
	{ PR OUT1 ",\"server_us\":NaN}", NULL, "not valid JSON" },
	{ PR "\"outputs\":[{\"name\":\"a\",\"unit\":\"u\",\"value\":1e400}],"
	    "\"server_us\":1}", NULL, "not valid JSON" },
	{ PR OUT1 ",\"server_us\":99999999999999999999}", NULL,
	    "not valid JSON" },
	/* version and type */
	{ "{\"type\":\"heartbeat\",\"id\":\"h\"}", NULL,
	    "header: \"v\" is missing" },
	{ "{\"v\":2,\"type\":\"heartbeat\",\"id\":\"h\"}", NULL,
	    "header: protocol version 2, this side speaks 1" },
	{ "{\"v\":0,\"type\":\"heartbeat\",\"id\":\"h\"}", NULL,
	    "protocol version 0" },
	{ "{\"v\":\"1\",\"type\":\"heartbeat\",\"id\":\"h\"}", NULL,
	    "header: \"v\" must be an integer" },
	{ "{\"v\":1.0,\"type\":\"heartbeat\",\"id\":\"h\"}", NULL,
	    "\"v\" must be an integer" },
	{ "{\"v\":1,\"id\":\"h\"}", NULL, "header: \"type\" is missing" },
	{ "{\"v\":1,\"type\":\"predictz\",\"id\":\"h\"}", NULL,
	    "header: unknown type \"predictz\"" },
	{ "{\"v\":1,\"type\":\"Heartbeat\",\"id\":\"h\"}", NULL,
	    "unknown type \"Heartbeat\"" },
	{ "{\"v\":1,\"type\":\"\\u0007%s\",\"id\":\"h\"}", a64,
	    "unknown type \"?aaaaaaaaaaaaaaaaaaaaaaa...\"" },
	{ "{\"v\":1,\"type\":3,\"id\":\"h\"}", NULL,
	    "header: \"type\" must be a string" },
	/* id */
	{ HB "\"idx\":\"h\"}", NULL, "heartbeat: \"id\" is missing" },
	{ HB "\"id\":\"\"}", NULL, "heartbeat: \"id\" is empty" },
	{ HB "\"id\":\"%s\"}", a64, "\"id\" is 64 bytes, at most 63" },
	{ HB "\"id\":\"r\\u00e9\"}", NULL,
	    "\"id\" has byte 0xc3 at offset 1; ids are printable ASCII" },
	{ HB "\"id\":\"a b\"}", NULL, "\"id\" has byte 0x20 at offset 1" },
	{ HB "\"id\":\"a\\tb\"}", NULL, "\"id\" has byte 0x09" },
	{ HB "\"id\":\"a\\u007f\"}", NULL, "\"id\" has byte 0x7f" },
	{ HB "\"id\":12}", NULL, "\"id\" must be a string" },
	{ HB "\"id\":null}", NULL, "\"id\" must be a string" },
	{ PR OUT1 ",\"server_us\":1,\"id\":\"x\"}", NULL, "duplicate" },
	/* predict */
	{ PJ "\"ts_us\":-1,\"pixels\":1,\"encoding\":\"json\",\"data\":[1]}",
	    NULL, "predict: \"ts_us\" is -1, must be 0..9223372036854775807" },
	{ PJ "\"ts_us\":\"5\",\"pixels\":1,\"encoding\":\"json\","
	    "\"data\":[1]}", NULL, "predict: \"ts_us\" must be an integer" },
	{ PJ "\"ts_us\":5.5,\"pixels\":1,\"encoding\":\"json\","
	    "\"data\":[1]}", NULL, "\"ts_us\" must be an integer" },
	{ PJ "\"pixels\":1,\"encoding\":\"json\",\"data\":[1]}", NULL,
	    "predict: \"ts_us\" is missing" },
	{ PJ "\"ts_us\":0,\"pixels\":0,\"encoding\":\"json\",\"data\":[]}",
	    NULL, "predict: \"pixels\" is 0, must be 1..16384" },
	{ PJ "\"ts_us\":0,\"pixels\":-4,\"encoding\":\"json\",\"data\":[]}",
	    NULL, "\"pixels\" is -4, must be 1..16384" },
	{ PJ "\"ts_us\":0,\"pixels\":16385,\"encoding\":\"f32le\"}", NULL,
	    "\"pixels\" is 16385, must be 1..16384" },
	{ PJ "\"ts_us\":0,\"pixels\":2.0,\"encoding\":\"json\","
	    "\"data\":[1,2]}", NULL, "\"pixels\" must be an integer" },
	{ PJ "\"ts_us\":0,\"pixels\":17,\"encoding\":\"f32le\"}", NULL,
	    "predict: 17 pixels, the receiving buffer holds 16" },
	{ PJ "\"ts_us\":0,\"pixels\":1,\"data\":[1]}", NULL,
	    "predict: \"encoding\" is missing" },
	{ PJ "\"ts_us\":0,\"pixels\":1,\"encoding\":\"f64\",\"data\":[1]}",
	    NULL, "predict: \"encoding\" is \"f64\", expected \"f32le\" or "
	    "\"json\"" },
	{ PJ "\"ts_us\":0,\"pixels\":1,\"encoding\":\"F32LE\"}", NULL,
	    "\"encoding\" is \"F32LE\"" },
	{ PJ "\"ts_us\":0,\"pixels\":1,\"encoding\":\"jsonx\"}", NULL,
	    "\"encoding\" is \"jsonx\"" },
	{ PJ "\"ts_us\":0,\"pixels\":1,\"encoding\":1}", NULL,
	    "\"encoding\" must be a string" },
	{ PJ "\"ts_us\":0,\"pixels\":2,\"encoding\":\"json\"}", NULL,
	    "predict: \"data\" is missing" },
	{ PJ "\"ts_us\":0,\"pixels\":2,\"encoding\":\"json\","
	    "\"data\":{\"0\":1}}", NULL, "\"data\" must be an array" },
	{ PJ "\"ts_us\":0,\"pixels\":2,\"encoding\":\"json\","
	    "\"data\":[1,2,3]}", NULL,
	    "predict: \"data\" has 3 values, expected 2 (\"pixels\")" },
	{ PJ "\"ts_us\":0,\"pixels\":2,\"encoding\":\"json\","
	    "\"data\":[1]}", NULL, "\"data\" has 1 values, expected 2" },
	{ PJ "\"ts_us\":0,\"pixels\":2,\"encoding\":\"json\","
	    "\"data\":[1,\"2\"]}", NULL, "predict: \"data[1]\" must be a number" },
	{ PJ "\"ts_us\":0,\"pixels\":2,\"encoding\":\"json\","
	    "\"data\":[1,null]}", NULL, "\"data[1]\" must be a number" },
	{ PJ "\"ts_us\":0,\"pixels\":2,\"encoding\":\"json\","
	    "\"data\":[1e39,1]}", NULL,
	    "predict: \"data[0]\" is outside the float32 range" },
	{ PJ "\"ts_us\":0,\"pixels\":2,\"encoding\":\"json\","
	    "\"data\":[1,-3.40282357e38]}", NULL,
	    "\"data[1]\" is outside the float32 range" },
	{ PJ "\"ts_us\":0,\"pixels\":2,\"encoding\":\"json\","
	    "\"data\":[1,-3.4e38,0]}", NULL, "has 3 values" },
	{ "{\"v\":1,\"type\":\"predict\",\"id\":\"p\",\"spectrum\":\"s\","
	    "\"ts_us\":0,\"pixels\":1,\"encoding\":\"json\",\"data\":[1]}",
	    NULL, "predict: \"model\" is missing" },
	{ "{\"v\":1,\"type\":\"predict\",\"id\":\"p\",\"model\":\"m\","
	    "\"ts_us\":0,\"pixels\":1,\"encoding\":\"json\",\"data\":[1]}",
	    NULL, "predict: \"spectrum\" is missing" },
	{ "{\"v\":1,\"type\":\"predict\",\"id\":\"p\",\"model\":\"m m\","
	    "\"spectrum\":\"s\",\"ts_us\":0,\"pixels\":1,\"encoding\":\"json\","
	    "\"data\":[1]}", NULL, "predict: \"model\" has byte 0x20" },
	{ "{\"v\":1,\"type\":\"predict\",\"id\":\"p\",\"model\":\"m\","
	    "\"spectrum\":\"%s\",\"ts_us\":0,\"pixels\":1,"
	    "\"encoding\":\"json\",\"data\":[1]}", a64,
	    "\"spectrum\" is 64 bytes, at most 63" },
	/* predictions */
	{ PR "\"outputs\":[],\"server_us\":1}", NULL,
	    "predictions: \"outputs\" is empty" },
	{ PR "\"outputs\":{},\"server_us\":1}", NULL,
	    "\"outputs\" must be an array" },
	{ PR "\"server_us\":1}", NULL, "predictions: \"outputs\" is missing" },
	{ PR "\"outputs\":[7],\"server_us\":1}", NULL,
	    "predictions: \"outputs[0]\" must be an object" },
	{ PR "\"outputs\":[{\"name\":\"a\",\"unit\":\"u\",\"value\":\"1\"}],"
	    "\"server_us\":1}", NULL, "\"outputs[0].value\" must be a number" },
	{ PR "\"outputs\":[{\"name\":\"a\",\"unit\":\"u\",\"value\":true}],"
	    "\"server_us\":1}", NULL, "\"outputs[0].value\" must be a number" },
	{ PR "\"outputs\":[{\"name\":\"a\",\"unit\":\"u\"}],\"server_us\":1}",
	    NULL, "\"outputs[0].value\" is missing" },
	{ PR "\"outputs\":[{\"name\":\"a\",\"value\":1}],\"server_us\":1}",
	    NULL, "\"outputs[0].unit\" is missing" },
	{ PR "\"outputs\":[{\"unit\":\"u\",\"value\":1}],\"server_us\":1}",
	    NULL, "\"outputs[0].name\" is missing" },
	{ PR "\"outputs\":[{\"name\":\"a\",\"unit\":\"%s\",\"value\":1}],"
	    "\"server_us\":1}", a16, "\"outputs[0].unit\" is 16 bytes, at "
	    "most 15" },
	{ PR "\"outputs\":[{\"name\":\"%s\",\"unit\":\"\",\"value\":1}],"
	    "\"server_us\":1}", a64, "\"outputs[0].name\" is 64 bytes, at "
	    "most 63" },
	{ PR "\"outputs\":[{\"name\":\"\",\"unit\":\"\",\"value\":1}],"
	    "\"server_us\":1}", NULL, "\"outputs[0].name\" is empty" },
	{ PR "\"outputs\":[{\"name\":\"a\\u0007\",\"unit\":\"\",\"value\":1}],"
	    "\"server_us\":1}", NULL,
	    "\"outputs[0].name\" has a control character at offset 1" },
	{ PR "\"outputs\":[{\"name\":\"a\",\"unit\":\"\\u0085\",\"value\":1}],"
	    "\"server_us\":1}", NULL,
	    "\"outputs[0].unit\" has a control character at offset 0" },
	{ PR "\"outputs\":[{\"name\":\"a\",\"unit\":\"\\n\",\"value\":1}],"
	    "\"server_us\":1}", NULL, "\"outputs[0].unit\" has a control" },
	{ PR "\"outputs\":[{\"name\":\"a\",\"unit\":\"\",\"value\":1},"
	    "{\"name\":\"b\",\"unit\":\"\",\"value\":2},"
	    "{\"name\":\"a\",\"unit\":\"x\",\"value\":3}],\"server_us\":1}",
	    NULL, "\"outputs[2].name\" repeats \"a\" of outputs[0]" },
	{ PR OUT1 ",\"server_us\":-5}", NULL,
	    "predictions: \"server_us\" is -5" },
	{ PR OUT1 ",\"server_us\":1.5}", NULL,
	    "\"server_us\" must be an integer" },
	{ PR OUT1 "}", NULL, "\"server_us\" is missing" },
	{ "{\"v\":1,\"type\":\"predictions\",\"id\":\"r\",\"model\":\"m\","
	    "\"spectrum\":\"s\",\"ts_us\":1," OUT1 ",\"server_us\":1}", NULL,
	    "predictions: \"model_version\" is missing" },
	{ "{\"v\":1,\"type\":\"predictions\",\"id\":\"r\",\"model\":\"m\","
	    "\"model_version\":\"v\",\"spectrum\":\"s\",\"ts_us\":-1," OUT1
	    ",\"server_us\":1}", NULL, "\"ts_us\" is -1" },
	{ "{\"v\":1,\"type\":\"predictions\",\"id\":\"\",\"model\":\"m\","
	    "\"model_version\":\"v\",\"spectrum\":\"s\",\"ts_us\":1," OUT1
	    ",\"server_us\":1}", NULL, "predictions: \"id\" is empty" },
	/* heartbeat reply */
	{ HB "\"id\":\"h\",\"server\":\"s\",\"uptime_s\":1}", NULL,
	    "heartbeat: \"models\" is missing" },
	{ HB "\"id\":\"h\",\"models\":[]}", NULL,
	    "heartbeat: \"server\" is missing" },
	{ HB "\"id\":\"h\",\"uptime_s\":1}", NULL, "\"server\" is missing" },
	{ HB "\"id\":\"h\",\"server\":\"s\",\"models\":[]}", NULL,
	    "\"uptime_s\" is missing" },
	{ HR "\"uptime_s\":-1,\"models\":[]}", NULL, "duplicate" },
	{ HB "\"id\":\"h\",\"server\":\"s\",\"uptime_s\":-1,\"models\":[]}",
	    NULL, "heartbeat: \"uptime_s\" is -1, must be finite and >= 0" },
	{ HB "\"id\":\"h\",\"server\":\"s\",\"uptime_s\":\"1\","
	    "\"models\":[]}", NULL, "\"uptime_s\" must be a number" },
	{ HB "\"id\":\"h\",\"server\":\"\",\"uptime_s\":1,\"models\":[]}",
	    NULL, "\"server\" is empty" },
	{ HR "\"models\":null}", NULL, "\"models\" must be an array" },
	{ HR "\"models\":[1]}", NULL, "heartbeat: \"models[0]\" must be an "
	    "object" },
	{ HR "\"models\":[{\"version\":\"1\",\"pixels\":1}]}", NULL,
	    "\"models[0].id\" is missing" },
	{ HR "\"models\":[{\"id\":\"a\",\"pixels\":1}]}", NULL,
	    "\"models[0].version\" is missing" },
	{ HR "\"models\":[{\"id\":\"a\",\"version\":\"1\"}]}", NULL,
	    "\"models[0].pixels\" is missing" },
	{ HR "\"models\":[{\"id\":\"a\",\"version\":\"1\",\"pixels\":0}]}",
	    NULL, "\"models[0].pixels\" is 0, must be 1..16384" },
	{ HR "\"models\":[{\"id\":\"a\",\"version\":\"1\",\"pixels\":16385}]}",
	    NULL, "\"models[0].pixels\" is 16385" },
	{ HR "\"models\":[{\"id\":\"a\",\"version\":\"x y\",\"pixels\":1}]}",
	    NULL, "\"models[0].version\" has byte 0x20" },
	{ HR "\"models\":[{\"id\":\"a\",\"version\":\"1\",\"pixels\":1},"
	    "{\"id\":\"a\",\"version\":\"2\",\"pixels\":1}]}", NULL,
	    "\"models[1].id\" repeats \"a\" of models[0]" },
	/* models reply */
	{ MR "\"models\":[{\"id\":\"a\",\"version\":\"1\",\"pixels\":1}]}",
	    NULL, "models: \"models[0].outputs\" is missing" },
	{ MR "\"models\":[{\"id\":\"a\",\"version\":\"1\",\"pixels\":1,"
	    "\"outputs\":[]}]}", NULL, "\"models[0].outputs\" is empty" },
	{ MR "\"models\":[{\"id\":\"a\",\"version\":\"1\",\"pixels\":1,"
	    "\"outputs\":[{\"name\":\"x\"}]}]}", NULL,
	    "\"models[0].outputs[0].unit\" is missing" },
	{ MR "\"models\":[{\"id\":\"a\",\"version\":\"1\",\"pixels\":1,"
	    "\"outputs\":[{\"name\":\"x\",\"unit\":\"\"},{\"name\":\"x\","
	    "\"unit\":\"\"}]}]}", NULL,
	    "\"models[0].outputs[1].name\" repeats \"x\"" },
	{ MR "\"models\":\"all\"}", NULL, "\"models\" must be an array" },
	/* error */
	{ ER "\"message\":\"m\"}", NULL, "error: \"code\" is missing" },
	{ ER "\"code\":\"busy\"}", NULL, "error: \"message\" is missing" },
	{ ER "\"code\":\"\",\"message\":\"m\"}", NULL, "\"code\" is empty" },
	{ ER "\"code\":\"%s\",\"message\":\"m\"}", a32,
	    "\"code\" is 32 bytes, at most 31" },
	{ ER "\"code\":\"no such\",\"message\":\"m\"}", NULL,
	    "\"code\" has byte 0x20" },
	{ ER "\"code\":\"busy\",\"message\":\"\"}", NULL,
	    "\"message\" is empty" },
	{ ER "\"code\":\"busy\",\"message\":\"%s\"}", a256,
	    "\"message\" is 256 bytes, at most 255" },
	{ ER "\"code\":\"busy\",\"message\":\"a\\r\\nb\"}", NULL,
	    "\"message\" has a control character at offset 1" },
	{ "{\"v\":1,\"type\":\"error\",\"code\":\"busy\",\"message\":\"m\"}",
	    NULL, "error: \"id\" is missing" },
};

static void
test_reject_headers(void **state)
{
	char hdr[4096], label[16];

	(void)state;
	for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0];
	    i++) {
		const struct bad_header *b = &bad_headers[i];
		struct infer_frame f;

		snprintf(hdr, sizeof hdr, b->fmt, b->arg ? b->arg : "");
		f.data = hdr;
		f.len = strlen(hdr);
		snprintf(label, sizeof label, "%zu", i);
		expect_reject(&f, 1, CAP, b->want, label);
	}
}

/* A reason goes into logs and error records: no raw wire bytes in it. */
static void
test_reason_printable(void **state)
{
	static const char *const hdrs[] = {
		"{\"v\":1,\"type\":\"heartbeat\",\"id\":\"\x01\x1b[2J\"}",
		"{\"v\":1,\"type\":\"heartbeat\",\"id\":\"\xff\xfe\"}",
		"{\"v\":1,\"type\":\"heartbeat\",\x1b[31m:1}",
		"{\"v\":1,\"type\":\"\xc3\xa9\\u001b[2J\",\"id\":\"h\"}",
		"{\"v\":1,\"type\":\"predict\",\"id\":\"p\",\"model\":\"m\","
		    "\"spectrum\":\"s\",\"ts_us\":0,\"pixels\":1,"
		    "\"encoding\":\"\\u0007\xc3\xa9\"}",
	};
	struct infer_msg m;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
		junk_msg(&m, pixbuf, CAP);
		assert_int_equal(decode1(hdrs[i], &m, err, sizeof err), -1);
		assert_true(strlen(err) > 10);
		for (const char *p = err; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e) {
				print_error("case %zu: byte 0x%02x in \"%s\"\n", i,
				    (unsigned char)*p, err);
				fail();
			}
	}
}

/* Counts above the limits: built, since they are long. */
static void
test_reject_counts(void **state)
{
	char hdr[8192];
	struct infer_frame f = { hdr, 0 };
	size_t n;

	(void)state;
	n = (size_t)snprintf(hdr, sizeof hdr, PR "\"outputs\":[");
	for (int i = 0; i <= INFER_MAX_OUTPUTS; i++)
		n += (size_t)snprintf(hdr + n, sizeof hdr - n, "%s{\"name\":"
		    "\"o%d\",\"unit\":\"\",\"value\":%d}", i ? "," : "", i, i);
	snprintf(hdr + n, sizeof hdr - n, "],\"server_us\":1}");
	f.len = strlen(hdr);
	expect_reject(&f, 1, CAP, "predictions: \"outputs\" has 17 entries, "
	    "at most 16", "17 outputs");

	n = (size_t)snprintf(hdr, sizeof hdr, HR "\"models\":[");
	for (int i = 0; i <= INFER_MAX_MODELS; i++)
		n += (size_t)snprintf(hdr + n, sizeof hdr - n, "%s{\"id\":"
		    "\"m%d\",\"version\":\"1\",\"pixels\":1}", i ? "," : "", i);
	snprintf(hdr + n, sizeof hdr - n, "]}");
	f.len = strlen(hdr);
	expect_reject(&f, 1, CAP, "heartbeat: \"models\" has 9 entries, at "
	    "most 8", "9 models");

	n = (size_t)snprintf(hdr, sizeof hdr, MR "\"models\":[{\"id\":\"a\","
	    "\"version\":\"1\",\"pixels\":1,\"outputs\":[");
	for (int i = 0; i <= INFER_MAX_OUTPUTS; i++)
		n += (size_t)snprintf(hdr + n, sizeof hdr - n, "%s{\"name\":"
		    "\"o%d\",\"unit\":\"\"}", i ? "," : "", i);
	snprintf(hdr + n, sizeof hdr - n, "]}]}");
	f.len = strlen(hdr);
	expect_reject(&f, 1, CAP, "models: \"models[0].outputs\" has 17 "
	    "entries, at most 16", "17 model outputs");
}

static const char pred_f32[] = "{\"v\":1,\"type\":\"predict\",\"id\":\"p\","
    "\"model\":\"m\",\"spectrum\":\"s\",\"ts_us\":0,\"pixels\":4,"
    "\"encoding\":\"f32le\"}";

/* Frame counts and sizes. */
static void
test_reject_frames(void **state)
{
	static unsigned char px[4 * 1024];
	static char big[INFER_HEADER_MAX + 1];
	const char *hb = "{\"v\":1,\"type\":\"heartbeat\",\"id\":\"h\"}";
	const char *pj = "{\"v\":1,\"type\":\"predict\",\"id\":\"p\","
	    "\"model\":\"m\",\"spectrum\":\"s\",\"ts_us\":0,\"pixels\":1,"
	    "\"encoding\":\"json\",\"data\":[1]}";
	char hdr[512];
	struct infer_frame f[3];
	struct infer_msg m;
	char err[256];

	(void)state;
	memset(px, 0, sizeof px);
	f[0].data = pred_f32;
	f[0].len = strlen(pred_f32);
	f[1].data = px;
	f[1].len = 16;
	f[2] = f[1];
	expect_reject(f, 0, CAP, "header: no frames", "0 frames");
	expect_reject(f, 3, CAP, "header: 3 frames, at most 2", "3 frames");
	expect_reject(f, 1, CAP, "predict: 1 frame, expected 2 (header and "
	    "f32le pixels)", "f32le without frame 1");
	f[1].len = 15;
	expect_reject(f, 2, CAP, "predict: frame 1 has 15 bytes, expected 16 "
	    "for 4 pixels", "short frame 1");
	f[1].len = 17;
	expect_reject(f, 2, CAP, "frame 1 has 17 bytes, expected 16",
	    "long frame 1");
	f[1].len = 0;
	expect_reject(f, 2, CAP, "frame 1 has 0 bytes", "empty frame 1");

	/* The message of the protocol document, word for word. */
	snprintf(hdr, sizeof hdr, "{\"v\":1,\"type\":\"predict\",\"id\":\"p\","
	    "\"model\":\"m\",\"spectrum\":\"s\",\"ts_us\":0,\"pixels\":1024,"
	    "\"encoding\":\"f32le\"}");
	f[0].data = hdr;
	f[0].len = strlen(hdr);
	f[1].len = 4092;
	junk_msg(&m, pixbuf, 1024);
	assert_int_equal(infer_decode(f, 2, &m, err, sizeof err), -1);
	assert_string_equal(err, "predict: frame 1 has 4092 bytes, expected "
	    "4096 for 1024 pixels");
	assert_wiped(&m, pixbuf, 1024);
	f[1].len = 4096;
	assert_int_equal(infer_decode(f, 2, &m, err, sizeof err), 0);
	assert_int_equal(m.npixels, 1024);

	f[0].data = hb;
	f[0].len = strlen(hb);
	f[1].len = 4;
	expect_reject(f, 2, CAP, "heartbeat: 2 frames, expected 1 (header "
	    "only)", "heartbeat with frame 1");
	f[0].data = pj;
	f[0].len = strlen(pj);
	expect_reject(f, 2, CAP, "predict: 2 frames, expected 1",
	    "json predict with frame 1");
	f[0].len = 0;
	expect_reject(f, 1, CAP, "header: frame 0 is empty", "empty frame 0");

	/* One byte over INFER_HEADER_MAX, valid JSON otherwise. */
	memset(big, ' ', sizeof big);
	memcpy(big, hb, strlen(hb));
	f[0].data = big;
	f[0].len = sizeof big;
	expect_reject(f, 1, CAP, "header: frame 0 has 262145 bytes, at most "
	    "262144", "oversized header");
}

static void
test_reject_nonfinite_f32le(void **state)
{
	static const uint32_t bad[] = {
		0x7fc00000u,    /* quiet NaN */
		0x7f800001u,    /* signalling NaN */
		0xffc00001u,    /* negative NaN */
		0x7f800000u,    /* +inf */
		0xff800000u,    /* -inf */
	};
	unsigned char px[16];
	struct infer_frame f[2] = { { pred_f32, sizeof pred_f32 - 1 },
	    { px, sizeof px } };
	char want[64], label[16];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t at = i % 4;

		memset(px, 0, sizeof px);
		px[4 * at] = (unsigned char)bad[i];
		px[4 * at + 1] = (unsigned char)(bad[i] >> 8);
		px[4 * at + 2] = (unsigned char)(bad[i] >> 16);
		px[4 * at + 3] = (unsigned char)(bad[i] >> 24);
		snprintf(want, sizeof want, "predict: pixel %zu is not finite "
		    "(%s)", at, i < 3 ? "NaN" : "infinity");
		snprintf(label, sizeof label, "bits %zu", i);
		expect_reject(f, 2, CAP, want, label);
	}
}

static void
test_reject_pixel_buffer(void **state)
{
	unsigned char px[16];
	struct infer_frame f[2] = { { pred_f32, sizeof pred_f32 - 1 },
	    { px, sizeof px } };
	struct infer_msg m;
	char err[256];

	(void)state;
	memset(px, 0, sizeof px);
	expect_reject(f, 2, 3, "predict: 4 pixels, the receiving buffer holds "
	    "3", "cap 3");
	memset(&m, 0, sizeof m);
	assert_int_equal(infer_decode(f, 2, &m, err, sizeof err), -1);
	assert_string_equal(err, "predict: 4 pixels, the receiving buffer "
	    "holds 0");
	assert_null(m.pixels);
	/* Other messages need no buffer. */
	assert_int_equal(decode1("{\"v\":1,\"type\":\"heartbeat\","
	    "\"id\":\"h\"}", &m, err, sizeof err), 0);
}

/* A valid message of each type, to break one field at a time. */
static float enc_px[4] = { 1, 2, 3, 4 };

static void
valid_msg(struct infer_msg *m, enum infer_type t)
{
	init_msg(m, t, "x1");
	switch (t) {
	case INFER_PREDICT:
		strcpy(m->model, "m");
		strcpy(m->spectrum, "s");
		m->pixels = enc_px;
		m->npixels = 4;
		break;
	case INFER_PREDICTIONS:
		strcpy(m->model, "m");
		strcpy(m->model_version, "v");
		strcpy(m->spectrum, "s");
		m->noutputs = 2;
		strcpy(m->outputs[0].name, "a");
		strcpy(m->outputs[1].name, "b");
		break;
	case INFER_HEARTBEAT:
		m->is_reply = true;
		strcpy(m->server, "srv");
		m->nmodels = 1;
		strcpy(m->models[0].id, "m");
		strcpy(m->models[0].version, "1");
		m->models[0].pixels = 4;
		break;
	case INFER_MODELS:
		m->is_reply = true;
		m->nmodels = 1;
		strcpy(m->models[0].id, "m");
		strcpy(m->models[0].version, "1");
		m->models[0].pixels = 4;
		m->models[0].noutputs = 1;
		strcpy(m->models[0].outputs[0].name, "a");
		break;
	case INFER_ERROR:
		strcpy(m->code, "busy");
		strcpy(m->message, "try later");
		break;
	}
}

static void
expect_encode_fail(const struct infer_msg *m, const char *want, int row)
{
	struct infer_frame fr[2];
	char err[256];
	void *bin = (void *)1;

	fr[0].data = fr[1].data = "junk";
	fr[0].len = fr[1].len = 4;
	if (infer_encode(m, fr, &bin, err, sizeof err) != -1 ||
	    strstr(err, want) == NULL) {
		print_error("row %d: want \"%s\", got \"%s\"\n", row, want, err);
		fail();
	}
	assert_null(bin);
	assert_null(fr[0].data);
	assert_null(fr[1].data);
	assert_int_equal(fr[0].len, 0);
}

static void
test_encode_rejects(void **state)
{
	struct infer_msg m;
	float nanpx[4] = { 1, 2, NAN, 4 };
	float infpx[4] = { 1, -INFINITY, 3, 4 };
	int row = 0;

	(void)state;
	/* Each valid message encodes. */
	for (int t = INFER_PREDICT; t <= INFER_ERROR; t++) {
		struct infer_frame fr[2];
		char err[256];
		void *bin;

		valid_msg(&m, (enum infer_type)t);
		assert_true(infer_encode(&m, fr, &bin, err, sizeof err) > 0);
		free((void *)fr[0].data);
		free(bin);
	}

#define BREAK(type, stmt, want) do {                                    \
	valid_msg(&m, type);                                            \
	stmt;                                                           \
	expect_encode_fail(&m, want, ++row);                            \
} while (0)

	BREAK(INFER_PREDICT, m.id[0] = '\0', "predict: \"id\" is empty");
	BREAK(INFER_HEARTBEAT, strcpy(m.id, "a b"), "\"id\" has byte 0x20");
	BREAK(INFER_HEARTBEAT, m.is_reply = false; memset(m.id, 'a',
	    sizeof m.id), "heartbeat: \"id\" is not terminated within its "
	    "64 bytes");
	BREAK(INFER_MODELS, m.is_reply = false; strcpy(m.id, "\xc3\xa9"),
	    "\"id\" has byte 0xc3");
	BREAK(INFER_PREDICT, m.model[0] = '\0', "predict: \"model\" is empty");
	BREAK(INFER_PREDICT, strcpy(m.spectrum, "a\tb"),
	    "\"spectrum\" has byte 0x09");
	BREAK(INFER_PREDICT, m.ts_us = -1, "predict: \"ts_us\" is -1, must be "
	    ">= 0");
	BREAK(INFER_PREDICT, m.npixels = 0, "\"pixels\" is 0, must be "
	    "1..16384");
	BREAK(INFER_PREDICT, m.npixels = INFER_MAX_PIXELS + 1,
	    "\"pixels\" is 16385");
	BREAK(INFER_PREDICT, m.pixels = NULL, "predict: no pixel buffer");
	BREAK(INFER_PREDICT, m.pixels = nanpx, "predict: pixel 2 is not "
	    "finite");
	BREAK(INFER_PREDICT, m.pixels = infpx, "predict: pixel 1 is not "
	    "finite");
	BREAK(INFER_PREDICT, m.pixels = nanpx; m.json_pixels = true,
	    "pixel 2 is not finite");
	BREAK(INFER_PREDICT, m.pixels = infpx; m.json_pixels = true,
	    "pixel 1 is not finite");
	BREAK(INFER_PREDICTIONS, m.noutputs = 0, "predictions: \"outputs\" is "
	    "empty");
	BREAK(INFER_PREDICTIONS, m.noutputs = INFER_MAX_OUTPUTS + 1,
	    "\"outputs\" has 17 entries, at most 16");
	BREAK(INFER_PREDICTIONS, m.outputs[1].value = NAN,
	    "\"outputs[1].value\" is not finite");
	BREAK(INFER_PREDICTIONS, m.outputs[0].value = -INFINITY,
	    "\"outputs[0].value\" is not finite");
	BREAK(INFER_PREDICTIONS, strcpy(m.outputs[1].name, "a"),
	    "\"outputs[1].name\" repeats \"a\" of outputs[0]");
	BREAK(INFER_PREDICTIONS, strcpy(m.outputs[1].name, "\xff"),
	    "\"outputs[1].name\" is not valid UTF-8 at offset 0");
	BREAK(INFER_PREDICTIONS, strcpy(m.outputs[1].name, "x\xc0\xaf"),
	    "is not valid UTF-8 at offset 1");          /* overlong '/' */
	BREAK(INFER_PREDICTIONS, strcpy(m.outputs[1].name, "\xed\xa0\x80"),
	    "is not valid UTF-8");                      /* surrogate */
	BREAK(INFER_PREDICTIONS, strcpy(m.outputs[1].name, "\xf4\x90\x80\x80"),
	    "is not valid UTF-8");                      /* > U+10FFFF */
	BREAK(INFER_PREDICTIONS, strcpy(m.outputs[1].name, "ab\xe7\xb4"),
	    "is not valid UTF-8 at offset 2");          /* cut short */
	BREAK(INFER_PREDICTIONS, strcpy(m.outputs[1].unit, "\xc2\x85"),
	    "\"outputs[1].unit\" has a control character at offset 0");
	BREAK(INFER_PREDICTIONS, memset(m.outputs[0].unit, 'g',
	    sizeof m.outputs[0].unit), "\"outputs[0].unit\" is not "
	    "terminated within its 16 bytes");
	BREAK(INFER_PREDICTIONS, m.model_version[0] = '\0',
	    "\"model_version\" is empty");
	BREAK(INFER_PREDICTIONS, m.server_us = -1, "\"server_us\" is -1");
	BREAK(INFER_PREDICTIONS, m.ts_us = INT64_MIN, "\"ts_us\" is "
	    "-9223372036854775808");
	BREAK(INFER_HEARTBEAT, m.uptime_s = NAN, "heartbeat: \"uptime_s\" is "
	    "nan");
	BREAK(INFER_HEARTBEAT, m.uptime_s = -0.5, "\"uptime_s\" is -0.5");
	BREAK(INFER_HEARTBEAT, m.server[0] = '\0', "\"server\" is empty");
	BREAK(INFER_HEARTBEAT, m.nmodels = INFER_MAX_MODELS + 1,
	    "\"models\" has 9 entries, at most 8");
	BREAK(INFER_HEARTBEAT, m.models[0].noutputs = 1, "\"models[0].outputs"
	    "\" lists 1 outputs; only a models reply carries them");
	BREAK(INFER_HEARTBEAT, m.models[0].pixels = 0, "\"models[0].pixels\" "
	    "is 0, must be 1..16384");
	BREAK(INFER_MODELS, m.models[0].pixels = INFER_MAX_PIXELS + 1,
	    "\"models[0].pixels\" is 16385");
	BREAK(INFER_MODELS, m.models[0].noutputs = 0, "models: "
	    "\"models[0].outputs\" is empty");
	BREAK(INFER_MODELS, m.models[0].version[0] = '\0',
	    "\"models[0].version\" is empty");
	BREAK(INFER_MODELS, m.nmodels = 2; m.models[1] = m.models[0],
	    "\"models[1].id\" repeats \"m\" of models[0]");
	BREAK(INFER_ERROR, m.code[0] = '\0', "error: \"code\" is empty");
	BREAK(INFER_ERROR, m.message[0] = '\0', "\"message\" is empty");
	BREAK(INFER_ERROR, strcpy(m.message, "a\nb"), "\"message\" has a "
	    "control character at offset 1");
	BREAK(INFER_ERROR, memset(m.code, 'c', sizeof m.code),
	    "\"code\" is not terminated within its 32 bytes");
	BREAK(INFER_ERROR, m.type = (enum infer_type)42,
	    "?: unknown message type 42");
#undef BREAK
}

/* JSON pixels must fit in INFER_HEADER_MAX; f32le carries any spectrum. */
static void
test_encode_header_limit(void **state)
{
	static float px[INFER_MAX_PIXELS];
	struct infer_frame fr[2];
	struct infer_msg m;
	char err[256];
	void *bin;

	(void)state;
	valid_msg(&m, INFER_PREDICT);
	for (size_t i = 0; i < INFER_MAX_PIXELS; i++)
		px[i] = -FLT_MIN;       /* "-1.17549435e-38": 15 characters */
	m.pixels = px;
	m.npixels = INFER_MAX_PIXELS;
	m.json_pixels = true;
	assert_int_equal(infer_encode(&m, fr, &bin, err, sizeof err), -1);
	assert_non_null(strstr(err, "predict: header would be "));
	assert_non_null(strstr(err, "at most 262144 (send the pixels as "
	    "f32le)"));
	assert_null(fr[0].data);
	assert_null(bin);
	m.json_pixels = false;
	assert_int_equal(infer_encode(&m, fr, &bin, err, sizeof err), 2);
	assert_int_equal(fr[1].len, 4 * INFER_MAX_PIXELS);
	free((void *)fr[0].data);
	free(bin);
}

/* Error text is cut to the buffer, and a NULL buffer is fine. */
static void
test_error_buffer(void **state)
{
	struct infer_frame fr[2];
	struct infer_msg m;
	char err[8];
	void *bin;

	(void)state;
	memset(err, 'z', sizeof err);
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1("{\"v\":2}", &m, err, sizeof err), -1);
	assert_string_equal(err, "header:");
	junk_msg(&m, pixbuf, CAP);
	assert_int_equal(decode1("{\"v\":2}", &m, NULL, 0), -1);
	assert_wiped(&m, pixbuf, CAP);
	valid_msg(&m, INFER_ERROR);
	m.code[0] = '\0';
	assert_int_equal(infer_encode(&m, fr, &bin, NULL, 0), -1);
	assert_int_equal(infer_encode(&m, fr, &bin, err, 1), -1);
	assert_string_equal(err, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_predict_f32le_wire),
		cmocka_unit_test(test_predict_f32le_decode_bytes),
		cmocka_unit_test(test_predict_json_round_trip),
		cmocka_unit_test(test_predict_json_exact),
		cmocka_unit_test(test_predictions_round_trip),
		cmocka_unit_test(test_heartbeat_round_trip),
		cmocka_unit_test(test_models_round_trip),
		cmocka_unit_test(test_error_round_trip),
		cmocka_unit_test(test_doc_examples),
		cmocka_unit_test(test_unknown_keys_ignored),
		cmocka_unit_test(test_limits_accepted),
		cmocka_unit_test(test_reject_headers),
		cmocka_unit_test(test_reason_printable),
		cmocka_unit_test(test_reject_counts),
		cmocka_unit_test(test_reject_frames),
		cmocka_unit_test(test_reject_nonfinite_f32le),
		cmocka_unit_test(test_reject_pixel_buffer),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_encode_header_limit),
		cmocka_unit_test(test_error_buffer),
	};

	return cmocka_run_group_tests(tests, setup_strings, NULL);
}

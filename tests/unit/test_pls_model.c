/*
 * test_pls_model.c: the simulator's linear inference model, loaded and
 * applied.
 *
 * First the arithmetic on hand-made models (intercept plus dot product,
 * coefficients that are zero at the ends, a wrong pixel count), then the
 * loader's refusals, each with the exact position and JSON path it must
 * name, then the shipped demo model against the spectra the simulator
 * really serves: on noisy spectra (spectrum.c, noise drawn by plant.c's
 * generator, seeded as plant.c seeds it) every prediction must be within
 * 0.05 g/L of the concentration that went into the spectrum.  If someone
 * changes a band in spectrum.c without regenerating the model
 * (tools/gen-pls-model.c), that last test fails.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/pls_model.h"
#include "sim/plant.h"
#include "sim/spectrum.h"

#define NOISY_SPECTRA 50
#define MAX_ERROR_GL 0.05

static const char *
srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d != NULL && *d != '\0' ? d : ".";
}

/* --- hand-made models -------------------------------------------------- */

/* A valid model: noutputs outputs of npixels coefficients, all k + 1. */
static json_t *
make_model(size_t npixels, size_t noutputs)
{
	json_t *outputs = json_array();

	for (size_t k = 0; k < noutputs; k++) {
		json_t *coef = json_array();
		char name[32];

		for (size_t i = 0; i < npixels; i++)
			json_array_append_new(coef, json_real((double)k + 1));
		snprintf(name, sizeof name, "out%zu", k);
		json_array_append_new(outputs, json_pack("{s:s, s:s, s:f, "
		    "s:o}", "name", name, "unit", "g/L", "intercept", 0.5,
		    "coefficients", coef));
	}
	return json_pack("{s:s, s:s, s:I, s:s, s:o}", "id", "m", "version",
	    "1", "pixels", (json_int_t)npixels, "description", "test",
	    "outputs", outputs);
}

/* Parse root (indented, so that lines and columns are meaningful). */
static int
parse(json_t *root, struct pls_model **m, char *err, size_t len)
{
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	int rc = pls_model_parse(text, strlen(text), "model.json", m, err,
	    len);

	free(text);
	json_decref(root);
	return rc;
}

static void
parse_fails(json_t *root, const char *want)
{
	struct pls_model *m = (struct pls_model *)1;
	char err[512];

	err[0] = '\0';
	assert_int_equal(parse(root, &m, err, sizeof err), -1);
	assert_null(m);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	assert_true(strncmp(err, "model.json:", 11) == 0);
}

static json_t *
output(json_t *root, size_t k)
{
	return json_array_get(json_object_get(root, "outputs"), k);
}

static void
test_predict_arithmetic(void **state)
{
	static const char text[] = "{\"id\": \"t\", \"version\": \"2\", "
	    "\"pixels\": 5, \"outputs\": ["
	    "{\"name\": \"a\", \"unit\": \"g/L\", \"intercept\": 0.5, "
	    "\"coefficients\": [0, 1, 0, 2, 0]},"
	    "{\"name\": \"b\", \"unit\": \"\", \"intercept\": -1, "
	    "\"coefficients\": [3, 0, 0, 0, 0.25]},"
	    "{\"name\": \"c\", \"unit\": \"%\", \"intercept\": 7, "
	    "\"coefficients\": [0, 0, 0, 0, 0]}]}";
	const float px[5] = { 1, 2, 3, 4, 8 };
	struct pls_model *m;
	double out[3];
	char err[256];

	(void)state;
	assert_int_equal(pls_model_parse(text, strlen(text), "t.json", &m,
	    err, sizeof err), 0);
	assert_string_equal(m->id, "t");
	assert_string_equal(m->version, "2");
	assert_int_equal(m->pixels, 5);
	assert_int_equal(m->noutputs, 3);
	assert_string_equal(m->outputs[1].name, "b");
	assert_string_equal(m->outputs[1].unit, "");
	assert_int_equal(m->outputs[0].first, 1);
	assert_int_equal(m->outputs[0].end, 4);
	assert_int_equal(m->outputs[2].end, 0);
	assert_int_equal(pls_model_predict(m, px, 5, out), 0);
	assert_true(out[0] == 0.5 + 2 + 8);
	assert_true(out[1] == -1 + 3 + 2);
	assert_true(out[2] == 7);
	out[0] = 42;
	assert_int_equal(pls_model_predict(m, px, 4, out), -1);
	assert_true(out[0] == 42);
	pls_model_free(m);
}

static void
test_generated_model_loads(void **state)
{
	struct pls_model *m;
	float px[300];
	double out[2];
	char err[256];

	(void)state;
	for (size_t i = 0; i < 300; i++)
		px[i] = 1.0f;
	assert_int_equal(parse(make_model(300, 2), &m, err, sizeof err), 0);
	assert_int_equal(pls_model_predict(m, px, 300, out), 0);
	assert_true(fabs(out[0] - 300.5) < 1e-9);
	assert_true(fabs(out[1] - 600.5) < 1e-9);
	pls_model_free(m);
}

/* --- refusals ------------------------------------------------------------ */

static void
test_wrong_count(void **state)
{
	json_t *root = make_model(1024, 4);

	(void)state;
	json_array_remove(json_object_get(output(root, 2), "coefficients"), 7);
	parse_fails(root, "$.outputs[2].coefficients: 1023 numbers, "
	    "expected 1024");
}

static void
test_pixels_mismatch(void **state)
{
	json_t *root = make_model(64, 1);

	(void)state;
	json_object_set_new(root, "pixels", json_integer(32));
	parse_fails(root, "$.outputs[0].coefficients: 64 numbers, "
	    "expected 32");
	root = make_model(8, 1);
	json_object_set_new(root, "pixels", json_integer(0));
	parse_fails(root, "$.pixels: must be 1 to");
	root = make_model(8, 1);
	json_object_set_new(root, "pixels", json_real(8.0));
	parse_fails(root, "$.pixels: not an integer");
}

static void
test_missing_key(void **state)
{
	json_t *root = make_model(8, 2);

	(void)state;
	json_object_del(output(root, 1), "intercept");
	parse_fails(root, "$.outputs[1]: missing \"intercept\"");
	root = make_model(8, 2);
	json_object_del(root, "outputs");
	parse_fails(root, "$: missing \"outputs\"");
	root = make_model(8, 2);
	json_object_del(root, "version");
	parse_fails(root, "$: missing \"version\"");
}

static void
test_not_a_number(void **state)
{
	json_t *root = make_model(32, 1);

	(void)state;
	json_array_set_new(json_object_get(output(root, 0), "coefficients"),
	    17, json_string("0.5"));
	parse_fails(root, "$.outputs[0].coefficients[17]: not a number");
	root = make_model(32, 1);
	json_object_set_new(output(root, 0), "intercept", json_null());
	parse_fails(root, "$.outputs[0].intercept: not a number");
}

static void
test_other_refusals(void **state)
{
	json_t *root;

	(void)state;
	root = make_model(8, 1);
	json_object_set_new(root, "pixles", json_integer(8));
	parse_fails(root, "$.pixles: unknown key");
	root = make_model(8, 2);
	json_object_set_new(output(root, 1), "name", json_string("out0"));
	parse_fails(root, "$.outputs[1].name: output out0 is already defined");
	root = make_model(8, 1);
	json_object_set_new(root, "id", json_string("smb pls"));
	parse_fails(root, "$.id: only printable ASCII");
	root = make_model(8, 1);
	json_object_set_new(root, "id", json_string(""));
	parse_fails(root, "$.id: must be 1 to 63 characters");
	root = make_model(8, 1);
	json_object_set_new(output(root, 0), "unit",
	    json_string("grams per litre!"));
	parse_fails(root, "$.outputs[0].unit: longer than 15 bytes");
	root = make_model(8, 1);
	json_array_clear(json_object_get(root, "outputs"));
	parse_fails(root, "$.outputs: 0 outputs, expected 1 to 16");
	parse_fails(json_array(), "$: not an object");
	root = make_model(8, 1);
	json_object_set_new(root, "description", json_integer(1));
	parse_fails(root, "$.description: not a string");
}

/* Positions: the line and column of the offending value or key. */
static void
test_positions(void **state)
{
	static const char text[] = "{\n"
	    "  \"id\": \"m\", \"version\": \"1\", \"pixels\": 2,\n"
	    "  \"outputs\": [{\"name\": \"a\", \"unit\": \"g/L\",\n"
	    "    \"intercept\": 0, \"coefficients\": [1, true]}]\n"
	    "}\n";
	static const char dup[] = "{\"id\": \"m\", \"id\": \"n\"}";
	static const char broken[] = "{\"id\": \"m\",\n \"version\": }";
	struct pls_model *m;
	char err[512];

	(void)state;
	assert_int_equal(pls_model_parse(text, strlen(text), "p.json", &m,
	    err, sizeof err), -1);
	assert_string_equal(err, "p.json:4:41: "
	    "$.outputs[0].coefficients[1]: not a number");
	assert_int_equal(pls_model_parse(dup, strlen(dup), "d.json", &m,
	    err, sizeof err), -1);
	assert_true(strncmp(err, "d.json:1:", 9) == 0);
	assert_non_null(strstr(err, "duplicate"));
	assert_int_equal(pls_model_parse(broken, strlen(broken), "b.json", &m,
	    err, sizeof err), -1);
	assert_true(strncmp(err, "b.json:2:", 9) == 0);
	assert_non_null(strstr(err, "$.version"));
}

static void
test_missing_file(void **state)
{
	struct pls_model *m;
	char err[512];

	(void)state;
	assert_int_equal(pls_model_load("/nonexistent/model.json", &m, err,
	    sizeof err), -1);
	assert_null(m);
	assert_non_null(strstr(err, "/nonexistent/model.json: cannot read"));
}

/* --- the shipped model on the simulator's spectra ------------------------ */

static void
test_demo_model_tracks_spectra(void **state)
{
	static const char *const names[SPECTRUM_COMPONENTS] = {
		"api_r", "api_s", "impurity", "ethanol"
	};
	double worst[SPECTRUM_COMPONENTS] = { 0 };
	float px[SPECTRUM_PIXELS];
	struct pls_model *m;
	char path[1024], err[512];

	(void)state;
	snprintf(path, sizeof path, "%s/config/demo/inference-model.json",
	    srcdir());
	if (pls_model_load(path, &m, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_string_equal(m->id, "smb-pls");
	assert_int_equal(m->pixels, SPECTRUM_PIXELS);
	assert_int_equal(m->noutputs, SPECTRUM_COMPONENTS);
	for (size_t k = 0; k < SPECTRUM_COMPONENTS; k++) {
		assert_string_equal(m->outputs[k].name, names[k]);
		assert_string_equal(m->outputs[k].unit, "g/L");
	}
	for (int j = 0; j < NOISY_SPECTRA; j++) {
		double t = j * 6.1, c[SPECTRUM_COMPONENTS];
		double out[SPECTRUM_COMPONENTS];
		struct rng r;

		/* Seeded as plant.c seeds a spectrum (seed 1, device 5). */
		rng_seed(&r, 1 ^ ((uint64_t)5 << 40) ^
		    ((uint64_t)j * UINT64_C(0x9E3779B97F4A7C15)));
		spectrum_generate(t, &r, px);
		spectrum_concentrations(t, c);
		assert_int_equal(pls_model_predict(m, px, SPECTRUM_PIXELS,
		    out), 0);
		for (int k = 0; k < SPECTRUM_COMPONENTS; k++)
			worst[k] = fmax(worst[k], fabs(out[k] - c[k]));
	}
	for (int k = 0; k < SPECTRUM_COMPONENTS; k++) {
		print_message("%-8s max |error| over %d noisy spectra: "
		    "%.4f g/L\n", names[k], NOISY_SPECTRA, worst[k]);
		assert_true(worst[k] < MAX_ERROR_GL);
	}
	pls_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_predict_arithmetic),
		cmocka_unit_test(test_generated_model_loads),
		cmocka_unit_test(test_wrong_count),
		cmocka_unit_test(test_pixels_mismatch),
		cmocka_unit_test(test_missing_key),
		cmocka_unit_test(test_not_a_number),
		cmocka_unit_test(test_other_refusals),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_demo_model_tracks_spectra),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * pls_model.h: a linear calibration model (PLS-style) read from JSON.
 *
 * A model turns a spectrum of `pixels` intensities into a few named
 * concentrations, each an intercept plus one coefficient per pixel:
 *
 *   out_k = intercept_k + sum_i coefficients_k[i] * pixel[i]
 *
 * which is what a PLS regression reduces to once it is trained.  The file:
 *
 *   {"id": "smb-pls", "version": "1.0", "pixels": 1024,
 *    "description": "...",
 *    "outputs": [{"name": "api_r", "unit": "g/L", "intercept": 0.0012,
 *                 "coefficients": [1024 numbers]}, ...]}
 *
 * Loading checks everything (types, counts, lengths, unknown keys) and
 * reports the first mistake as FILE:LINE:COLUMN: JSON-PATH: message; a
 * model that loads can be used without further checks.  Nothing here
 * prints.  The names and limits are those of the inference protocol, so a
 * loaded model always fits in a reply.
 */
#ifndef JOPE_SIM_PLS_MODEL_H
#define JOPE_SIM_PLS_MODEL_H

#include <stddef.h>

#include "inference/protocol.h"

struct pls_output {
	char name[INFER_ID_MAX];        /* unique within the model */
	char unit[INFER_UNIT_MAX];      /* may be "" */
	double intercept;
	const double *coef;             /* pixels values, in the model's block */
	size_t first, end;              /* coef[i] == 0 outside [first, end) */
};

struct pls_model {
	char id[INFER_ID_MAX];          /* printable ASCII, as on the wire */
	char version[INFER_ID_MAX];
	size_t pixels;                  /* 1..INFER_MAX_PIXELS */
	size_t noutputs;                /* 1..INFER_MAX_OUTPUTS */
	struct pls_output outputs[INFER_MAX_OUTPUTS];
	double *block;                  /* noutputs * pixels coefficients */
};

/*
 * Read the model in path.  0 and *out (free with pls_model_free), or -1
 * with the first mistake in err, naming path (and errno set when the file
 * could not be read).
 */
int pls_model_load(const char *path, struct pls_model **out, char *err,
    size_t errlen);

/* The same from text already in memory; name stands for the file. */
int pls_model_parse(const char *text, size_t len, const char *name,
    struct pls_model **out, char *err, size_t errlen);

void pls_model_free(struct pls_model *m);

/*
 * out[k] = intercept_k + sum coef_k[i] * pixels[i] for every output,
 * accumulated in double.  -1 (out untouched) when n is not m->pixels.
 * Only the pixels under a non-zero coefficient are read.
 */
int pls_model_predict(const struct pls_model *m, const float *pixels,
    size_t n, double *out);

#endif

/*
 * fuzz_infer_protocol.c: libFuzzer target for the inference protocol codec
 * (inference/protocol.h).  Built and run by tests/fuzz/run.sh.
 *
 * The input is cut into a multipart message:
 *
 *   byte 0      frame count, 1 + (byte % 3): 1, 2 or 3 frames
 *   bytes 1-2   length of frame 0, little-endian, cut to what is left
 *   bytes 3-4   length of frame 1 when there are 3 frames (cut likewise)
 *   the rest    frame 0, then frame 1, then frame 2; the last frame takes
 *               whatever remains
 *
 * so a seed is a five-byte prefix, a JSON header and, for f32le, the pixel
 * bytes (run.sh writes them).  infer_decode must never crash, leak or hit
 * undefined behaviour (ASan, UBSan), whatever the bytes.  When it accepts
 * a message, that message is a valid one, so:
 *
 *   1. infer_encode must accept it (allowed to fail only when the header
 *      could legitimately outgrow INFER_HEADER_MAX: integers re-encoded as
 *      reals, e.g. "data":[1,1,...] as [1.0,1.0,...], at most double);
 *   2. decoding that encoding must succeed and give the same message,
 *      field by field, floats compared bit for bit;
 *   3. encoding the second message must give the same bytes again (the
 *      wire form of a message is one and only one).
 *
 * And a rejected input must come with a reason free of control bytes
 * (reasons end up in logs and error records).
 *
 * Any broken property is an abort(), which libFuzzer reports as a crash
 * and saves the input for.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inference/protocol.h"

#define PIXELS_CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static float px1[PIXELS_CAP], px2[PIXELS_CAP];

static void
die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_infer_protocol: %s: %s\n", what, err);
	abort();
}

static int
same_outputs(const struct infer_output *a, const struct infer_output *b,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].name, b[i].name) != 0 ||
		    strcmp(a[i].unit, b[i].unit) != 0 ||
		    memcmp(&a[i].value, &b[i].value, sizeof a[i].value) != 0)
			return 0;
	return 1;
}

/* Field by field: the whole struct, except where the pixels live. */
static int
same_msg(const struct infer_msg *a, const struct infer_msg *b)
{
	if (a->type != b->type || a->is_reply != b->is_reply ||
	    a->json_pixels != b->json_pixels ||
	    strcmp(a->id, b->id) != 0 || strcmp(a->model, b->model) != 0 ||
	    strcmp(a->spectrum, b->spectrum) != 0 || a->ts_us != b->ts_us ||
	    a->npixels != b->npixels ||
	    memcmp(a->pixels, b->pixels, a->npixels * sizeof(float)) != 0 ||
	    strcmp(a->model_version, b->model_version) != 0 ||
	    a->noutputs != b->noutputs ||
	    !same_outputs(a->outputs, b->outputs, a->noutputs) ||
	    a->server_us != b->server_us ||
	    strcmp(a->server, b->server) != 0 ||
	    memcmp(&a->uptime_s, &b->uptime_s, sizeof a->uptime_s) != 0 ||
	    a->nmodels != b->nmodels ||
	    strcmp(a->code, b->code) != 0 ||
	    strcmp(a->message, b->message) != 0)
		return 0;
	for (size_t i = 0; i < a->nmodels; i++) {
		const struct infer_model_info *x = &a->models[i];
		const struct infer_model_info *y = &b->models[i];

		if (strcmp(x->id, y->id) != 0 ||
		    strcmp(x->version, y->version) != 0 ||
		    x->pixels != y->pixels || x->noutputs != y->noutputs ||
		    !same_outputs(x->outputs, y->outputs, x->noutputs))
			return 0;
	}
	return 1;
}

static size_t
take(size_t want, size_t *left)
{
	size_t n = want < *left ? want : *left;

	*left -= n;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct infer_msg m1, m2;
	struct infer_frame in[3], out[2], out2[2];
	void *bin = NULL, *bin2 = NULL;
	char err[512], err2[512];
	size_t nframes, left, off;
	int n, n2;

	if (size < 5)
		return 0;
	nframes = 1 + data[0] % 3;
	left = size - 5;
	off = 5;
	in[0].data = data + off;
	in[0].len = nframes == 1 ? take(left, &left) :
	    take((size_t)data[1] | (size_t)data[2] << 8, &left);
	off += in[0].len;
	if (nframes >= 2) {
		in[1].data = data + off;
		in[1].len = nframes == 2 ? take(left, &left) :
		    take((size_t)data[3] | (size_t)data[4] << 8, &left);
		off += in[1].len;
	}
	if (nframes == 3) {
		in[2].data = data + off;
		in[2].len = take(left, &left);
	}

	m1.pixels = px1;
	m1.pixels_cap = PIXELS_CAP;
	if (infer_decode(in, nframes, &m1, err, sizeof err) != 0) {
		if (err[0] == '\0')
			die("decode failed without a reason", "");
		/* Reasons go to logs: no control bytes from the wire. */
		for (const char *p = err; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				die("control byte in the reason", "");
		return 0;
	}

	n = infer_encode(&m1, out, &bin, err, sizeof err);
	if (n < 0) {
		if (in[0].len > INFER_HEADER_MAX / 2)
			return 0;
		die("a decoded message does not encode", err);
	}
	if ((size_t)n != (m1.type == INFER_PREDICT && !m1.json_pixels ? 2 : 1))
		die("wrong frame count from encode", infer_type_name(m1.type));

	m2.pixels = px2;
	m2.pixels_cap = PIXELS_CAP;
	if (infer_decode(out, (size_t)n, &m2, err, sizeof err) != 0)
		die("an encoded message does not decode", err);
	if (!same_msg(&m1, &m2))
		die("decode(encode(m)) differs from m", out[0].data);

	n2 = infer_encode(&m2, out2, &bin2, err2, sizeof err2);
	if (n2 != n || out2[0].len != out[0].len ||
	    memcmp(out2[0].data, out[0].data, out[0].len) != 0 ||
	    (n == 2 && (out2[1].len != out[1].len ||
	    memcmp(out2[1].data, out[1].data, out[1].len) != 0)))
		die("the same message encodes two ways", out[0].data);

	free((void *)out[0].data);
	free(bin);
	free((void *)out2[0].data);
	free(bin2);
	return 0;
}

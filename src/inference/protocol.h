/*
 * protocol.h: the inference protocol's messages and their wire codec.
 *
 * One message is one ZeroMQ multipart message: frame 0 is a JSON object (the
 * header, UTF-8, at most INFER_HEADER_MAX bytes); a predict request whose
 * header says "encoding": "f32le" carries the spectrum in frame 1 as
 * little-endian IEEE-754 float32, exactly 4 * pixels bytes.  ("encoding":
 * "json" puts the pixels in the header as a number array instead, for
 * clients that cannot send binary frames; measured slower, see
 * doc/inference-protocol.md.)  The ZeroMQ envelope (a ROUTER's identity
 * frames and the empty delimiter) is not part of the message: the sockets'
 * code strips it before infer_decode and adds it after infer_encode.
 *
 * Every request carries an id (1..INFER_ID_MAX-1 printable ASCII bytes,
 * 0x21..0x7e); the reply echoes it.  Requests: predict, heartbeat, models.
 * Replies: predictions, heartbeat, models, error.  An error reply carries
 * a code (INFER_ERR_*) and a message; a server never answers with
 * silence.  Only an error reply may have an empty id: the answer to a
 * request whose id could not be read.
 *
 * The rules for each field (string kinds and lengths, integer ranges,
 * finite numbers, unique output names and model ids, which keys make a
 * heartbeat or models message a reply) are in doc/inference-protocol.md;
 * infer_encode and infer_decode enforce the same rules.
 *
 * infer_decode trusts nothing from the wire: every length, count and index
 * is checked against the limits below and against the frames received, and
 * any mistake is a -1 with a reason, never a crash or a partly filled
 * message the caller might use.  Pure functions, no I/O, no locks: the
 * client (client.c), the simulated server (sim/inference_server.c), the
 * unit tests and the fuzz target all go through these two calls.
 */
#ifndef JOPE_INFER_PROTOCOL_H
#define JOPE_INFER_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INFER_PROTOCOL_VERSION 1
#define INFER_HEADER_MAX (256 * 1024)   /* bytes of frame 0 */
#define INFER_MAX_PIXELS 16384
#define INFER_MAX_OUTPUTS 16            /* per model */
#define INFER_MAX_MODELS 8              /* in a heartbeat/models reply */
#define INFER_ID_MAX 64                 /* ids and names, with the NUL */
#define INFER_UNIT_MAX 16
#define INFER_CODE_MAX 32
#define INFER_MESSAGE_MAX 256

enum infer_type {
	INFER_PREDICT,          /* request: model, spectrum, ts, pixels */
	INFER_HEARTBEAT,        /* request: nothing; reply: server, uptime, models */
	INFER_MODELS,           /* request: nothing; reply: models with outputs */
	INFER_PREDICTIONS,      /* reply to predict */
	INFER_ERROR             /* reply to anything: code and message */
};

/* Error codes an error reply may carry (any other code is accepted too). */
#define INFER_ERR_BAD_REQUEST "bad_request"     /* malformed request */
#define INFER_ERR_UNKNOWN_MODEL "unknown_model"
#define INFER_ERR_BAD_PIXELS "bad_pixels"       /* count differs from model */
#define INFER_ERR_INTERNAL "internal"
#define INFER_ERR_BUSY "busy"

struct infer_output {
	char name[INFER_ID_MAX];        /* e.g. "api_r" */
	char unit[INFER_UNIT_MAX];      /* e.g. "g/L"; may be "" */
	double value;                   /* predictions only; finite */
};

struct infer_model_info {
	char id[INFER_ID_MAX];
	char version[INFER_ID_MAX];
	uint32_t pixels;                /* the spectrum length it takes */
	size_t noutputs;                /* models reply: outputs listed; */
	struct infer_output outputs[INFER_MAX_OUTPUTS]; /* heartbeat: 0 */
};

struct infer_msg {
	enum infer_type type;
	char id[INFER_ID_MAX];          /* request id, echoed by the reply */

	/* INFER_PREDICT and INFER_PREDICTIONS (the reply echoes spectrum
	 * and ts_us from its request) */
	char model[INFER_ID_MAX];
	char spectrum[INFER_ID_MAX];    /* the spectrum's id */
	int64_t ts_us;                  /* when it was taken, >= 0 */

	/* INFER_PREDICT: pixels[0..npixels-1].  The caller of infer_decode
	 * provides the buffer (pixels, pixels_cap); a longer spectrum is an
	 * error.  infer_encode reads pixels[0..npixels-1]. */
	float *pixels;
	size_t pixels_cap;
	size_t npixels;
	bool json_pixels;               /* pixels in the header ("json");
					 * decode sets it from "encoding" */

	/* INFER_PREDICTIONS */
	char model_version[INFER_ID_MAX];
	size_t noutputs;
	struct infer_output outputs[INFER_MAX_OUTPUTS];
	int64_t server_us;              /* time the server spent, µs */

	/* INFER_HEARTBEAT reply and INFER_MODELS reply */
	char server[INFER_ID_MAX];      /* server id (heartbeat) */
	double uptime_s;                /* heartbeat */
	size_t nmodels;
	struct infer_model_info models[INFER_MAX_MODELS];

	/* INFER_ERROR */
	char code[INFER_CODE_MAX];
	char message[INFER_MESSAGE_MAX];

	/* Heartbeat and models: which side (encode reads it for these
	 * two only).  Decode also sets it for predictions and error. */
	bool is_reply;
};

/* One frame of a multipart message. */
struct infer_frame {
	const void *data;
	size_t len;
};

/*
 * The wire form of m: frames[0] is a malloc'ed JSON header (the caller
 * frees frames[0].data), frames[1] (predict with binary pixels) points into
 * a malloc'ed buffer owned by *bin (free it; NULL when none).  Returns the
 * number of frames (1 or 2), or -1 with a reason in err when m breaks a
 * limit above or any rule infer_decode checks (nothing allocated then;
 * frames[] zeroed and *bin NULL).  A message infer_decode accepted
 * encodes (unless the new header outgrows INFER_HEADER_MAX) and decodes
 * back to the same message; tests/fuzz checks that.
 */
int infer_encode(const struct infer_msg *m, struct infer_frame frames[2],
    void **bin, char *err, size_t errlen);

/*
 * Parse a message of nframes frames into m (zeroed first; m->pixels and
 * m->pixels_cap are kept as the caller set them and must be set for a
 * predict to be accepted).  0, or -1 with a reason in err (English, for
 * logs and error records, printable ASCII apart from validated UTF-8
 * names) when anything is malformed, missing, out of range or of the
 * wrong type, or when a frame is missing or extra; m is then zeroed again
 * (pixels and pixels_cap kept; the pixel buffer may have been written).
 * An unknown "type" is an error; unknown other keys are ignored (forward
 * compatibility).  Replies and requests are told apart by "type" alone,
 * except heartbeat and models, told apart by the presence of reply fields
 * (heartbeat: any of "server", "uptime_s", "models", which then must all
 * be there; models: "models"); m->is_reply says which.
 */
int infer_decode(const struct infer_frame *frames, size_t nframes,
    struct infer_msg *m, char *err, size_t errlen);

/* "predict", "heartbeat", "models", "predictions", "error". */
const char *infer_type_name(enum infer_type t);

#endif

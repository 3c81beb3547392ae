/*
 * link.h: one request and its reply on the inference link, never stuck.
 *
 * A link is a ZeroMQ DEALER socket to the inference host and the rules
 * for using it: one request outstanding at a time, a deadline of
 * timeout_ms for the send and the reply together, the REQ envelope (an
 * empty delimiter frame) so that any ROUTER server answers it, and the
 * "lazy pirate" rebuild: after a timeout or a reply it cannot trust, the
 * socket is closed and a new one made, so that a late or stray reply of
 * the old socket can never be taken for the answer to a new request.
 *
 * The console's client thread (client.c) and the benchmark
 * (tests/bench/bench_inference.c) both go through infer_link_request, so
 * the benchmark times exactly the console's path.  Not thread-safe: one
 * thread owns a link.
 */
#ifndef JOPE_INFER_LINK_H
#define JOPE_INFER_LINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inference/protocol.h"

enum infer_outcome {
	INFER_OK,               /* *rep is the reply of the right type */
	INFER_TIMEOUT,          /* not sent or not answered in time */
	INFER_REJECTED,         /* a reply we cannot use */
	INFER_SERVER_ERROR,     /* an error reply: *rep holds it */
	INFER_STOPPED,          /* *stop was set meanwhile */
	INFER_BAD_REQUEST       /* req itself does not encode (e.g. a NaN
	                           pixel): nothing sent, the link is fine */
};

struct infer_link_counters {
	uint64_t requests;      /* sent */
	uint64_t timeouts;
	uint64_t late_replies;  /* a reply to an earlier request of ours */
	uint64_t rejected;      /* malformed, oversized, mismatched */
	uint64_t server_errors;
	uint64_t rebuilds;      /* sockets made again after the first */
};

struct infer_link;

/*
 * A link to endpoint; request ids are "id_prefix-N".  wake_fd (or -1) is
 * polled with the socket: readable means new work or stop, and is
 * drained; stop (or NULL) is checked on every wake.  NULL with a reason in
 * err when the socket cannot be made (a bad endpoint).
 */
struct infer_link *infer_link_new(void *zctx, const char *endpoint,
    const char *id_prefix, int64_t timeout_ms, int wake_fd,
    const atomic_bool *stop, char *err, size_t errlen);
void infer_link_free(struct infer_link *l);

/*
 * Send req (its id is set here) and wait for its reply in *rep, whose
 * pixels/pixels_cap the caller sets (decode keeps them).  *rtt_ms is the
 * round trip of an INFER_OK.  The reason of anything else is in err.
 */
enum infer_outcome infer_link_request(struct infer_link *l,
    struct infer_msg *req, struct infer_msg *rep, double *rtt_ms,
    char *err, size_t errlen);

const struct infer_link_counters *infer_link_counters(
    const struct infer_link *l);

#endif

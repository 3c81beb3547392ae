/*
 * client.h: the console's side of the inference link (ZeroMQ).
 *
 * One thread owns one DEALER socket to the inference host.  The engine
 * hands it every spectrum it has made durable (infer_client_submit, which
 * never blocks: the spectrum is copied into a bounded queue); the thread
 * asks for predictions, stores them in the spool as ordinary samples
 * (point "SPECTRUM.OUTPUT", tagged "model@version") and publishes the link
 * into the state: up/degraded/down (health.h), the latency percentiles,
 * the latest spectrum and the predictions' recent history (infer_view.h).
 *
 * A request never waits longer than inference.timeout_ms for its reply.
 * After a timeout or a reply it cannot trust the socket is closed and a
 * new one made (the "lazy pirate" pattern), so a late or stray reply of
 * the old socket can never be taken for the answer to a new request.  A
 * failed predict is an error record (device "inference", point the
 * spectrum's id) and the spectrum stays the latest one, so the operator
 * can ask for it again (infer_client_repredict).
 */
#ifndef JOPE_INFER_CLIENT_H
#define JOPE_INFER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "config/model.h"
#include "core/state.h"
#include "store/spool.h"

/* The device id of the inference link's error records. */
#define INFER_DEVICE_ID "inference"

struct infer_client;

/*
 * Start the client for app's inference settings (endpoint not empty).
 * NULL with a reason in err when the ZeroMQ context or thread cannot be
 * made; an unreachable host is not an error here (the link is down).
 */
struct infer_client *infer_client_start(const struct app_config *app,
    struct spool *spool, struct state *st, char *err, size_t errlen);

/* Queue a predict of a spectrum (copied).  Never blocks. */
void infer_client_submit(struct infer_client *c, const char *spectrum_id,
    int64_t ts_us, const double *pixels, size_t n, const char *batch_id);

/*
 * Predict the latest spectrum again; its outcome goes to the state's
 * command result.  False (and nothing queued) when there is none yet.
 */
bool infer_client_repredict(struct infer_client *c);

/* Stop the thread (within one poll, not a whole timeout) and free. */
void infer_client_stop(struct infer_client *c);

#endif

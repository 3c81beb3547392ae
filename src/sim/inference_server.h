/*
 * inference_server.h: the simulator's inference host (ZeroMQ), with faults.
 *
 * A ROUTER socket bound to a loopback endpoint answers the requests of the
 * inference protocol (inference/protocol.h) with one linear model
 * (pls_model.h): predict with predictions, heartbeat with the server id,
 * uptime and models, models with the models and their outputs, and
 * anything malformed, unknown or addressed to another model with an error
 * reply.  It runs in a thread of its own, so that the Modbus loop and the
 * inference host never delay each other, as two separate boxes would not.
 *
 * Faults (sim/fault.h) apply to every reply: drop, garbage, mismatch,
 * slow=MS and late=MS; refuse, close and exception mean nothing here and
 * must be refused by the caller.  A restart (inference_server_restart)
 * closes the socket, waits INFER_SERVER_RESTART_MS and binds again under a
 * new server id, with the uptime back at 0, as after a crash of the host:
 * replies held or queued at that moment are lost.
 *
 * Nothing here prints: errors come back as -1 with errno (ZeroMQ's errno
 * values; zmq_strerror() names them), and the happenings of a restart
 * reach the caller through a callback, called from the server's thread.
 */
#ifndef JOPE_SIM_INFERENCE_SERVER_H
#define JOPE_SIM_INFERENCE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "sim/fault.h"
#include "sim/pls_model.h"

#define INFER_SERVER_RESTART_MS 300     /* off the air during a restart */
#define INFER_SERVER_LATE_MAX 256       /* "late" replies pending at once */
#define INFER_SERVER_ID_MAX 64          /* with the NUL, as on the wire */

enum inference_server_event {
	INFER_SERVER_DOWN,          /* restart: socket closed */
	INFER_SERVER_UP,            /* restart: bound again, new id */
	INFER_SERVER_BIND_FAILED    /* restart: bind failed (err), retrying */
};

/* id: the server id now (the new one for UP); err: an errno, or 0. */
typedef void inference_server_notify_fn(void *arg,
    enum inference_server_event ev, const char *endpoint, const char *id,
    int err);

struct inference_server;

/*
 * A server for model (not copied: it must outlive the server) at endpoint,
 * not yet bound.  seed makes the garbage fault reproducible.  NULL with
 * errno when the ZeroMQ context cannot be made.
 */
struct inference_server *inference_server_new(const struct pls_model *model,
    const char *endpoint, uint64_t seed);

/* Stops the thread (at once, even during a slow reply), closes, frees. */
void inference_server_free(struct inference_server *s);

/* Before start only; fn is called from the server's thread. */
void inference_server_set_notify(struct inference_server *s,
    inference_server_notify_fn *fn, void *arg);

/*
 * Bind now and serve from a new thread.  0, or -1 with errno (EADDRINUSE,
 * EINVAL for a malformed endpoint...) and nothing started.  The thread
 * blocks every signal.
 */
int inference_server_start(struct inference_server *s);

/* Replace the fault (copied); takes effect from the next request. */
void inference_server_set_fault(struct inference_server *s,
    const struct sim_fault *f);

/*
 * Ask for a restart.  Only a write(2) to a pipe: safe in a signal
 * handler.  Several requests before the thread sees them make one.
 */
void inference_server_restart(struct inference_server *s);

/* The text of an errno value from here (ZeroMQ has a few of its own). */
const char *inference_server_strerror(int err);

/* The current server id, "jope-smb-sim/PID/N" after the Nth bind. */
void inference_server_id(struct inference_server *s, char *buf, size_t len);

/*
 * Whether the simulator may serve endpoint: tcp://127.0.0.1:PORT,
 * tcp://[::1]:PORT, tcp://localhost:PORT (PORT 1..65535) or ipc://PATH.
 */
int inference_endpoint_is_loopback(const char *endpoint);

#endif

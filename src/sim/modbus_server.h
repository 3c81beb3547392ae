/*
 * modbus_server.h: the simulator's Modbus side, with fault injection.
 *
 * One server serves any number of connectors from a single poll loop: a TCP
 * connector listens on 127.0.0.1:port, an RTU connector is a pseudo-terminal
 * reachable at its serial path.  Each connector answers for the units of
 * the devices configured on it, with the registers of the plant.  Faults,
 * per connector and per device, make it misbehave on purpose so that the
 * console's error paths can be tested against a real socket or tty, and can
 * be replaced while the loop runs.  Nothing here prints: errors come back as
 * -1 with errno, and the few run-time happenings worth telling reach the
 * caller through a callback.
 */
#ifndef JOPE_SIM_MODBUS_SERVER_H
#define JOPE_SIM_MODBUS_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"
#include "sim/fault.h"
#include "sim/plant.h"

#define SERVER_ADDRESS "127.0.0.1"  /* every listener binds here */
#define SERVER_MAX_CLIENTS 8        /* per TCP connector; more are closed */
#define SERVER_FRAME_TIMEOUT_MS 5000 /* TCP: a started request must complete */
#define SERVER_RTU_SILENCE_MS 50    /* RTU: silence that ends a frame */
#define SERVER_REPLY_QUEUE 8        /* replies pending per client ("late") */
#define SERVER_TICK_MS 1000

enum server_event {
	SERVER_CLIENT_REJECTED      /* client limit reached, closed at once */
};
typedef void server_notify_fn(void *arg, enum server_event ev,
    const struct connector *c);

/*
 * Called by the loop every SERVER_TICK_MS, and at once when *poke (see
 * server_set_tick) has been set by a signal handler: poked tells which.
 */
typedef void server_tick_fn(void *arg, int poked);

struct server;

struct server *server_new(const struct model *m, struct plant *p,
    uint64_t seed);
void server_free(struct server *s);
void server_set_notify(struct server *s, server_notify_fn *fn, void *arg);
void server_set_tick(struct server *s, server_tick_fn *fn, void *arg,
    volatile sig_atomic_t *poke);

/*
 * Replace every fault: conn[] has one per connector, dev[] one per device
 * (both copied).  A device's fault, when it has any, replaces its
 * connector's for the requests to that device.  Takes effect from the next
 * request; a reply already queued keeps its fate.  Refuse changes now: a
 * connector that starts refusing stops listening and drops its clients (RTU:
 * its serial path is removed), one that stops refusing listens again.
 * 0, or -1 with errno when that failed for some connector (the others are
 * applied; *failed is its index).
 */
int server_set_faults(struct server *s, const struct sim_fault *conn,
    const struct sim_fault *dev, size_t *failed);

/*
 * Serve connector c (an index into m->connectors) with its current fault.
 * TCP binds and listens on SERVER_ADDRESS:port now; RTU opens a
 * pseudo-terminal and links the connector's serial path to it.  -1 with
 * errno (EADDRINUSE, EEXIST for a serial path that is not ours to
 * replace...) when that fails.  A refusing connector is added off the air.
 */
int server_add(struct server *s, size_t c);

/* RTU connector c: the slave's name (/dev/pts/N); NULL for TCP. */
const char *server_pty_name(const struct server *s, size_t c);

/*
 * Run the loop until *stop becomes non-zero.  SIGINT, SIGTERM and SIGUSR1
 * must be blocked by the caller: they are unblocked only while waiting, so
 * a signal can never slip between the check of a flag and the wait.
 * 0 on a requested stop, -1 with errno on a fatal error.
 */
int server_run(struct server *s, volatile sig_atomic_t *stop);

#endif

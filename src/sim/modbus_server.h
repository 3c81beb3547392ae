/*
 * modbus_server.h: the simulator's Modbus side, with fault injection.
 *
 * One server serves any number of connectors from a single poll loop; each
 * connector answers for the units of the devices configured on it, with the
 * registers of the plant.  Faults make a connector misbehave on purpose so
 * that the console's error paths can be tested against a real socket.
 * Nothing here prints: errors come back as -1 with errno, and the few
 * run-time happenings worth telling reach the caller through a callback.
 */
#ifndef JOPE_SIM_MODBUS_SERVER_H
#define JOPE_SIM_MODBUS_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"
#include "sim/plant.h"

#define SERVER_ADDRESS "127.0.0.1"  /* every listener binds here */
#define SERVER_MAX_CLIENTS 8        /* per connector; more are closed */
#define SERVER_FRAME_TIMEOUT_MS 5000 /* a started request must complete */
#define SERVER_SLOW_MAX_MS 600000

enum fault_mode {
	FAULT_NONE,
	FAULT_GARBAGE,              /* random bytes instead of the reply */
	FAULT_CLOSE,                /* half the reply, then close */
	FAULT_EXCEPTION             /* every request gets this exception */
};

struct sim_fault {
	int refuse;                 /* do not listen at all */
	enum fault_mode mode;
	int exception;              /* FAULT_EXCEPTION: 1..11 */
	int slow_ms;                /* delay before each reply; 0 = none */
};

/*
 * Merge one fault ("refuse", "garbage", "close", "slow=MS",
 * "exception=CODE") into f.  0, -1 when the text is not a fault, -2 when
 * it conflicts with a reply mode already set (garbage, close and
 * exception exclude each other; slow and refuse combine with anything).
 */
int fault_parse(const char *text, struct sim_fault *f);

enum server_event {
	SERVER_CLIENT_REJECTED      /* client limit reached, closed at once */
};
typedef void server_notify_fn(void *arg, enum server_event ev,
    const struct connector *c);

struct server;

struct server *server_new(const struct model *m, struct plant *p,
    uint64_t seed);
void server_free(struct server *s);
void server_set_notify(struct server *s, server_notify_fn *fn, void *arg);

/*
 * Serve connector c (an index into m->connectors) with fault f.  For TCP
 * this binds and listens on SERVER_ADDRESS:port now; -1 with errno
 * (EADDRINUSE...) when that fails.  A refusing connector is accepted and
 * never listens.  RTU is not simulated yet: -1 with ENOTSUP.
 */
int server_add(struct server *s, size_t c, const struct sim_fault *f);

/*
 * Run the loop until *stop becomes non-zero.  SIGINT and SIGTERM must be
 * blocked by the caller: they are unblocked only while waiting, so a
 * signal can never slip between the check of *stop and the wait.
 * 0 on a requested stop, -1 with errno on a fatal error.
 */
int server_run(struct server *s, volatile sig_atomic_t *stop);

#endif

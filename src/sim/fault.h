/*
 * fault.h: how a simulated connector or device misbehaves on purpose.
 *
 * A fault has at most one reply mode (what goes out instead of the right
 * reply), at most one delay (slow or late), and for a connector a switch
 * that takes it off the air (refuse).  The text form is what --fault and
 * the control file use: "garbage", "close", "drop", "mismatch",
 * "exception=CODE", "slow=MS", "late=MS", "refuse"; several merge into one
 * fault when they do not conflict.  Parsing only: modbus_server.c applies.
 */
#ifndef JOPE_SIM_FAULT_H
#define JOPE_SIM_FAULT_H

#include <stddef.h>

#define FAULT_DELAY_MAX_MS 600000

enum fault_mode {
	FAULT_NONE,
	FAULT_GARBAGE,              /* random bytes (RTU: a bad CRC) */
	FAULT_CLOSE,                /* half the reply, then hang up */
	FAULT_EXCEPTION,            /* this exception to every request */
	FAULT_DROP,                 /* no reply at all */
	FAULT_MISMATCH              /* a reply for another request */
};

struct sim_fault {
	int refuse;                 /* connector: do not listen / no path */
	enum fault_mode mode;
	int exception;              /* FAULT_EXCEPTION: 1..11 */
	int slow_ms;                /* hold each reply; read nothing meanwhile */
	int late_ms;                /* send each reply late; read on meanwhile */
};

/*
 * Merge one fault text into f.  0, -1 when the text is not a fault, -2
 * when it conflicts with what f already has: two different reply modes
 * (or exception codes), or slow with late.
 */
int fault_parse(const char *text, struct sim_fault *f);

/* Whether f makes any difference at all. */
int fault_is_set(const struct sim_fault *f);

/* f as the text fault_parse() reads, "+" between parts; "none". */
void fault_format(const struct sim_fault *f, char *buf, size_t len);

#endif

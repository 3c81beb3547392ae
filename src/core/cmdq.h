/*
 * cmdq.h: the command queue from the UI thread to the engine.
 *
 * The UI never calls into the engine's workers directly: it pushes a small
 * command and returns at once; the engine's housekeeping thread pops and
 * carries it out, and the result shows up in the state snapshot.  Pushing
 * never blocks on I/O, so a dead device or database cannot slow a keystroke.
 */
#ifndef JOPE_CMDQ_H
#define JOPE_CMDQ_H

#include <stdbool.h>
#include <stddef.h>

enum command_kind {
	CMD_READ_DEVICE_NOW,    /* immediate read of every point of a device */
	CMD_READ_POINT_NOW,     /* immediate read of one point */
	CMD_RELOAD_CONFIG,      /* validate the config dir whole, then swap */
	CMD_SET_CLOCK,          /* set device's clock to the console's time */
	CMD_WRITE_POINT         /* write value to a writable point */
};

/*
 * Indices refer to the model of the snapshot the UI acted on; config_gen
 * names that model, so a command that crosses a reload is refused rather
 * than applied to whatever now has that index.
 */
struct command {
	enum command_kind kind;
	size_t device;          /* index into model.devices */
	size_t point;           /* index into model.points */
	double value;           /* CMD_WRITE_POINT, engineering units */
	unsigned config_gen;    /* snapshot.config_generation */
};

struct cmdq;

struct cmdq *cmdq_new(void);
void cmdq_free(struct cmdq *q);
/* false when the queue is full (the UI tells the operator, nothing blocks). */
bool cmdq_push(struct cmdq *q, const struct command *c);
/* Wait up to timeout_ms (monotonic, real time) for a command; true if one. */
bool cmdq_pop(struct cmdq *q, struct command *c, int timeout_ms);
/* Wake a waiting cmdq_pop without a command (used at shutdown). */
void cmdq_interrupt(struct cmdq *q);

#endif

/*
 * alarm_view.h: the alarm list as the console shows it.
 *
 * The engine's alarm board (plant/alarm_board.h) publishes, after every
 * change, an immutable list of the alarms that are shown (every state but
 * normal), in display order (priority, unacknowledged first, active first,
 * newest first), shared by reference counting like the audit list: a
 * snapshot copy costs one pointer.  The UI only reads it.
 */
#ifndef JOPE_ALARM_VIEW_H
#define JOPE_ALARM_VIEW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALARM_KEY_MAX 96                /* = COMMAND_OBJECT_MAX */
#define ALARM_SOURCE_MAX 64

struct alarm_row {
	char key[ALARM_KEY_MAX];        /* "PT-303/H", "pumps/COMM",
	                                   "system/disk_low": what CMD_ALARM_ACK
	                                   names */
	char source[ALARM_SOURCE_MAX];  /* point or device id, or "system" */
	char name[128];                 /* the point's or device's name, or
	                                   what a system alarm watches
	                                   (English, stable) */
	int level;                      /* enum alarm_level */
	int state;                      /* enum alarm_state */
	int priority;                   /* 1 most urgent */
	bool flapping;
	bool has_value;                 /* analog: value and limit below */
	double value;                   /* the value that raised it */
	double limit;
	char unit[16];
	int64_t activated_us, cleared_us, acked_us;     /* 0: not yet */
	char acked_by[33];
};

struct alarm_view {
	atomic_uint refs;               /* first: copies skip it */
	size_t n;
	struct alarm_row *rows;         /* [n], display order */
	size_t unacked;                 /* rows not acknowledged */
	size_t active;                  /* rows still active */
	uint64_t activations;           /* ever, since start: grows with
	                                   every new activation (bell) */
};

struct alarm_view *alarm_view_new(size_t n);
void alarm_view_acquire(const struct alarm_view *v);
void alarm_view_release(const struct alarm_view *v);

#endif

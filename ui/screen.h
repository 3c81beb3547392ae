/*
 * screen.h: the small vtable every full-screen view of the console fills.
 *
 * After htop's Panel and ncdu's draw/key pairs: a screen draws itself into
 * the body rectangle from one consistent state snapshot, and handles the
 * keys the app does not take first (quit, help, resize).  A screen never
 * calls the engine: it reads the snapshot in the view and asks for work by
 * pushing commands onto the command queue.  The app owns the loop, the bars
 * and the dialogs; screens own only their rows.
 */
#ifndef JOPE_UI_SCREEN_H
#define JOPE_UI_SCREEN_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"
#include "core/cmdq.h"
#include "core/state.h"
#include "ui/devstate.h"
#include "ui/layout.h"

/* What a screen sees while drawing or handling a key. */
struct view {
	const struct model *model;
	const struct snapshot *snap;
	struct cmdq *cmdq;
	int64_t now_us;         /* real time of this frame */
	struct rect area;       /* the body rectangle */
};

/*
 * A dialog a key asks the app for: the screen decides what the selection
 * means (which device, which point, whether the action applies), the app
 * owns the dialogs and pushes the command once the operator confirms.
 */
enum screen_action {
	ACTION_NONE,
	ACTION_PLAN,            /* show device's read plan */
	ACTION_CLOCK,           /* confirm setting device's clock */
	ACTION_WRITE,           /* enter a value for point, then confirm */
	ACTION_ALARM_ACK,       /* sign CMD_ALARM_ACK: alarm, or (alarm "")
	                           the count alarms the filter shows */
	ACTION_BATCH,           /* sign CMD_BATCH batch_event on the current
	                           batch; START: of recipe, after the choice
	                           of recipe when the model has several */
	ACTION_MAINT,           /* the maintenance window form, then sign
	                           CMD_MAINT_ANNOUNCE */
	ACTION_SHOW_DEVICE      /* the device table (F3), on device */
};

/* What a key did, for the app to show in the function-key bar. */
struct key_result {
	char message[160];      /* translated; "" when nothing to say */
	bool bad;               /* the message is an error */
	enum screen_action action;
	size_t device, point;   /* indices into the view's model */
	/* ACTION_ALARM_ACK: an alarm_row key, or "" for every unacknowledged
	   alarm shown under filter (count of them, as the screen shows) */
	char alarm[COMMAND_OBJECT_MAX];
	char filter[COMMAND_REVIEW_MAX];
	size_t count;
	/* ACTION_BATCH: the enum batch_event, and for START the recipe (an
	   index into the view's model.recipes) the choice starts on */
	int batch_event;
	size_t recipe;
};

/* Keys that do something on the current selection (screen->keys). */
enum {
	SCREEN_KEY_READ = 1 << 0,       /* r */
	SCREEN_KEY_WRITE = 1 << 1,      /* w */
	SCREEN_KEY_CLOCK = 1 << 2,      /* c */
	SCREEN_KEY_PLAN = 1 << 3,       /* p */
	SCREEN_KEY_TO_AUDIT = 1 << 4,   /* F7: the audit screen */
	SCREEN_KEY_TO_DEVICES = 1 << 5, /* F3: the device table */
	SCREEN_KEY_DETAIL = 1 << 6,     /* Enter: the selected event */
	SCREEN_KEY_FILTER = 1 << 7,     /* /: type a filter */
	SCREEN_KEY_CLEAR = 1 << 8,      /* Esc: clear the filter */
	SCREEN_KEY_CLOSE = 1 << 9,      /* Esc: close the detail */
	SCREEN_KEY_SCROLL = 1 << 10,    /* Up/Down: scroll the detail */
	/* Set by the app, not the screens: what R does now. */
	SCREEN_KEY_APPLY = 1 << 11,     /* R: the config dir differs */
	SCREEN_KEY_RELOAD = 1 << 12,    /* R: it holds the version in use */
	SCREEN_KEY_REPREDICT = 1 << 13, /* p: re-predict the spectrum */
	SCREEN_KEY_TO_TRENDS = 1 << 14, /* F6: the trends screen (app) */
	SCREEN_KEY_TO_ALARMS = 1 << 15, /* F5: the alarm list (app) */
	SCREEN_KEY_ACK = 1 << 16,       /* a: acknowledge the selected alarm */
	SCREEN_KEY_ACK_ALL = 1 << 17,   /* A: acknowledge every one shown */
	SCREEN_KEY_TO_BATCH = 1 << 18,  /* F4: the batch screen (app) */
	SCREEN_KEY_BATCH_START = 1 << 19,       /* F8, s: start a batch */
	SCREEN_KEY_BATCH_HOLD = 1 << 20,        /* F9, h: hold it */
	SCREEN_KEY_BATCH_RESUME = 1 << 21,      /* F9, u: resume it */
	SCREEN_KEY_BATCH_STOP = 1 << 22,        /* F11, t: stop it (graceful) */
	SCREEN_KEY_BATCH_ABORT = 1 << 23,       /* F12, x: abort it */
	SCREEN_KEY_MAINT = 1 << 24,     /* m: announce a maintenance window */
	SCREEN_KEY_TO_OVERVIEW = 1 << 25,       /* F2: the overview (app) */
	SCREEN_KEY_OPEN = 1 << 26       /* Enter: the selected device on F3 */
};

struct screen {
	void (*draw)(struct screen *s, WINDOW *win, const struct view *v);
	/* True when the key was used (the app then redraws). */
	bool (*key)(struct screen *s, int key, const struct view *v,
	    struct key_result *out);
	/* SCREEN_KEY_* bits of the keys valid for the selection now. */
	unsigned (*keys)(struct screen *s, const struct view *v);
	/*
	 * True while the screen edits text (a filter): every key goes to it,
	 * even q and ?, and the bar shows the editing keys.  NULL: never.
	 */
	bool (*grabs_keys)(struct screen *s);
	void (*free)(struct screen *s);
};

/* The plant at a glance: lines and devices as a grid, batch, alarms, links. */
struct screen *screen_overview_new(void);
/* The device table: devices with their points, live values. */
struct screen *screen_devices_new(const struct model *m);
/* Select device d of the table's model (its row; the filter is cleared
   when it hides it). */
void screen_devices_select(struct screen *s, const struct model *m,
    size_t d);
/* The audit trail: recent events, a filter, an event's signatures. */
struct screen *screen_audit_new(void);
/* The inference link: the latest spectrum, the outputs' trends. */
struct screen *screen_trends_new(void);
/* The alarm list: filter, acknowledge (signed). */
struct screen *screen_alarms_new(void);
/* The batch: progress, key points, recent batches; its commands (signed). */
struct screen *screen_batch_new(void);

#endif

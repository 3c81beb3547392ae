/*
 * dialog.h: modal dialogs drawn over the current screen.
 *
 * A dialog is a little state (which one, which button has the focus, what
 * it is about) with a draw/key pair, like a screen.  It never blocks: the
 * app keeps polling and redrawing the live table behind it, and routes keys
 * to the dialog while one is open.
 *
 * The dialogs about a device or a point remember the configuration
 * generation they were opened under, and copy the ids and texts they show:
 * indices only mean something in that model, so the app closes them when a
 * reload swaps it, and the command they lead to carries that generation.
 *
 *	kind            keys                    result
 *	QUIT,           y, n, Esc, Enter,       YES: the app quits, or asks for
 *	WRITE_CONFIRM   Left/Right/Tab          the signatures of the write
 *	                                        (dialog_sign.h)
 *	HELP            any key                 NO
 *	PLAN            Up/Down/PgUp/PgDn/      NO on Esc, Enter, q
 *	                Home/End scroll
 *	WRITE_INPUT     digits . - + e E,       Enter with a valid number turns
 *	                Backspace, Enter, Esc   it into WRITE_CONFIRM (OPEN);
 *	                                        an invalid one stays open with
 *	                                        the reason; Esc: NO
 *	RECIPE          Up/Down, k/j, Home/End  YES on Enter: the app asks for
 *	                choose, Enter, Esc, q   the signatures of a batch start
 *	                                        of the recipe chosen; NO on
 *	                                        Esc, q
 *	APPLY           Up/Down/PgUp/PgDn/      YES on Enter when the config
 *	                Home/End scroll,        dir can be applied and still
 *	                Enter, Esc, q           is what is shown (the app then
 *	                                        asks for the signatures of
 *	                                        ACT_CONFIG_APPLY); otherwise
 *	                                        Enter says why and stays OPEN;
 *	                                        NO on Esc, q (nothing audited:
 *	                                        no signature was asked for)
 *
 * APPLY shows the snapshot's config_review (state.h) as it was when R was
 * pressed: the difference of the config dir from the version in use, one
 * entry a line, or every error of an invalid config dir.  It holds a
 * reference to that review until it closes (dialog_dismiss); the app says
 * when the engine has published another one meanwhile (apply_stale).
 */
#ifndef JOPE_UI_DIALOG_H
#define JOPE_UI_DIALOG_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/model.h"
#include "core/state.h"
#include "ui/layout.h"
#include "ui/pointval.h"

/* As large as device_state.plan. */
#define DIALOG_PLAN_MAX sizeof(((struct device_state *)0)->plan)

enum dialog_kind {
	DIALOG_NONE,
	DIALOG_QUIT,            /* confirm quitting: collection stops */
	DIALOG_HELP,            /* the key bindings */
	DIALOG_PLAN,            /* a device's read plan, scrollable */
	DIALOG_WRITE_INPUT,     /* enter a setpoint */
	DIALOG_WRITE_CONFIRM,   /* confirm writing it */
	DIALOG_APPLY,           /* the config dir's difference, or its errors */
	DIALOG_RECIPE           /* the recipe of a batch start */
};

enum dialog_result {
	DIALOG_OPEN,            /* still open */
	DIALOG_YES,             /* confirmed; the dialog is closed */
	DIALOG_NO               /* cancelled or dismissed; closed */
};

struct dialog {
	enum dialog_kind kind;
	int focus;              /* 0: Yes, 1: No */
	/* What a device or point dialog is about (see above). */
	unsigned config_gen;
	size_t device, point;
	char device_id[MODEL_ID_MAX], point_id[MODEL_ID_MAX];
	char unit[MODEL_UNIT_MAX];
	char plan[DIALOG_PLAN_MAX];     /* DIALOG_PLAN: the plan when opened */
	int scroll;             /* DIALOG_PLAN: first line shown */
	int page, nlines;       /* DIALOG_PLAN: lines shown and wrapped lines
	                           at the last draw */
	struct pointval_field field;    /* DIALOG_WRITE_INPUT */
	enum pointval_error error;      /* of the last Enter; OK: none */
	double value;           /* DIALOG_WRITE_CONFIRM: what is written */
	bool help_audit;        /* DIALOG_HELP: the audit screen's keys */
	bool help_trends;       /* DIALOG_HELP: the trends screen's keys */
	bool help_alarms;       /* DIALOG_HELP: the alarm list's keys */
	bool help_batch;        /* DIALOG_HELP: the batch screen's keys */
	bool help_overview;     /* DIALOG_HELP: the overview's keys */
	size_t recipe;          /* DIALOG_RECIPE: the one chosen (an index
	                           into model.recipes of config_gen) */
	bool help_apply;        /* DIALOG_HELP: R applies the config dir */
	/* DIALOG_APPLY: what is shown (a reference) and what signing needs
	   of it, copied so that it outlives the reference. */
	const struct config_review *review;
	bool apply_stale;       /* the engine published another review */
	bool apply_valid;
	char apply_token[CONFIG_REVIEW_TOKEN_MAX];
	char apply_dir[512];
	int apply_old, apply_new, apply_need;
	size_t apply_n;
	char apply_first[512];  /* the difference when it is one line */
	char apply_error[256];  /* why Enter did nothing, "" none */
};

void dialog_open(struct dialog *d, enum dialog_kind kind);
/* Close whatever is open (and let go of a review). */
void dialog_dismiss(struct dialog *d);
/*
 * Help with the keys of the device table, or of the audit screen; apply:
 * R applies the config dir (else it reloads the version in use).  The app
 * sets help_trends, help_alarms, help_batch or help_overview after it for
 * those screens' keys.
 */
void dialog_open_help(struct dialog *d, bool audit, bool apply);
/* The snapshot's config review (not NULL), as R shows it. */
void dialog_open_apply(struct dialog *d, const struct snapshot *snap);
/* The dialogs about one device or point of snap's model. */
void dialog_open_plan(struct dialog *d, const struct snapshot *snap,
    size_t device);
void dialog_open_write(struct dialog *d, const struct snapshot *snap,
    size_t point);
/* The recipe of a batch start, starting on recipe (of snap's model). */
void dialog_open_recipe(struct dialog *d, const struct snapshot *snap,
    size_t recipe);
/* True for the kinds bound to a model generation (all but quit, help). */
bool dialog_bound(const struct dialog *d);
/* True when the plan or the review has more lines than the box shows. */
bool dialog_scrolls(const struct dialog *d);

/*
 * Draw centred in screen (the whole terminal); snap gives the live values
 * (the current value of the point being written).
 */
void dialog_draw(struct dialog *d, WINDOW *win, const struct rect *screen,
    const struct snapshot *snap);
enum dialog_result dialog_key(struct dialog *d, int key);

/*
 * A blank framed box of inner size ih x iw centred in screen, with title
 * on its top edge: the style of every dialog.  Returns its rectangle (cut
 * to the screen).
 */
struct rect dialog_box(WINDOW *win, const struct rect *screen, int ih, int iw,
    const char *title);

#endif

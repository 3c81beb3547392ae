/*
 * batch_view.h: the batch as the console shows it.
 *
 * The engine's batch manager (src/engine_batch.h) publishes this with every
 * state snapshot: the batch in progress (if any) with its progress as of
 * publishing, the commands its state allows now, whether a new start would
 * be refused (a maintenance window), the id proposed for the next start,
 * and the recent batches.  Plain values, copied with the snapshot; the UI
 * only reads it (the recipe's key points it looks up in the snapshot's
 * model.recipes[recipe] and their values in snapshot.points).
 */
#ifndef JOPE_BATCH_VIEW_H
#define JOPE_BATCH_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plant/batch.h"

#define BATCH_RECENT_MAX 8
#define BATCH_REFUSAL_TEXT_MAX 256

/* One batch as lists show it. */
struct batch_brief {
	char id[BATCH_ID_MAX];
	char recipe_id[BATCH_RECIPE_ID_MAX];
	char recipe_name[BATCH_RECIPE_NAME_MAX];
	char recipe_version[BATCH_RECIPE_VERSION_MAX];
	enum batch_state state;
	char started_by[BATCH_USER_MAX];
	int64_t started_us, ended_us;   /* real time, µs; 0 not (yet) */
	uint64_t samples, errors, alarms;
};

struct batch_view {
	bool has_current;               /* running, held or stopping */
	struct batch_brief current;     /* has_current */
	long recipe;                    /* current's recipe in the snapshot's
	                                   model.recipes, -1 not there */
	struct batch_progress progress; /* current, as of publishing */
	int64_t stop_run;               /* stopping: the run that ends it */
	unsigned holds;                 /* times held */
	/* The commands allowed now, BATCH_EV_BIT()s: of the current batch,
	   or START when none runs (also while a maintenance window refuses
	   it: start_refusal says so, and the engine refuses it again). */
	unsigned allowed;
	char start_refusal[BATCH_REFUSAL_TEXT_MAX];     /* translated; ""
	                                                   start allowed */
	char next_id[BATCH_ID_MAX];     /* proposed for the next start */
	size_t nrecent;
	struct batch_brief recent[BATCH_RECENT_MAX];    /* newest first,
	                                                   current included */
};

#endif

/*
 * engine_batch.h: the engine's batch manager.
 *
 * Around the pure state machine (plant/batch.h) it keeps the one batch in
 * progress and does what the machine leaves to its caller:
 *
 * - tags samples: executor threads ask engine_batch_tag for the id to
 *   store with each sample, spectrum and prediction, and count what they
 *   stored (engine_batch_count);
 * - checks a console command before it is signed (engine_batch_check: a
 *   refusal, e.g. a maintenance window, costs no signature), and applies
 *   it once its signatures are in the audit trail (engine_batch_apply);
 * - lets time pass (engine_batch_tick): a stopping batch completes at the
 *   end of its run;
 * - keeps the record: in the spool (spool_batch_put) at every transition
 *   and every ENGINE_BATCH_SAVE_MS while active, and in the audit trail as
 *   a batch_record event at every transition (the historian folds those
 *   into its batches table); every transition that is not a signed
 *   command (the completion) is an audit event of its own;
 * - brings a batch in progress back after a restart (engine_batch_new);
 * - publishes the console's view (core/batch_view.h).
 *
 * Everything but engine_batch_tag and the counters runs on the engine's
 * housekeeping thread.
 */
#ifndef JOPE_ENGINE_BATCH_H
#define JOPE_ENGINE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compliance/console_key.h"
#include "config/model.h"
#include "core/cmdq.h"
#include "core/state.h"
#include "plant/batch.h"
#include "plant/maintenance.h"
#include "store/spool.h"

#define ENGINE_BATCH_SAVE_MS 10000

struct engine_batch;

/*
 * The manager for this spool; a batch that was in progress when the
 * console last stopped goes on (its times rebased on real time, so runs
 * ended while it was down are counted).  console names this console in
 * the records and the proposed ids.
 */
struct engine_batch *engine_batch_new(struct spool *sp,
    const struct console_key *key, const char *console);
void engine_batch_free(struct engine_batch *eb);

/* Executor threads: the batch id samples get now, false when none. */
bool engine_batch_tag(struct engine_batch *eb, char id[BATCH_ID_MAX]);
/* Executor threads: stored samples and errors, for the record. */
void engine_batch_count(struct engine_batch *eb, uint64_t samples,
    uint64_t errors);
void engine_batch_count_alarms(struct engine_batch *eb, uint64_t n);

/*
 * Would CMD_BATCH c be carried out now (state, batch id, recipe of m,
 * maintenance windows of maint at now)?  true, or false with the
 * translated reason in why.
 */
bool engine_batch_check(struct engine_batch *eb, const struct model *m,
    const struct maint_set *maint, const struct command *c, char *why,
    size_t whylen);

/*
 * The signed action of CMD_BATCH c, as compact JSON (malloc'ed; NULL when
 * its recipe is not in m):
 *   {"action":"batch_start","batch":"...","recipe":"...",
 *    "recipe_version":"..."}  or  {"action":"batch_hold","batch":"..."}
 */
char *engine_batch_action(const struct model *m, const struct command *c);

/*
 * Carry out CMD_BATCH c, whose signatures are audit event audit_seq.
 * The outcome goes to the operator through st's command result.
 */
void engine_batch_apply(struct engine_batch *eb, const struct model *m,
    const struct maint_set *maint, const struct command *c,
    int64_t audit_seq, struct state *st);

/* Every housekeeping round: runs that ended, saving, and the view. */
void engine_batch_tick(struct engine_batch *eb, const struct model *m,
    const struct maint_set *maint, struct state *st);

/* The approval action of a batch event (ACT_BATCH_START...). */
int engine_batch_approval(int batch_event);

#endif

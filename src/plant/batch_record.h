/*
 * batch_record.h: a batch's record as JSON.
 *
 * The same object is stored in the spool (spool_batch_put), carried to
 * the historian in the audit trail's batch_record events (folded there
 * into the batches table), read back when a console restarts with a batch
 * in progress, and printed by `jope-smb batch report`:
 *
 *   {"id":"B20261121-01",
 *    "recipe":{"id":"racemate-sep","name":"Racemate separation",
 *              "version":"3","run_ms":120000,"expected_ms":3600000},
 *    "state":"running", "started_by":"olga", "console":"ipc-1",
 *    "started":"2026-11-21T13:00:00Z", "started_us":1795...,
 *    "ended":null, "ended_us":0,
 *    "held_total_ms":0, "holds":0, "held_since_us":0, "run":1,
 *    "stop_run":0, "samples":120, "errors":0, "alarms":1,
 *    "transitions":[{"event":"start","from":"idle","to":"running",
 *        "time":"2026-11-21T13:00:00Z","time_us":1795...,
 *        "user":"olga","second_user":"","audit_seq":42}, ...],
 *    "transitions_dropped":0,
 *    "updated":"2026-11-21T13:00:10Z"}
 *
 * Pure: no clock, no I/O.  The monotonic times a batch runs on do not
 * survive a restart; reading a record back rebases them on the real times
 * (the plant ran on while the console was down).
 */
#ifndef JOPE_PLANT_BATCH_RECORD_H
#define JOPE_PLANT_BATCH_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "plant/batch.h"

/* The record of b as of now_us (its "updated"); console may be "". */
json_t *batch_record_to_json(const struct batch *b, const char *console,
    int64_t now_us);

/*
 * Read a record back into *b, its monotonic times rebased so that
 * now_mono_ms is now_real_us.  0, or -1 with the reason in err (and *b
 * untouched) when a field is missing or wrong.
 */
int batch_record_from_json(const json_t *j, struct batch *b,
    int64_t now_mono_ms, int64_t now_real_us, char *err, size_t errlen);

/* The state named by batch_state_name, or -1. */
int batch_state_from_name(const char *name);

#endif

/*
 * audit_log.h: appending events to the console's audit trail.
 *
 * The one way events enter the trail: the payload is serialised compactly,
 * the spool gives the next seq and the previous hash under its lock, and the
 * console key seals the event (audit.h) before it is stored.  Every command
 * that changes something that matters (users, signatures, configuration,
 * batches, alarms, the console's own start and stop) calls this.
 */
#ifndef JOPE_AUDIT_LOG_H
#define JOPE_AUDIT_LOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "compliance/console_key.h"
#include "store/spool.h"

/*
 * Append an event of kind by actor ("" for the system) with payload (a JSON
 * object; a reference is taken: pass json_pack(...) directly).  ts_us 0
 * means now.  Returns the event's seq, or -1 with err.
 */
int64_t audit_log_append(struct spool *sp, const struct console_key *key,
    const char *kind, const char *actor, json_t *payload, int64_t ts_us,
    char *err, size_t errlen);

#endif

/*
 * uploader.h: forwards the spool to the historian, exactly once.
 *
 * One thread per engine.  It connects (backing off from retry_min to
 * retry_max while the historian is away), checks that the historian's schema
 * is the one this program knows, registers the spool as a source, and then
 * moves the spool's streams to the historian in upload transactions: marked
 * in the spool, COPY'd together with the source's high-water mark in one
 * historian transaction, deleted from the spool only after COMMIT.  Collection
 * never waits for it.  Its state is published through state_set_historian.
 */
#ifndef JOPE_UPLOADER_H
#define JOPE_UPLOADER_H

#include "config/model.h"
#include "core/state.h"
#include "store/spool.h"

struct uploader;

/* What the uploader publishes so the audit trail verifies in the historian. */
struct uploader_keys {
	bool have_console_key;
	unsigned char console_pk[32];
	char keystore_path[4096];       /* "" none */
};

/*
 * Start uploading spool sp to the historian of app (app->historian_conninfo
 * must be set).  app and keys are copied; keys may be NULL.  NULL only when
 * the thread cannot start.
 */
struct uploader *uploader_start(const struct app_config *app,
    struct spool *sp, struct state *st, const struct uploader_keys *keys);
/* Wake the uploader early (new records, a command). */
void uploader_wake(struct uploader *u);
/* Stop: an upload in flight is abandoned (its records wait), then joined. */
void uploader_stop(struct uploader *u);

#endif

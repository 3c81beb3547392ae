/*
 * state.h: the engine's published state, and the UI's only view of it.
 *
 * Engine threads update device and point entries under one mutex; every
 * update bumps a version and makes the wake descriptor readable, so the UI
 * thread can wait on the terminal and this fd together.  The UI then copies a
 * consistent snapshot (state_copy) and redraws once, however many updates
 * arrived meanwhile.  Nothing here knows about curses.
 */
#ifndef JOPE_STATE_H
#define JOPE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "collect/executor.h"
#include "config/model.h"
#include "core/alarm_view.h"
#include "core/infer_view.h"
#include "core/batch_view.h"
#include "plant/maintenance.h"
#include "store/spool.h"

struct point_state {
	bool has_value;
	double value;
	int quality;            /* enum quality */
	int64_t ts_us;
};

struct device_state {
	enum device_conn_state conn;
	int64_t last_poll_us;   /* last task finished (ok or not), 0 = never */
	int64_t last_ok_us;
	uint64_t polls, errors;
	char last_error[160];   /* "" when the last poll was good; English,
	                           as stored in the records */
	int last_code;          /* its enum collect_code (0 = none) */
	int last_detail;        /* e.g. the Modbus exception code */
	char plan[512];         /* its requests, one a line (readplan.h) */
	/* The rules' timers as real time (µs), 0 when not running: rule 7's
	   HardError period of the device, rule 5's guard interval of its
	   line (published every second by the engine) */
	int64_t hard_error_until_us, guard_until_us;
};

enum link_state { LINK_NOT_CONFIGURED, LINK_UNKNOWN, LINK_UP, LINK_DEGRADED, LINK_DOWN };
const char *link_state_name(enum link_state s);

/* The historian link as the uploader sees it (historian/uploader.c). */
struct historian_status {
	enum link_state link;
	char server[128];               /* host:port/db, "" before a connect */
	char last_error[256];           /* "" none since the last success */
	int64_t last_error_us;
	int64_t connected_us;           /* since when, 0 when not connected */
	int64_t next_retry_us;          /* next connect attempt when down */
	int64_t last_upload_us;
	uint64_t uploads, uploaded_rows;        /* since start */
	uint64_t recovered_rows;        /* found committed after a lost ack */
	double rows_per_s;              /* recent upload rate */
	int64_t drain_total;            /* backlog when a drain began, 0 none */
	int64_t drain_done;             /* rows uploaded in that drain */
	int schema_version, schema_wanted;
};

/*
 * The recent audit trail as the engine read it from the spool: copies, so
 * the UI never touches the spool.  A list is immutable once published and
 * shared by every snapshot that holds it (reference counted): a snapshot
 * copy costs one pointer however long the payloads are.
 */
#define AUDIT_RECENT_MAX 200

struct audit_row {
	int64_t seq, ts_us;
	char kind[48];          /* AUDIT_KIND_MAX */
	char actor[33];         /* AUDIT_ACTOR_MAX */
	char *payload;          /* compact JSON object, owned by the list */
};

struct audit_list {
	atomic_uint refs;       /* snapshots and the state holding it */
	size_t n, cap;
	struct audit_row *rows; /* newest first */
};

struct audit_list *audit_list_new(size_t cap);
/* Append a copy of an event (rows go in the order added); false if full. */
bool audit_list_add(struct audit_list *l, int64_t seq, int64_t ts_us,
    const char *kind, const char *actor, const char *payload);
void audit_list_release(const struct audit_list *l);

/*
 * The config dir compared with the configuration version in use, for the
 * console's "Apply configuration" view (R): the housekeeping thread
 * prepares an apply of the config dir (compliance/config_change.h) every
 * few seconds when its files or the version in use changed, and publishes
 * the outcome here.  Immutable once published and shared by reference, as
 * an audit_list.  The snapshot holds none (NULL) while the config dir holds
 * the version in use.
 *
 *   valid  lines                            token
 *   -----  -------------------------------  ------------------------------
 *   true   the difference, one entry a      names this difference from
 *          line: "devices.json $.points     applied_version: the engine
 *          [3].scale: 0.1 → 0.01"           applies only if it still holds
 *   false  every error, "devices.json:      (unused)
 *          12:40: $.connectors[0].port:
 *          message"; message says why
 */
#define CONFIG_REVIEW_TOKEN_MAX 33      /* 32 hex digits and the NUL */

struct config_review {
	atomic_uint refs;
	bool valid;
	int applied_version;    /* the version in use it was compared with */
	int new_version;        /* the number an apply would give (valid) */
	int signatures;         /* what ACT_CONFIG_APPLY needs (valid) */
	char token[CONFIG_REVIEW_TOKEN_MAX];
	char dir[512];          /* the config dir (absolute when known) */
	char message[256];      /* !valid: why, translated */
	size_t n, cap;
	char **lines;           /* owned */
};

struct config_review *config_review_new(void);
/* Append a copy of line (cut to max bytes when max > 0). */
void config_review_add(struct config_review *r, const char *line,
    size_t max);
void config_review_acquire(const struct config_review *r);
void config_review_release(const struct config_review *r);

/* The last verification of the chain in the spool (engine_sign.c). */
struct audit_status {
	bool verified;          /* false: no verification has finished yet */
	bool intact;
	int64_t checked;        /* events checked in the last walk */
	int64_t user_signatures;        /* of which signed by users */
	int64_t base_seq;       /* the walk started after this seq */
	int64_t head_seq;       /* the newest event at the time */
	int64_t at_us;          /* when the walk finished */
	int64_t fault_seq;      /* first broken event, 0 none */
	char fault[256];        /* what differs there, "" none */
};

struct snapshot {
	uint64_t version;
	const struct model *model;      /* owned by the engine, immutable */
	int64_t started_us;             /* engine start, real time */
	size_t ndevices, npoints;
	struct device_state *devices;   /* [ndevices] */
	struct point_state *points;     /* [npoints] */
	int64_t spool_samples, spool_errors, spool_oldest_us;
	struct spool_counts spool;      /* all the spool's figures */
	int64_t disk_free_bytes;        /* spool's file system, -1 unknown */
	bool disk_low;                  /* below storage.min_free_mb */
	enum link_state historian, inference;
	struct historian_status hist;
	uint64_t samples_total, errors_total;
	uint64_t ticks, coalesced, missed;      /* scheduler */
	unsigned config_generation;     /* bumps on every applied reload */
	char config_status[256];        /* last reload's outcome, "" none */
	uint64_t command_seq;           /* bumps with every command outcome */
	bool command_ok;
	char command_text[192];         /* e.g. "pumps: clock set" */
	uint64_t signing_done_id;       /* last signed command whose
	                                   signatures were dealt with */
	bool signing_ok;                /* its signatures were recorded */
	const struct audit_list *audit; /* recent events; NULL none yet */
	struct audit_status audit_status;
	/* The config dir against the version in use; NULL: no difference. */
	const struct config_review *config_review;
	uint64_t reload_done_id;        /* the last CMD_RELOAD_CONFIG done,
	                                   with config_review up to date */
	struct infer_status infer;      /* the inference link (infer_view.h) */
	const struct infer_view *infer_view;    /* NULL before any spectrum */
	const struct alarm_view *alarms;        /* NULL: none shown yet */
	struct maint_banner maint;      /* the maintenance banner, if any */
	struct batch_view batch;        /* batches (batch_view.h) */
};

struct state;

struct state *state_new(const struct model *m);
void state_free(struct state *st);

/* Readable when the state changed since the last state_drain_wake. */
int state_wake_fd(struct state *st);
void state_drain_wake(struct state *st);

void state_set_device_conn(struct state *st, size_t device,
    enum device_conn_state conn, const struct collect_error *err);
void state_record_poll(struct state *st, size_t device,
    const struct point_result *r, size_t n);
void state_set_spool(struct state *st, const struct spool_counts *c,
    int64_t disk_free, bool disk_low);
void state_set_historian(struct state *st, const struct historian_status *h);
void state_set_links(struct state *st, enum link_state historian,
    enum link_state inference);

/*
 * A reloaded configuration: device and point entries start afresh for the
 * new model (the old model must stay alive while a reader may still hold a
 * snapshot of it: the engine keeps retired models until it stops).
 */
void state_swap_model(struct state *st, const struct model *m);
void state_set_device_plan(struct state *st, size_t device, const char *plan);
/* The device's HardError end and its line's guard end, real µs, 0 none. */
void state_set_device_timers(struct state *st, size_t device,
    int64_t hard_error_until_us, int64_t guard_until_us);
void state_set_scheduler(struct state *st, uint64_t ticks, uint64_t coalesced,
    uint64_t missed);
/* Outcome of an immediate command (clock, write), for the console. */
void state_set_command_result(struct state *st, bool ok, const char *text);
/*
 * Outcome of the signatures of signed command id (struct command.id): sets
 * signing_done_id and signing_ok, and the command result as above.
 */
void state_set_signing_result(struct state *st, uint64_t id, bool ok,
    const char *text);
/*
 * Publish the recent audit events (the state takes the caller's reference
 * to list; NULL keeps the current list) and the verification status.
 */
void state_set_audit(struct state *st, struct audit_list *list,
    const struct audit_status *status);
/*
 * Publish the comparison of the config dir with the version in use (the
 * state takes the caller's reference; NULL: they hold the same).
 */
void state_set_config_review(struct state *st, struct config_review *r);
/* CMD_RELOAD_CONFIG id is done, and config_review compared afresh. */
void state_set_reload_done(struct state *st, uint64_t id);
/*
 * Publish the inference link: link state and figures, and (when view is
 * not NULL) a new view, whose reference the state takes.
 */
void state_set_inference(struct state *st, enum link_state link,
    const struct infer_status *status, struct infer_view *view);
/* The maintenance banner to show (phase MAINT_NONE: none). */
void state_set_maint(struct state *st, const struct maint_banner *b);
/* The batch view (engine_batch.c publishes it every second). */
void state_set_batch(struct state *st, const struct batch_view *v);
/* Publish the alarm list (the state takes the caller's reference). */
void state_set_alarms(struct state *st, struct alarm_view *v);
/* Outcome of a reload attempt, shown by the console and status. */
void state_set_config_status(struct state *st, bool applied, const char *msg);

/*
 * Copy the current state into snap, reusing its arrays when they are large
 * enough (the audit list and the config review are shared, not copied).  Zero snap before its
 * first use; free with snapshot_free.
 */
void state_copy(struct state *st, struct snapshot *snap);
uint64_t state_version(struct state *st);
void snapshot_free(struct snapshot *snap);

/*
 * The snapshot as a JSON object (malloc'ed string), for status and the
 * spool; mode ("console", "run") and spool_path are added when not NULL.
 */
char *snapshot_to_json(const struct snapshot *snap, const char *mode,
    const char *spool_path);

#endif

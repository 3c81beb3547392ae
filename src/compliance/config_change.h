/*
 * config_change.h: taking a configuration into use, as a signed action.
 *
 * Change control of issue 5.  A configuration reaches the engine only as a
 * version of the store (config_store.h), and a version is made in one of
 * three ways:
 *
 *   how                      audit event       signatures
 *   -----------------------  ----------------  ---------------------------
 *   engine's first start     config_initial    none (the installation)
 *   jope-smb config apply    config_apply      ACT_CONFIG_APPLY (2 by
 *   jope-smb config rollback config_rollback   default: supervisor or
 *                                              admin, then qa)
 *
 * An apply or a rollback goes through the same steps, whatever asks for
 * the signatures (the command line now, a console dialog later):
 *
 *   step      function                   on failure
 *   --------  -------------------------  ---------------------------------
 *   prepare   config_change_prepare_*    invalid config (every error in
 *             validate whole, read the   errs), no difference, unknown
 *             applied version, diff,     version: nothing signed
 *             build the action
 *   sign      signing_sign per place     refused / wrong password
 *             over c->action_json        (audited by signing.c): nothing
 *                                        changed
 *   commit    config_change_commit:      another change came first:
 *             lock, check nothing        refused, nothing changed; the
 *             changed meanwhile, stage,  version not written after the
 *             signing_record, commit,    event: action_failed audited
 *             set CURRENT
 *
 * The rules that apply are those of the version in use (its "signatures"
 * and "compliance"), never those of the configuration being applied: a
 * change cannot lower the bar it is judged by.  A running engine notices
 * the new CURRENT within a second and reloads it (engine.c).
 */
#ifndef JOPE_CONFIG_CHANGE_H
#define JOPE_CONFIG_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "compliance/approval.h"
#include "compliance/config_store.h"
#include "compliance/signing.h"
#include "config/config.h"
#include "store/spool.h"

enum config_change_kind { CONFIG_CHANGE_APPLY, CONFIG_CHANGE_ROLLBACK };

struct config_change {
	enum config_change_kind kind;
	int old_version;		/* CURRENT when prepared; 0 none */
	int new_version;		/* the number the new version gets */
	int rollback_to;		/* ROLLBACK: whose contents come back */
	char *config_dir;		/* APPLY: where the files came from */
	struct config_files old_files;	/* empty when old_version is 0 */
	struct config_files new_files;
	json_t *diff;			/* config_diff.h entries */
	char *action_json;		/* what every signer signs */
	struct approval_policy policy;	/* of the version in use */
	int max_failures;
	int64_t lockout_us;
};

/* The audit event kind: "config_apply" or "config_rollback". */
const char *config_change_kind_name(enum config_change_kind k);

/*
 * Prepare applying config_dir.  -1 with err when it cannot; when the
 * configuration is invalid errs lists every error as well (errs zeroed by
 * the caller, freed with config_errors_free).  A configuration equal to the
 * one in use is prepared too: json_array_size(c->diff) is then 0 and the
 * caller refuses it.
 */
int config_change_prepare_apply(struct config_store *cs,
    const char *config_dir, struct config_change *c,
    struct config_errors *errs, char *err, size_t errlen);

/* Prepare making version's contents current again (as a new version). */
int config_change_prepare_rollback(struct config_store *cs, int version,
    struct config_change *c, struct config_errors *errs, char *err,
    size_t errlen);

/*
 * Record and take into use, with sigs[0..n) made by signing_sign over
 * c->action_json.  Returns the audit event's seq, or -1 with err and
 * nothing changed (see the table above for the one exception).
 */
int64_t config_change_commit(struct config_store *cs,
    const struct signing_env *env, struct config_change *c,
    const struct esig *sigs, size_t n, char *err, size_t errlen);

void config_change_free(struct config_change *c);

/*
 * Load version of the store as a model: its files checked against the
 * manifest, then validated whole by config_load.  -1 with err (and errs
 * when the version is not valid for this program).
 */
int config_version_load(const struct config_store *cs, int version,
    struct model **out, struct config_errors *errs, char *err,
    size_t errlen);

/*
 * Does config_dir hold something else than version?  Formatting alone
 * (the same JSON) is no difference.  1 yes, 0 no, -1 with err when the
 * version cannot be read; a config dir that cannot be read or parsed
 * differs.
 */
int config_dir_differs(const struct config_store *cs, int version,
    const char *config_dir, char *err, size_t errlen);

/*
 * The engine's start.  begin finds the version in use and the directory to
 * load it from (b->dir); with no version yet, it takes the store's lock and
 * stages config_dir as the first one (b->initial).  The caller loads
 * b->dir, opens the spool, then calls finish, which records config_initial
 * (the file hashes; operator is who started the engine) and makes the
 * staged version current.  end releases everything (a stage never
 * finished is discarded).
 */
struct config_boot {
	struct config_store *cs;
	int version;
	bool initial;
	char *dir;
	char *stage;
	char *config_dir;
	struct config_files files;
};

int config_boot_begin(struct config_store *cs, const char *config_dir,
    struct config_boot *b, char *err, size_t errlen);
int config_boot_finish(struct config_boot *b, struct spool *sp,
    const struct console_key *key, const char *operator_name, char *err,
    size_t errlen);
void config_boot_end(struct config_boot *b);

#endif

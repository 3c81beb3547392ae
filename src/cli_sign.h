/*
 * cli_sign.h: the signatures of a signed command-line action, asked for in
 * order from the terminal or, one line each, from standard input
 * (`config apply`, `config rollback`, `restore`).
 *
 * For each place the policy of env has for action a (one or two), four
 * answers (term_password.h: the password without echo at a terminal):
 *
 *   1. user name
 *   2. password
 *   3. meaning: performed, reviewed, approved or verified (empty: approved)
 *   4. reason (not empty)
 *
 * Each signature is made (signing_sign: policy, then the password, each
 * failure audited in env's trail) as soon as its answers are in; the first
 * refusal ends the collection.  Input that ends early is audited as
 * signature_cancelled.  Messages go to standard error and end in "nothing
 * was changed": the caller changes nothing when this fails.
 */
#ifndef JOPE_CLI_SIGN_H
#define JOPE_CLI_SIGN_H

#include <stddef.h>

#include "compliance/approval.h"
#include "compliance/esign.h"
#include "compliance/signing.h"

/*
 * Every signature action_json needs under env->policy, first signer first,
 * into sigs[0..*n).  no_reason is the (translated) message printed when a
 * reason is left empty.  0, or -1 after printing why.
 */
int cli_sign_collect(const struct signing_env *env, enum approval_action a,
    const char *action_json, const char *no_reason, struct esig sigs[2],
    size_t *n);

/*
 * The same for an action that names its first signer (a maintenance
 * window's announcer): once the first user name is in, make(ctx, name)
 * returns the action (malloc'ed JSON) every signature is made over, or
 * NULL after printing why (nothing signed).  *action_json (malloc'ed) is
 * the action before that, audited if the input ends early, and is
 * replaced: the caller frees it, and on success it is what was signed.
 */
typedef char *(*cli_sign_action_fn)(void *ctx, const char *first_user);
int cli_sign_collect_named(const struct signing_env *env,
    enum approval_action a, cli_sign_action_fn make, void *ctx,
    const char *no_reason, struct esig sigs[2], size_t *n,
    char **action_json);

#endif

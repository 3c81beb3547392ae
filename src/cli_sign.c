/*
 * cli_sign.c: asking for the signatures of a command-line action
 * (cli_sign.h).
 *
 * Factored out of cmd_config.c so that every signed command asks the same
 * questions in the same order, and a script that feeds `config apply`
 * feeds `restore` the same way (doc/change-control.md, doc/backup.md).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_sign.h"
#include "compliance/keystore.h"
#include "core/i18n.h"
#include "core/util.h"
#include "term_password.h"

static void
roles_text(unsigned bits, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int r = KS_ROLE_OPERATOR; r <= KS_ROLE_ADMIN; r++) {
		if (!(bits & APPROVAL_ROLE_BIT(r)))
			continue;
		if (buf[0] != '\0')
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, ks_role_name((enum ks_role)r),
		    len - strlen(buf) - 1);
	}
}

/* The four answers of signer index; -1 after saying why. */
static int
ask_signer(const struct signing_env *env, enum approval_action a,
    const char *action_json, const char *no_reason, int index, int count,
    char *name, size_t namelen, char **password, enum esig_meaning *meaning,
    char *reason, size_t reasonlen)
{
	const struct approval_rule *r = &env->policy->rule[a];
	char roles[128], prompt[256], line[64], err[512];

	*password = NULL;
	name[0] = '\0';
	roles_text(index == 0 ? r->roles_first : r->roles_second, roles,
	    sizeof roles);
	printf(_("Signature %d of %d (%s):\n"), index + 1, count, roles);
	fflush(stdout);
	if (term_line_read(_("User name: "), name, namelen, err,
	    sizeof err) != 0)
		goto cancelled;
	snprintf(prompt, sizeof prompt, _("Password of %s: "), name);
	if ((*password = term_password_read(prompt, err, sizeof err)) == NULL)
		goto cancelled;
	if (term_line_read(_("Meaning (performed, reviewed, approved, "
	    "verified) [approved]: "), line, sizeof line, err,
	    sizeof err) != 0)
		goto cancelled;
	if (line[0] == '\0')
		*meaning = ESIG_APPROVED;
	else if (esig_meaning_parse(line, meaning) != 0) {
		fprintf(stderr, _("jope-smb: \"%s\" is not a meaning: use "
		    "performed, reviewed, approved or verified; nothing was "
		    "changed\n"), line);
		return -1;
	}
	if (term_line_read(_("Reason: "), reason, reasonlen, err,
	    sizeof err) != 0)
		goto cancelled;
	if (reason[0] == '\0') {
		fputs(no_reason, stderr);
		return -1;
	}
	return 0;
cancelled:
	signing_cancelled(env, a, name, action_json);
	fprintf(stderr, _("jope-smb: no signature: %s; nothing was changed\n"),
	    err);
	return -1;
}

int
cli_sign_collect_named(const struct signing_env *env, enum approval_action a,
    cli_sign_action_fn make, void *ctx, const char *no_reason,
    struct esig sigs[2], size_t *n, char **action_json)
{
	int count = env->policy->rule[a].signatures;

	*n = 0;
	for (int i = 0; i < count && i < 2; i++) {
		char name[TERM_LINE_MAX + 1], reason[TERM_LINE_MAX + 1];
		char msg[512], shown[1024];
		enum esig_meaning meaning = ESIG_APPROVED;
		char *password;
		int rc;

		if (ask_signer(env, a, *action_json, no_reason, i, count, name,
		    sizeof name, &password, &meaning, reason,
		    sizeof reason) != 0) {
			term_password_free(password);
			return -1;
		}
		if (i == 0 && make != NULL) {
			/* The action names its first signer: made now. */
			char *named = make(ctx, name);

			if (named == NULL) {
				term_password_free(password);
				return -1;
			}
			free(*action_json);
			*action_json = named;
		}
		if (strlen(reason) >= sizeof sigs[i].reason) {
			term_password_free(password);
			fprintf(stderr, _("jope-smb: the reason is longer than "
			    "%zu bytes; nothing was changed\n"),
			    sizeof sigs[i].reason - 1);
			return -1;
		}
		rc = signing_sign(env, a, i, i > 0 ? &sigs[0] : NULL,
		    *action_json, name, password, meaning, reason, &sigs[i],
		    msg, sizeof msg);
		term_password_free(password);
		if (rc != 0) {
			fprintf(stderr, _("jope-smb: signature %d refused: %s; "
			    "nothing was changed\n"), i + 1, msg);
			return -1;
		}
		esig_manifestation(&sigs[i], shown, sizeof shown);
		printf(_("Signed: %s\n"), shown);
		fflush(stdout);
		(*n)++;
	}
	return 0;
}

int
cli_sign_collect(const struct signing_env *env, enum approval_action a,
    const char *action_json, const char *no_reason, struct esig sigs[2],
    size_t *n)
{
	char *action = xstrdup(action_json);
	int rc = cli_sign_collect_named(env, a, NULL, NULL, no_reason, sigs, n,
	    &action);

	free(action);
	return rc;
}

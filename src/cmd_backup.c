/*
 * cmd_backup.c: `jope-smb backup --out FILE` and `jope-smb restore --in
 * FILE [--state-dir DIR]`, the console's state in one archive and back
 * (doc/backup.md; the container is compliance/archive.h).
 *
 * What a backup holds: the spool (a consistent copy made by VACUUM INTO on
 * a read-only connection, so a running console goes on writing), the
 * keystore, the console key, every configuration version with CURRENT,
 * and program.version; not the log, the lock files, nor anything half
 * written.  The keystore and the configuration versions are read and the
 * spool copied while holding the configuration store's and the keystore's
 * locks (in the order config_change_commit takes them), so a user or a
 * configuration change is in the archive together with its audit event or
 * not at all.  Nobody is at a prompt while they are held.
 *
 * Encryption is under a passphrase (Argon2id, MODERATE; JOPE_SMB_KDF
 * changes the level), not under the console key: the archive is for the
 * day the machine is gone, and its console key with it.  The console key
 * signs the archive, and its public key is in the header: the signature
 * says which console made it.  Making a backup is an audit event
 * ("backup": the file, its size, its SHA-256 and the manifest) in the
 * console's own trail; a backup that cannot be recorded is removed.
 *
 * A restore, step by step; any refusal ends it with DIR as it was (exit 1):
 *
 *   step        what                                   refused when
 *   ----------  -------------------------------------  ------------------
 *   lock        flock of DIR's parent (one restore at  another restore;
 *               a time) and of DIR/engine.lock when    an engine runs on
 *               it exists (no engine may start)        DIR
 *   verify      archive_open: the signature, with the  damaged, altered,
 *               header's key; compared with DIR's      not an archive
 *               console.key when there is one (warns)
 *   unlock      passphrase, manifest                   wrong passphrase
 *   check       archive_extract(NULL): every file      damaged
 *               decrypted and hashed, nothing written
 *   stage       archive_extract into DIR.restore-tmp   I/O
 *   sign        ACT_RESTORE's signatures (default 2:   refused, wrong
 *               admin, then qa), against the staged    password, input
 *               keystore (the archive's: on a new      ended
 *               machine there is no other), under the
 *               archive's configuration's policy
 *   record      signing_record: a "restore" event in   trail error
 *               the staged spool, sealed by the staged
 *               console key (the chain goes on)
 *   swap        DIR -> DIR.before-restore-TIME (never  I/O (DIR put
 *               deleted here), DIR.restore-tmp -> DIR  back)
 *
 * The "restore" event is appended to the staged spool before the swap
 * rather than to the restored one after it: the same file, and the swap
 * then either brings the state with its restore event or changes nothing.
 * Failed signature attempts are audited in the staged trail too: after a
 * refusal it is discarded with everything else (the archive's trail is not
 * this machine's until the restore is done), and what remains is the
 * message on standard error.
 *
 * Answers (term_password.h: from the terminal, passwords without echo; one
 * line each from standard input when it is not a terminal):
 *
 *   backup    1. passphrase  2. the same again
 *   restore   1. passphrase  2-5. signer 1: user, password, meaning,
 *             reason (cli_sign.h)  6-9. signer 2, another person
 *
 * Exit status: 0 done; 1 refused or failed, nothing changed (backup: no
 * FILE; restore: DIR as it was); 2 usage.
 */
#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "cli_sign.h"
#include "commands.h"
#include "compliance/approval.h"
#include "compliance/archive.h"
#include "compliance/audit_log.h"
#include "compliance/config_change.h"
#include "compliance/config_store.h"
#include "compliance/console_key.h"
#include "compliance/esign.h"
#include "compliance/signing.h"
#include "config/config.h"
#include "core/i18n.h"
#include "core/util.h"
#include "engine.h"
#include "store/spool.h"
#include "term_password.h"

#define MIN_PASSPHRASE	12		/* characters */
#define MAX_SMALL_FILE	(64L * 1024 * 1024)
#define TMP_SUFFIX	".restore-tmp"
#define ASIDE_SUFFIX	".before-restore-"

/* --- helpers ----------------------------------------------------------- */

static void
errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("jope-smb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *
join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* An absolute path for path (not resolving links); malloc'ed. */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return xstrdup(path);
	return join(cwd, path);
}

/* The whole of a small file, NUL-terminated; NULL with errno. */
static char *
read_small(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_SMALL_FILE) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Free what may hold a secret. */
static void
free_secret(char *p, size_t len)
{
	if (p != NULL)
		sodium_memzero(p, len);
	free(p);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* rm -r of a directory this command made; quiet. */
static void
remove_tree(const char *path)
{
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The Argon2id level of the passphrase key: $JOPE_SMB_KDF or moderate. */
static int
backup_kdf(enum ks_kdf *out)
{
	const char *v = getenv("JOPE_SMB_KDF");

	*out = KS_KDF_MODERATE;
	if (v == NULL || *v == '\0' || strcmp(v, "moderate") == 0)
		return 0;
	if (strcmp(v, "interactive") == 0)
		*out = KS_KDF_INTERACTIVE;
	else if (strcmp(v, "sensitive") == 0)
		*out = KS_KDF_SENSITIVE;
	else {
		fprintf(stderr, _("jope-smb: JOPE_SMB_KDF: expected interactive, "
		    "moderate or sensitive, got '%s'\n"), v);
		return -1;
	}
	return 0;
}

/* --- backup --------------------------------------------------------------- */

/* What goes into the archive; strings and buffers owned here. */
struct backup_set {
	struct archive_file *files;
	size_t n, cap;
	char **owned;			/* strings to free */
	size_t nowned, capowned;
	char *keystore, *console_key, *current, *version;
	size_t keystore_len, console_key_len, current_len, version_len;
	char *spool_copy;		/* the VACUUM INTO file */
};

static const char *
own(struct backup_set *b, char *s)
{
	if (b->nowned == b->capowned) {
		b->capowned = b->capowned ? b->capowned * 2 : 32;
		b->owned = xrealloc(b->owned, b->capowned * sizeof *b->owned);
	}
	b->owned[b->nowned++] = s;
	return s;
}

static void
add_file(struct backup_set *b, const char *name, const char *path,
    const void *data, size_t len, unsigned mode)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->files = xrealloc(b->files, b->cap * sizeof *b->files);
	}
	b->files[b->n++] = (struct archive_file){ .name = name, .path = path,
	    .data = data, .len = len, .mode = mode };
}

static void
backup_set_free(struct backup_set *b)
{
	if (b->spool_copy != NULL) {
		(void)unlink(b->spool_copy);
		free(b->spool_copy);
	}
	free_secret(b->keystore, b->keystore_len);
	free_secret(b->console_key, b->console_key_len);
	free(b->current);
	free(b->version);
	for (size_t i = 0; i < b->nowned; i++)
		free(b->owned[i]);
	free(b->owned);
	free(b->files);
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that keep(name) accepts, sorted; NULL with errno. */
static char **
list_dir(const char *dir, bool (*keep)(const char *), size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		if (!keep(e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (v == NULL)
		v = xcalloc(1, sizeof *v);
	qsort(v, *n, sizeof *v, cmp_name);
	return v;
}

static bool
is_version_dir(const char *name)
{
	return all_digits(name);
}

static bool
is_plain_name(const char *name)
{
	return name[0] != '.' && archive_name_ok(name);
}

/*
 * Every version directory (its files are never modified: read at archive
 * time from their paths) and CURRENT (replaced by rename: read now).
 */
static int
add_config_versions(struct backup_set *b, const char *state_dir)
{
	char *store = join(state_dir, CONFIG_STORE_DIR), *cur = NULL;
	char **versions;
	size_t nv;
	int rc = 0;

	if (access(store, F_OK) != 0) {
		free(store);
		return 0;
	}
	if ((versions = list_dir(store, is_version_dir, &nv)) == NULL) {
		errorf(_("cannot read %s: %s"), store, strerror(errno));
		free(store);
		return -1;
	}
	for (size_t i = 0; i < nv && rc == 0; i++) {
		char *vdir = join(store, versions[i]), **files;
		size_t nf = 0;

		if ((files = list_dir(vdir, is_plain_name, &nf)) == NULL) {
			errorf(_("cannot read %s: %s"), vdir, strerror(errno));
			rc = -1;
		}
		for (size_t j = 0; j < nf; j++) {
			size_t len = strlen(CONFIG_STORE_DIR) +
			    strlen(versions[i]) + strlen(files[j]) + 3;
			char *name = xmalloc(len);

			snprintf(name, len, "%s/%s/%s", CONFIG_STORE_DIR,
			    versions[i], files[j]);
			add_file(b, own(b, name), own(b, join(vdir, files[j])),
			    NULL, 0, 0400);
			free(files[j]);
		}
		free(files);
		free(vdir);
	}
	for (size_t i = 0; i < nv; i++)
		free(versions[i]);
	free(versions);
	if (rc == 0) {
		cur = join(store, "CURRENT");
		if ((b->current = read_small(cur, &b->current_len)) != NULL)
			add_file(b, CONFIG_STORE_DIR "/CURRENT", NULL,
			    b->current, b->current_len, 0600);
		else if (errno != ENOENT) {
			errorf(_("cannot read %s: %s"), cur, strerror(errno));
			rc = -1;
		}
	}
	free(cur);
	free(store);
	return rc;
}

/* A consistent copy of the spool at copy, from a read-only connection. */
static int
copy_spool(const char *spool, const char *copy)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int fd, rc;

	/* VACUUM INTO wants a new or empty file: make it, private. */
	(void)unlink(copy);
	if ((fd = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		errorf(_("cannot create %s: %s"), copy, strerror(errno));
		return -1;
	}
	close(fd);
	rc = sqlite3_open_v2(spool, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, 30000);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, copy, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc != SQLITE_OK)
		errorf(_("cannot copy the spool %s: %s"), spool,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (rc == SQLITE_OK && (chmod(copy, 0600) != 0 ||
	    fsync_path(copy, O_RDONLY) != 0)) {
		errorf(_("cannot sync %s: %s"), copy, strerror(errno));
		return -1;
	}
	return rc == SQLITE_OK ? 0 : -1;
}

/* spool_id, the audit head and the samples waiting, from the copy. */
static json_t *
spool_facts(const char *copy)
{
	static const char *const sql =
	    "SELECT (SELECT value FROM spool_meta WHERE key = 'spool_id'),"
	    " (SELECT value FROM spool_meta WHERE key = 'audit_head_seq'),"
	    " (SELECT count(*) FROM samples)";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	json_t *facts = json_object();

	if (sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(st, 0);

		if (id != NULL)
			json_object_set_new(facts, "spool_id",
			    json_string((const char *)id));
		json_object_set_new(facts, "audit_head_seq", json_integer(
		    sqlite3_column_int64(st, 1)));
		json_object_set_new(facts, "samples", json_integer(
		    sqlite3_column_int64(st, 2)));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return facts;
}

/* The spool's name inside the state dir; NULL after saying why. */
static const char *
spool_name(const char *state_dir, const char *spool)
{
	size_t n = strlen(state_dir);

	while (n > 1 && state_dir[n - 1] == '/')
		n--;
	if (spool[0] != '/')
		return spool;
	if (strncmp(spool, state_dir, n) == 0 && spool[n] == '/' &&
	    archive_name_ok(spool + n + 1))
		return spool + n + 1;
	errorf(_("the spool %s is outside the state dir %s: a backup holds "
	    "only the state dir; nothing was written"), spool, state_dir);
	return NULL;
}

static int
flock_file(const char *path, int *fd)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX) != 0) {
		errorf(_("cannot lock %s: %s"), path, strerror(errno));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

/*
 * Everything but the spool's bytes into b, and the spool copied, under the
 * configuration store's and the keystore's locks.
 */
static int
collect_state(struct backup_set *b, const char *state_dir,
    const char *spool_path, const char *spool_rel)
{
	struct config_store *cs = NULL;
	char err[1024], *path;
	int ks_fd = -1, rc = -1;

	if ((cs = config_store_open(state_dir, err, sizeof err)) == NULL ||
	    config_store_lock(cs, err, sizeof err) != 0) {
		errorf("%s", err);
		config_store_close(cs);
		return -1;
	}
	path = join(state_dir, "keystore.lock");
	if (flock_file(path, &ks_fd) != 0)
		goto out;
	free(path);

	path = join(state_dir, "console.key");
	if ((b->console_key = read_small(path, &b->console_key_len)) == NULL) {
		errorf(_("cannot read %s: %s"), path, strerror(errno));
		goto out;
	}
	add_file(b, "console.key", NULL, b->console_key, b->console_key_len,
	    0600);
	free(path);
	path = join(state_dir, "keystore.json");
	if ((b->keystore = read_small(path, &b->keystore_len)) != NULL)
		add_file(b, "keystore.json", NULL, b->keystore,
		    b->keystore_len, 0600);
	else if (errno != ENOENT) {
		errorf(_("cannot read %s: %s"), path, strerror(errno));
		goto out;
	}
	free(path);
	path = join(state_dir, "program.version");
	if ((b->version = read_small(path, &b->version_len)) != NULL)
		add_file(b, "program.version", NULL, b->version,
		    b->version_len, 0600);
	free(path);
	path = NULL;
	if (add_config_versions(b, state_dir) != 0)
		goto out;

	/* Next to the spool: the same protection, the same file system. */
	{
		size_t n = strlen(spool_path) + 40;

		b->spool_copy = xmalloc(n);
		snprintf(b->spool_copy, n, "%s.backup-%ld", spool_path,
		    (long)getpid());
	}
	if (copy_spool(spool_path, b->spool_copy) != 0)
		goto out;
	add_file(b, spool_rel, b->spool_copy, NULL, 0, 0600);
	rc = 0;
out:
	free(path);
	if (ks_fd >= 0)
		close(ks_fd);
	config_store_unlock(cs);
	config_store_close(cs);
	return rc;
}

static char *
read_passphrase_twice(void)
{
	char err[512], *a, *b;
	int same;

	if ((a = term_password_read(_("Passphrase for the backup: "), err,
	    sizeof err)) == NULL) {
		errorf(_("no passphrase: %s; nothing was written"), err);
		return NULL;
	}
	if ((b = term_password_read(_("The same passphrase again: "), err,
	    sizeof err)) == NULL) {
		errorf(_("no passphrase: %s; nothing was written"), err);
		term_password_free(a);
		return NULL;
	}
	same = strcmp(a, b) == 0;
	term_password_free(b);
	if (!same) {
		errorf(_("the two passphrases differ; nothing was written"));
		term_password_free(a);
		return NULL;
	}
	if (utf8_count(a) < MIN_PASSPHRASE) {
		errorf(_("a backup passphrase needs at least %d characters; "
		    "nothing was written"), MIN_PASSPHRASE);
		term_password_free(a);
		return NULL;
	}
	return a;
}

/* The backup in the console's trail; -1 after saying why. */
static int64_t
record_backup(const char *spool_path, const struct console_key *key,
    const char *file, const struct archive_info *info, json_t *manifest)
{
	struct spool *sp = NULL;
	char err[1024];
	int64_t seq;

	if (spool_open(spool_path, &sp, err, sizeof err) != 0) {
		errorf("%s", err);
		return -1;
	}
	seq = audit_log_append(sp, key, "backup", "", json_pack(
	    "{s:s,s:I,s:s,s:O,s:s}", "file", file, "size",
	    (json_int_t)info->size, "sha256", info->sha256, "manifest",
	    manifest, "operator", login_name()), 0, err, sizeof err);
	if (seq < 0)
		errorf("%s", err);
	spool_close(sp);
	return seq;
}

int
cmd_backup(const struct options *o)
{
	const char *state_dir = options_state_dir(o), *rel;
	struct backup_set b = { 0 };
	struct archive_info info;
	struct console_key *key = NULL;
	struct app_config app;
	json_t *meta = NULL, *manifest = NULL;
	char err[1024], fp[40], *spool_path = NULL, *pass = NULL;
	char *file = NULL;
	enum ks_kdf kdf;
	int64_t seq;
	int rc = EXIT_FAILURE_;

	if (o->argc != 0 || o->out_dir == NULL || o->out_dir[0] == '\0') {
		fprintf(stderr, _("jope-smb: backup: expected 'backup "
		    "--out FILE'\n"));
		return EXIT_USAGE;
	}
	if (backup_kdf(&kdf) != 0)
		return EXIT_USAGE;
	if (access(o->out_dir, F_OK) == 0) {
		errorf(_("%s exists; a backup never replaces a file: choose "
		    "another name; nothing was written"), o->out_dir);
		return EXIT_FAILURE_;
	}
	if (command_load_app(o, &app, &spool_path) != 0)
		return EXIT_FAILURE_;
	if ((rel = spool_name(state_dir, spool_path)) == NULL)
		goto out;
	if (access(spool_path, R_OK) != 0) {
		errorf(_("no spool at %s (%s): nothing to back up; nothing was "
		    "written"), spool_path, strerror(errno));
		goto out;
	}
	if ((key = console_key_open(state_dir, err, sizeof err)) == NULL) {
		errorf(_("%s; nothing was written"), err);
		goto out;
	}
	/* Asked before any lock is taken: nobody waits on a typist. */
	if ((pass = read_passphrase_twice()) == NULL)
		goto out;
	if (collect_state(&b, state_dir, spool_path, rel) != 0)
		goto out;
	meta = spool_facts(b.spool_copy);
	json_object_set_new(meta, "spool", json_string(rel));
	json_object_set_new(meta, "state_dir", json_string(state_dir));
	json_object_set_new(meta, "made_by", json_string(login_name()));
	if (archive_write(o->out_dir, b.files, b.n, meta, pass, kdf,
	    console_key_secret(key), 0, &info, &manifest, err,
	    sizeof err) != 0) {
		errorf(_("%s; nothing was written"), err);
		goto out;
	}
	file = absolute(o->out_dir);
	if ((seq = record_backup(spool_path, key, file, &info,
	    manifest)) < 0) {
		(void)unlink(o->out_dir);
		errorf(_("the backup could not be recorded in the audit trail, "
		    "so %s was removed"), o->out_dir);
		goto out;
	}
	ed25519_fingerprint(info.public_key, fp, sizeof fp);
	printf(_("Backup written to %s: %zu files, %" PRId64 " bytes, SHA-256 "
	    "%s, signed by console key %s; audit event %" PRId64 ".\n"),
	    file, b.n, info.size, info.sha256, fp, seq);
	printf(_("Keep the passphrase apart from the archive: without it the "
	    "archive cannot be restored.\n"));
	rc = EXIT_OK;
out:
	term_password_free(pass);
	backup_set_free(&b);
	json_decref(meta);
	json_decref(manifest);
	console_key_free(key);
	free(spool_path);
	free(file);
	return rc;
}

/* --- restore ------------------------------------------------------------- */

struct restore {
	const struct options *o;
	char *dir;			/* DIR, absolute, no trailing slash */
	char *parent;
	char *tmp;			/* DIR.restore-tmp */
	char *aside;			/* DIR.before-restore-TIME */
	int parent_fd;			/* flock: one restore at a time */
	int engine_fd;			/* flock of DIR/engine.lock, or -1 */
	struct archive *a;
	char *pass;
	bool staged;
	/* the staged state, for the signatures */
	struct spool *sp;
	struct console_key *key;
	struct approval_policy policy;
	int max_failures;
	int64_t lockout_us;
	char previous_spool_id[40];	/* the archive's, before renewing */
};

/*
 * Hold DIR/engine.lock when it exists, so that no engine starts meanwhile;
 * -1 after naming the holder when an engine runs.
 */
static int
hold_engine_lock(struct restore *r)
{
	char *path, holder[64] = "";
	ssize_t n;

	if (r->engine_fd >= 0)
		return 0;
	path = join(r->dir, "engine.lock");
	if ((r->engine_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		int e = errno;

		if (e != ENOENT && e != ENOTDIR)
			errorf(_("cannot open %s: %s; nothing was changed"),
			    path, strerror(e));
		free(path);
		/* Missing: no engine ever ran there. */
		return e == ENOENT || e == ENOTDIR ? 0 : -1;
	}
	if (flock(r->engine_fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(r->engine_fd, holder, sizeof holder - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		errorf(_("restore refused: a jope-smb engine (%s) is running on "
		    "state dir %s (it holds %s); stop it first; nothing was "
		    "changed"), holder[0] ? holder : "?", r->dir, path);
		close(r->engine_fd);
		r->engine_fd = -1;
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/* The parent's lock, and a fresh, empty DIR.restore-tmp. */
static int
lock_parent(struct restore *r)
{
	if (make_dirs(r->parent, 0700) != 0 ||
	    (r->parent_fd = open(r->parent, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		errorf(_("cannot open %s: %s; nothing was changed"), r->parent,
		    strerror(errno));
		return -1;
	}
	if (flock(r->parent_fd, LOCK_EX | LOCK_NB) != 0) {
		errorf(_("restore refused: another restore is running in %s; "
		    "nothing was changed"), r->parent);
		return -1;
	}
	return 0;
}

static int
make_stage(struct restore *r)
{
	/* What an interrupted restore left: ours, under the parent's lock. */
	remove_tree(r->tmp);
	if (mkdir(r->tmp, 0700) != 0) {
		errorf(_("cannot create %s: %s; nothing was changed"), r->tmp,
		    strerror(errno));
		return -1;
	}
	r->staged = true;
	return 0;
}

static void
print_archive(const struct archive_info *info, const char *path)
{
	char when[40], fp[40], hex[65];

	format_rfc3339_us(info->created_us, when, sizeof when);
	ed25519_fingerprint(info->public_key, fp, sizeof fp);
	sodium_bin2hex(hex, sizeof hex, info->public_key, 32);
	printf(_("Archive %s: made %s, signed by console key %s (signature "
	    "good), SHA-256 %s.\n"), path, when, fp, info->sha256);
	printf(_("Console public key: %s\n"), hex);
	fflush(stdout);
}

/* Warn when DIR has another console key than the archive's. */
static void
compare_console_key(const struct restore *r, const struct archive_info *info)
{
	struct console_key *k;
	char err[512], have[40], made[40];

	if ((k = console_key_open(r->dir, err, sizeof err)) == NULL)
		return;
	if (memcmp(console_key_public(k), info->public_key, 32) != 0) {
		ed25519_fingerprint(console_key_public(k), have, sizeof have);
		ed25519_fingerprint(info->public_key, made, sizeof made);
		fprintf(stderr, _("jope-smb: warning: the archive was made by "
		    "console key %s, but %s holds console key %s: the restore "
		    "replaces this console's state with another console's\n"),
		    made, r->dir, have);
	} else
		printf(_("The archive was made by this state dir's console "
		    "key.\n"));
	console_key_free(k);
}

/* The archive's configuration decides who signs (defaults without one). */
static void
load_policy(struct restore *r)
{
	struct config_errors errs = { 0 };
	struct config_store *cs;
	struct model *m = NULL;
	char err[1024] = "";
	int v = 0;

	approval_defaults(&r->policy);
	r->max_failures = 5;
	r->lockout_us = INT64_C(15) * 60 * 1000000;
	if ((cs = config_store_open(r->tmp, err, sizeof err)) == NULL ||
	    config_store_current(cs, &v, err, sizeof err) != 0 ||
	    (v > 0 && config_version_load(cs, v, &m, &errs, err,
	    sizeof err) != 0)) {
		fprintf(stderr, _("jope-smb: warning: the archive's "
		    "configuration cannot be loaded (%s): the default signature "
		    "rules apply\n"), err);
	} else if (m != NULL) {
		r->policy = m->app.signatures;
		r->max_failures = m->app.compliance.max_failures;
		r->lockout_us = m->app.compliance.lockout_ms * 1000;
	}
	model_free(m);
	config_errors_free(&errs);
	config_store_close(cs);
}

/* The staged spool and console key, for signing and recording. */
static int
open_stage(struct restore *r, const char **spool_rel)
{
	const json_t *meta = json_object_get(archive_manifest(r->a), "meta");
	char err[1024], *path;

	*spool_rel = json_string_value(json_object_get(meta, "spool"));
	if (*spool_rel == NULL || !archive_name_ok(*spool_rel)) {
		errorf(_("the archive does not say which file is the spool; "
		    "nothing was changed"));
		return -1;
	}
	path = join(r->tmp, *spool_rel);
	if (access(path, F_OK) != 0) {
		errorf(_("the archive holds no spool (%s); nothing was "
		    "changed"), *spool_rel);
		free(path);
		return -1;
	}
	if (spool_open(path, &r->sp, err, sizeof err) != 0) {
		errorf(_("the archive's spool cannot be opened: %s; nothing was "
		    "changed"), err);
		free(path);
		return -1;
	}
	free(path);
	if ((r->key = console_key_open(r->tmp, err, sizeof err)) == NULL) {
		errorf(_("the archive's console key cannot be used: %s; nothing "
		    "was changed"), err);
		return -1;
	}
	if (memcmp(console_key_public(r->key),
	    archive_info(r->a)->public_key, 32) != 0) {
		errorf(_("the archive's console key is not the key that signed "
		    "it; nothing was changed"));
		return -1;
	}
	load_policy(r);
	return 0;
}

/* What the signers sign: this archive, into this state dir. */
static char *
restore_action(const struct restore *r, const char *spool_rel)
{
	const struct archive_info *info = archive_info(r->a);
	const json_t *m = archive_manifest(r->a);
	const json_t *meta = json_object_get(m, "meta");
	char when[40], pk[65], *file = absolute(r->o->in_file), *text;
	json_t *action;

	format_rfc3339_us(info->created_us, when, sizeof when);
	sodium_bin2hex(pk, sizeof pk, info->public_key, 32);
	action = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:I,s:s,s:o}",
	    "archive", file, "sha256", info->sha256, "size",
	    (json_int_t)info->size, "created", when, "console_public_key", pk,
	    "spool", spool_rel, "files", (json_int_t)json_array_size(
	    json_object_get(m, "files")), "state_dir", r->dir,
	    "previous_state", access(r->dir, F_OK) == 0 ?
	    json_string(r->aside) : json_null());
	json_object_set(action, "program_version", json_object_get(m,
	    "program_version"));
	/*
	 * A new spool id: the historian may already hold the old id's next
	 * numbers (the original console went on after the backup).
	 */
	json_object_set(action, "previous_spool_id", json_object_get(meta,
	    "spool_id"));
	json_object_set_new(action, "spool_id", json_string(spool_id(r->sp)));
	json_object_set(action, "audit_head_seq", json_object_get(meta,
	    "audit_head_seq"));
	text = json_dumps(action, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(action);
	free(file);
	return text;
}

/* Sign and record the restore in the staged trail; its seq, or -1. */
static int64_t
sign_restore(struct restore *r, const char *spool_rel)
{
	struct signing_env env = {
		.state_dir = r->tmp,
		.spool = r->sp,
		.key = r->key,
		.policy = &r->policy,
		.max_failures = r->max_failures,
		.lockout_us = r->lockout_us,
	};
	struct esig sigs[2];
	char *action, msg[1024];
	size_t n = 0;
	int64_t seq = -1;

	memset(sigs, 0, sizeof sigs);
	if (r->previous_spool_id[0] == '\0' &&
	    spool_renew_id(r->sp, r->previous_spool_id,
	    sizeof r->previous_spool_id) != 0) {
		errorf(_("%s; nothing was changed"), spool_last_error(r->sp));
		return -1;
	}
	action = restore_action(r, spool_rel);
	printf(_("Restoring it into %s needs %d signature(s), checked against "
	    "the archive's users.\n"), r->dir,
	    r->policy.rule[ACT_RESTORE].signatures);
	fflush(stdout);
	if (cli_sign_collect(&env, ACT_RESTORE, action, _("jope-smb: a "
	    "signature on a restore needs a reason; nothing was changed\n"),
	    sigs, &n) == 0) {
		seq = signing_record(&env, ACT_RESTORE, "restore", action, sigs,
		    n, msg, sizeof msg);
		if (seq < 0)
			errorf(_("the restore cannot be recorded: %s; nothing "
			    "was changed"), msg);
	}
	free(action);
	return seq;
}

/* Close the staged spool (its WAL folded in) and sync the stage. */
static int
close_stage(struct restore *r, const char *spool_rel)
{
	char *path = join(r->tmp, spool_rel);
	int rc = 0;

	spool_close(r->sp);
	r->sp = NULL;
	console_key_free(r->key);
	r->key = NULL;
	if (fsync_path(path, O_RDONLY) != 0 ||
	    fsync_path(r->tmp, O_RDONLY | O_DIRECTORY) != 0) {
		errorf(_("cannot sync %s: %s; nothing was changed"), r->tmp,
		    strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}

/* DIR aside (when it exists) and the stage into its place. */
static int
swap_in(struct restore *r)
{
	struct stat st;
	bool had = lstat(r->dir, &st) == 0;

	if (had && hold_engine_lock(r) != 0)
		return -1;
	if (had && rename(r->dir, r->aside) != 0) {
		errorf(_("cannot move %s to %s: %s; nothing was changed"),
		    r->dir, r->aside, strerror(errno));
		return -1;
	}
	if (rename(r->tmp, r->dir) != 0) {
		int e = errno;

		if (had && rename(r->aside, r->dir) != 0)
			errorf(_("cannot move %s back to %s: %s"), r->aside,
			    r->dir, strerror(errno));
		errorf(_("cannot move %s to %s: %s; nothing was changed"),
		    r->tmp, r->dir, strerror(e));
		return -1;
	}
	r->staged = false;
	if (fsync(r->parent_fd) != 0)
		errorf(_("warning: cannot sync %s: %s"), r->parent,
		    strerror(errno));
	if (!had) {
		free(r->aside);
		r->aside = NULL;
	}
	return 0;
}

static int
restore_paths(struct restore *r)
{
	const char *given = options_state_dir(r->o);
	char stamp[32], *slash;
	time_t t = time(NULL);
	struct tm tm;
	size_t n;

	r->dir = absolute(given);
	n = strlen(r->dir);
	while (n > 1 && r->dir[n - 1] == '/')
		r->dir[--n] = '\0';
	if (strcmp(r->dir, "/") == 0 || (slash = strrchr(r->dir, '/')) ==
	    NULL) {
		errorf(_("restore: %s cannot be a state dir"), given);
		return -1;
	}
	r->parent = slash == r->dir ? xstrdup("/") : xmalloc((size_t)(slash -
	    r->dir) + 1);
	if (slash != r->dir) {
		memcpy(r->parent, r->dir, (size_t)(slash - r->dir));
		r->parent[slash - r->dir] = '\0';
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	n = strlen(r->dir) + sizeof TMP_SUFFIX + sizeof ASIDE_SUFFIX +
	    strlen(stamp) + 16;
	r->tmp = xmalloc(n);
	snprintf(r->tmp, n, "%s" TMP_SUFFIX, r->dir);
	r->aside = xmalloc(n);
	snprintf(r->aside, n, "%s" ASIDE_SUFFIX "%s", r->dir, stamp);
	/* Never over an earlier one: those are kept. */
	for (int i = 2; access(r->aside, F_OK) == 0 && i < 1000; i++)
		snprintf(r->aside, n, "%s" ASIDE_SUFFIX "%s-%d", r->dir, stamp,
		    i);
	return 0;
}

static void
restore_end(struct restore *r)
{
	if (r->sp != NULL)
		spool_close(r->sp);
	console_key_free(r->key);
	if (r->staged)
		remove_tree(r->tmp);
	archive_close(r->a);
	term_password_free(r->pass);
	if (r->engine_fd >= 0)
		close(r->engine_fd);
	if (r->parent_fd >= 0)
		close(r->parent_fd);
	free(r->dir);
	free(r->parent);
	free(r->tmp);
	free(r->aside);
}

static int
restore_run(struct restore *r)
{
	const char *spool_rel = NULL;
	char err[1024];
	int64_t seq;

	if (restore_paths(r) != 0)
		return EXIT_USAGE;
	if (lock_parent(r) != 0 || hold_engine_lock(r) != 0)
		return EXIT_FAILURE_;
	if (archive_open(r->o->in_file, &r->a, err, sizeof err) !=
	    ARCHIVE_OK) {
		errorf(_("restore refused: %s; nothing was changed"), err);
		return EXIT_FAILURE_;
	}
	print_archive(archive_info(r->a), r->o->in_file);
	compare_console_key(r, archive_info(r->a));
	if ((r->pass = term_password_read(_("Passphrase of the backup: "), err,
	    sizeof err)) == NULL) {
		errorf(_("no passphrase: %s; nothing was changed"), err);
		return EXIT_FAILURE_;
	}
	if (archive_unlock(r->a, r->pass, err, sizeof err) != ARCHIVE_OK ||
	    archive_extract(r->a, NULL, err, sizeof err) != ARCHIVE_OK) {
		errorf(_("restore refused: %s; nothing was changed"), err);
		return EXIT_FAILURE_;
	}
	term_password_free(r->pass);
	r->pass = NULL;
	printf(_("Every file of the archive matches its manifest (%zu "
	    "files).\n"), json_array_size(json_object_get(archive_manifest(
	    r->a), "files")));
	fflush(stdout);
	if (make_stage(r) != 0)
		return EXIT_FAILURE_;
	if (archive_extract(r->a, r->tmp, err, sizeof err) != ARCHIVE_OK) {
		errorf(_("restore refused: %s; nothing was changed"), err);
		return EXIT_FAILURE_;
	}
	if (open_stage(r, &spool_rel) != 0)
		return EXIT_FAILURE_;
	if ((seq = sign_restore(r, spool_rel)) < 0)
		return EXIT_FAILURE_;
	if (close_stage(r, spool_rel) != 0 || swap_in(r) != 0)
		return EXIT_FAILURE_;
	printf(_("Restored into %s (audit event %" PRId64 ").\n"), r->dir, seq);
	if (r->aside != NULL)
		printf(_("The state it replaced is kept in %s.\n"), r->aside);
	return EXIT_OK;
}

int
cmd_restore(const struct options *o)
{
	struct restore r;
	int rc;

	if (o->argc != 0 || o->in_file == NULL || o->in_file[0] == '\0') {
		fprintf(stderr, _("jope-smb: restore: expected 'restore --in "
		    "FILE [--state-dir DIR]'\n"));
		return EXIT_USAGE;
	}
	memset(&r, 0, sizeof r);
	r.o = o;
	r.parent_fd = r.engine_fd = -1;
	rc = restore_run(&r);
	restore_end(&r);
	return rc;
}

/*
 * config_store.c: the versions of the configuration (config_store.h).
 *
 * Why a directory per version and not a table in the spool: the versions
 * are the configuration the engine runs, and config_load reads a directory;
 * a version is then exactly what was validated and signed, readable with
 * cat and jq by an auditor, and survives a spool that is moved or lost.
 *
 * Atomicity rests on rename(2) of a directory and of CURRENT, with fsync
 * of every file and of both directories around it: after a crash there is
 * the old state or the new one.  What a crash can leave is a .tmp-*
 * directory (or CURRENT.tmp): readers skip anything that is not a version
 * number, and the next writer removes it under the lock.  Writers are
 * serialised by flock on .lock; readers never lock (they read CURRENT, a
 * file replaced whole, and version directories, which never change).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "compliance/config_store.h"
#include "core/i18n.h"
#include "core/util.h"

#define APP_FILE	"app.json"
#define DEVICES_FILE	"devices.json"
#define MANIFEST_FILE	"manifest.json"
#define CURRENT_FILE	"CURRENT"
#define LOCK_FILE	".lock"
#define TMP_PREFIX	".tmp-"
#define MAX_FILE_BYTES	(64L * 1024 * 1024)

struct config_store {
	char *path;
	int lock_fd;
};

static char *
join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s", a, b);
	return p;
}

static void
sha256_hex(const char *bytes, size_t n, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)bytes, n);
	sodium_bin2hex(out, 65, h, sizeof h);
}

/* --- files ----------------------------------------------------------------- */

static int
read_file(const char *path, char **out, size_t *len, char *err,
    size_t errlen)
{
	struct stat st;
	size_t n = 0;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, _("cannot read %s: %s"), path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_FILE_BYTES) {
		snprintf(err, errlen, _("%s: not a regular file of at most "
		    "%ld bytes"), path, MAX_FILE_BYTES);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	for (;;) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			snprintf(err, errlen, _("cannot read %s: %s"), path,
			    strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		n += (size_t)k;
		if (k == 0 || n == (size_t)st.st_size)
			break;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
config_files_read(const char *dir, struct config_files *f, char *err,
    size_t errlen)
{
	char *path;
	int rc;

	memset(f, 0, sizeof *f);
	path = join(dir, APP_FILE);
	rc = read_file(path, &f->app, &f->app_len, err, errlen);
	free(path);
	if (rc != 0)
		return -1;
	path = join(dir, DEVICES_FILE);
	rc = read_file(path, &f->devices, &f->devices_len, err, errlen);
	free(path);
	if (rc != 0) {
		config_files_free(f);
		return -1;
	}
	sha256_hex(f->app, f->app_len, f->app_sha256);
	sha256_hex(f->devices, f->devices_len, f->devices_sha256);
	return 0;
}

void
config_files_set(struct config_files *f, const char *app, size_t app_len,
    const char *devices, size_t devices_len)
{
	memset(f, 0, sizeof *f);
	f->app = xmalloc(app_len + 1);
	memcpy(f->app, app, app_len);
	f->app[app_len] = '\0';
	f->app_len = app_len;
	f->devices = xmalloc(devices_len + 1);
	memcpy(f->devices, devices, devices_len);
	f->devices[devices_len] = '\0';
	f->devices_len = devices_len;
	sha256_hex(f->app, f->app_len, f->app_sha256);
	sha256_hex(f->devices, f->devices_len, f->devices_sha256);
}

void
config_files_free(struct config_files *f)
{
	free(f->app);
	free(f->devices);
	memset(f, 0, sizeof *f);
}

bool
config_files_equal(const struct config_files *a,
    const struct config_files *b)
{
	return a->app_len == b->app_len && a->devices_len == b->devices_len &&
	    memcmp(a->app, b->app, a->app_len) == 0 &&
	    memcmp(a->devices, b->devices, a->devices_len) == 0;
}

/* Write a whole file, fsync'ed; mode applies to a new file. */
static int
write_file(const char *path, const char *bytes, size_t n, unsigned mode,
    char *err, size_t errlen)
{
	size_t done = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, _("cannot create %s: %s"), path,
		    strerror(errno));
		return -1;
	}
	while (done < n) {
		ssize_t k = write(fd, bytes + done, n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto fail;
		done += (size_t)k;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, _("cannot write %s: %s"), path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return -1;
}

static int
sync_dir(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		snprintf(err, errlen, _("cannot sync %s: %s"), path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Remove a directory that holds only files (a stage). */
static void
remove_flat_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = join(path, de->d_name);
		unlink(p);
		free(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(path);
}

/* --- the store --------------------------------------------------------------- */

struct config_store *
config_store_open(const char *state_dir, char *err, size_t errlen)
{
	struct config_store *cs;

	if (sodium_init() < 0) {
		snprintf(err, errlen, _("cannot initialise libsodium"));
		return NULL;
	}
	cs = xcalloc(1, sizeof *cs);
	cs->lock_fd = -1;
	cs->path = join(state_dir, CONFIG_STORE_DIR);
	if (make_dirs(cs->path, 0700) != 0) {
		snprintf(err, errlen, _("cannot create %s: %s"), cs->path,
		    strerror(errno));
		config_store_close(cs);
		return NULL;
	}
	return cs;
}

void
config_store_close(struct config_store *cs)
{
	if (cs == NULL)
		return;
	config_store_unlock(cs);
	free(cs->path);
	free(cs);
}

const char *
config_store_path(const struct config_store *cs)
{
	return cs->path;
}

/* A version directory's name: four or more digits, not 0. */
static int
parse_version(const char *name)
{
	long v = 0;
	size_t n = 0;

	for (const char *p = name; *p; p++, n++) {
		if (*p < '0' || *p > '9' || v > 100000000L)
			return 0;
		v = v * 10 + (*p - '0');
	}
	return n >= 4 && v > 0 ? (int)v : 0;
}

int
config_store_lock(struct config_store *cs, char *err, size_t errlen)
{
	char *path;
	DIR *d;
	struct dirent *de;

	if (cs->lock_fd >= 0)
		return 0;
	path = join(cs->path, LOCK_FILE);
	cs->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0600);
	if (cs->lock_fd < 0) {
		snprintf(err, errlen, _("cannot open %s: %s"), path,
		    strerror(errno));
		free(path);
		return -1;
	}
	while (flock(cs->lock_fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, _("cannot lock %s: %s"), path,
		    strerror(errno));
		free(path);
		close(cs->lock_fd);
		cs->lock_fd = -1;
		return -1;
	}
	free(path);
	/* Whatever an interrupted writer left: nobody else writes now. */
	if ((d = opendir(cs->path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *p;

			if (strncmp(de->d_name, TMP_PREFIX,
			    strlen(TMP_PREFIX)) != 0)
				continue;
			p = join(cs->path, de->d_name);
			remove_flat_dir(p);
			free(p);
		}
		closedir(d);
	}
	path = join(cs->path, CURRENT_FILE ".tmp");
	unlink(path);
	free(path);
	return 0;
}

void
config_store_unlock(struct config_store *cs)
{
	if (cs->lock_fd >= 0)
		close(cs->lock_fd);     /* releases the flock */
	cs->lock_fd = -1;
}

int
config_store_current(const struct config_store *cs, int *version,
    char *err, size_t errlen)
{
	char *path = join(cs->path, CURRENT_FILE), *text = NULL, *end;
	size_t n;
	long v;

	*version = 0;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	if (read_file(path, &text, &n, err, errlen) != 0) {
		free(path);
		return -1;
	}
	errno = 0;
	v = strtol(text, &end, 10);
	while (*end == '\n' || *end == ' ' || *end == '\r')
		end++;
	if (errno != 0 || end == text || *end != '\0' || v <= 0 ||
	    v > 100000000L) {
		snprintf(err, errlen, _("%s: not a version number"), path);
		free(text);
		free(path);
		return -1;
	}
	free(text);
	free(path);
	*version = (int)v;
	return 0;
}

int
config_store_latest(const struct config_store *cs)
{
	DIR *d = opendir(cs->path);
	struct dirent *de;
	int best = 0;

	while (d != NULL && (de = readdir(d)) != NULL) {
		int v = parse_version(de->d_name);

		if (v > best)
			best = v;
	}
	if (d != NULL)
		closedir(d);
	return best;
}

char *
config_store_dir(const struct config_store *cs, int version)
{
	char name[32];

	snprintf(name, sizeof name, "%04d", version);
	return join(cs->path, name);
}

/* The manifest's record of one file: {"sha256": hex, "bytes": n}. */
static int
check_file(const json_t *manifest, const char *dir, const char *name,
    const char *sha, size_t len, char *err, size_t errlen)
{
	json_t *fj = json_object_get(json_object_get(manifest, "files"), name);
	const char *want = json_string_value(json_object_get(fj, "sha256"));
	json_t *bytes = json_object_get(fj, "bytes");

	if (want == NULL || !json_is_integer(bytes)) {
		snprintf(err, errlen, _("%s/%s: the manifest does not record "
		    "%s"), dir, MANIFEST_FILE, name);
		return -1;
	}
	if (strcmp(want, sha) != 0 || json_integer_value(bytes) !=
	    (json_int_t)len) {
		snprintf(err, errlen, _("%s/%s does not match its manifest "
		    "(sha256 %s, recorded %s): the version was changed after "
		    "it was applied"), dir, name, sha, want);
		return -1;
	}
	return 0;
}

static json_t *
read_manifest(const char *dir, int version, char *err, size_t errlen)
{
	char *path = join(dir, MANIFEST_FILE);
	json_error_t je;
	json_t *m = json_load_file(path, JSON_REJECT_DUPLICATES, &je);

	if (m == NULL && access(path, F_OK) != 0)
		snprintf(err, errlen, _("cannot read %s: %s"), path,
		    strerror(errno));
	else if (m == NULL)
		snprintf(err, errlen, _("%s:%d:%d: %s"), path, je.line,
		    je.column, je.text);
	else if (!json_is_object(m) || json_integer_value(json_object_get(m,
	    "version")) != version) {
		snprintf(err, errlen, _("%s: not the manifest of version %d"),
		    path, version);
		json_decref(m);
		m = NULL;
	}
	free(path);
	return m;
}

int
config_store_read(const struct config_store *cs, int version,
    struct config_files *f, json_t **manifest, char *err, size_t errlen)
{
	char *dir = config_store_dir(cs, version);
	json_t *m = NULL;
	struct stat st;

	memset(f, 0, sizeof *f);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, _("there is no configuration version %d "
		    "(%s)"), version, dir);
		goto fail;
	}
	if ((m = read_manifest(dir, version, err, errlen)) == NULL ||
	    config_files_read(dir, f, err, errlen) != 0)
		goto fail;
	if (check_file(m, dir, APP_FILE, f->app_sha256, f->app_len, err,
	    errlen) != 0 || check_file(m, dir, DEVICES_FILE,
	    f->devices_sha256, f->devices_len, err, errlen) != 0)
		goto fail;
	free(dir);
	if (manifest != NULL)
		*manifest = m;
	else
		json_decref(m);
	return 0;
fail:
	config_files_free(f);
	json_decref(m);
	free(dir);
	return -1;
}

int
config_store_stage(struct config_store *cs, const struct config_files *f,
    char **tmpdir, char *err, size_t errlen)
{
	char name[64], *dir, *p;
	int rc;

	*tmpdir = NULL;
	snprintf(name, sizeof name, TMP_PREFIX "%ld-XXXXXX", (long)getpid());
	dir = join(cs->path, name);
	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, _("cannot create a directory in %s: %s"),
		    cs->path, strerror(errno));
		free(dir);
		return -1;
	}
	p = join(dir, APP_FILE);
	rc = write_file(p, f->app, f->app_len, 0400, err, errlen);
	free(p);
	if (rc == 0) {
		p = join(dir, DEVICES_FILE);
		rc = write_file(p, f->devices, f->devices_len, 0400, err,
		    errlen);
		free(p);
	}
	if (rc != 0) {
		remove_flat_dir(dir);
		free(dir);
		return -1;
	}
	*tmpdir = dir;
	return 0;
}

/* "sha256" and "bytes" of one file, from the staged bytes themselves. */
static json_t *
file_entry(const char *dir, const char *name, char *err, size_t errlen)
{
	char *path = join(dir, name), *bytes, sha[65];
	size_t n;
	json_t *j;

	if (read_file(path, &bytes, &n, err, errlen) != 0) {
		free(path);
		return NULL;
	}
	free(path);
	sha256_hex(bytes, n, sha);
	free(bytes);
	j = json_pack("{s:s,s:I}", "sha256", sha, "bytes", (json_int_t)n);
	return j;
}

int
config_store_commit(struct config_store *cs, char **tmpdir, int version,
    json_t *manifest, char *err, size_t errlen)
{
	char *dst = config_store_dir(cs, version), *p, *text = NULL, when[40];
	json_t *app = NULL, *dev = NULL, *whole = NULL;
	struct timespec ts;
	int rc = -1;

	if (manifest == NULL)
		manifest = json_object();
	if (version <= 0 || access(dst, F_OK) == 0) {
		snprintf(err, errlen, _("configuration version %d exists "
		    "already (%s)"), version, dst);
		goto out;
	}
	if ((app = file_entry(*tmpdir, APP_FILE, err, errlen)) == NULL ||
	    (dev = file_entry(*tmpdir, DEVICES_FILE, err, errlen)) == NULL)
		goto out;
	clock_gettime(CLOCK_REALTIME, &ts);
	format_rfc3339_us((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
	    when, sizeof when);
	/* version, time and files first; the caller's members after them. */
	whole = json_pack("{s:i,s:s,s:{s:O,s:O}}", "version", version, "time",
	    when, "files", APP_FILE, app, DEVICES_FILE, dev);
	json_object_update_missing(whole, manifest);
	text = json_dumps(whole, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL) {
		snprintf(err, errlen, _("cannot serialise the manifest"));
		goto out;
	}
	text = xrealloc(text, strlen(text) + 2);
	strcat(text, "\n");
	p = join(*tmpdir, MANIFEST_FILE);
	rc = write_file(p, text, strlen(text), 0400, err, errlen);
	free(p);
	if (rc != 0 || (rc = sync_dir(*tmpdir, err, errlen)) != 0)
		goto out;
	rc = -1;
	if (rename(*tmpdir, dst) != 0) {
		snprintf(err, errlen, _("cannot rename %s to %s: %s"), *tmpdir,
		    dst, strerror(errno));
		goto out;
	}
	free(*tmpdir);
	*tmpdir = NULL;
	rc = sync_dir(cs->path, err, errlen);
out:
	if (*tmpdir != NULL)
		config_store_discard(cs, tmpdir);
	json_decref(app);
	json_decref(dev);
	json_decref(whole);
	json_decref(manifest);
	free(text);
	free(dst);
	return rc;
}

void
config_store_discard(struct config_store *cs, char **tmpdir)
{
	(void)cs;
	if (*tmpdir == NULL)
		return;
	remove_flat_dir(*tmpdir);
	free(*tmpdir);
	*tmpdir = NULL;
}

int
config_store_set_current(struct config_store *cs, int version, char *err,
    size_t errlen)
{
	char *dir = config_store_dir(cs, version);
	char *tmp = join(cs->path, CURRENT_FILE ".tmp");
	char *dst = join(cs->path, CURRENT_FILE), text[32];
	struct stat st;
	int rc = -1, n;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, _("there is no configuration version %d "
		    "(%s)"), version, dir);
		goto out;
	}
	unlink(tmp);
	n = snprintf(text, sizeof text, "%d\n", version);
	if (write_file(tmp, text, (size_t)n, 0600, err, errlen) != 0)
		goto out;
	if (rename(tmp, dst) != 0) {
		snprintf(err, errlen, _("cannot rename %s to %s: %s"), tmp, dst,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = sync_dir(cs->path, err, errlen);
out:
	free(dir);
	free(tmp);
	free(dst);
	return rc;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

json_t *
config_store_list(const struct config_store *cs)
{
	json_t *out = json_array();
	DIR *d = opendir(cs->path);
	struct dirent *de;
	int *v = NULL;
	size_t n = 0;

	while (d != NULL && (de = readdir(d)) != NULL) {
		int k = parse_version(de->d_name);

		if (k <= 0)
			continue;
		v = xrealloc(v, (n + 1) * sizeof *v);
		v[n++] = k;
	}
	if (d != NULL)
		closedir(d);
	if (n > 1)
		qsort(v, n, sizeof *v, cmp_int);
	for (size_t i = 0; i < n; i++) {
		struct config_files f;
		json_t *m;
		char err[512];

		if (config_store_read(cs, v[i], &f, &m, err, sizeof err) != 0)
			m = json_pack("{s:i,s:s}", "version", v[i], "error",
			    err);
		else
			config_files_free(&f);
		json_array_append_new(out, m);
	}
	free(v);
	return out;
}

void
config_store_stamp(const struct config_store *cs,
    struct config_store_stamp *stamp)
{
	char *path = join(cs->path, CURRENT_FILE);
	struct stat st;

	int fd;

	memset(stamp, 0, sizeof *stamp);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0 &&
	    fstat(fd, &st) == 0) {
		ssize_t n = read(fd, stamp->text, sizeof stamp->text - 1);

		stamp->text[n > 0 ? n : 0] = '\0';
		stamp->exists = true;
		stamp->dev = (uint64_t)st.st_dev;
		stamp->ino = (uint64_t)st.st_ino;
		stamp->size = (int64_t)st.st_size;
		stamp->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
		stamp->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 +
		    st.st_ctim.tv_nsec;
	}
	if (fd >= 0)
		close(fd);
	free(path);
}

bool
config_store_changed(const struct config_store *cs,
    struct config_store_stamp *stamp)
{
	struct config_store_stamp now;
	bool changed;

	config_store_stamp(cs, &now);
	changed = now.exists != stamp->exists || now.dev != stamp->dev ||
	    now.ino != stamp->ino || now.size != stamp->size ||
	    now.mtime_ns != stamp->mtime_ns ||
	    now.ctime_ns != stamp->ctime_ns ||
	    strcmp(now.text, stamp->text) != 0;
	*stamp = now;
	return changed;
}

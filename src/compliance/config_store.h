/*
 * config_store.h: every configuration ever taken into use, kept for good.
 *
 * The engine never runs the config dir itself: it runs the version named by
 * STATE_DIR/config-versions/CURRENT.  The config dir is where people edit
 * (the staging area); `jope-smb config apply` turns it into a new version
 * with the configured signatures (config_change.h).  Layout:
 *
 *   STATE_DIR/config-versions/
 *     .lock            flock(2): one writer at a time (apply, rollback,
 *                      the engine's first start)
 *     CURRENT          "N\n": the version in use; replaced by rename(2)
 *     0001/            app.json, devices.json (byte for byte as applied),
 *     0002/ ...        manifest.json; files 0400, never modified
 *     .tmp-PID-XXXXXX/ a version being written: ignored by every reader,
 *                      removed by the next writer (it holds the lock)
 *
 * A version is written in a temporary directory (each file fsync'ed, then
 * the directory) and renamed to its number in one step, so a reader sees
 * a whole version or none; CURRENT is written the same way.  The manifest
 * holds the version number, the time, the SHA-256 and size of each file,
 * the kind ("initial", "apply", "rollback"), who signed and the seq of the
 * audit event that records it; config_store_read checks the files against
 * it, so a version edited by hand is refused, never run.
 *
 * Functions return 0 (or a value) on success and -1 with a translated
 * message in err; nothing is printed.  The store knows files and JSON, not
 * the model: validating a version is config_load(config_store_dir(...)).
 */
#ifndef JOPE_CONFIG_STORE_H
#define JOPE_CONFIG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CONFIG_STORE_DIR	"config-versions"

/* The two files of a configuration, as bytes, with their SHA-256. */
struct config_files {
	char *app;			/* app.json, NUL-terminated */
	size_t app_len;
	char *devices;			/* devices.json */
	size_t devices_len;
	char app_sha256[65];		/* lowercase hex */
	char devices_sha256[65];
};

/* Read dir/app.json and dir/devices.json (both must exist). */
int config_files_read(const char *dir, struct config_files *f, char *err,
    size_t errlen);
/* Fill from bytes (copied); computes the hashes. */
void config_files_set(struct config_files *f, const char *app,
    size_t app_len, const char *devices, size_t devices_len);
void config_files_free(struct config_files *f);
/* The same bytes. */
bool config_files_equal(const struct config_files *a,
    const struct config_files *b);

struct config_store;

/* Open (creating STATE_DIR/config-versions, 0700). */
struct config_store *config_store_open(const char *state_dir, char *err,
    size_t errlen);
void config_store_close(struct config_store *cs);
/* STATE_DIR/config-versions */
const char *config_store_path(const struct config_store *cs);

/*
 * Take the writers' lock (waits for another writer) and remove what an
 * interrupted writer left (.tmp-* directories, CURRENT.tmp).
 */
int config_store_lock(struct config_store *cs, char *err, size_t errlen);
void config_store_unlock(struct config_store *cs);

/* The version in use: *version 0 when none has been applied yet. */
int config_store_current(const struct config_store *cs, int *version,
    char *err, size_t errlen);
/* The highest version number stored (0: none). */
int config_store_latest(const struct config_store *cs);
/* STATE_DIR/config-versions/NNNN (malloc'ed); it may not exist. */
char *config_store_dir(const struct config_store *cs, int version);

/*
 * Read a version: its files (checked against the manifest's hashes) and,
 * when manifest is not NULL, the manifest (a new reference).  A missing
 * version, a missing or damaged manifest or a file that does not match it
 * is an error naming the file.
 */
int config_store_read(const struct config_store *cs, int version,
    struct config_files *f, json_t **manifest, char *err, size_t errlen);

/*
 * Writing, under the lock.  stage writes f into a new temporary directory
 * (its path in *tmpdir, malloc'ed; config_load can validate it there);
 * commit adds manifest.json, made of manifest (a reference is taken; may
 * be NULL) with "version", "time" and "files" set here, and renames the
 * directory to version, which must not exist yet; discard removes a stage.
 * commit and discard free *tmpdir and set it to NULL.
 */
int config_store_stage(struct config_store *cs, const struct config_files *f,
    char **tmpdir, char *err, size_t errlen);
int config_store_commit(struct config_store *cs, char **tmpdir, int version,
    json_t *manifest, char *err, size_t errlen);
void config_store_discard(struct config_store *cs, char **tmpdir);
/* Point CURRENT at version (which must exist), atomically. */
int config_store_set_current(struct config_store *cs, int version,
    char *err, size_t errlen);

/*
 * The manifests of every version, oldest first, as a new JSON array.  A
 * version directory whose manifest cannot be read is listed as
 * {"version": N, "error": "..."} rather than hidden.
 */
json_t *config_store_list(const struct config_store *cs);

/*
 * Change detection for a running engine: a cheap stat(2) and read of the
 * few bytes of CURRENT (an inode number may be reused within a clock
 * tick; the content tells).  config_store_changed compares with *stamp,
 * updates it and says whether CURRENT was replaced (or appeared) since the
 * last call.
 */
struct config_store_stamp {
	uint64_t dev, ino;
	int64_t mtime_ns, ctime_ns, size;
	bool exists;
	char text[16];
};
void config_store_stamp(const struct config_store *cs,
    struct config_store_stamp *stamp);
bool config_store_changed(const struct config_store *cs,
    struct config_store_stamp *stamp);

#endif

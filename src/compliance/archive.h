/*
 * archive.h: the backup archive, one file that is encrypted under a
 * passphrase and signed by the console key (doc/backup.md).
 *
 * The container knows files and bytes, not the console: the caller
 * (cmd_backup.c) chooses what goes in and where it comes back.  Writing:
 * archive_write hashes every file, puts a manifest (name, size, SHA-256
 * and mode of each) first and the files after it, encrypts the lot with
 * libsodium's secretstream (XChaCha20-Poly1305) under a key derived from
 * the passphrase by Argon2id, signs the SHA-256 of everything before the
 * signature with the console's Ed25519 key, and renames the finished file
 * into place.  Reading, in three steps so that a caller can stop at each:
 *
 *   step             checks                                  refusal
 *   ---------------  --------------------------------------  --------------
 *   archive_open     format, header, the signature over the  FORMAT,
 *                    whole file with the header's key        SIGNATURE
 *   archive_unlock   passphrase (the manifest decrypts with  PASSPHRASE,
 *                    the header as additional data), the     DAMAGED
 *                    manifest's rules (names, sizes, hashes)
 *   archive_extract  every byte decrypts, each file's size   DAMAGED
 *                    and SHA-256 match the manifest, the
 *                    stream ends where the file ends, the
 *                    file did not change since archive_open
 *
 * archive_extract with a NULL directory writes nothing: a caller checks the
 * whole archive first and writes it out in a second pass.  The signature
 * proves that the holder of the header's key made the file; whether that is
 * the right console is the caller's question (compare the key).
 *
 * Functions return 0 / ARCHIVE_OK, or -1 / a refusal with a translated
 * message in err; nothing is printed.
 */
#ifndef JOPE_ARCHIVE_H
#define JOPE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "compliance/keystore.h"

#define ARCHIVE_FORMAT_NAME	"jope-smb-backup"
#define ARCHIVE_FORMAT_VERSION	1
#define ARCHIVE_MAX_FILES	100000
#define ARCHIVE_NAME_MAX	1024	/* bytes of a file's name */

/* One file to archive: from path, or the len bytes at data. */
struct archive_file {
	const char *name;	/* in the archive: "config-versions/0001/app.json" */
	const char *path;	/* read from here when data is NULL */
	const void *data;
	size_t len;
	unsigned mode;		/* 0600 or 0400 when extracted */
};

struct archive_info {
	char sha256[65];	/* of the whole archive file, lowercase hex */
	int64_t size;		/* bytes of the archive file */
	int64_t created_us;	/* when it was written, UTC */
	unsigned char public_key[32];	/* the key that signed it */
};

enum archive_status {
	ARCHIVE_OK,
	ARCHIVE_IO,		/* cannot read or write a file */
	ARCHIVE_FORMAT,		/* not an archive, another version, truncated */
	ARCHIVE_SIGNATURE,	/* the signature does not verify */
	ARCHIVE_PASSPHRASE,	/* wrong passphrase */
	ARCHIVE_DAMAGED		/* decrypts wrong, or differs from its manifest */
};

/*
 * Write files[0..n) to out_path (through out_path.tmp: fsync'ed, mode 0600,
 * renamed, the directory fsync'ed; an existing out_path is replaced: the
 * caller decides whether it may be).  meta (borrowed, may be NULL) goes
 * into the manifest as "meta".  sk is the console's 64-byte Ed25519 secret
 * key (libsodium layout: its public key is the last 32 bytes).  created_us
 * 0 means now.  On success info is filled and, when manifest is not NULL,
 * *manifest is a new reference to the manifest written.  A file that
 * changes while it is archived is an error: nothing is left behind.
 */
int archive_write(const char *out_path, const struct archive_file *files,
    size_t n, json_t *meta, const char *passphrase, enum ks_kdf kdf,
    const unsigned char sk[64], int64_t created_us, struct archive_info *info,
    json_t **manifest, char *err, size_t errlen);

struct archive;

/* Open path and check its signature; *out NULL unless ARCHIVE_OK. */
enum archive_status archive_open(const char *path, struct archive **out,
    char *err, size_t errlen);
const struct archive_info *archive_info(const struct archive *a);

/*
 * Derive the key from passphrase and read the manifest.  The key stays in
 * guarded memory until archive_close (archive_extract needs it).
 */
enum archive_status archive_unlock(struct archive *a, const char *passphrase,
    char *err, size_t errlen);
/* The manifest, after archive_unlock (borrowed). */
const json_t *archive_manifest(const struct archive *a);

/*
 * Decrypt and check every file; with dest_dir not NULL also write each one
 * under dest_dir (directories 0700 made as needed, files created new with
 * the manifest's mode, each file and directory fsync'ed).  On a refusal
 * files may already be in dest_dir: the caller removes it.
 */
enum archive_status archive_extract(struct archive *a, const char *dest_dir,
    char *err, size_t errlen);

void archive_close(struct archive *a);

/* Is name acceptable in an archive ("a/b.json"; no "..", no leading '/')? */
int archive_name_ok(const char *name);

#endif

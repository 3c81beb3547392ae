/*
 * archive.c: the backup archive's container (archive.h, doc/backup.md).
 *
 * A small format of our own, so that a backup needs nothing but libsodium
 * and jansson, which the console links anyway.  All integers little-endian:
 *
 *   offset  bytes  header (128 bytes)
 *   ------  -----  -------------------------------------------------------
 *        0      8  magic "JSMBBKUP"
 *        8      2  format version (1)
 *       10      2  header length (128)
 *       12      4  flags (0)
 *       16      4  KDF algorithm (crypto_pwhash_ALG_ARGON2ID13)
 *       20      4  reserved (0)
 *       24      8  Argon2id opslimit
 *       32      8  Argon2id memlimit (bytes)
 *       40     16  salt (random)
 *       56     24  secretstream header (random nonce material)
 *       80     32  the console's Ed25519 public key
 *      112      8  creation time, microseconds since the epoch, UTC
 *      120      8  reserved (0)
 *
 *   body: records, each a 4-byte length and that many bytes of
 *   crypto_secretstream_xchacha20poly1305 ciphertext:
 *     record 1     the manifest (JSON), tag MESSAGE, the 128 header bytes
 *                  as additional data (the header is bound to the key)
 *     records 2..  the files' bytes, concatenated in manifest order, cut
 *                  into pieces of at most 64 KiB; the last tag FINAL (a
 *                  file cut short at a record boundary is detected)
 *
 *   trailer: "JSMBSIG1" and the 64-byte Ed25519 signature, by the key in
 *   the header, of the SHA-256 of header and body (everything before the
 *   trailer); anyone can check it with stock tools (doc/backup.md).
 *
 * Why a signature on top of the AEAD: the AEAD proves the file was made by
 * someone who knew the passphrase, the signature which console made it,
 * and it is checked before anyone is asked for a passphrase.  Why the
 * header is both signed and the manifest's additional data: a changed KDF
 * parameter or key then fails twice, never silently.
 *
 * The manifest: {"format": "jope-smb-backup", "format_version": 1,
 * "created", "created_us", "program_version", "console_public_key" (hex,
 * equal to the header's), "files": [{"name", "size", "sha256", "mode"}],
 * "meta": {... the caller's}}.  A name is a relative path of components
 * [A-Za-z0-9._-], never "." or "..", so that extracting cannot leave the
 * destination whoever made the archive.
 *
 * The derived key lives in sodium_malloc'ed memory and is wiped on close;
 * plaintext buffers are wiped after use (the files include secrets).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "compliance/archive.h"
#include "core/i18n.h"
#include "core/util.h"

#define MAGIC		"JSMBBKUP"
#define SIG_MAGIC	"JSMBSIG1"
#define HDR_LEN		128
#define TRAILER_LEN	(8 + crypto_sign_BYTES)
#define CHUNK		65536
#define MANIFEST_MAX	(4 * 1024 * 1024)
#define ABYTES		crypto_secretstream_xchacha20poly1305_ABYTES
#define TAG_MESSAGE	crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL	crypto_secretstream_xchacha20poly1305_TAG_FINAL

#define OFF_FORMAT	8
#define OFF_HDRLEN	10
#define OFF_FLAGS	12
#define OFF_ALG		16
#define OFF_RESV1	20
#define OFF_OPS		24
#define OFF_MEM		32
#define OFF_SALT	40
#define OFF_SS		56
#define OFF_PK		80
#define OFF_CREATED	112
#define OFF_RESV2	120

_Static_assert(crypto_pwhash_SALTBYTES == 16, "salt size");
_Static_assert(crypto_secretstream_xchacha20poly1305_HEADERBYTES == 24,
    "secretstream header size");
_Static_assert(crypto_secretstream_xchacha20poly1305_KEYBYTES == 32,
    "key size");
_Static_assert(OFF_RESV2 + 8 == HDR_LEN, "header layout");

typedef crypto_secretstream_xchacha20poly1305_state ss_state;

struct entry {
	const char *name;		/* in manifest */
	int64_t size;
	unsigned char sha256[32];
	unsigned mode;
};

struct archive {
	int fd;
	char *path;
	int64_t size;
	unsigned char hdr[HDR_LEN];
	unsigned char trailer[TRAILER_LEN];
	unsigned char digest[32];	/* signed: header and body */
	struct archive_info info;
	unsigned long long ops;
	size_t mem;
	unsigned char *key;		/* sodium_malloc'ed, after unlock */
	unsigned char *manifest_text;
	size_t manifest_len;
	json_t *manifest;
	struct entry *files;
	size_t nfiles;
};

/* --- small helpers ---------------------------------------------------- */

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
to_hex(const unsigned char *b, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, b, n);
}

static int
from_hex(const char *s, unsigned char *out, size_t n)
{
	size_t got = 0;

	if (s == NULL || strlen(s) != n * 2 || strspn(s,
	    "0123456789abcdef") != n * 2)
		return -1;
	if (sodium_hex2bin(out, n, s, n * 2, NULL, &got, NULL) != 0 ||
	    got != n)
		return -1;
	return 0;
}

static int
write_full(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Exactly n bytes at off; -1 with errno (0 at end of file). */
static int
pread_full(int fd, void *p, size_t n, int64_t off)
{
	unsigned char *b = p;

	while (n > 0) {
		ssize_t r = pread(fd, b, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		b += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

static ssize_t
read_some(int fd, void *p, size_t n)
{
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* The directory part of path ("." when none); malloc'ed. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	d = xmalloc((size_t)(slash - path) + 1);
	memcpy(d, path, (size_t)(slash - path));
	d[slash - path] = '\0';
	return d;
}

static int
kdf_limits(enum ks_kdf kdf, unsigned long long *ops, size_t *mem)
{
	switch (kdf) {
	case KS_KDF_INTERACTIVE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
		return 0;
	case KS_KDF_MODERATE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
		return 0;
	case KS_KDF_SENSITIVE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
		return 0;
	}
	return -1;
}

static unsigned char *
derive_key(const char *passphrase, const unsigned char *salt,
    unsigned long long ops, size_t mem)
{
	unsigned char *key = sodium_malloc(32);

	if (key == NULL)
		return NULL;
	if (crypto_pwhash(key, 32, passphrase, strlen(passphrase), salt, ops,
	    mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(key);
		return NULL;
	}
	return key;
}

int
archive_name_ok(const char *name)
{
	size_t n, comp = 0;

	if (name == NULL || (n = strlen(name)) == 0 || n > ARCHIVE_NAME_MAX ||
	    name[0] == '/' || name[n - 1] == '/')
		return 0;
	for (const char *p = name; ; p++) {
		if (*p == '/' || *p == '\0') {
			const char *c = p - comp;

			if (comp == 0 || comp > 255 || (comp == 1 && c[0] == '.') ||
			    (comp == 2 && c[0] == '.' && c[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			comp = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return 0;
		comp++;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * No name twice, and no name that is also a directory of another ("a" and
 * "a/b"): either would make extracting fail half-way.  0 or -1 with err.
 */
static int
names_distinct(const char *const *names, size_t n, char *err, size_t errlen)
{
	const char **sorted = xmalloc((n > 0 ? n : 1) * sizeof *sorted);
	int rc = 0;

	memcpy(sorted, names, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char prefix[ARCHIVE_NAME_MAX + 1];

		if (i > 0 && strcmp(sorted[i - 1], sorted[i]) == 0) {
			snprintf(err, errlen, _("%s is listed twice"),
			    sorted[i]);
			rc = -1;
			break;
		}
		str_copy(prefix, sorted[i], sizeof prefix);
		for (char *s = strrchr(prefix, '/'); s != NULL;
		    s = strrchr(prefix, '/')) {
			const char *key = prefix;

			*s = '\0';
			if (bsearch(&key, sorted, n, sizeof *sorted,
			    cmp_str) != NULL) {
				snprintf(err, errlen, _("%s is both a file and "
				    "the directory of %s"), prefix, sorted[i]);
				rc = -1;
				break;
			}
		}
	}
	free(sorted);
	return rc;
}

/* --- writing ------------------------------------------------------------ */

struct writer {
	int fd;
	crypto_hash_sha256_state h;	/* header and body: what is signed */
	ss_state st;
	unsigned char *buf;		/* plaintext waiting, CHUNK bytes */
	size_t used;
	unsigned char *cbuf;		/* 4 + ciphertext */
	size_t ccap;
	int64_t written;
};

static int
w_out(struct writer *w, const void *p, size_t n)
{
	if (write_full(w->fd, p, n) != 0)
		return -1;
	crypto_hash_sha256_update(&w->h, p, n);
	w->written += (int64_t)n;
	return 0;
}

static int
w_record(struct writer *w, const unsigned char *m, size_t mlen,
    unsigned char tag, const unsigned char *ad, size_t adlen)
{
	unsigned long long clen = 0;

	if (mlen + ABYTES + 4 > w->ccap) {
		w->ccap = mlen + ABYTES + 4;
		w->cbuf = xrealloc(w->cbuf, w->ccap);
	}
	if (crypto_secretstream_xchacha20poly1305_push(&w->st, w->cbuf + 4,
	    &clen, m, mlen, ad, adlen, tag) != 0) {
		errno = EINVAL;
		return -1;
	}
	put_le(w->cbuf, clen, 4);
	return w_out(w, w->cbuf, (size_t)clen + 4);
}

/* Add file bytes; a full piece is sent only when more follows. */
static int
w_data(struct writer *w, const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t take;

		if (w->used == CHUNK) {
			if (w_record(w, w->buf, w->used, TAG_MESSAGE, NULL,
			    0) != 0)
				return -1;
			w->used = 0;
		}
		take = CHUNK - w->used < n ? CHUNK - w->used : n;
		memcpy(w->buf + w->used, p, take);
		w->used += take;
		p += take;
		n -= take;
	}
	return 0;
}

/* Hash (and with w, archive) one file; its size in *size. */
static int
pass_file(const struct archive_file *f, struct writer *w, int64_t *size,
    unsigned char sha[32], unsigned char *iobuf, char *err, size_t errlen)
{
	crypto_hash_sha256_state h;
	struct stat st;
	int fd;

	crypto_hash_sha256_init(&h);
	*size = 0;
	if (f->data != NULL) {
		crypto_hash_sha256_update(&h, f->data, f->len);
		*size = (int64_t)f->len;
		crypto_hash_sha256_final(&h, sha);
		if (w != NULL && w_data(w, f->data, f->len) != 0)
			goto write_error;
		return 0;
	}
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, _("cannot read %s: %s"), f->path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, _("%s is not a regular file"), f->path);
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = read_some(fd, iobuf, CHUNK);

		if (r < 0) {
			snprintf(err, errlen, _("cannot read %s: %s"), f->path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		crypto_hash_sha256_update(&h, iobuf, (size_t)r);
		*size += r;
		if (w != NULL && w_data(w, iobuf, (size_t)r) != 0) {
			close(fd);
			goto write_error;
		}
	}
	close(fd);
	crypto_hash_sha256_final(&h, sha);
	return 0;
write_error:
	snprintf(err, errlen, _("cannot write the archive: %s"),
	    strerror(errno));
	return -1;
}

static json_t *
build_manifest(const struct archive_file *files, size_t n,
    const int64_t *sizes, unsigned char (*shas)[32], json_t *meta,
    int64_t created_us, const unsigned char *pk)
{
	char created[40], pkhex[65], hex[65];
	json_t *list = json_array(), *m;

	for (size_t i = 0; i < n; i++) {
		to_hex(shas[i], 32, hex);
		json_array_append_new(list, json_pack("{s:s,s:I,s:s,s:i}",
		    "name", files[i].name, "size", (json_int_t)sizes[i],
		    "sha256", hex, "mode", (int)files[i].mode));
	}
	format_rfc3339_us(created_us, created, sizeof created);
	to_hex(pk, 32, pkhex);
	m = json_pack("{s:s,s:i,s:s,s:I,s:s,s:s,s:o}", "format",
	    ARCHIVE_FORMAT_NAME, "format_version", ARCHIVE_FORMAT_VERSION,
	    "created", created, "created_us", (json_int_t)created_us,
	    "program_version", PACKAGE_VERSION, "console_public_key", pkhex,
	    "files", list);
	if (meta != NULL)
		json_object_set(m, "meta", meta);
	else
		json_object_set_new(m, "meta", json_object());
	return m;
}

static void
make_header(unsigned char *hdr, unsigned long long ops, size_t mem,
    const unsigned char *salt, const unsigned char *sshdr,
    const unsigned char *pk, int64_t created_us)
{
	memset(hdr, 0, HDR_LEN);
	memcpy(hdr, MAGIC, 8);
	put_le(hdr + OFF_FORMAT, ARCHIVE_FORMAT_VERSION, 2);
	put_le(hdr + OFF_HDRLEN, HDR_LEN, 2);
	put_le(hdr + OFF_ALG, crypto_pwhash_ALG_ARGON2ID13, 4);
	put_le(hdr + OFF_OPS, ops, 8);
	put_le(hdr + OFF_MEM, mem, 8);
	memcpy(hdr + OFF_SALT, salt, 16);
	memcpy(hdr + OFF_SS, sshdr, 24);
	memcpy(hdr + OFF_PK, pk, 32);
	put_le(hdr + OFF_CREATED, (uint64_t)created_us, 8);
}

int
archive_write(const char *out_path, const struct archive_file *files,
    size_t n, json_t *meta, const char *passphrase, enum ks_kdf kdf,
    const unsigned char sk[64], int64_t created_us, struct archive_info *info,
    json_t **manifest, char *err, size_t errlen)
{
	struct writer w = { .fd = -1 };
	unsigned char salt[16], sshdr[24], hdr[HDR_LEN], digest[32];
	unsigned char trailer[TRAILER_LEN], whole[32];
	unsigned char (*shas)[32] = NULL;
	crypto_hash_sha256_state wh;
	const char **names = NULL;
	unsigned char *key = NULL, *iobuf = NULL;
	unsigned long long ops;
	int64_t *sizes = NULL;
	char *tmp = NULL, *text = NULL, *dir = NULL;
	json_t *m = NULL;
	size_t mem, tmplen;
	int rc = -1;

	if (manifest != NULL)
		*manifest = NULL;
	if (sodium_init() < 0 || kdf_limits(kdf, &ops, &mem) != 0) {
		str_copy(err, _("libsodium cannot be initialised"), errlen);
		return -1;
	}
	if (n > ARCHIVE_MAX_FILES) {
		snprintf(err, errlen, _("too many files (at most %d)"),
		    ARCHIVE_MAX_FILES);
		return -1;
	}
	if (created_us == 0)
		created_us = now_us();
	names = xmalloc((n > 0 ? n : 1) * sizeof *names);
	for (size_t i = 0; i < n; i++) {
		if (!archive_name_ok(files[i].name)) {
			snprintf(err, errlen, _("'%s' cannot be a name in an "
			    "archive"), files[i].name != NULL ? files[i].name :
			    "(null)");
			goto out;
		}
		if (files[i].mode != 0600 && files[i].mode != 0400) {
			snprintf(err, errlen, _("%s: mode %#o is neither 0600 "
			    "nor 0400"), files[i].name, files[i].mode);
			goto out;
		}
		names[i] = files[i].name;
	}
	if (names_distinct(names, n, err, errlen) != 0)
		goto out;

	/* Pass 1: sizes and hashes, for the manifest that comes first. */
	iobuf = sodium_malloc(CHUNK);
	w.buf = sodium_malloc(CHUNK);
	sizes = xcalloc(n > 0 ? n : 1, sizeof *sizes);
	shas = xcalloc(n > 0 ? n : 1, sizeof *shas);
	if (iobuf == NULL || w.buf == NULL) {
		str_copy(err, _("out of memory"), errlen);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (pass_file(&files[i], NULL, &sizes[i], shas[i], iobuf, err,
		    errlen) != 0)
			goto out;
	m = build_manifest(files, n, sizes, shas, meta, created_us, sk + 32);
	text = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL || strlen(text) > MANIFEST_MAX) {
		str_copy(err, _("the manifest is too large"), errlen);
		goto out;
	}

	/* The key and the header. */
	randombytes_buf(salt, sizeof salt);
	if ((key = derive_key(passphrase, salt, ops, mem)) == NULL) {
		str_copy(err, _("the key cannot be derived from the passphrase "
		    "(out of memory?)"), errlen);
		goto out;
	}
	crypto_secretstream_xchacha20poly1305_init_push(&w.st, sshdr, key);
	make_header(hdr, ops, mem, salt, sshdr, sk + 32, created_us);

	tmplen = strlen(out_path) + 5;
	tmp = xmalloc(tmplen);
	snprintf(tmp, tmplen, "%s.tmp", out_path);
	w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w.fd < 0 || fchmod(w.fd, 0600) != 0) {
		snprintf(err, errlen, _("cannot create %s: %s"), tmp,
		    strerror(errno));
		goto out;
	}
	crypto_hash_sha256_init(&w.h);
	if (w_out(&w, hdr, HDR_LEN) != 0 || w_record(&w,
	    (const unsigned char *)text, strlen(text), TAG_MESSAGE, hdr,
	    HDR_LEN) != 0)
		goto write_error;

	/* Pass 2: the files, each checked against pass 1. */
	for (size_t i = 0; i < n; i++) {
		unsigned char again[32];
		int64_t size;

		if (pass_file(&files[i], &w, &size, again, iobuf, err,
		    errlen) != 0)
			goto out;
		if (size != sizes[i] || memcmp(again, shas[i], 32) != 0) {
			snprintf(err, errlen, _("%s changed while it was being "
			    "archived"), files[i].path != NULL ? files[i].path :
			    files[i].name);
			goto out;
		}
	}
	if (w_record(&w, w.buf, w.used, TAG_FINAL, NULL, 0) != 0)
		goto write_error;

	/* The signature over everything so far, then the whole file's hash. */
	wh = w.h;
	crypto_hash_sha256_final(&w.h, digest);
	memcpy(trailer, SIG_MAGIC, 8);
	crypto_sign_detached(trailer + 8, NULL, digest, sizeof digest, sk);
	if (write_full(w.fd, trailer, sizeof trailer) != 0)
		goto write_error;
	crypto_hash_sha256_update(&wh, trailer, sizeof trailer);
	crypto_hash_sha256_final(&wh, whole);
	w.written += TRAILER_LEN;
	if (fsync(w.fd) != 0)
		goto write_error;
	if (close(w.fd) != 0) {
		w.fd = -1;
		goto write_error;
	}
	w.fd = -1;
	if (rename(tmp, out_path) != 0) {
		snprintf(err, errlen, _("cannot rename %s to %s: %s"), tmp,
		    out_path, strerror(errno));
		goto out;
	}
	dir = dir_of(out_path);
	(void)fsync_dir(dir);
	free(tmp);
	tmp = NULL;

	memset(info, 0, sizeof *info);
	to_hex(whole, 32, info->sha256);
	info->size = w.written;
	info->created_us = created_us;
	memcpy(info->public_key, sk + 32, 32);
	if (manifest != NULL) {
		*manifest = m;
		m = NULL;
	}
	rc = 0;
	goto out;
write_error:
	snprintf(err, errlen, _("cannot write %s: %s"), tmp, strerror(errno));
out:
	if (w.fd >= 0)
		close(w.fd);
	if (tmp != NULL)
		(void)unlink(tmp);
	free(tmp);
	free(dir);
	sodium_free(key);
	sodium_free(iobuf);
	sodium_free(w.buf);
	sodium_memzero(&w.st, sizeof w.st);
	free(w.cbuf);
	free(text);
	free(sizes);
	free(shas);
	free(names);
	json_decref(m);
	return rc;
}

/* --- reading --------------------------------------------------------------- */

static enum archive_status
parse_header(struct archive *a, char *err, size_t errlen)
{
	const unsigned char *h = a->hdr;

	if (memcmp(h, MAGIC, 8) != 0) {
		snprintf(err, errlen, _("%s is not a jope-smb backup archive"),
		    a->path);
		return ARCHIVE_FORMAT;
	}
	if (get_le(h + OFF_FORMAT, 2) != ARCHIVE_FORMAT_VERSION ||
	    get_le(h + OFF_HDRLEN, 2) != HDR_LEN) {
		snprintf(err, errlen, _("%s: archive format %u is not known to "
		    "this program (it reads %d)"), a->path,
		    (unsigned)get_le(h + OFF_FORMAT, 2), ARCHIVE_FORMAT_VERSION);
		return ARCHIVE_FORMAT;
	}
	a->ops = get_le(h + OFF_OPS, 8);
	a->mem = (size_t)get_le(h + OFF_MEM, 8);
	if (get_le(h + OFF_FLAGS, 4) != 0 || get_le(h + OFF_RESV1, 4) != 0 ||
	    get_le(h + OFF_RESV2, 8) != 0 ||
	    get_le(h + OFF_ALG, 4) != crypto_pwhash_ALG_ARGON2ID13 ||
	    a->ops < crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE ||
	    a->ops > crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE ||
	    a->mem < crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE ||
	    a->mem > crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE) {
		snprintf(err, errlen, _("%s: the archive's header is damaged "
		    "or uses key settings this program does not accept"),
		    a->path);
		return ARCHIVE_FORMAT;
	}
	memcpy(a->info.public_key, h + OFF_PK, 32);
	a->info.created_us = (int64_t)get_le(h + OFF_CREATED, 8);
	return ARCHIVE_OK;
}

/* Add the bytes [off, end) of fd to h. */
static int
hash_range(int fd, int64_t off, int64_t end, crypto_hash_sha256_state *h)
{
	unsigned char buf[CHUNK];

	while (off < end) {
		size_t n = end - off < CHUNK ? (size_t)(end - off) : CHUNK;

		if (pread_full(fd, buf, n, off) != 0)
			return -1;
		crypto_hash_sha256_update(h, buf, n);
		off += (int64_t)n;
	}
	return 0;
}

enum archive_status
archive_open(const char *path, struct archive **out, char *err, size_t errlen)
{
	struct archive *a;
	crypto_hash_sha256_state h;
	unsigned char whole[32];
	enum archive_status st;
	struct stat sb;

	*out = NULL;
	if (sodium_init() < 0) {
		str_copy(err, _("libsodium cannot be initialised"), errlen);
		return ARCHIVE_IO;
	}
	a = xcalloc(1, sizeof *a);
	a->path = xstrdup(path);
	if ((a->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(a->fd, &sb) != 0) {
		snprintf(err, errlen, _("cannot read %s: %s"), path,
		    strerror(errno));
		st = ARCHIVE_IO;
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, _("%s is not a regular file"), path);
		st = ARCHIVE_IO;
		goto fail;
	}
	a->size = (int64_t)sb.st_size;
	if (a->size < 8 || pread_full(a->fd, a->hdr, 8, 0) != 0 ||
	    memcmp(a->hdr, MAGIC, 8) != 0) {
		snprintf(err, errlen, _("%s is not a jope-smb backup archive"),
		    path);
		st = ARCHIVE_FORMAT;
		goto fail;
	}
	if (a->size < HDR_LEN + 2 * (4 + (int64_t)ABYTES) + TRAILER_LEN ||
	    pread_full(a->fd, a->hdr, HDR_LEN, 0) != 0) {
		snprintf(err, errlen, _("%s is cut short (truncated?)"), path);
		st = ARCHIVE_FORMAT;
		goto fail;
	}
	if ((st = parse_header(a, err, errlen)) != ARCHIVE_OK)
		goto fail;
	if (pread_full(a->fd, a->trailer, TRAILER_LEN,
	    a->size - TRAILER_LEN) != 0) {
		snprintf(err, errlen, _("cannot read %s: %s"), path,
		    strerror(errno));
		st = ARCHIVE_IO;
		goto fail;
	}
	if (memcmp(a->trailer, SIG_MAGIC, 8) != 0) {
		snprintf(err, errlen, _("%s has no signature at its end "
		    "(truncated or altered)"), path);
		st = ARCHIVE_SIGNATURE;
		goto fail;
	}
	crypto_hash_sha256_init(&h);
	if (hash_range(a->fd, 0, a->size - TRAILER_LEN, &h) != 0) {
		snprintf(err, errlen, _("cannot read %s: %s"), path,
		    strerror(errno));
		st = ARCHIVE_IO;
		goto fail;
	}
	{
		crypto_hash_sha256_state wh = h;

		crypto_hash_sha256_final(&h, a->digest);
		crypto_hash_sha256_update(&wh, a->trailer, TRAILER_LEN);
		crypto_hash_sha256_final(&wh, whole);
	}
	if (crypto_sign_verify_detached(a->trailer + 8, a->digest, 32,
	    a->info.public_key) != 0) {
		snprintf(err, errlen, _("%s: the signature does not verify: "
		    "the archive was altered or damaged"), path);
		st = ARCHIVE_SIGNATURE;
		goto fail;
	}
	to_hex(whole, 32, a->info.sha256);
	a->info.size = a->size;
	*out = a;
	return ARCHIVE_OK;
fail:
	archive_close(a);
	return st;
}

const struct archive_info *
archive_info(const struct archive *a)
{
	return &a->info;
}

const json_t *
archive_manifest(const struct archive *a)
{
	return a->manifest;
}

void
archive_close(struct archive *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	sodium_free(a->key);
	json_decref(a->manifest);
	free(a->manifest_text);
	free(a->files);
	free(a->path);
	free(a);
}

/* Reading the body's records in order. */
struct reader {
	int fd;
	int64_t off, end;		/* end: where the trailer starts */
	crypto_hash_sha256_state h;
	ss_state st;
	unsigned char *cbuf;
	size_t ccap;
};

/*
 * The next record, decrypted into plain (room for max_plain bytes).
 * bad_auth is the answer when it does not decrypt.
 */
static enum archive_status
read_record(struct reader *r, unsigned char *plain, size_t max_plain,
    size_t *plen, unsigned char *tag, const unsigned char *ad, size_t adlen,
    enum archive_status bad_auth, const char *path, char *err, size_t errlen)
{
	unsigned char lenb[4];
	unsigned long long mlen = 0;
	uint64_t clen;

	if (r->end - r->off < 4 || pread_full(r->fd, lenb, 4, r->off) != 0)
		goto short_;
	clen = get_le(lenb, 4);
	if (clen < ABYTES || clen > max_plain + ABYTES) {
		snprintf(err, errlen, _("%s: a record has an impossible "
		    "length: the archive is damaged"), path);
		return ARCHIVE_DAMAGED;
	}
	if ((int64_t)clen > r->end - r->off - 4)
		goto short_;
	if (clen > r->ccap) {
		r->ccap = (size_t)clen;
		r->cbuf = xrealloc(r->cbuf, r->ccap);
	}
	if (pread_full(r->fd, r->cbuf, (size_t)clen, r->off + 4) != 0)
		goto short_;
	crypto_hash_sha256_update(&r->h, lenb, 4);
	crypto_hash_sha256_update(&r->h, r->cbuf, (size_t)clen);
	r->off += 4 + (int64_t)clen;
	if (crypto_secretstream_xchacha20poly1305_pull(&r->st, plain, &mlen,
	    tag, r->cbuf, clen, ad, adlen) != 0) {
		if (bad_auth == ARCHIVE_PASSPHRASE)
			snprintf(err, errlen, _("%s: wrong passphrase"), path);
		else
			snprintf(err, errlen, _("%s: the encrypted data does "
			    "not authenticate: the archive is damaged"), path);
		return bad_auth;
	}
	*plen = (size_t)mlen;
	return ARCHIVE_OK;
short_:
	snprintf(err, errlen, _("%s ends in the middle of a record: the "
	    "archive is damaged"), path);
	return ARCHIVE_DAMAGED;
}

/* Check the manifest's rules and fill a->files. */
static enum archive_status
check_manifest(struct archive *a, char *err, size_t errlen)
{
	const json_t *m = a->manifest, *list, *f;
	const char **names = NULL, *format, *key;
	char pkhex[65], why[512] = "";
	int64_t total = 0;
	size_t i, n;

	to_hex(a->info.public_key, 32, pkhex);
	list = json_object_get(m, "files");
	format = json_string_value(json_object_get(m, "format"));
	key = json_string_value(json_object_get(m, "console_public_key"));
	if (!json_is_object(m) || format == NULL ||
	    strcmp(format, ARCHIVE_FORMAT_NAME) != 0 ||
	    json_integer_value(json_object_get(m, "format_version")) !=
	    ARCHIVE_FORMAT_VERSION) {
		str_copy(why, _("it is not a manifest of this format"),
		    sizeof why);
		goto bad;
	}
	if (json_integer_value(json_object_get(m, "created_us")) !=
	    a->info.created_us || key == NULL || strcmp(key, pkhex) != 0) {
		str_copy(why, _("its time or key differs from the header's"),
		    sizeof why);
		goto bad;
	}
	if (!json_is_array(list) || (n = json_array_size(list)) >
	    ARCHIVE_MAX_FILES) {
		str_copy(why, _("no list of files"), sizeof why);
		goto bad;
	}
	a->files = xcalloc(n > 0 ? n : 1, sizeof *a->files);
	names = xmalloc((n > 0 ? n : 1) * sizeof *names);
	json_array_foreach(list, i, f) {
		struct entry *e = &a->files[i];
		const json_t *size = json_object_get(f, "size");
		const json_t *mode = json_object_get(f, "mode");

		e->name = json_string_value(json_object_get(f, "name"));
		if (!archive_name_ok(e->name) || !json_is_integer(size) ||
		    json_integer_value(size) < 0 || !json_is_integer(mode) ||
		    (json_integer_value(mode) != 0600 &&
		    json_integer_value(mode) != 0400) ||
		    from_hex(json_string_value(json_object_get(f, "sha256")),
		    e->sha256, 32) != 0) {
			snprintf(why, sizeof why, _("entry %zu is not a valid "
			    "file"), i + 1);
			goto bad;
		}
		e->size = (int64_t)json_integer_value(size);
		e->mode = (unsigned)json_integer_value(mode);
		if (e->size > a->size || total > a->size - e->size) {
			snprintf(why, sizeof why, _("%s is larger than the "
			    "archive"), e->name);
			goto bad;
		}
		total += e->size;
		names[i] = e->name;
	}
	a->nfiles = n;
	if (names_distinct(names, n, why, sizeof why) != 0)
		goto bad;
	free(names);
	return ARCHIVE_OK;
bad:
	free(names);
	snprintf(err, errlen, _("%s: the manifest is not valid (%s): the "
	    "archive is damaged"), a->path, why);
	return ARCHIVE_DAMAGED;
}

static void
reader_start(struct reader *r, const struct archive *a)
{
	memset(r, 0, sizeof *r);
	r->fd = a->fd;
	r->off = HDR_LEN;
	r->end = a->size - TRAILER_LEN;
	crypto_hash_sha256_init(&r->h);
	crypto_hash_sha256_update(&r->h, a->hdr, HDR_LEN);
	crypto_secretstream_xchacha20poly1305_init_pull(&r->st,
	    a->hdr + OFF_SS, a->key);
}

static void
reader_end(struct reader *r)
{
	sodium_memzero(&r->st, sizeof r->st);
	free(r->cbuf);
}

enum archive_status
archive_unlock(struct archive *a, const char *passphrase, char *err,
    size_t errlen)
{
	struct reader r;
	unsigned char *plain, tag = 0;
	enum archive_status st;
	size_t plen = 0;

	sodium_free(a->key);
	json_decref(a->manifest);
	free(a->manifest_text);
	free(a->files);
	a->manifest = NULL;
	a->manifest_text = NULL;
	a->files = NULL;
	a->nfiles = 0;
	if ((a->key = derive_key(passphrase, a->hdr + OFF_SALT, a->ops,
	    a->mem)) == NULL) {
		str_copy(err, _("the key cannot be derived from the passphrase "
		    "(out of memory?)"), errlen);
		return ARCHIVE_IO;
	}
	reader_start(&r, a);
	plain = xmalloc(MANIFEST_MAX + 1);
	st = read_record(&r, plain, MANIFEST_MAX, &plen, &tag, a->hdr, HDR_LEN,
	    ARCHIVE_PASSPHRASE, a->path, err, errlen);
	reader_end(&r);
	if (st == ARCHIVE_OK && tag != TAG_MESSAGE) {
		snprintf(err, errlen, _("%s: the manifest record is not where "
		    "it belongs: the archive is damaged"), a->path);
		st = ARCHIVE_DAMAGED;
	}
	if (st == ARCHIVE_OK) {
		json_error_t jerr;

		a->manifest = json_loadb((const char *)plain, plen,
		    JSON_REJECT_DUPLICATES, &jerr);
		a->manifest_text = xmalloc(plen > 0 ? plen : 1);
		memcpy(a->manifest_text, plain, plen);
		a->manifest_len = plen;
		st = check_manifest(a, err, errlen);
	}
	free(plain);
	if (st != ARCHIVE_OK) {
		sodium_free(a->key);
		a->key = NULL;
	}
	return st;
}

/* mkdir -p of name's directories under dest, each 0700. */
static int
make_parents(const char *dest, const char *name, char *err, size_t errlen)
{
	char path[4096];
	size_t base = strlen(dest) + 1;
	struct stat sb;

	if (snprintf(path, sizeof path, "%s/%s", dest, name) >=
	    (int)sizeof path) {
		snprintf(err, errlen, _("%s/%s: name too long"), dest, name);
		return -1;
	}
	for (char *s = strchr(path + base, '/'); s != NULL;
	    s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0700) != 0 && (errno != EEXIST ||
		    lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
			snprintf(err, errlen, _("cannot create %s: %s"), path,
			    strerror(errno));
			return -1;
		}
		*s = '/';
	}
	return 0;
}

/* fsync every directory that received a file, and dest. */
static int
sync_dirs(const struct archive *a, const char *dest, char *err,
    size_t errlen)
{
	char path[4096];

	for (size_t i = 0; i <= a->nfiles; i++) {
		char *d;

		if (i < a->nfiles) {
			snprintf(path, sizeof path, "%s/%s", dest,
			    a->files[i].name);
			d = dir_of(path);
		} else
			d = xstrdup(dest);
		if (fsync_dir(d) != 0) {
			snprintf(err, errlen, _("cannot sync %s: %s"), d,
			    strerror(errno));
			free(d);
			return -1;
		}
		free(d);
	}
	return 0;
}

/* Open the file for entry e under dest; -1 with err. */
static int
create_file(const char *dest, const struct entry *e, char *err, size_t errlen)
{
	char path[4096];
	int fd;

	if (make_parents(dest, e->name, err, errlen) != 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s", dest, e->name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    (mode_t)e->mode);
	if (fd < 0 || fchmod(fd, (mode_t)e->mode) != 0) {
		snprintf(err, errlen, _("cannot create %s: %s"), path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

enum archive_status
archive_extract(struct archive *a, const char *dest_dir, char *err,
    size_t errlen)
{
	unsigned char hdr[HDR_LEN], trailer[TRAILER_LEN], digest[32], tag = 0;
	unsigned char *plain = NULL, *pos = NULL, *mbuf;
	enum archive_status st = ARCHIVE_OK;
	bool final = false;
	struct reader r;
	size_t plen = 0, avail = 0;

	if (a->key == NULL) {
		str_copy(err, _("the archive is not unlocked"), errlen);
		return ARCHIVE_IO;
	}
	if (pread_full(a->fd, hdr, HDR_LEN, 0) != 0 ||
	    memcmp(hdr, a->hdr, HDR_LEN) != 0) {
		snprintf(err, errlen, _("%s changed while it was being read"),
		    a->path);
		return ARCHIVE_DAMAGED;
	}
	/* The files' bytes (secrets among them) only in guarded memory. */
	if ((plain = sodium_malloc(CHUNK)) == NULL) {
		str_copy(err, _("out of memory"), errlen);
		return ARCHIVE_IO;
	}
	reader_start(&r, a);
	mbuf = xmalloc(MANIFEST_MAX);
	st = read_record(&r, mbuf, MANIFEST_MAX, &plen, &tag, a->hdr, HDR_LEN,
	    ARCHIVE_DAMAGED, a->path, err, errlen);
	if (st == ARCHIVE_OK && (tag != TAG_MESSAGE || plen != a->manifest_len
	    || memcmp(mbuf, a->manifest_text, plen) != 0)) {
		snprintf(err, errlen, _("%s changed while it was being read"),
		    a->path);
		st = ARCHIVE_DAMAGED;
	}
	free(mbuf);
	for (size_t i = 0; i < a->nfiles && st == ARCHIVE_OK; i++) {
		const struct entry *e = &a->files[i];
		crypto_hash_sha256_state h;
		unsigned char sha[32];
		int64_t left = e->size;
		int fd = -1;

		if (dest_dir != NULL && (fd = create_file(dest_dir, e, err,
		    errlen)) < 0) {
			st = ARCHIVE_IO;
			break;
		}
		crypto_hash_sha256_init(&h);
		while (left > 0 && st == ARCHIVE_OK) {
			size_t take;

			if (avail == 0) {
				if (final) {
					snprintf(err, errlen, _("%s: the data "
					    "ends before %s is complete: the "
					    "archive is damaged"), a->path,
					    e->name);
					st = ARCHIVE_DAMAGED;
					break;
				}
				st = read_record(&r, plain, CHUNK, &avail, &tag,
				    NULL, 0, ARCHIVE_DAMAGED, a->path, err,
				    errlen);
				if (st != ARCHIVE_OK)
					break;
				if (tag != TAG_MESSAGE && tag != TAG_FINAL) {
					snprintf(err, errlen, _("%s: a record "
					    "has an unknown tag: the archive is "
					    "damaged"), a->path);
					st = ARCHIVE_DAMAGED;
					break;
				}
				final = tag == TAG_FINAL;
				pos = plain;
				continue;
			}
			take = (int64_t)avail < left ? avail : (size_t)left;
			crypto_hash_sha256_update(&h, pos, take);
			if (fd >= 0 && write_full(fd, pos, take) != 0) {
				snprintf(err, errlen, _("cannot write %s/%s: "
				    "%s"), dest_dir, e->name, strerror(errno));
				st = ARCHIVE_IO;
			}
			pos += take;
			avail -= take;
			left -= (int64_t)take;
		}
		crypto_hash_sha256_final(&h, sha);
		if (st == ARCHIVE_OK && memcmp(sha, e->sha256, 32) != 0) {
			snprintf(err, errlen, _("%s: %s does not match its "
			    "SHA-256 in the manifest: the archive is damaged"),
			    a->path, e->name);
			st = ARCHIVE_DAMAGED;
		}
		if (fd >= 0) {
			if (st == ARCHIVE_OK && fsync(fd) != 0) {
				snprintf(err, errlen, _("cannot sync %s/%s: %s"),
				    dest_dir, e->name, strerror(errno));
				st = ARCHIVE_IO;
			}
			close(fd);
		}
	}
	if (st == ARCHIVE_OK && avail > 0) {
		snprintf(err, errlen, _("%s: more data than the manifest lists: "
		    "the archive is damaged"), a->path);
		st = ARCHIVE_DAMAGED;
	}
	if (st == ARCHIVE_OK && !final) {
		st = read_record(&r, plain, CHUNK, &avail, &tag, NULL, 0,
		    ARCHIVE_DAMAGED, a->path, err, errlen);
		if (st == ARCHIVE_OK && (tag != TAG_FINAL || avail != 0)) {
			snprintf(err, errlen, _("%s: the data does not end "
			    "where the manifest does: the archive is damaged"),
			    a->path);
			st = ARCHIVE_DAMAGED;
		}
	}
	if (st == ARCHIVE_OK && r.off != r.end) {
		snprintf(err, errlen, _("%s: data after the end of the "
		    "encrypted stream: the archive is damaged"), a->path);
		st = ARCHIVE_DAMAGED;
	}
	if (st == ARCHIVE_OK) {
		crypto_hash_sha256_final(&r.h, digest);
		if (memcmp(digest, a->digest, 32) != 0 ||
		    pread_full(a->fd, trailer, TRAILER_LEN, r.end) != 0 ||
		    memcmp(trailer, a->trailer, TRAILER_LEN) != 0) {
			snprintf(err, errlen, _("%s changed while it was being "
			    "read"), a->path);
			st = ARCHIVE_DAMAGED;
		}
	}
	if (st == ARCHIVE_OK && dest_dir != NULL)
		if (sync_dirs(a, dest_dir, err, errlen) != 0)
			st = ARCHIVE_IO;
	sodium_free(plain);
	reader_end(&r);
	return st;
}

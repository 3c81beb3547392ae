/*
 * test_archive.c: the specification of the backup archive (archive.h,
 * doc/backup.md), as tests.
 *
 * Round trip: files from paths and from memory, empty, nested, 0400 and
 * 0600, sizes on and off the 64 KiB record boundary, and no files at all,
 * come back byte for byte with their modes, and the info (size, SHA-256
 * of the file, key, time) is the file's.  Refusals: a wrong passphrase; a
 * flipped bit anywhere in the file (header, body, signature) by the
 * signature, and, when the file is signed again after the flip (the key
 * holder's own mistake, or someone with the key), by the AEAD; a
 * truncated file, also one that lost its last record and was signed
 * again; a manifest whose hash does not match its file, and one with a
 * name that would leave the destination (both made with the format's
 * own rules, as a foreign writer would).  Names: the rules of
 * archive_name_ok, and archive_write refusing a duplicate or a name that
 * is a directory of another.  The format is written again here from
 * doc/backup.md (forge, resign), so the tests check the document too.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "compliance/archive.h"
#include "core/util.h"
#include "tests/unit/tmpdir.h"

#define PASS	"correct horse battery"
#define HDR_LEN	128
#define TRAILER	72
#define KDF	KS_KDF_INTERACTIVE

struct fixture {
	char dir[64];
	char out[128];		/* the archive */
	char dest[128];		/* where it is extracted */
	unsigned char pk[32], sk[64];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	if (sodium_init() < 0)
		return -1;
	strcpy(f->dir, "/tmp/jope-archive-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->out, sizeof f->out, "%s/backup.jsb", f->dir);
	snprintf(f->dest, sizeof f->dest, "%s/dest", f->dir);
	crypto_sign_keypair(f->pk, f->sk);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static unsigned char *
read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
write_all(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void
sha256_hex(const unsigned char *p, size_t n, char out[65])
{
	unsigned char h[32];

	crypto_hash_sha256(h, p, n);
	sodium_bin2hex(out, 65, h, 32);
}

/* A random file of n bytes at dir/name. */
static char *
random_file(const struct fixture *f, const char *name, size_t n)
{
	unsigned char *buf = xmalloc(n + 1);
	char *path = xmalloc(256);

	randombytes_buf(buf, n);
	snprintf(path, 256, "%s/%s", f->dir, name);
	write_all(path, buf, n);
	free(buf);
	return path;
}

static void
assert_same_file(const char *a, const char *b)
{
	size_t na, nb;
	unsigned char *pa = read_all(a, &na), *pb = read_all(b, &nb);

	assert_int_equal(na, nb);
	assert_memory_equal(pa, pb, na);
	free(pa);
	free(pb);
}

static int
write_archive(const struct fixture *f, const struct archive_file *files,
    size_t n)
{
	struct archive_info info;
	char err[512];
	json_t *meta = json_pack("{s:s}", "spool", "spool.db");
	int rc = archive_write(f->out, files, n, meta, PASS, KDF, f->sk, 0,
	    &info, NULL, err, sizeof err);

	json_decref(meta);
	if (rc != 0)
		print_message("archive_write: %s\n", err);
	return rc;
}

/* open, unlock and check everything; the first refusal. */
static enum archive_status
check_archive(const char *path, const char *pass)
{
	struct archive *a = NULL;
	enum archive_status st;
	char err[512];

	if ((st = archive_open(path, &a, err, sizeof err)) == ARCHIVE_OK &&
	    (st = archive_unlock(a, pass, err, sizeof err)) == ARCHIVE_OK)
		st = archive_extract(a, NULL, err, sizeof err);
	archive_close(a);
	return st;
}

/* --- round trip ----------------------------------------------------------- */

static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	char *big = random_file(f, "big", 200000);
	char *exact = random_file(f, "exact", 65536);
	char *empty = random_file(f, "empty", 0);
	static const char key[] = "0123abcd secret\n";
	struct archive_file files[] = {
		{ .name = "spool.db", .path = big, .mode = 0600 },
		{ .name = "console.key", .data = key, .len = sizeof key - 1,
		  .mode = 0600 },
		{ .name = "config-versions/0001/app.json", .path = exact,
		  .mode = 0400 },
		{ .name = "config-versions/CURRENT", .data = "1\n", .len = 2,
		  .mode = 0600 },
		{ .name = "empty", .path = empty, .mode = 0600 },
	};
	struct archive_info info;
	struct archive *a = NULL;
	const json_t *m;
	json_t *written = NULL, *meta = json_pack("{s:s}", "spool",
	    "spool.db");
	char err[512], path[256], hex[65];
	unsigned char *bytes;
	struct stat sb;
	size_t len;

	assert_int_equal(archive_write(f->out, files, 5, meta, PASS, KDF,
	    f->sk, 0, &info, &written, err, sizeof err), 0);
	json_decref(meta);
	assert_int_equal(stat(f->out, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof path, "%s.tmp", f->out);
	assert_int_not_equal(access(path, F_OK), 0);
	bytes = read_all(f->out, &len);
	sha256_hex(bytes, len, hex);
	free(bytes);
	assert_string_equal(info.sha256, hex);
	assert_int_equal(info.size, (int64_t)len);
	assert_memory_equal(info.public_key, f->pk, 32);
	assert_int_equal(json_array_size(json_object_get(written, "files")),
	    5);

	assert_int_equal(archive_open(f->out, &a, err, sizeof err),
	    ARCHIVE_OK);
	assert_string_equal(archive_info(a)->sha256, hex);
	assert_int_equal(archive_info(a)->created_us, info.created_us);
	assert_memory_equal(archive_info(a)->public_key, f->pk, 32);
	assert_int_equal(archive_unlock(a, PASS, err, sizeof err), ARCHIVE_OK);
	m = archive_manifest(a);
	assert_true(json_equal((json_t *)m, written));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    m, "meta"), "spool")), "spool.db");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(m, "files"), 0), "size")), 200000);
	assert_int_equal(archive_extract(a, NULL, err, sizeof err), ARCHIVE_OK);
	assert_int_not_equal(access(f->dest, F_OK), 0);
	assert_int_equal(mkdir(f->dest, 0700), 0);
	assert_int_equal(archive_extract(a, f->dest, err, sizeof err),
	    ARCHIVE_OK);
	archive_close(a);
	json_decref(written);

	snprintf(path, sizeof path, "%s/spool.db", f->dest);
	assert_same_file(path, big);
	snprintf(path, sizeof path, "%s/config-versions/0001/app.json",
	    f->dest);
	assert_same_file(path, exact);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0400);
	snprintf(path, sizeof path, "%s/config-versions", f->dest);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof path, "%s/empty", f->dest);
	assert_same_file(path, empty);
	snprintf(path, sizeof path, "%s/console.key", f->dest);
	bytes = read_all(path, &len);
	assert_int_equal(len, sizeof key - 1);
	assert_memory_equal(bytes, key, len);
	free(bytes);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(big);
	free(exact);
	free(empty);
}

/* Data exactly two records long, and an archive of no files. */
static void
test_round_trip_edges(void **state)
{
	struct fixture *f = *state;
	char *two = random_file(f, "two", 2 * 65536);
	struct archive_file files[] = {
		{ .name = "two", .path = two, .mode = 0600 },
	};

	assert_int_equal(write_archive(f, files, 1), 0);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_OK);
	assert_int_equal(write_archive(f, NULL, 0), 0);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_OK);
	free(two);
}

/* --- refusals ----------------------------------------------------------- */

static void
small_archive(struct fixture *f)
{
	char *data = random_file(f, "data", 150000);
	struct archive_file files[] = {
		{ .name = "spool.db", .path = data, .mode = 0600 },
		{ .name = "keystore.json", .data = "{}\n", .len = 3,
		  .mode = 0600 },
	};

	assert_int_equal(write_archive(f, files, 2), 0);
	free(data);
}

static void
test_wrong_passphrase(void **state)
{
	struct fixture *f = *state;
	struct archive *a = NULL;
	char err[512];

	small_archive(f);
	assert_int_equal(archive_open(f->out, &a, err, sizeof err), ARCHIVE_OK);
	assert_int_equal(archive_unlock(a, "not the passphrase", err,
	    sizeof err), ARCHIVE_PASSPHRASE);
	assert_non_null(strstr(err, "wrong passphrase"));
	assert_null(archive_manifest(a));
	assert_int_equal(archive_extract(a, NULL, err, sizeof err), ARCHIVE_IO);
	/* The right one still works on the same handle. */
	assert_int_equal(archive_unlock(a, PASS, err, sizeof err), ARCHIVE_OK);
	assert_int_equal(archive_extract(a, NULL, err, sizeof err), ARCHIVE_OK);
	archive_close(a);
}

static void
flip(const char *path, const char *copy, size_t pos, int bit)
{
	size_t len;
	unsigned char *b = read_all(path, &len);

	assert_true(pos < len);
	b[pos] ^= (unsigned char)(1u << bit);
	write_all(copy, b, len);
	free(b);
}

/* Every byte of header and trailer, and bytes all through the body. */
static void
test_flipped_bit_refused_by_signature(void **state)
{
	struct fixture *f = *state;
	char copy[160], err[512];
	size_t len, tested = 0;
	unsigned char *b;

	small_archive(f);
	b = read_all(f->out, &len);
	free(b);
	snprintf(copy, sizeof copy, "%s/flipped", f->dir);
	for (size_t pos = 0; pos < len; pos++) {
		struct archive *a = NULL;
		enum archive_status st;

		if (pos >= HDR_LEN + 64 && pos < len - TRAILER && pos % 331 != 0)
			continue;
		flip(f->out, copy, pos, (int)(pos % 8));
		st = archive_open(copy, &a, err, sizeof err);
		if (st == ARCHIVE_OK) {
			print_message("flip at %zu not refused\n", pos);
			archive_close(a);
			fail();
		}
		assert_true(st == ARCHIVE_SIGNATURE || st == ARCHIVE_FORMAT);
		tested++;
	}
	assert_true(tested > HDR_LEN + TRAILER + 400);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_OK);
}

/* Sign path again with sk, as its key holder could. */
static void
resign(const char *path, const unsigned char *sk)
{
	size_t len;
	unsigned char *b = read_all(path, &len), h[32];

	crypto_hash_sha256(h, b, len - TRAILER);
	memcpy(b + len - TRAILER, "JSMBSIG1", 8);
	crypto_sign_detached(b + len - 64, NULL, h, 32, sk);
	write_all(path, b, len);
	free(b);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Signed again after the flip: the AEAD refuses what the signature let by. */
static void
test_flipped_bit_refused_by_aead(void **state)
{
	struct fixture *f = *state;
	char copy[160];
	size_t len, manifest_end, data_pos;
	unsigned char *b;

	small_archive(f);
	b = read_all(f->out, &len);
	manifest_end = HDR_LEN + 4 + le32(b + HDR_LEN);
	data_pos = manifest_end + 4 + 1000;
	free(b);
	snprintf(copy, sizeof copy, "%s/flipped", f->dir);

	/* The salt: another key, the manifest does not open. */
	flip(f->out, copy, 40, 3);
	resign(copy, f->sk);
	assert_int_equal(check_archive(copy, PASS), ARCHIVE_PASSPHRASE);
	/* The secretstream header, the creation time: additional data. */
	flip(f->out, copy, 60, 0);
	resign(copy, f->sk);
	assert_int_equal(check_archive(copy, PASS), ARCHIVE_PASSPHRASE);
	flip(f->out, copy, 113, 5);
	resign(copy, f->sk);
	assert_int_equal(check_archive(copy, PASS), ARCHIVE_PASSPHRASE);
	/* The manifest's ciphertext. */
	flip(f->out, copy, HDR_LEN + 30, 1);
	resign(copy, f->sk);
	assert_int_not_equal(check_archive(copy, PASS), ARCHIVE_OK);
	/* A file's ciphertext. */
	flip(f->out, copy, data_pos, 6);
	resign(copy, f->sk);
	assert_int_equal(check_archive(copy, PASS), ARCHIVE_DAMAGED);
	/* A record length. */
	flip(f->out, copy, manifest_end + 1, 0);
	resign(copy, f->sk);
	assert_int_equal(check_archive(copy, PASS), ARCHIVE_DAMAGED);
	/* The public key: signed again by another key, which is then in it. */
	{
		unsigned char pk2[32], sk2[64];

		crypto_sign_keypair(pk2, sk2);
		b = read_all(f->out, &len);
		memcpy(b + 80, pk2, 32);
		write_all(copy, b, len);
		free(b);
		resign(copy, sk2);
		assert_int_equal(check_archive(copy, PASS), ARCHIVE_PASSPHRASE);
	}
}

static void
test_truncated_refused(void **state)
{
	struct fixture *f = *state;
	char copy[160];
	size_t len, cuts[8], pos, last = 0;
	unsigned char *b;

	small_archive(f);
	b = read_all(f->out, &len);
	cuts[0] = 0; cuts[1] = 7; cuts[2] = 100; cuts[3] = len / 2;
	cuts[4] = len - TRAILER - 1; cuts[5] = len - TRAILER;
	cuts[6] = len - 1; cuts[7] = HDR_LEN;
	snprintf(copy, sizeof copy, "%s/cut", f->dir);
	for (size_t i = 0; i < 8; i++) {
		write_all(copy, b, cuts[i]);
		assert_int_not_equal(check_archive(copy, PASS), ARCHIVE_OK);
	}
	/* The last record dropped and signed again: the stream has no end. */
	for (pos = HDR_LEN; pos < len - TRAILER; pos += 4 + le32(b + pos))
		last = pos;
	memmove(b + last, b + len - TRAILER, TRAILER);
	write_all(copy, b, last + TRAILER);
	resign(copy, f->sk);
	assert_int_equal(check_archive(copy, PASS), ARCHIVE_DAMAGED);
	free(b);
}

/*
 * Write an archive by the rules of doc/backup.md with any manifest: what a
 * writer other than archive_write could make.
 */
static void
forge(const struct fixture *f, const char *files_json, const void *data,
    size_t len)
{
	unsigned char hdr[HDR_LEN], key[32], h[32], sig[64];
	unsigned char *c = xmalloc(len + 4096 + 64);
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned long long clen;
	char manifest[4096], pkhex[65];
	int64_t created = 1700000000000000;
	FILE *fp = fopen(f->out, "wb");
	crypto_hash_sha256_state hs;

	assert_non_null(fp);
	sodium_bin2hex(pkhex, sizeof pkhex, f->pk, 32);
	snprintf(manifest, sizeof manifest, "{\"format\":\"jope-smb-backup\","
	    "\"format_version\":1,\"created_us\":%lld,"
	    "\"console_public_key\":\"%s\",\"files\":%s,\"meta\":{}}",
	    (long long)created, pkhex, files_json);
	memset(hdr, 0, sizeof hdr);
	memcpy(hdr, "JSMBBKUP", 8);
	hdr[8] = 1;
	hdr[10] = HDR_LEN;
	hdr[16] = crypto_pwhash_ALG_ARGON2ID13;
	hdr[24] = (unsigned char)crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
	for (int i = 0; i < 8; i++)
		hdr[32 + i] = (unsigned char)((uint64_t)
		    crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE >> (8 * i));
	randombytes_buf(hdr + 40, 16);
	memcpy(hdr + 80, f->pk, 32);
	for (int i = 0; i < 8; i++)
		hdr[112 + i] = (unsigned char)((uint64_t)created >> (8 * i));
	assert_int_equal(crypto_pwhash(key, 32, PASS, strlen(PASS), hdr + 40,
	    crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE,
	    crypto_pwhash_ALG_ARGON2ID13), 0);
	crypto_secretstream_xchacha20poly1305_init_push(&st, hdr + 56, key);
	crypto_hash_sha256_init(&hs);
	fwrite(hdr, 1, HDR_LEN, fp);
	crypto_hash_sha256_update(&hs, hdr, HDR_LEN);
	crypto_secretstream_xchacha20poly1305_push(&st, c + 4, &clen,
	    (const unsigned char *)manifest, strlen(manifest), hdr, HDR_LEN,
	    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	for (int i = 0; i < 4; i++)
		c[i] = (unsigned char)(clen >> (8 * i));
	fwrite(c, 1, clen + 4, fp);
	crypto_hash_sha256_update(&hs, c, clen + 4);
	crypto_secretstream_xchacha20poly1305_push(&st, c + 4, &clen, data,
	    len, NULL, 0, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	for (int i = 0; i < 4; i++)
		c[i] = (unsigned char)(clen >> (8 * i));
	fwrite(c, 1, clen + 4, fp);
	crypto_hash_sha256_update(&hs, c, clen + 4);
	crypto_hash_sha256_final(&hs, h);
	crypto_sign_detached(sig, NULL, h, 32, f->sk);
	fwrite("JSMBSIG1", 1, 8, fp);
	fwrite(sig, 1, 64, fp);
	assert_int_equal(fclose(fp), 0);
	free(c);
}

static void
test_forged_archive_checks(void **state)
{
	struct fixture *f = *state;
	char files[512], hex[65], err[512];
	struct archive *a = NULL;
	static const char data[] = "hello, world\n";

	/* The format itself, as documented: accepted. */
	sha256_hex((const unsigned char *)data, sizeof data - 1, hex);
	snprintf(files, sizeof files, "[{\"name\":\"a/hello\",\"size\":%zu,"
	    "\"sha256\":\"%s\",\"mode\":384}]", sizeof data - 1, hex);
	forge(f, files, data, sizeof data - 1);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_OK);

	/* The hash of another content: refused, named. */
	sha256_hex((const unsigned char *)"hello, world!\n", 14, hex);
	snprintf(files, sizeof files, "[{\"name\":\"a/hello\",\"size\":%zu,"
	    "\"sha256\":\"%s\",\"mode\":384}]", sizeof data - 1, hex);
	forge(f, files, data, sizeof data - 1);
	assert_int_equal(archive_open(f->out, &a, err, sizeof err), ARCHIVE_OK);
	assert_int_equal(archive_unlock(a, PASS, err, sizeof err), ARCHIVE_OK);
	assert_int_equal(archive_extract(a, NULL, err, sizeof err),
	    ARCHIVE_DAMAGED);
	assert_non_null(strstr(err, "a/hello"));
	assert_non_null(strstr(err, "SHA-256"));
	archive_close(a);

	/* A size that is not the data's: more data than listed. */
	sha256_hex((const unsigned char *)data, 5, hex);
	snprintf(files, sizeof files, "[{\"name\":\"a/hello\",\"size\":5,"
	    "\"sha256\":\"%s\",\"mode\":384}]", hex);
	forge(f, files, data, sizeof data - 1);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_DAMAGED);
	/* Less data than listed. */
	snprintf(files, sizeof files, "[{\"name\":\"a/hello\",\"size\":100,"
	    "\"sha256\":\"%s\",\"mode\":384}]", hex);
	forge(f, files, data, sizeof data - 1);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_DAMAGED);

	/* Names that would leave the destination, or collide. */
	forge(f, "[{\"name\":\"../evil\",\"size\":0,\"sha256\":"
	    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
	    "\"mode\":384}]", "", 0);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_DAMAGED);
	forge(f, "[{\"name\":\"/etc/evil\",\"size\":0,\"sha256\":"
	    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
	    "\"mode\":384}]", "", 0);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_DAMAGED);
	forge(f, "[{\"name\":\"a\",\"size\":0,\"sha256\":"
	    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
	    "\"mode\":384},{\"name\":\"a/b\",\"size\":0,\"sha256\":"
	    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
	    "\"mode\":384}]", "", 0);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_DAMAGED);
	forge(f, "[{\"name\":\"x\",\"size\":0,\"sha256\":"
	    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
	    "\"mode\":511}]", "", 0);
	assert_int_equal(check_archive(f->out, PASS), ARCHIVE_DAMAGED);
}

static void
test_not_an_archive(void **state)
{
	struct fixture *f = *state;
	struct archive *a = NULL;
	char err[512];

	write_all(f->out, "SQLite format 3\0 and more bytes here", 37);
	assert_int_equal(archive_open(f->out, &a, err, sizeof err),
	    ARCHIVE_FORMAT);
	assert_non_null(strstr(err, "not a jope-smb backup archive"));
	assert_int_equal(archive_open("/nonexistent/x", &a, err, sizeof err),
	    ARCHIVE_IO);
	assert_null(a);
}

static void
test_names(void **state)
{
	struct fixture *f = *state;
	struct archive_file dup[] = {
		{ .name = "a", .data = "1", .len = 1, .mode = 0600 },
		{ .name = "a", .data = "2", .len = 1, .mode = 0600 },
	};
	struct archive_file dir[] = {
		{ .name = "a/b/c", .data = "1", .len = 1, .mode = 0600 },
		{ .name = "a/b", .data = "2", .len = 1, .mode = 0600 },
	};
	struct archive_file bad[] = {
		{ .name = "a/../b", .data = "1", .len = 1, .mode = 0600 },
	};
	struct archive_file mode[] = {
		{ .name = "a", .data = "1", .len = 1, .mode = 0644 },
	};

	assert_true(archive_name_ok("spool.db"));
	assert_true(archive_name_ok("config-versions/0001/app.json"));
	assert_true(archive_name_ok(".hidden"));
	assert_false(archive_name_ok(""));
	assert_false(archive_name_ok("/abs"));
	assert_false(archive_name_ok("a//b"));
	assert_false(archive_name_ok("a/"));
	assert_false(archive_name_ok(".."));
	assert_false(archive_name_ok("a/./b"));
	assert_false(archive_name_ok("a b"));
	assert_false(archive_name_ok("a\\b"));
	assert_false(archive_name_ok(NULL));
	assert_int_not_equal(write_archive(f, dup, 2), 0);
	assert_int_not_equal(write_archive(f, dir, 2), 0);
	assert_int_not_equal(write_archive(f, bad, 1), 0);
	assert_int_not_equal(write_archive(f, mode, 1), 0);
	assert_int_not_equal(access(f->out, F_OK), 0);
}

/* A file that cannot be read: nothing is left behind. */
static void
test_write_failure_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	char tmp[160];
	struct archive_file files[] = {
		{ .name = "x", .path = "/nonexistent/file", .mode = 0600 },
	};

	assert_int_not_equal(write_archive(f, files, 1), 0);
	assert_int_not_equal(access(f->out, F_OK), 0);
	snprintf(tmp, sizeof tmp, "%s.tmp", f->out);
	assert_int_not_equal(access(tmp, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_flipped_bit_refused_by_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_flipped_bit_refused_by_aead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forged_archive_checks,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_an_archive, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_write_failure_leaves_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

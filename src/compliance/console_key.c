/*
 * console_key.c: load or create the console's sealing key (console_key.h).
 *
 * The key signs without a password (the console seals events while nobody is
 * at the keyboard), so the file's protection is its mode and the state dir's
 * (0700): a key readable by others is refused, not silently used.  The
 * secret bytes live in sodium_malloc'ed, mlock'ed memory and are wiped when
 * the key is freed.  A new key is written to a temporary file of mode 0600,
 * fsync'ed and renamed, so a crash never leaves half a key.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "compliance/console_key.h"
#include "core/i18n.h"
#include "core/util.h"

#define KEY_FILE "console.key"
#define HEX_LEN (crypto_sign_SECRETKEYBYTES * 2)

struct console_key {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char *sk;              /* sodium_malloc'ed */
};

static char *
key_path(const char *state_dir)
{
	size_t n = strlen(state_dir) + sizeof KEY_FILE + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s", state_dir, KEY_FILE);
	return p;
}

static struct console_key *
key_new(void)
{
	struct console_key *k = xcalloc(1, sizeof *k);

	k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (k->sk == NULL) {
		free(k);
		return NULL;
	}
	return k;
}

void
console_key_free(struct console_key *k)
{
	if (k == NULL)
		return;
	sodium_free(k->sk);
	free(k);
}

/* Read and check an existing key file; 1 when missing, 0 ok, -1 error. */
static int
read_key(const char *path, struct console_key *k, char *err, size_t errlen)
{
	char *hex = sodium_malloc(HEX_LEN + 2);
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	if (hex == NULL) {
		snprintf(err, errlen, _("%s: out of memory"), path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			rc = 1;
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, _("%s: not a regular file"), path);
		goto out_fd;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, _("%s: mode %04o lets others read the "
		    "console's key; refused (chmod 600 %s)"), path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out_fd;
	}
	n = read(fd, hex, HEX_LEN + 2);
	if (n < HEX_LEN || (n > HEX_LEN && hex[HEX_LEN] != '\n') ||
	    sodium_hex2bin(k->sk, crypto_sign_SECRETKEYBYTES, hex, HEX_LEN,
	    NULL, NULL, NULL) != 0) {
		snprintf(err, errlen, _("%s: not a console key (damaged?)"),
		    path);
		goto out_fd;
	}
	crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
	rc = 0;
out_fd:
	close(fd);
out:
	sodium_free(hex);
	return rc;
}

static int
write_key(const char *state_dir, const char *path, struct console_key *k,
    char *err, size_t errlen)
{
	size_t n = strlen(path) + 8;
	char *tmp = xmalloc(n);
	char *hex = sodium_malloc(HEX_LEN + 2);
	int fd = -1, rc = -1;

	/* A name of its own: two first starts at once never share a file. */
	n += 8;
	tmp = xrealloc(tmp, n);
	snprintf(tmp, n, "%s.XXXXXX", path);
	if (hex == NULL)
		goto out;
	crypto_sign_keypair(k->pk, k->sk);
	sodium_bin2hex(hex, HEX_LEN + 1, k->sk, crypto_sign_SECRETKEYBYTES);
	hex[HEX_LEN] = '\n';
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0600) != 0 ||
	    write(fd, hex, HEX_LEN + 1) != HEX_LEN + 1 || fsync(fd) != 0) {
		snprintf(err, errlen, _("%s: cannot write the console key: %s"),
		    tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto out;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, _("%s: cannot write the console key: %s"),
		    tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* link(), not rename(): two first starts at once keep one key. */
	if (link(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		if (e == EEXIST) {
			rc = read_key(path, k, err, errlen);
			goto out;
		}
		snprintf(err, errlen, _("%s: cannot write the console key: %s"),
		    path, strerror(e));
		goto out;
	}
	unlink(tmp);
	fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	rc = 0;
out:
	sodium_free(hex);
	free(tmp);
	return rc;
}

static struct console_key *
load(const char *state_dir, bool create, char *err, size_t errlen)
{
	char *path = key_path(state_dir);
	struct console_key *k;
	int rc;

	if (sodium_init() < 0 || (k = key_new()) == NULL) {
		snprintf(err, errlen, _("cannot initialise libsodium"));
		free(path);
		return NULL;
	}
	rc = read_key(path, k, err, errlen);
	if (rc == 1 && !create)
		snprintf(err, errlen, _("%s: no console key: this state dir "
		    "has never run a console"), path);
	else if (rc == 1)
		rc = write_key(state_dir, path, k, err, errlen);
	free(path);
	if (rc != 0) {
		console_key_free(k);
		return NULL;
	}
	sodium_mprotect_readonly(k->sk);
	return k;
}

struct console_key *
console_key_load(const char *state_dir, char *err, size_t errlen)
{
	return load(state_dir, true, err, errlen);
}

struct console_key *
console_key_open(const char *state_dir, char *err, size_t errlen)
{
	return load(state_dir, false, err, errlen);
}

const unsigned char *
console_key_public(const struct console_key *k)
{
	return k->pk;
}

const unsigned char *
console_key_secret(const struct console_key *k)
{
	return k->sk;
}

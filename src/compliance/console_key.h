/*
 * console_key.h: the console's own Ed25519 key, which seals the audit trail.
 *
 * Created on first start in the state dir (console.key, mode 0600, the 64
 * secret bytes in hex) and refused when group or others can read it.  Its
 * public key goes with every exported trail and into the historian, so that
 * anybody can check the console's signature on each audit event.
 */
#ifndef JOPE_CONSOLE_KEY_H
#define JOPE_CONSOLE_KEY_H

#include <stddef.h>

struct console_key;

/* Load state_dir/console.key, creating it when missing; NULL with err. */
struct console_key *console_key_load(const char *state_dir, char *err,
    size_t errlen);
/* Load only: NULL with err when it does not exist (verification tools). */
struct console_key *console_key_open(const char *state_dir, char *err,
    size_t errlen);
void console_key_free(struct console_key *k);
const unsigned char *console_key_public(const struct console_key *k);
/* The 64 secret bytes, in guarded memory owned by k. */
const unsigned char *console_key_secret(const struct console_key *k);

#endif

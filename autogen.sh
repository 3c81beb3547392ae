#!/bin/sh
# autogen.sh: prepare a fresh clone for ./configure.
#
# It installs the Debian packages the build, the tests and the demo need when
# they are missing (and we are root with apt-get), generates the zh_TW.UTF-8
# and sk_SK.UTF-8 locales the Chinese and Slovak tests use, then runs autoreconf.  Every step is skipped
# when already done, so running it again is cheap.
set -eu
cd "$(dirname "$0")"

PACKAGES="build-essential autoconf automake autopoint libtool pkg-config gettext
 libncurses-dev libmodbus-dev libpq-dev libzmq3-dev libsodium-dev
 libsqlite3-dev sqlite3 libjansson-dev libcmocka-dev
 postgresql-15 postgresql-client-15 tmux locales clang libclang-rt-14-dev jq"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "autogen.sh: installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing >/dev/null
    else
        echo "autogen.sh: missing Debian packages:$missing" >&2
        echo "autogen.sh: install them (as root: apt-get install$missing) and run again" >&2
        exit 1
    fi
fi

# The Chinese and Slovak UI tests need real zh_TW.UTF-8 and sk_SK.UTF-8 locales.
for loc in zh_TW sk_SK; do
    if ! locale -a 2>/dev/null | grep -qi "^$loc\.utf-\?8\$"; then
        if [ "$(id -u)" = 0 ] && [ -f /etc/locale.gen ]; then
            echo "autogen.sh: generating $loc.UTF-8 locale"
            sed -i "s/^# *\($loc.UTF-8 UTF-8\)/\1/" /etc/locale.gen
            grep -q "^$loc.UTF-8 UTF-8" /etc/locale.gen || echo "$loc.UTF-8 UTF-8" >> /etc/locale.gen
            locale-gen >/dev/null
        else
            echo "autogen.sh: warning: no $loc.UTF-8 locale; the $loc console tests will be skipped" >&2
        fi
    fi
done

autoreconf --install --force >/dev/null 2>&1 || autoreconf --install --force
echo "autogen.sh: done; now run ./configure"

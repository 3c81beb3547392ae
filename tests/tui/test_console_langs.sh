#!/bin/sh
# test_console_langs.sh: every screen in every language at 80x24.
#
# The demo plant on ports 16970..16976 (TUI_PORT_BASE 16950), PT-303 with
# an H limit at 12 bar so the alarm list has a row.  For English
# (C.UTF-8), Traditional Chinese (zh_TW.UTF-8, LANGUAGE=zh_TW) and Slovak
# (sk_SK.UTF-8, LANGUAGE=sk) the console is started in a tmux window of
# 80x24 and shown every screen, F2 to F7, with its F1 help, and on the
# batch screen the e-signature dialog of a start (s) and the maintenance
# form (m), each closed with Esc.  Every capture must be:
#   - no wider than 80 columns (tui_check_width);
#   - valid UTF-8 with no U+FFFD: nothing cut mid-character;
#   - in its language: some CJK characters for zh_TW, a word with a
#     Slovak diacritic for sk.  The catalogues are the build's po/*.gmo,
#     else the tarball's (in the source dir, as under distcheck), else
#     compiled here from po/*.po.
# A language whose locale is not installed (autogen.sh generates them) is
# skipped, saying why, and then the whole test reports SKIP rather than a
# pass, once the other languages have been checked.
TUI_NAME=console-langs
TUI_PORT_BASE=16950
TUI_COLS=80
TUI_LINES=24
. "$(dirname "$0")/tui_lib.sh"

tui_config
tui_config_alarm_limit
tui_check_config

has_locale() {
    locale -a 2>/dev/null | grep -qiE "^$1\.utf-?8\$"
}

# catalogue LANG: the compiled catalogue of LANG into the test's locale
# dir: po/LANG.gmo of the build dir or of the source dir (a tarball's),
# unless po/LANG.po is newer; else po/LANG.po compiled.  Fails when there
# is neither.
catalogue() {
    mo="$TUI_DIR/locale/$1/LC_MESSAGES/jope-smb.mo"
    mkdir -p "$(dirname "$mo")"
    for gmo in "$top_builddir/po/$1.gmo" "$top_srcdir/po/$1.gmo"; do
        if [ -f "$gmo" ] && [ ! "$top_srcdir/po/$1.po" -nt "$gmo" ]; then
            cp "$gmo" "$mo"
            return 0
        fi
    done
    [ -f "$top_srcdir/po/$1.po" ] || return 1
    msgfmt -o "$mo" "$top_srcdir/po/$1.po" || tui_fail "cannot compile po/$1.po"
}

# The first body line: another screen is shown when it changes.
body_line() {
    tui_capture | sed -n 2p
}

# wait_other PREV: until the first body line is no longer PREV.
wait_other() {
    n=50
    while [ "$(body_line)" = "$1" ]; do
        n=$((n - 1))
        [ $n -gt 0 ] || return 1
        sleep 0.1
    done
    sleep 0.3               # the frame is whole
}

# wait_box [gone]: until a dialog's frame shows (or is gone).
wait_box() {
    n=50
    while :; do
        if tui_capture | grep -qF "┌"; then
            [ -z "${1:-}" ] && break
        else
            [ -n "${1:-}" ] && break
        fi
        n=$((n - 1))
        [ $n -gt 0 ] || return 1
        sleep 0.1
    done
    sleep 0.3
}

# check WHAT: the screen fits, is whole UTF-8, and is in $lang.
check() {
    tui_capture >"$TUI_DIR/cap"
    tui_check_width 80 || tui_fail "$lang, $1: wider than 80 columns"
    iconv -f UTF-8 -t UTF-8 "$TUI_DIR/cap" >/dev/null 2>&1 ||
        tui_fail "$lang, $1: not valid UTF-8"
    grep -qF "$(printf '\357\277\275')" "$TUI_DIR/cap" &&
        tui_fail "$lang, $1: a replacement character (U+FFFD)"
    case $lang in
    zh_TW)
        LC_ALL=C grep -q "$(printf '[\344-\351][\200-\277][\200-\277]')" \
            "$TUI_DIR/cap" || tui_fail "$lang, $1: no Chinese text"
        ;;
    sk)
        grep -qE '[[:alpha:]]*[áäčďéíĺľňóôŕšťúýžÁÄČĎÉÍĹĽŇÓÔŔŠŤÚÝŽ]' \
            "$TUI_DIR/cap" || tui_fail "$lang, $1: no Slovak text"
        ;;
    esac
    checked=$((checked + 1))
}

# visit: every screen, its help, and the batch screen's dialogs.
visit() {
    checked=0
    tui_wait_text 100 "sim-pumps" || tui_fail "$lang: no console within 10 s"
    sleep 1
    [ "$(tui_capture | sed -n 3p | cut -c1-10)" = " sim-pumps" ] ||
        tui_fail "$lang: the console does not open on the Overview"
    for key in F2 F3 F4 F5 F6 F7; do
        if [ "$key" != F2 ]; then
            prev=$(body_line)
            tui_keys "$key"
            wait_other "$prev" || tui_fail "$lang: $key shows no other screen"
        fi
        check "$key"
        tui_keys F1
        wait_box || tui_fail "$lang: F1 on $key shows no help"
        check "$key help"
        tui_keys Escape
        wait_box gone || tui_fail "$lang: the help on $key does not close"
        [ "$key" = F4 ] || continue
        tui_wait_bar 50 "F8/s" || tui_fail "$lang: the batch screen offers no start: $(tui_keybar)"
        tui_keys s
        wait_box || tui_fail "$lang: s shows no signature dialog"
        check "signature dialog"
        tui_keys Escape
        wait_box gone || tui_fail "$lang: Esc does not close the signature dialog"
        tui_keys m
        wait_box || tui_fail "$lang: m shows no maintenance form"
        check "maintenance form"
        tui_keys Escape
        wait_box gone || tui_fail "$lang: Esc does not close the maintenance form"
    done
    tui_keys q
    wait_box || tui_fail "$lang: q does not ask to quit"
    check "quit dialog"
    tui_keys y
    n=50
    while tui_alive; do
        n=$((n - 1))
        [ $n -gt 0 ] || tui_fail "$lang: the console is still running 5 s after y"
        sleep 0.1
    done
    tmux -L "$TUI_SOCK" kill-server >/dev/null 2>&1
    rm -f "$TUI_DIR/rc"
}

tui_start_sim
skipped=""
for lang in en zh_TW sk; do
    case $lang in
    en) loc=C ;;
    zh_TW) loc=zh_TW ;;
    sk) loc=sk_SK ;;
    esac
    if ! has_locale "$loc"; then
        echo "skip - $lang: no $loc.UTF-8 locale installed (autogen.sh generates it); not checked"
        skipped="$skipped $lang"
        continue
    fi
    case $lang in
    en)
        tui_start_console LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
        ;;
    zh_TW)
        catalogue zh_TW || tui_fail "no Chinese catalogue (po/zh_TW.po)"
        tui_start_console LANG=zh_TW.UTF-8 LC_ALL=zh_TW.UTF-8 \
            LANGUAGE=zh_TW JOPE_SMB_LOCALEDIR="'$TUI_DIR/locale'"
        ;;
    sk)
        catalogue sk || tui_fail "no Slovak catalogue (po/sk.po)"
        tui_start_console LANG=sk_SK.UTF-8 LC_ALL=sk_SK.UTF-8 \
            LANGUAGE=sk JOPE_SMB_LOCALEDIR="'$TUI_DIR/locale'"
        ;;
    esac
    visit
    tui_pass "$lang: F2..F7, their help, the signature dialog and the maintenance form fit 80x24 as whole UTF-8 ($checked screens)"
done
if [ -n "$skipped" ]; then
    echo "SKIP: not checked for lack of a locale:$skipped" >&2
    exit 77
fi
exit 0

#!/bin/sh
# test_console_zh.sh: the console in Traditional Chinese, in a tmux terminal.
#
# The same plant as test_console.sh (on ports 15300..15399) with
# LANG=zh_TW.UTF-8: the header, table head, status bar and quit dialog come
# from po/zh_TW.po, and the columns still line up although every Chinese
# character takes two terminal columns: each table row's separators must
# sit in the same display columns as the head's, at 100x30 and after a
# resize to 80x24, with no line wider than the window.
TUI_NAME=console-zh
TUI_PORT_BASE=15300
. "$(dirname "$0")/tui_lib.sh"

locale -a 2>/dev/null | grep -qiE '^zh_TW\.utf-?8$' || {
    echo "SKIP: no zh_TW.UTF-8 locale (autogen.sh generates it)" >&2
    exit 77
}

# The catalogue, from the build tree or compiled here from the source.
mo="$TUI_DIR/locale/zh_TW/LC_MESSAGES/jope-smb.mo"
mkdir -p "$(dirname "$mo")"
if [ -f "$top_builddir/po/zh_TW.gmo" ] &&
    [ ! "$top_srcdir/po/zh_TW.po" -nt "$top_builddir/po/zh_TW.gmo" ]; then
    cp "$top_builddir/po/zh_TW.gmo" "$mo"
else
    msgfmt -o "$mo" "$top_srcdir/po/zh_TW.po" ||
        tui_fail "cannot compile po/zh_TW.po"
fi

tui_config
tui_start_sim
tui_start_console LANG=zh_TW.UTF-8 LC_ALL=zh_TW.UTF-8 LANGUAGE= \
    JOPE_SMB_LOCALEDIR="'$TUI_DIR/locale'"
tui_wait_text 100 "Jope.SMB" || tui_fail "no console within 10 s"
tui_keys F3     # it opens on the Overview (F2)

tui_wait_text 100 "設備／測點" || tui_fail "no Chinese device table within 10 s"
screen=$(tui_capture)
for text in "Jope.SMB 操作台" "廠區：Jope Demo Plant" "線路" "狀態" "數值" \
    "推論：" "歷史資料庫：僅本機儲存" "磁碟可用：" "操作員：" "說明" "結束"; do
    printf '%s\n' "$screen" | grep -qF -- "$text" ||
        tui_fail "the screen does not show '$text'"
done
tui_pass "Chinese header, table head, status bar and function keys"

tui_wait_values 150 || tui_fail "not every device shows a value within 15 s"
tui_capture | grep -qF "已連線" || tui_fail "no device shown as 已連線"
tui_capture | grep -qF "良好" || tui_fail "no quality shown as 良好"
tui_pass "live values with Chinese states and qualities"

tui_check_screen 100 || tui_fail "misaligned Chinese table at 100x30"
tui_pass "columns aligned at 100x30"

# The device dialogs in Chinese: the read plan, the e-signature dialog and the
# setpoint entry fit the window, and the key bar names only the keys that
# work on the selected row.
set -- $TUI_DEVICES
tui_select "$1"
tui_keybar | grep -qF "p 計畫" || tui_fail "the key bar offers no 'p 計畫' on a device row"
tui_keys p
tui_wait_text 30 "讀取計畫 — $1" || tui_fail "p shows no Chinese read plan of $1"
tui_capture | grep -q "_register [0-9]" || tui_fail "the read plan shows no request"
tui_check_width 100 || tui_fail "the read plan is wider than the window"
tui_keys Escape
# c opens the e-signature dialog (its labels may not be translated yet).
tui_keys c
n=30
until tui_capture | grep -qE "Password:|密碼"; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "c opens no e-signature dialog"
    sleep 0.1
done
tui_check_width 100 || tui_fail "the e-signature dialog is wider than the window"
tui_keys Escape
sleep 0.3
tui_capture | grep -qE "Password:|密碼" && tui_fail "Esc does not close the e-signature dialog"
tui_select FIC-101.SP
tui_keybar | grep -qF "w 寫入" || tui_fail "the key bar offers no 'w 寫入' on FIC-101.SP"
tui_keys w
tui_wait_text 30 "寫入設定值 FIC-101.SP" || tui_fail "w shows no Chinese setpoint dialog"
tui_capture | grep -qF "目前數值：" || tui_fail "the setpoint dialog shows no current value"
tui_keys -l 1-
tui_keys Enter
tui_wait_text 30 "不是數字" || tui_fail "a bad value gives no Chinese reason"
tui_check_width 100 || tui_fail "the setpoint dialog is wider than the window"
tui_keys Escape
sleep 0.3
tui_capture | grep -qF "寫入設定值" && tui_fail "Esc does not cancel the setpoint dialog"
tui_check_screen 100 || tui_fail "misaligned table after the dialogs"
tui_pass "read plan, e-signature dialog and setpoint dialog in Chinese"

tui_keys q
tui_wait_text 30 "要結束操作台嗎？" || tui_fail "q does not ask to quit in Chinese"
tui_capture | grep -qF "[y/N]" || tui_fail "the question does not name its keys"
tui_keys n
sleep 0.5
tui_alive || tui_fail "n ended the console"
tui_capture | grep -qF "要結束操作台嗎？" && tui_fail "the dialog is still open after n"
tui_pass "the quit dialog in Chinese, n keeps the console"

tmux -L "$TUI_SOCK" resize-window -x 80 -y 24 >/dev/null 2>&1 ||
    tui_fail "tmux cannot resize the window"
sleep 1
screen=$(tui_capture)
printf '%s\n' "$screen" | sed -n 2p | grep -qF "設備／測點" ||
    tui_fail "table head not on line 2 after resize"
printf '%s\n' "$screen" | sed -n 2p | grep -qF "狀態" ||
    tui_fail "table head incomplete after resize"
tui_check_screen 80 || tui_fail "misaligned or too wide at 80x24"
tui_pass "resize to 80x24 keeps Chinese columns aligned"

tui_keys q
tui_wait_text 30 "要結束操作台嗎？" || tui_fail "q does not ask to quit"
tui_keys y
n=50
while tui_alive; do
    n=$((n - 1))
    [ $n -gt 0 ] || tui_fail "the console is still running 5 s after y"
    sleep 0.1
done
rc=$(cat "$TUI_DIR/rc" 2>/dev/null)
[ "$rc" = 0 ] || tui_fail "console exit status '$rc' (want 0): $(cat "$TUI_DIR/console.err")"
tui_pass "q then y quits with status 0"
exit 0

# The demo for ch14-threaded-server (scripts/demo ch14): ch12b's last scene once more (a silent
# client, then another), and this time nobody waits; then a client whose error stays its own.
# It works in the demo's own temporary folder, so every path it prints is short and the same.

mkdir "$work/demo" && cd "$work/demo"
seq 1 100000 >a.txt

note "A first client connects and says nothing, as in ch12b's demo. A second one puts and gets" \
    "a file, and is served at once: each connection has a thread of its own."
start server --dir uploads
printf '\n$ exec 3<>/dev/tcp/%s/%s\n' "${ADDR%:*}" "${ADDR##*:}"
exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR##*:}"
wait_for server "call from"
talk client --addr "$ADDR" --dir downloads <<'IN'
put a.txt
get a.txt
quit
IN
wait_for server "ended"
show_log server

note "A client sends 2 bytes of a header's length and hangs up. The error ends its own thread:" \
    "handle_error prints it, and the server goes on."
printf "\n\$ printf '\\\\x28\\\\x00' >/dev/tcp/%s/%s\n" "${ADDR%:*}" "${ADDR##*:}"
printf '\x28\x00' >"/dev/tcp/${ADDR%:*}/${ADDR##*:}"
wait_for server "ended: the frame was cut off"
show_log server

note "The first client hangs up at last."
hang_up
wait_for server "ended"
stop server
cd - >/dev/null

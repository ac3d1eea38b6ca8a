# The demo for ch07-link-loop (scripts/demo ch07): call after call, and a quick restart.

note "First caller: empty lines are skipped, quit hangs up."
start server
talk client --addr "$ADDR" <<'IN'
hello

world
quit
IN
wait_for server "ended"

note "Second caller, right after: the link loop accepts it."
talk client --addr "$ADDR" <<'IN'
again
IN
wait_for server "ended"

note "A caller stays on the line while the server is stopped: the server hangs up first," \
    "so its side of the call lingers in TIME_WAIT and still holds the port."
hold_line "ring ring"
wait_for server "recv b'ring ring'"
stop server
hang_up

note "Restart on the same port at once: SO_REUSEADDR lets bind succeed (ch06 fails here)."
start_on "$ADDR" server
talk client --addr "$ADDR" <<'IN'
still here
IN
wait_for server "ended"
stop server

# The demo for ch12-struct-header (scripts/demo ch12): ch09's sticky scenario, cured.

note "The same commands as ch09's demo. seq's 2292 bytes now arrive whole," \
    "because the client read a 4-byte length, a JSON header and then data_size bytes."
start server
talk client --addr "$ADDR" <<'IN'
seq -s ' ' 1 600
echo hello
quit
IN
wait_for server "ended"
stop server

# The demo for ch11-naive-length (scripts/demo ch11): ch09's sticky scenario, cured.

note "The same commands as ch09's demo. seq's 2292 bytes now arrive whole, in three recv calls," \
    "because the client was told the length first; and echo hello gets hello. (--brief shows" \
    "each reply as its size and its first and last lines.)"
start server
talk client --addr "$ADDR" --brief <<'IN'
seq -s ' ' 1 600
echo hello
quit
IN
wait_for server "ended"
stop server

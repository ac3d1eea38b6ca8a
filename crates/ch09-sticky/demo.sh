# The demo for ch09-sticky (scripts/demo ch09): sticky replies over TCP, lost and late ones over UDP.

note "TCP: seq prints 2292 bytes on one line; the client takes one recv(1024) per command." \
    "Look at the reply to 'echo hello': it is not hello, it is more of seq's output."
start server
talk client --addr "$ADDR" <<'IN'
seq -s ' ' 1 600
echo hello
quit
IN
wait_for server "ended"
stop server

note "UDP: the same shell. Every command gets two datagrams back (stderr, then stdout) and the" \
    "client reads one a command, so every other reply is an empty stderr, and the output comes" \
    "one command late. seq's 2292-byte datagram arrives cut to 1024 bytes: the rest is lost," \
    "and the reply after it is already bye's. --brief shows each reply in a few lines."
start udp-server
talk udp-client --addr "$ADDR" --brief <<'IN'
echo hello
echo world
seq -s ' ' 1 600
echo bye
echo 5
echo 6
echo 7
echo 8
quit
IN
wait_for udp-server "echo 8"
wait_for udp-server "(stderr)"
wait_for udp-server "(stdout)"
stop udp-server

# The demo for ch13-hmac-auth (scripts/demo ch13): ch07's echo server behind an HMAC challenge,
# the article's legal client, and its two illegal ones.
# The challenge is new on every run, and so is every answer: they are masked.
# mask: s/[0-9a-f]{64}/<32 bytes in hex>/g
# mask: s/^recv b(['"]).*\\x.*$/recv b'<the 32 random bytes of the challenge>'/

note "Both ends take the key from the environment, so it stays out of the shell's history."
export SOCKET_LESSONS_KEY='linhaifeng bang bang bang'
printf "\n\$ export SOCKET_LESSONS_KEY='%s'\n" "$SOCKET_LESSONS_KEY"

note "A caller has 1 second to answer the challenge (5 by default)."
start server --auth-timeout 1

note "The legal client answers the challenge with HMAC-SHA256(key, challenge), and is served."
talk client --addr "$ADDR" <<'IN'
hello
quit
IN
wait_for server "ended"

note "The first illegal client skips the handshake. Its first reply is the challenge it never" \
    "read; the server, still waiting for 32 bytes of answer, hangs up when its second is up."
talk client --addr "$ADDR" --skip-auth <<'IN'
hello
hello again
IN
wait_for server "ended"

note "The second illegal client has the wrong key: the server hangs up at once."
talk client --addr "$ADDR" --key 'linhaifeng bang bang bang1111' <<'IN'
hello
IN
wait_for server "ended"

note "The legal client again, with a new challenge: served as before."
talk client --addr "$ADDR" <<'IN'
hello again
IN
wait_for server "ended"
stop server

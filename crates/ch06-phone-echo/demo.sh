# The demo for ch06-phone-echo (scripts/demo ch06): the call works, then each flaw shows.

note "One call: the server answers each line in upper case." \
    "Then an empty line: it sends nothing, and the client waits in recv for ever:" \
    "the next line is typed, but nobody reads it."
start server
talk_for 2 client --addr "$ADDR" <<'IN'
hello
socket

never sent
IN

note "The client was stopped (it hung up), so the server's recv returns b'' again and again." \
    "The article's server spins there for ever; ours gives up after five rounds and exits."
finished server

note "The server took one call and is gone: nobody answers the number any more."
talk client --addr "$ADDR" <<'IN'
hello?
IN

# The demo for ch08-udp-chat (scripts/demo ch08): the simple example, the QQ chat and the time
# server, over UDP.
# mask: s/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/YYYY-MM-DD HH:MM:SS/g
# mask: s/b'[0-9]{4} [0-9]{2} [0-9]{2}'/b'YYYY MM DD'/g

note "The simple example: each line is one datagram, answered in upper case." \
    "An empty line is an empty datagram, and it is answered too (a TCP client would hang)."
start echo-server
talk echo-client --addr "$ADDR" <<'IN'
hello

你好
IN
note "A second client, from a port of its own: the same socket answers it, with no accept."
talk echo-client --addr "$ADDR" <<'IN'
me too
IN
stop echo-server

note "The server is gone, yet the client starts and sends without an error: there is no" \
    "connection to refuse. Nobody receives the datagram, and the client waits for ever."
talk_for 1 echo-client --addr "$ADDR" <<'IN'
anyone there?
IN

note "The server starts again on the same port at once: no connection, so no TIME_WAIT." \
    "It never sees the lost datagram."
start_on "$ADDR" echo-server
talk echo-client --addr "$ADDR" <<'IN'
there you are
IN
stop echo-server

note "The QQ chat. The server's user types a reply to each message (typed ahead here: each" \
    "waits in the server's stdin until a message comes). The client lists its contacts: the" \
    "article's four friends are all this one server. Choose by number, name or part of a name."
start server
type_to server "hi, alex here"
type_to server "donkey here"
talk client --addr "$ADDR" <<'IN'
nobody
alex
hello alex
quit
2
hello donkey
IN
stop server

note "The time server: each datagram is a strftime format; an empty one means %Y-%m-%d %X."
start time-server
talk time-client --addr "$ADDR" <<'IN'

%Y %m %d
%Q
IN
stop time-server

note "Nobody listens now. The time client connect()ed its UDP socket (no call is made), so the" \
    "kernel's \"port unreachable\" reaches it as an error; the echo client above just waited."
talk time-client --addr "$ADDR" <<'IN'
%H:%M
IN

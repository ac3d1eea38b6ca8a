# The demo for ch10-sticky-causes (scripts/demo ch10): both causes of sticky packets, on purpose.
# The server waits for Enter (--pause) before its first recv, so the client's sends have all
# arrived by then: the demo controls the timing instead of hoping for it.

note "Cause 1, at the sender: two small sends back to back. The receiver reads after both" \
    "arrived, and one recv(10) returns both: b'hellofeng'. The second recv finds the call over."
start server --pause
talk client --addr "$ADDR" </dev/null
wait_for server "press Enter"
type_to server ""
finished server

note "The same with TCP_NODELAY: each send now leaves in its own segment, and still one recv" \
    "returns both. Segments are not messages; the receive buffer holds bytes."
start server --pause
talk client --addr "$ADDR" --nodelay </dev/null
wait_for server "press Enter"
type_to server ""
finished server

note "Cause 2, at the receiver: one send of b'hello feng', read with recv(2) then recv(10)." \
    "The first recv takes part of the message; the next one starts where it stopped."
start server --pause --recv 2 --recv 10
talk client --addr "$ADDR" --send "hello feng" </dev/null
wait_for server "press Enter"
type_to server ""
finished server

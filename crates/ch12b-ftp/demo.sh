# The demo for ch12b-ftp (scripts/demo ch12b): put and get, a hand-made request that tries to
# leave the folder, a planted symlink and FIFO, and a second client that has to wait for the
# first.
# It works in the demo's own temporary folder, so every path it prints is short and the same.

# Shows a shell command, then runs it.
shown() {
    printf '\n$ %s\n' "$*"
    "$@"
}

# Sends one request from bash, byte by byte: struct.pack('i', len(header)), the header, data.
send_request() {
    local header=$1 data=$2 length
    printf -v length '\\x%02x\\x00\\x00\\x00' "${#header}"
    printf "\n\$ printf '%s%s%s' >/dev/tcp/%s/%s   # by hand\n" \
        "$length" "$header" "$data" "${ADDR%:*}" "${ADDR##*:}"
    # shellcheck disable=SC2059 # the length's \x escapes are meant for printf
    printf "$length%s%s" "$header" "$data" >"/dev/tcp/${ADDR%:*}/${ADDR##*:}"
}

mkdir "$work/demo" && cd "$work/demo"
seq 1 100000 >a.txt
echo hello >hello.txt

note "put sends the article's header and the file; get is ours. The server stores in uploads/," \
    "the client saves what it gets in downloads/. Names that are not plain are refused."
start server --dir uploads
talk client --addr "$ADDR" --dir downloads <<'IN'
put a.txt
get a.txt
get nope.txt
get ../etc/passwd
put missing.txt
quit
IN
wait_for server "ended"
show_log server
shown wc -c a.txt uploads/a.txt downloads/a.txt

note "A hand-made put of ../x.txt, which the article's server would write outside its folder." \
    "This one reads the 3 bytes (the next request starts after them) and throws them away."
send_request '{"cmd": "put", "filename": "../x.txt", "filesize": 3}' 'abc'
wait_for server "ended"
show_log server
shown ls -A . uploads

note "Someone who can write to the folder plants a symlink to a file outside it, and a FIFO." \
    "get sends plain files only: it refuses both at once, without following or waiting."
shown ln -s ../a.txt uploads/link.txt
shown mkfifo uploads/fifo
talk client --addr "$ADDR" --dir downloads <<'IN'
get link.txt
get fifo
IN
wait_for server "ended"
show_log server

note "One client at a time. A first client connects and says nothing (bash can dial, too)." \
    "A second one puts hello.txt, and waits: the server is busy with the first."
printf '\n$ exec 3<>/dev/tcp/%s/%s\n' "${ADDR%:*}" "${ADDR##*:}"
exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR##*:}"
wait_for server "call from"
talk_for 2 client --addr "$ADDR" <<'IN'
put hello.txt
IN
show_log server
note "The first hangs up. Only now is the second served: its bytes waited in the kernel," \
    "though the client itself had given up."
hang_up
wait_for server "hello.txt"
wait_for server "ended"
stop server
cd - >/dev/null

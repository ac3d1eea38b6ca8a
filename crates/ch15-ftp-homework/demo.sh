# The demo for ch15-ftp-homework (scripts/demo ch15): the homework's nine requirements, end to end.
# mask: s#/tmp/tmp\.[A-Za-z0-9]+#$DEMO#g
# mask: s#(resum[a-z]* at )[0-9]+#\1N#g
# mask: s#cut off after [0-9]+#cut off after N#g

admin() {
    printf '\n$ %s\n' "$(quoted server "$@")"
    # FTP_PASSWORD: for a server that does not read SOCKET_LESSONS_PASSWORD yet.
    FTP_PASSWORD="${SOCKET_LESSONS_PASSWORD-}" "$bins/server" "$@"
}
root="$work/root"
mkdir -p "$work/alice" "$work/bob"

note "An administrator adds two users. The password comes from SOCKET_LESSONS_PASSWORD here;" \
    "on a terminal it is asked for, twice. The users file keeps a salt and a derived key, never it."
SOCKET_LESSONS_PASSWORD=alice-password admin useradd alice --quota 10M --dir "$root"
SOCKET_LESSONS_PASSWORD=bob-password admin useradd bob --quota 100K --dir "$root"
admin users --dir "$root"
start server --dir "$root"

note "alice logs in, makes a folder, uploads a file, lists it, and downloads it back:" \
    "every transfer's md5 is checked before the file gets its name."
cd "$work/alice"
seq 1 30000 >numbers.txt
SOCKET_LESSONS_PASSWORD=alice-password talk client --addr "$ADDR" --user alice <<'IN'
mkdir docs
cd docs
ls
put numbers.txt
ls
cd ..
ls
get docs/numbers.txt copy.txt
quota
IN
wait_for server "ended"

note "bob sees only his own home, cannot climb out of it, and his quota is 100 KiB."
cd "$work/bob"
seq 1 30000 >numbers.txt
SOCKET_LESSONS_PASSWORD=bob-password talk client --addr "$ADDR" --user bob <<'IN'
ls
cd ..
get ../alice/docs/numbers.txt
put numbers.txt
quota
IN
wait_for server "ended"

note "An upload cut short resumes. --limit-rate 1M keeps the client to 1 MiB a second, so" \
    "the demo can stop it after two seconds (as Ctrl-C would); the same put again sends only the rest."
seq 1 700000 >big.txt
SOCKET_LESSONS_PASSWORD=alice-password talk_for 2 client --addr "$ADDR" --user alice --limit-rate 1M <<'IN'
put big.txt
IN
wait_for server "cut off after"
SOCKET_LESSONS_PASSWORD=alice-password talk client --addr "$ADDR" --user alice <<'IN'
put big.txt
quota
quota --bytes
IN
wait_for server "ended"

note "A wrong password: the same answer as for a user who does not exist. (On a terminal," \
    "the client asks again, up to three times; a password from the environment gets one try.)"
SOCKET_LESSONS_PASSWORD=guess talk client --addr "$ADDR" --user alice <<'IN'
ls
IN
wait_for server "failed login"
wait_for server "ended"

note "What each user spends: whole blocks of 4 KiB, at least one for each file and folder."
admin users --dir "$root"
stop server

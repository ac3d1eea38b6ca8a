//! What a student should see in 八's QQ chat: the server shows each message with its sender's
//! address and sends back the line its user types; several clients chat at once through one
//! server socket; the client's contact book decides where each message goes.

mod common;

use common::{ask, udp};
use testkit::{Bin, Program, peer, python, run};

static SERVER: Bin = testkit::bin!("server");
static CLIENT: Bin = testkit::bin!("client");

/// The server's line for a message from `addr`, without colour (its stdout is a pipe here).
fn from(addr: impl std::fmt::Display, text: &str) -> String {
    format!("message from [{addr}]: {text}")
}

/// What the client says when `name` at `addr` is chosen.
fn chatting(name: &str, addr: impl std::fmt::Display) -> String {
    format!("chatting with {name} at {addr} (quit to choose again)")
}

/// The contact list the client starts with, when the article's four friends are at `addr`.
fn contacts(addr: impl std::fmt::Display) -> Vec<String> {
    vec![
        "your contacts (choose one by its number or its name):".to_owned(),
        format!("  1. 狗哥alex at {addr}"),
        format!("  2. 瞎驴 at {addr}"),
        format!("  3. 一棵树 at {addr}"),
        format!("  4. 武大郎 at {addr}"),
        format!("  (1, 2, 3 and 4 are all the one server at {addr}: it answers for each of them)"),
    ]
}

/// Starts the chat client for the server at `addr` and reads its contact list.
fn client_of(addr: impl std::fmt::Display) -> Program {
    let addr = addr.to_string();
    let mut client = Program::start(&CLIENT, &["--addr", &addr]);
    for line in contacts(&addr) {
        assert_eq!(client.line(), line);
    }
    client
}

/// The sender's address in a line of the server's, `message from [ADDR]: ...`.
fn sender(shown: &str) -> &str {
    let start = shown.find('[').unwrap() + 1;
    &shown[start..shown.find(']').unwrap()]
}

#[test]
fn a_message_goes_out_and_the_typed_reply_comes_back() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut client = client_of(addr);
    client.write("狗哥alex\n你好, alex\n");
    assert_eq!(client.line(), chatting("狗哥alex", addr));

    let shown = server.line();
    assert!(shown.starts_with("message from [127.0.0.1:"), "{shown}");
    assert!(shown.ends_with("]: 你好, alex"), "{shown}");
    assert!(!shown.contains('\x1b'), "colour on a pipe: {shown:?}");

    // The server's user types the reply (here: the test writes it to the server's stdin).
    server.write("hi! long time no see\n");
    assert_eq!(client.line(), from(addr, "hi! long time no see"));

    client.write("quit\nquit\n");
    assert!(client.wait().success(), "{}", client.stderr());
    assert!(client.rest().is_empty());
}

#[test]
fn two_clients_chat_at_once_and_each_reply_finds_its_sender() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut first = client_of(addr);
    let mut second = client_of(addr);

    first.write("瞎驴\nfrom the first\n");
    assert_eq!(first.line(), chatting("瞎驴", addr));
    let shown_first = server.line();
    assert!(shown_first.ends_with("]: from the first"), "{shown_first}");
    // While the server's user is still typing, the second client's message waits in the
    // server socket's queue.
    second.write("一棵树\nfrom the second\n");
    assert_eq!(second.line(), chatting("一棵树", addr));
    server.write("to the first\n");
    assert_eq!(first.line(), from(addr, "to the first"));

    let shown_second = server.line();
    assert!(
        shown_second.ends_with("]: from the second"),
        "{shown_second}"
    );
    assert_ne!(sender(&shown_first), sender(&shown_second));
    server.write("to the second\n");
    assert_eq!(second.line(), from(addr, "to the second"));

    // And once more, the other way round.
    second.write("again\n");
    server.line_containing("]: again");
    server.write("ok\n");
    assert_eq!(second.line(), from(addr, "ok"));
}

#[test]
fn the_contact_book_is_checked_at_once_and_quit_goes_back_to_choosing() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut client = client_of(addr);

    // An unknown name is refused before any message is typed (the article would take your
    // messages and drop them silently).
    client.write("狗哥bob\n");
    assert_eq!(
        client.line(),
        "no contact called \"狗哥bob\": choose a number from 1 to 4, or a name"
    );

    // A known name; empty messages are skipped; quit goes back to choosing.
    client.write("武大郎\n\nhello\n");
    assert_eq!(client.line(), chatting("武大郎", addr));
    server.line_containing("]: hello");
    server.write("hello yourself\n");
    assert_eq!(client.line(), from(addr, "hello yourself"));
    client.write("quit\n");

    client.write("一棵树\nsecond contact\n");
    assert_eq!(client.line(), chatting("一棵树", addr));
    server.line_containing("]: second contact");
    server.write("got it\n");
    assert_eq!(client.line(), from(addr, "got it"));

    // quit to leave the contact, quit again to stop.
    client.write("quit\nquit\nnever read\n");
    assert!(client.wait().success(), "{}", client.stderr());
    assert!(client.rest().is_empty());
}

#[test]
fn a_contact_is_chosen_by_its_number_or_a_part_of_its_name() {
    // Typing 狗哥alex needs a Chinese input method: 1 or alex will do.
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut client = client_of(addr);
    client.write("1\nby number\n");
    assert_eq!(client.line(), chatting("狗哥alex", addr));
    server.line_containing("]: by number");
    server.write("got it\n");
    assert_eq!(client.line(), from(addr, "got it"));

    client.write("quit\nalex\nby name\n");
    assert_eq!(client.line(), chatting("狗哥alex", addr));
    server.line_containing("]: by name");
    server.write("got that too\n");
    assert_eq!(client.line(), from(addr, "got that too"));

    client.write("quit\n5\n4\n");
    assert_eq!(
        client.line(),
        "no contact number 5: choose 1 to 4, or a name"
    );
    assert_eq!(client.line(), chatting("武大郎", addr));
    client.close_stdin();
    assert!(client.wait().success(), "{}", client.stderr());
    assert!(
        client.rest().is_empty(),
        "the end of input stops the client"
    );
}

#[test]
fn contacts_given_on_the_command_line_reach_other_servers() {
    let (mut alice, alice_addr) = Program::server(&SERVER, &[]);
    let (mut bob, bob_addr) = Program::server(&SERVER, &[]);
    alice.write("alice here\n");
    bob.write("bob here\nbob again\n");
    let client = run(
        &CLIENT,
        &[
            "--addr",
            &alice_addr.to_string(),
            "--contact",
            &format!("bob={bob_addr}"),
            "--contact",
            &format!("瞎驴={bob_addr}"),
        ],
        "bob\nhi bob\nquit\n瞎驴\nhi donkey\nquit\n狗哥alex\nhi alice\n",
    );
    assert!(client.success, "{}", client.stderr);
    // One client socket, three contacts, two servers: each reply shows who sent it.
    assert!(bob.line().ends_with("]: hi bob"));
    assert!(bob.line().ends_with("]: hi donkey"));
    assert!(alice.line().ends_with("]: hi alice"));
    assert_eq!(
        client.stdout[..7],
        [
            "your contacts (choose one by its number or its name):".to_owned(),
            format!("  1. 狗哥alex at {alice_addr}"),
            format!("  2. 瞎驴 at {bob_addr}"),
            format!("  3. 一棵树 at {alice_addr}"),
            format!("  4. 武大郎 at {alice_addr}"),
            format!("  5. bob at {bob_addr}"),
            format!(
                "  (1, 3 and 4 are all the one server at {alice_addr}: it answers for each of them)"
            ),
        ]
    );
    assert_eq!(
        client.stdout[7..],
        [
            format!(
                "  (2 and 5 are all the one server at {bob_addr}: it answers for each of them)"
            ),
            chatting("bob", bob_addr),
            from(bob_addr, "bob here"),
            chatting("瞎驴", bob_addr),
            from(bob_addr, "bob again"),
            chatting("狗哥alex", alice_addr),
            from(alice_addr, "alice here"),
        ]
    );
}

#[test]
fn at_the_end_of_its_input_the_server_stops_cleanly() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    server.write("the only reply\n");
    server.close_stdin();
    let socket = udp();
    assert_eq!(ask(&socket, addr, b"first").0, b"the only reply");
    assert!(server.line().ends_with("]: first"));

    // Nobody is left to type: the next message is shown, and the server says why it stops.
    socket.send_to(b"second", addr).unwrap();
    let local = socket.local_addr().unwrap();
    assert_eq!(server.line(), from(local, "second"));
    assert_eq!(
        server.line(),
        format!("end of input: nobody to type a reply to {local}, closing")
    );
    assert!(server.wait().success(), "{}", server.stderr());
}

#[test]
fn strange_bytes_are_shown_safely() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let socket = udp();
    socket.send_to(b"\x1b[2Jwiped?\xff", addr).unwrap();
    // Not UTF-8 and a terminal control code: neither crashes the server nor reaches the
    // terminal as a command.
    assert!(
        server.line().ends_with("]: \\u{1b}[2Jwiped?\u{fffd}"),
        "{}",
        server.stderr()
    );
    server.write("\n");
    // An empty reply line is an empty datagram: the client gets b'' as its answer.
    let mut buf = [0u8; 16];
    assert_eq!(socket.recv_from(&mut buf).unwrap(), (0, addr));
}

#[test]
fn the_articles_python_client_talks_to_this_server() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let mut client = python(
        peer(env!("CARGO_MANIFEST_DIR"), "chat_client"),
        &[&addr.to_string()],
    );
    // The article's client checks the name only when sending: "nobody"'s message is dropped.
    client.write("nobody\ndropped\nquit\n狗哥alex\n你好\n");
    assert!(server.line().ends_with("]: 你好"));
    server.write("回复\n");
    assert_eq!(
        client.line(),
        format!(
            "来自[{}:{}]的一条消息:\x1b[1;44m回复\x1b[0m",
            addr.ip(),
            addr.port()
        )
    );
    client.close_stdin();
    assert!(client.wait().success(), "{}", client.stderr());
}

#[test]
fn this_client_talks_to_the_articles_python_server() {
    let mut server = python(peer(env!("CARGO_MANIFEST_DIR"), "chat_server"), &["0"]);
    let addr = server.address();
    let mut client = client_of(addr);
    client.write("瞎驴\n你好\n");
    assert_eq!(client.line(), chatting("瞎驴", addr));
    let shown = server.line();
    assert!(shown.starts_with("来自[127.0.0.1:"), "{shown}");
    assert!(
        shown.ends_with("]的一条消息:\x1b[1;44m你好\x1b[0m"),
        "{shown}"
    );
    server.write("  回复  \n");
    assert_eq!(client.line(), from(addr, "回复"));
}

#[test]
fn a_bad_contact_gets_one_clear_line() {
    let bad = run(&CLIENT, &["--contact", "bob"], "");
    assert!(!bad.success);
    assert!(
        bad.stderr
            .contains("invalid value 'bob' for '--contact <NAME=HOST:PORT>'"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr.contains("expected NAME=HOST:PORT"),
        "{}",
        bad.stderr
    );
}

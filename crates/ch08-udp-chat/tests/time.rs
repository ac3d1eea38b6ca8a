//! What a student should see in 八's time server: the datagram is a strftime format (empty
//! means `%Y-%m-%d %X`), the answer is the local time; and no datagram, however bad, stops it.

mod common;

use chrono::{Datelike, Local, NaiveDate, NaiveDateTime};
use common::{ask, free_addr, udp};
use testkit::{Bin, Program, peer, python, run};

static SERVER: Bin = testkit::bin!("time-server");
static CLIENT: Bin = testkit::bin!("time-client");

/// The text between `b'` and `'` in the client's line `recv b'...'`.
fn answer(line: &str) -> &str {
    line.strip_prefix("recv b'")
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap_or_else(|| panic!("{line}"))
}

/// Whether `text` is a time in the default format, `2017-04-26 09:05:07`, within a minute of now.
fn is_now(text: &str) -> bool {
    let Ok(time) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") else {
        return false;
    };
    (Local::now().naive_local() - time).num_seconds().abs() < 60
}

/// Whether `text` is today's date in `fmt` (a day either way, in case midnight just passed).
fn is_today(text: &str, fmt: &str) -> bool {
    let Ok(date) = NaiveDate::parse_from_str(text, fmt) else {
        return false;
    };
    (Local::now().date_naive() - date).num_days().abs() <= 1
}

/// Whether `text` is this year, as `%Y` gives it (or the last, in case New Year just passed).
fn is_this_year(text: &str) -> bool {
    text.len() == 4
        && text
            .parse()
            .is_ok_and(|year: i32| (Local::now().year() - year).abs() <= 1)
}

#[test]
fn an_empty_datagram_asks_for_the_default_format() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let client = run(&CLIENT, &["--addr", &addr.to_string()], "\n");
    assert!(client.success, "{}", client.stderr);
    assert_eq!(client.stdout[0], "send b''");
    assert!(is_now(answer(&client.stdout[1])), "{:?}", client.stdout);
    assert!(server.line().starts_with("recvfrom b'' from 127.0.0.1:"));
}

#[test]
fn each_format_is_answered_with_the_local_time() {
    let (_server, addr) = Program::server(&SERVER, &[]);
    let client = run(
        &CLIENT,
        &["--addr", &addr.to_string()],
        "%Y %m %d\n%Y-%m-%d %X\nno directives\n100%%\nquit\n%Y\n",
    );
    assert!(client.success, "{}", client.stderr);
    let answers: Vec<&str> = client
        .stdout
        .iter()
        .skip(1)
        .step_by(2)
        .map(|l| answer(l))
        .collect();
    assert_eq!(answers.len(), 4, "{:?}", client.stdout);
    assert!(is_today(answers[0], "%Y %m %d"), "{answers:?}");
    assert!(is_now(answers[1]), "{answers:?}");
    assert_eq!(answers[2..], ["no directives", "100%"]);
}

#[test]
fn a_bad_format_gets_an_error_answer_and_the_server_goes_on() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let client = run(&CLIENT, &["--addr", &addr.to_string()], "%Q\n%\n%Y\n");
    assert!(client.success, "{}", client.stderr);
    assert_eq!(
        client.stdout[1],
        "recv b'error: cannot format the time with \"%Q\"'"
    );
    assert_eq!(
        client.stdout[3],
        "recv b'error: cannot format the time with \"%\"'"
    );
    assert!(
        is_this_year(answer(&client.stdout[5])),
        "{:?}",
        client.stdout
    );
    server.line_containing("recvfrom b'%Y'");
}

#[test]
fn no_datagram_can_stop_the_server() {
    let (mut server, addr) = Program::server(&SERVER, &[]);
    let socket = udp();

    // Not UTF-8: the article's server dies here with UnicodeDecodeError.
    let (reply, _) = ask(&socket, addr, b"\xff\xfe%Y");
    assert_eq!(reply, b"error: a time format must be UTF-8 text");

    // The biggest datagram UDP over IPv4 can carry (65,507 bytes): recvfrom(1024) keeps the
    // first 1024, and those are a fine format.
    let (reply, _) = ask(&socket, addr, "%Y".repeat(65507 / 2).as_bytes());
    assert_eq!(reply.len(), 4 * 512);
    assert!(is_this_year(std::str::from_utf8(&reply[..4]).unwrap()));
    assert!(reply.chunks(4).all(|year| year == &reply[..4]));

    // Cut in the middle of a character: no longer UTF-8.
    let mut cut = vec![b'x'; 1023];
    cut.extend_from_slice("你".as_bytes());
    let (reply, _) = ask(&socket, addr, &cut);
    assert_eq!(reply, b"error: a time format must be UTF-8 text");

    // A format whose answer is big: %c is 24 bytes, so 512 of them make 12 KiB.
    let (reply, _) = ask(&socket, addr, "%c".repeat(512).as_bytes());
    assert_eq!(reply.len(), 24 * 512);

    // Still there, still right.
    let (reply, _) = ask(&socket, addr, b"");
    assert!(is_now(std::str::from_utf8(&reply).unwrap()));
    for _ in 0..5 {
        server.line_containing("recvfrom ");
    }
    assert!(!server.has_exited(), "{}", server.stderr());
}

#[test]
fn the_connected_client_hears_that_nobody_is_there() {
    // The echo client, unconnected, waits for ever for an answer to a lost datagram (see
    // echo.rs). This one connected its socket, so the kernel's "port unreachable" comes back
    // to it as an error on recv.
    let nobody = free_addr();
    let client = run(&CLIENT, &["--addr", &nobody.to_string()], "%Y\n");
    assert!(!client.success);
    assert_eq!(client.stdout, ["send b'%Y'"]);
    let expected = format!("Error: no answer from {nobody}: ");
    assert!(client.stderr.starts_with(&expected), "{}", client.stderr);
    #[cfg(target_os = "linux")]
    assert!(
        client.stderr.contains("Connection refused"),
        "{}",
        client.stderr
    );
    assert_eq!(client.stderr.lines().count(), 1);
}

#[test]
fn the_articles_python_client_talks_to_this_server() {
    let (_server, addr) = Program::server(&SERVER, &[]);
    let mut client = python(
        peer(env!("CARGO_MANIFEST_DIR"), "time_client"),
        &[&addr.to_string()],
    );
    client.write("\n%Y\n");
    client.close_stdin();
    assert!(is_now(&client.line()));
    assert!(is_this_year(&client.line()));
    assert!(client.wait().success(), "{}", client.stderr());
}

#[test]
fn this_client_talks_to_the_articles_python_server() {
    let mut server = python(peer(env!("CARGO_MANIFEST_DIR"), "time_server"), &["0"]);
    let addr = server.address();
    let client = run(&CLIENT, &["--addr", &addr.to_string()], "\n%Y %m %d\n");
    assert!(client.success, "{}", client.stderr);
    assert!(is_now(answer(&client.stdout[1])), "{:?}", client.stdout);
    assert!(
        is_today(answer(&client.stdout[3]), "%Y %m %d"),
        "{:?}",
        client.stdout
    );
    assert_eq!(server.line(), "===> b''");
    assert_eq!(server.line(), "===> b'%Y %m %d'");
}

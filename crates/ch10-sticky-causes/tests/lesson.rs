//! What a student should see in 十: both causes of sticky packets, every time. The server
//! waits (`--pause`) until the test has seen the client finish sending and presses Enter, so
//! the timing is controlled rather than hoped for.

use testkit::{Bin, Program, run};

static SERVER: Bin = testkit::bin!("server");
static CLIENT: Bin = testkit::bin!("client");

/// Starts the server with `server_args`, runs the client with `client_args` to the end, then
/// lets the server read, and returns what its recv calls returned.
fn experiment(server_args: &[&str], client_args: &[&str]) -> Vec<String> {
    let (mut server, addr) = Program::server(&SERVER, server_args);
    let addr = addr.to_string();
    let mut args = vec!["--addr", &addr];
    args.extend_from_slice(client_args);
    let client = run(&CLIENT, &args, "");
    assert!(client.success, "{}", client.stderr);

    // The client has sent everything and hung up; only now does the server read.
    server.line_containing("press Enter");
    server.write("\n");
    let printed = server.rest();
    let ended = printed.last().unwrap();
    assert!(
        ended.starts_with("call from ") && ended.ends_with(" ended"),
        "{ended}"
    );
    printed
        .into_iter()
        .filter(|line| line.starts_with("recv("))
        .collect()
}

#[test]
fn small_sends_back_to_back_arrive_as_one() {
    let recvs = experiment(&["--pause"], &[]);
    assert_eq!(recvs, ["recv(10) -> b'hellofeng'", "recv(10) -> b''"]);
}

#[test]
fn tcp_nodelay_does_not_give_the_receiver_two_messages() {
    let recvs = experiment(&["--pause"], &["--nodelay"]);
    assert_eq!(recvs, ["recv(10) -> b'hellofeng'", "recv(10) -> b''"]);
}

#[test]
fn a_receiver_that_takes_less_leaves_the_rest_for_the_next_recv() {
    let recvs = experiment(
        &["--pause", "--recv", "2", "--recv", "10"],
        &["--send", "hello feng"],
    );
    assert_eq!(recvs, ["recv(2) -> b'he'", "recv(10) -> b'llo feng'"]);
}

#[test]
fn many_sends_and_small_recvs_cut_anywhere() {
    // Three messages, read four bytes at a time: the cuts fall wherever the sizes say,
    // with no regard for where one message ended.
    let recvs = experiment(
        &["--pause", "--recv", "4", "--recv", "4", "--recv", "4"],
        &["--send", "ab", "--send", "cde", "--send", "fghij"],
    );
    assert_eq!(
        recvs,
        [
            "recv(4) -> b'abcd'",
            "recv(4) -> b'efgh'",
            "recv(4) -> b'ij'"
        ]
    );
}

#[test]
fn a_recv_size_of_zero_is_refused() {
    let refused = run(&SERVER, &["--addr", "127.0.0.1:0", "--recv", "0"], "");
    assert!(!refused.success);
    assert!(
        refused
            .stderr
            .contains("invalid value '0' for '--recv <SIZE>'")
    );
}

//! The receiving side against anything: names that pass `plain_name` never leave their folder,
//! `recv_file` stores exactly the bytes announced however they are cut, and a stream that ends
//! early leaves no file at all; request and reply headers of any bytes never panic.

mod common;

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path};

use ch12_struct_header::{pack_header, recv_header};
use ch12b_ftp::{Reply, Request, plain_name, recv_file};
use common::names;
use indicatif::ProgressBar;
use proptest::prelude::*;
use tempfile::TempDir;
use testkit::Pieces;

fn pieces(bytes: Vec<u8>, sizes: Vec<usize>) -> Pieces {
    Pieces::new(bytes, sizes)
}

/// Names made of the characters that matter: separators, dots, drive colons, NUL, letters.
fn tricky_name() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('/'),
            Just('\\'),
            Just('.'),
            Just(':'),
            Just('\0'),
            Just('\n'),
            Just('a'),
            Just('é'),
        ],
        0..8,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn a_plain_name_is_one_normal_component(name in prop_oneof![tricky_name(), any::<String>()]) {
        if let Ok(name) = plain_name(&name) {
            let components: Vec<_> = Path::new(name).components().collect();
            prop_assert_eq!(components.len(), 1, "{:?}", name);
            prop_assert!(matches!(components[0], Component::Normal(_)), "{:?}", name);
            prop_assert!(!name.contains(['/', '\\', ':', '\0']));
        }
    }

    #[test]
    fn the_announced_bytes_are_stored_however_they_are_cut(
        data in proptest::collection::vec(any::<u8>(), 0..200_000),
        extra in proptest::collection::vec(any::<u8>(), 0..10),
        sizes in proptest::collection::vec(1usize..100_000, 1..6),
    ) {
        let dir = TempDir::new().unwrap();
        let size = data.len() as u64;
        // Bytes after the file belong to the next request: they must stay unread.
        let mut conn = pieces([data.clone(), extra.clone()].concat(), sizes);
        let stored = recv_file(&mut conn, dir.path(), "f.bin", size, &ProgressBar::hidden(), None);
        prop_assert!(matches!(stored, Ok(Ok(()))), "{stored:?}");
        prop_assert!(fs::read(dir.path().join("f.bin")).unwrap() == data);
        prop_assert_eq!(names(dir.path()), ["f.bin"]);
        let mut rest = Vec::new();
        conn.read_to_end(&mut rest).unwrap();
        prop_assert_eq!(rest, extra);
    }

    #[test]
    fn a_stream_that_ends_early_leaves_no_file(
        size in 1u64..200_000,
        cut in any::<prop::sample::Index>(),
        sizes in proptest::collection::vec(1usize..100_000, 1..6),
    ) {
        let dir = TempDir::new().unwrap();
        let sent = cut.index(size as usize); // fewer than announced
        let mut conn = pieces(vec![7; sent], sizes);
        let error = recv_file(&mut conn, dir.path(), "f.bin", size, &ProgressBar::hidden(), None)
            .unwrap_err();
        prop_assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        prop_assert_eq!(
            error.to_string(),
            format!("the connection ended after {sent} of {size} bytes")
        );
        prop_assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn a_refused_name_still_reads_the_bytes_and_stores_nothing(
        name in tricky_name(),
        data in proptest::collection::vec(any::<u8>(), 0..1000),
    ) {
        prop_assume!(plain_name(&name).is_err());
        let dir = TempDir::new().unwrap();
        let mut conn = pieces(data.clone(), vec![333]);
        let stored = recv_file(&mut conn, dir.path(), &name, data.len() as u64, &ProgressBar::hidden(), None);
        let inner = stored.unwrap();
        prop_assert_eq!(inner.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        prop_assert_eq!(conn.taken(), data.len());
        prop_assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn request_and_reply_headers_of_any_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let framed = [&(bytes.len() as i32).to_le_bytes()[..], &bytes].concat();
        for result in [
            recv_header::<Request>(&mut pieces(framed.clone(), sizes.clone())).map(|_| ()),
            recv_header::<Reply>(&mut pieces(framed, sizes)).map(|_| ()),
        ] {
            if let Err(error) = result {
                prop_assert!(matches!(error.kind(), io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof));
            }
        }
    }

    #[test]
    fn replies_survive_the_wire(filesize in any::<u64>(), error in any::<String>(), ok in any::<bool>()) {
        let reply = if ok { Reply::Ok { filesize } } else { Reply::Error { error } };
        let wire = pack_header(&reply).unwrap();
        let back = recv_header::<Reply>(&mut pieces(wire, vec![3])).unwrap();
        prop_assert_eq!(back, Some(reply));
    }
}

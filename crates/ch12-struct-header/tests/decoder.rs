//! The frame decoder against anything: arbitrary bytes, cut into arbitrary pieces, never make
//! it panic or allocate beyond its limits, and real frames decode exactly however they are cut.

use std::io;

use ch12_struct_header::{MAX_HEADER, Reply, pack_header, recv_data, recv_header};
use proptest::prelude::*;
use testkit::Pieces;

fn pieces(bytes: Vec<u8>, sizes: Vec<usize>) -> Pieces {
    Pieces::new(bytes, sizes)
}

/// Decodes frames until the input ends or an error; returns the data of each good frame.
fn decode_all(input: &mut Pieces) -> (Vec<Vec<u8>>, Option<io::Error>) {
    let mut frames = Vec::new();
    loop {
        match recv_header::<Reply>(input) {
            Ok(None) => return (frames, None),
            Ok(Some(header)) => match recv_data(input, header.data_size, 1 << 20) {
                Ok(data) => frames.push(data),
                Err(error) => return (frames, Some(error)),
            },
            Err(error) => return (frames, Some(error)),
        }
    }
}

fn frame(data: &[u8]) -> Vec<u8> {
    let mut frame = pack_header(&Reply {
        data_size: data.len() as u64,
    })
    .unwrap();
    frame.extend_from_slice(data);
    frame
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let (_, error) = decode_all(&mut pieces(bytes, sizes));
        if let Some(error) = error {
            prop_assert!(matches!(error.kind(), io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof));
        }
    }

    #[test]
    fn real_frames_decode_exactly_however_they_are_cut(
        datas in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 0..6),
        sizes in proptest::collection::vec(1usize..5000, 1..8),
    ) {
        let wire: Vec<u8> = datas.iter().flat_map(|data| frame(data)).collect();
        let (frames, error) = decode_all(&mut pieces(wire, sizes));
        prop_assert!(error.is_none(), "{error:?}");
        prop_assert_eq!(frames, datas);
    }

    #[test]
    fn a_frame_cut_anywhere_is_an_error_not_a_frame(
        data in proptest::collection::vec(any::<u8>(), 0..500),
        cut in any::<prop::sample::Index>(),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let whole = frame(&data);
        let keep = 1 + cut.index(whole.len() - 1); // at least one byte, never all of them
        let (frames, error) = decode_all(&mut pieces(whole[..keep].to_vec(), sizes));
        prop_assert!(frames.is_empty());
        prop_assert_eq!(error.map(|e| e.kind()), Some(io::ErrorKind::UnexpectedEof));
    }

    #[test]
    fn header_lengths_outside_the_limits_are_refused_before_reading_more(length in any::<i32>()) {
        prop_assume!(!(1..=MAX_HEADER as i32).contains(&length));
        // Were the decoder to trust the length, it would wait for (or allocate) that much.
        let result = recv_header::<Reply>(&mut pieces(length.to_le_bytes().to_vec(), vec![4]));
        let error = result.unwrap_err();
        prop_assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        prop_assert!(error.to_string().starts_with("bad header length"));
    }
}

#[test]
fn a_header_that_is_not_an_object_is_an_error_not_a_hang_up() {
    // `null` decoded as an Option would be None, which recv_header also returns for a peer that
    // hung up between frames; `[3]` is what serde would take for Reply { data_size: 3 }.
    for json in ["null", "[3]", "3", "\"x\"", "true", "[]"] {
        let mut wire = (json.len() as i32).to_le_bytes().to_vec();
        wire.extend_from_slice(json.as_bytes());
        let error = recv_header::<Reply>(&mut pieces(wire, vec![1])).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{json}");
        assert!(
            error.to_string().ends_with(": expected a JSON object"),
            "{json}: {error}"
        );
        // Even when the caller asks for an Option, as a caller that allows `null` might.
        let mut wire = (json.len() as i32).to_le_bytes().to_vec();
        wire.extend_from_slice(json.as_bytes());
        let error = recv_header::<Option<Reply>>(&mut pieces(wire, vec![4])).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{json}");
    }
}

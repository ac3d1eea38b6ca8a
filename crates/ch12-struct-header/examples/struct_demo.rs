//! The article's `struct` demo: how `struct.pack('i', n)` turns a number into 4 bytes, and how
//! a header becomes a frame. Run it with `cargo run -p ch12-struct-header --example struct_demo`.

use support::py_bytes;

fn main() {
    // struct.pack('i', 1111111111111): 'i' is 4 bytes, signed. The number does not fit.
    let big: i64 = 1_111_111_111_111;
    match i32::try_from(big) {
        Ok(n) => println!("struct.pack('i', {big}) -> {}", py_bytes(&n.to_le_bytes())),
        Err(_) => println!(
            "struct.pack('i', {big}) -> error: 'i' format requires {} <= number <= {}",
            i32::MIN,
            i32::MAX
        ),
    }

    // The article's example header, for a 1 TB file. Its size does not go in the 4 bytes:
    // only the header's length does, and a header is always small.
    let header = serde_json::json!({
        "file_size": 1_073_741_824_000_u64,
        "file_name": "/a/b/c/d/e/a.txt",
        "md5": "8f6fbf8347faa4924a76856701edb0f3",
    });
    let head_bytes = serde_json::to_vec(&header).expect("a JSON value always serialises");
    println!("header: {}", py_bytes(&head_bytes));

    // head_len_bytes = struct.pack('i', len(head_bytes))
    let head_len = i32::try_from(head_bytes.len()).expect("a small header");
    let head_len_bytes = head_len.to_le_bytes();
    println!(
        "struct.pack('i', {head_len}) -> {}",
        py_bytes(&head_len_bytes)
    );
    println!(
        "  (little-endian: least significant byte first; struct.pack('>i', {head_len}) -> {})",
        py_bytes(&head_len.to_be_bytes())
    );

    // x = struct.unpack('i', head_len_bytes)[0]
    let x = i32::from_le_bytes(head_len_bytes);
    println!(
        "struct.unpack('i', {}) -> ({x},)",
        py_bytes(&head_len_bytes)
    );

    // 'i' is signed: a receiver must refuse a negative length instead of trusting it.
    println!(
        "struct.unpack('i', b'\\xff\\xff\\xff\\xff') -> ({},)",
        i32::from_le_bytes([0xff; 4])
    );

    // What goes on the wire: the 4 bytes, then the header, then the file's bytes.
    let mut frame = head_len_bytes.to_vec();
    frame.extend_from_slice(&head_bytes);
    println!("frame: {} + 1073741824000 bytes of file", py_bytes(&frame));
}

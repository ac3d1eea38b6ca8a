//! The article's second `struct` demo (关于struct的详细用法): `struct.Struct`, `pack_into` and
//! `unpack_from` on one shared buffer. Run it with
//! `cargo run -p ch12-struct-header --example struct_buffer`; it prints what the article's
//! Python prints.
//!
//! Rust has no `struct` module: a layout is a type, and packing it is writing each field's
//! bytes at its offset. That is all `struct` does, too.

use support::py_bytes;

/// `struct.Struct('I3sf')`: an unsigned 4-byte integer, 3 bytes, a 4-byte float. Without a
/// prefix, `struct` uses the machine's byte order *and* its alignment, as a C compiler would:
/// the float must start at a multiple of 4, so one byte of padding follows the 3 bytes.
struct S1 {
    n: u32,
    s: [u8; 3],
    f: f32,
}

impl S1 {
    /// `s1.size`: 4 + 3 + 1 (padding) + 4.
    const SIZE: usize = 12;

    /// `s1.pack_into(buffer, offset, n, s, f)`
    fn pack_into(&self, buffer: &mut [u8], offset: usize) {
        let out = &mut buffer[offset..offset + Self::SIZE];
        out[0..4].copy_from_slice(&self.n.to_ne_bytes());
        out[4..7].copy_from_slice(&self.s);
        out[7] = 0; // the padding byte
        out[8..12].copy_from_slice(&self.f.to_ne_bytes());
    }

    /// `s1.unpack_from(buffer, offset)`
    fn unpack_from(buffer: &[u8], offset: usize) -> S1 {
        let bytes = &buffer[offset..offset + Self::SIZE];
        S1 {
            n: u32::from_ne_bytes(four(&bytes[0..4])),
            s: [bytes[4], bytes[5], bytes[6]],
            f: f32::from_ne_bytes(four(&bytes[8..12])),
        }
    }
}

/// `struct.Struct('4sI')`: 4 bytes, then an unsigned integer (already aligned: no padding).
struct S2 {
    s: [u8; 4],
    n: u32,
}

impl S2 {
    const SIZE: usize = 8;

    fn pack_into(&self, buffer: &mut [u8], offset: usize) {
        let out = &mut buffer[offset..offset + Self::SIZE];
        out[0..4].copy_from_slice(&self.s);
        out[4..8].copy_from_slice(&self.n.to_ne_bytes());
    }

    fn unpack_from(buffer: &[u8], offset: usize) -> S2 {
        let bytes = &buffer[offset..offset + Self::SIZE];
        S2 {
            s: four(&bytes[0..4]),
            n: u32::from_ne_bytes(four(&bytes[4..8])),
        }
    }
}

fn main() {
    // values1 = (1, 'abc'.encode('utf-8'), 2.7); values2 = ('defg'.encode('utf-8'), 101)
    let values1 = S1 {
        n: 1,
        s: *b"abc",
        f: 2.7,
    };
    let values2 = S2 {
        s: *b"defg",
        n: 101,
    };
    // print(s1.size, s2.size)
    println!("{} {}", S1::SIZE, S2::SIZE);

    // prebuffer = ctypes.create_string_buffer(s1.size + s2.size): 20 zero bytes.
    let mut prebuffer = [0u8; S1::SIZE + S2::SIZE];
    println!("Before :  {}", hexlify(&prebuffer));

    // s1.pack_into(prebuffer, 0, *values1); s2.pack_into(prebuffer, s1.size, *values2)
    values1.pack_into(&mut prebuffer, 0);
    values2.pack_into(&mut prebuffer, S1::SIZE);
    println!("After pack {}", hexlify(&prebuffer));

    // print(s1.unpack_from(prebuffer, 0)); print(s2.unpack_from(prebuffer, s1.size))
    let a = S1::unpack_from(&prebuffer, 0);
    // Python prints the float as a double: 2.7 does not fit in 4 bytes exactly.
    println!("({}, {}, {})", a.n, py_bytes(&a.s), f64::from(a.f));
    let b = S2::unpack_from(&prebuffer, S1::SIZE);
    println!("({}, {})", py_bytes(&b.s), b.n);

    // s3 = struct.Struct('ii'); s3.pack_into(prebuffer, 0, 123, 123): two signed integers,
    // written over the first 8 bytes; the rest of the buffer stays as it was.
    prebuffer[0..4].copy_from_slice(&123i32.to_ne_bytes());
    prebuffer[4..8].copy_from_slice(&123i32.to_ne_bytes());
    println!("After pack {}", hexlify(&prebuffer));
    let x = i32::from_ne_bytes(four(&prebuffer[0..4]));
    let y = i32::from_ne_bytes(four(&prebuffer[4..8]));
    println!("({x}, {y})");
}

/// `binascii.hexlify(data)`: two hex digits per byte, as bytes.
fn hexlify(data: &[u8]) -> String {
    let digits: String = data.iter().map(|byte| format!("{byte:02x}")).collect();
    py_bytes(digits.as_bytes())
}

/// Four bytes of a slice as an array, for `from_ne_bytes`.
fn four(bytes: &[u8]) -> [u8; 4] {
    bytes.try_into().expect("a 4-byte field")
}

//! The protocol. Every message is a frame, as in chapter 十二: 4 bytes of header length
//! (`struct.pack('i')`: i32, little-endian), then a UTF-8 JSON header. Some messages are
//! followed by raw bytes whose count the header gives. The lesson documents each message.

use std::io::{self, Read, Write};

use ch12_struct_header::{pack_header, recv_header};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a client may ask. The JSON has a `"cmd"` naming the variant, in lower case:
/// `{"cmd":"cd","path":"docs"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "lowercase", deny_unknown_fields)]
pub enum Request {
    /// Start logging in: the server answers with the user's salt and a fresh challenge.
    Login {
        user: String,
    },
    /// Finish logging in: the proof computed from the password and the challenge.
    Auth {
        proof: String,
    },
    Pwd,
    Cd {
        path: String,
    },
    Ls {
        #[serde(default)]
        path: Option<String>,
    },
    Mkdir {
        path: String,
    },
    Rm {
        path: String,
    },
    /// Upload `size` bytes to `path`; the server answers with the offset to start from.
    Put {
        path: String,
        size: u64,
    },
    /// Download `path`, starting at byte `offset`.
    Get {
        path: String,
        #[serde(default)]
        offset: u64,
    },
    Quota,
    Quit,
}

/// The commands a client may send, for the "unknown command" message.
pub const COMMANDS: [&str; 11] = [
    "login", "auth", "pwd", "cd", "ls", "mkdir", "rm", "put", "get", "quota", "quit",
];

impl Request {
    /// Reads the JSON of a request into a [`Request`], with a message a person can act on:
    /// `unknown command 'chmod'` or `bad 'put' request: missing field 'size'`.
    pub fn parse(json: Value) -> Result<Request, String> {
        if !json.is_object() {
            return Err(format!(
                "a request must be a JSON object, not {}",
                kind_of(&json)
            ));
        }
        let cmd = match json.get("cmd") {
            Some(Value::String(cmd)) => cmd.clone(),
            Some(_) => return Err("\"cmd\" must be a string".into()),
            None => return Err("a request needs a \"cmd\"".into()),
        };
        if !COMMANDS.contains(&cmd.as_str()) {
            return Err(format!(
                "unknown command '{cmd}' (try: {})",
                COMMANDS.join(", ")
            ));
        }
        serde_json::from_value(json).map_err(|error| format!("bad '{cmd}' request: {error}"))
    }
}

/// What a JSON value is, for a message.
fn kind_of(json: &Value) -> &'static str {
    match json {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Every reply: `"status"` is `"ok"` or `"error"`; an error says why in `"error"`. The other
/// fields are there only for the requests that need them (see the lesson's table).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// login: the user's salt and the KDF's parameters, and a fresh challenge (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<crate::auth::Kdf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    /// auth, pwd, cd: the current directory, as the user sees it (`/` is the home).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// ls: how many bytes of JSON (the entries) follow; get: the file's size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// put: where to start sending (the bytes the server already has of an interrupted upload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// put's final reply: the md5 the server computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// quota: bytes used and allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Ok,
    Error,
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::default()
    }

    pub fn error(message: impl Into<String>) -> Reply {
        Reply {
            status: Status::Error,
            error: Some(message.into()),
            ..Reply::default()
        }
    }
}

/// What follows the bytes of a put (from the client) or a get (from the server): the md5 of
/// the whole file, computed by the sender as it read the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    pub md5: String,
}

/// One entry of an `ls` listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
    pub size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Dir,
}

/// Sends one frame: the 4-byte length and the JSON header, in one write.
pub fn send(conn: &mut impl Write, header: &impl Serialize) -> io::Result<()> {
    conn.write_all(&pack_header(header)?)?;
    conn.flush()
}

/// Receives one frame's header as `T`; `Ok(None)` if the peer hung up between frames. A
/// header that is JSON `null` is a broken frame, not a hang-up: bytes arrived.
pub fn recv<T: serde::de::DeserializeOwned>(conn: &mut impl Read) -> io::Result<Option<T>> {
    let mut counted = Counted { conn, bytes: 0 };
    match recv_header(&mut counted)? {
        None if counted.bytes > 0 => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad header b'null': a header must be a JSON object",
        )),
        header => Ok(header),
    }
}

/// A reader that counts what it read.
struct Counted<'a, R> {
    conn: &'a mut R,
    bytes: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.conn.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_have_a_cmd_and_named_fields() {
        let put = Request::Put {
            path: "a.txt".into(),
            size: 3,
        };
        assert_eq!(
            serde_json::to_value(&put).unwrap(),
            json!({"cmd": "put", "path": "a.txt", "size": 3})
        );
        assert_eq!(Request::parse(json!({"cmd": "pwd"})), Ok(Request::Pwd));
        assert_eq!(
            Request::parse(json!({"cmd": "ls"})),
            Ok(Request::Ls { path: None })
        );
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let unknown = Request::parse(json!({"cmd": "chmod"})).unwrap_err();
        assert!(unknown.starts_with("unknown command 'chmod'"), "{unknown}");
        let missing = Request::parse(json!({"cmd": "put", "path": "a"})).unwrap_err();
        assert!(missing.contains("missing field `size`"), "{missing}");
        let negative = Request::parse(json!({"cmd": "put", "path": "a", "size": -1})).unwrap_err();
        assert!(negative.starts_with("bad 'put' request"), "{negative}");
        assert!(Request::parse(json!({"cmd": 7})).is_err());
        assert_eq!(
            Request::parse(json!(["put"])),
            Err("a request must be a JSON object, not an array".into())
        );
        assert_eq!(
            Request::parse(json!(null)),
            Err("a request must be a JSON object, not null".into())
        );
        let extra = Request::parse(json!({"cmd": "cd", "path": "x", "sudo": true})).unwrap_err();
        assert!(extra.contains("unknown field"), "{extra}");
    }

    #[test]
    fn replies_carry_only_what_they_need() {
        let reply = Reply {
            cwd: Some("/docs".into()),
            ..Reply::ok()
        };
        assert_eq!(
            serde_json::to_string(&reply).unwrap(),
            r#"{"status":"ok","cwd":"/docs"}"#
        );
        assert_eq!(
            serde_json::to_string(&Reply::error("no such file")).unwrap(),
            r#"{"status":"error","error":"no such file"}"#
        );
    }
}

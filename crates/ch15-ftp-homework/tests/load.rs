//! Load, at a size a test run can afford: 200 clients connect at the same moment, and each
//! logs in, lists, uploads and downloads a file. All of them must succeed. (`scripts/bench
//! load` does the same with 1,000 and reports times and memory.)

mod common;

use std::sync::{Arc, Barrier, OnceLock};
use std::thread;

use ch15_ftp_homework::auth::{self, Key};
use ch15_ftp_homework::remote::Remote;
use common::{Site, password};

const CLIENTS: usize = 200;

#[test]
fn two_hundred_clients_at_once_all_succeed() {
    let site = Arc::new(Site::new(&[("alice", "1G")]));
    let (_server, addr) = site.start(&[]);
    let data = site.file("alice", "small.bin", 10_000);
    let expected = std::fs::read(&data).unwrap();

    // The key is derived once for everybody: Argon2 is the client's cost, not the server's.
    let key: Arc<OnceLock<Key>> = Arc::new(OnceLock::new());
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (site, key, start, data) = (site.clone(), key.clone(), start.clone(), data.clone());
            thread::spawn(move || -> anyhow::Result<Vec<u8>> {
                start.wait(); // all connect at once
                let mut remote = Remote::connect(addr)?;
                remote.login_with("alice", |salt, kdf| {
                    Ok(*key.get_or_init(|| {
                        let salted = auth::salted_password(&password("alice"), salt, kdf);
                        auth::client_key(&salted.unwrap())
                    }))
                })?;
                remote.ls(None)?;
                let name = format!("f{i}");
                remote.put(&data, &name, &mut |_| {})?;
                let back = site.local("alice").join(format!("back{i}"));
                remote.get(&name, &back, &mut |_| {})?;
                remote.quit()?;
                Ok(std::fs::read(back)?)
            })
        })
        .collect();

    let mut errors = Vec::new();
    for client in clients {
        match client.join().expect("a client thread panicked") {
            Ok(bytes) => assert_eq!(bytes, expected),
            Err(error) => errors.push(format!("{error:#}")),
        }
    }
    assert!(errors.is_empty(), "{} failed: {:?}", errors.len(), errors);
    assert_eq!(
        std::fs::read_dir(site.home("alice")).unwrap().count(),
        CLIENTS + 1
    );
}

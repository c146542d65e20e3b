//! A local `starknet-devnet` process for tests and demos: started on 127.0.0.1 with
//! `--seed 0` on a free port, stopped by its PID when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::StarknetError;

/// Environment variable naming the `starknet-devnet` binary (default: on `PATH`).
pub const DEVNET_ENV: &str = "STARKNET_DEVNET";

/// The devnet version this project is tested with.
pub const DEVNET_VERSION: &str = "0.10.1";

/// A running devnet; killed (by PID) on drop.
#[derive(Debug)]
pub struct Devnet {
    child: Child,
    port: u16,
}

/// The devnet binary: `$STARKNET_DEVNET` or `starknet-devnet` on `PATH`.
pub fn devnet_binary() -> PathBuf {
    std::env::var_os(DEVNET_ENV).map_or_else(|| PathBuf::from("starknet-devnet"), PathBuf::from)
}

fn free_port() -> Result<u16, StarknetError> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| StarknetError::Devnet(format!("no free port: {e}")))?;
    l.local_addr().map(|a| a.port()).map_err(|e| StarknetError::Devnet(e.to_string()))
}

fn is_alive(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req =
        format!("GET /is_alive HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply.starts_with("HTTP/1.1 200")
}

impl Devnet {
    /// Starts devnet on a free port of 127.0.0.1 with `--seed 0` and waits until it answers
    /// `/is_alive` (at most 60 s).
    ///
    /// # Errors
    /// [`StarknetError::Devnet`] when the binary is missing (saying how to install it),
    /// exits early or does not answer.
    pub fn start() -> Result<Devnet, StarknetError> {
        // The free port may be taken by someone else between our probe and devnet's bind:
        // try a few ports before giving up.
        let mut last = None;
        for _ in 0..3 {
            match Self::start_once() {
                Ok(d) => return Ok(d),
                Err(e @ StarknetError::Devnet(_)) if e.to_string().contains("exited") => {
                    last = Some(e)
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| StarknetError::Devnet("could not start".into())))
    }

    fn start_once() -> Result<Devnet, StarknetError> {
        let bin = devnet_binary();
        let port = free_port()?;
        let child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--seed", "0"])
            .args(["--accounts", "3"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                StarknetError::Devnet(format!(
                    "cannot start {} ({e}); install it with `cargo install starknet-devnet --version {DEVNET_VERSION} --locked` or set {DEVNET_ENV}",
                    bin.display()
                ))
            })?;
        let mut devnet = Devnet { child, port };
        let start = Instant::now();
        while !is_alive(port) {
            if let Ok(Some(status)) = devnet.child.try_wait() {
                return Err(StarknetError::Devnet(format!("exited with {status} during start-up")));
            }
            if start.elapsed() > Duration::from_secs(60) {
                return Err(StarknetError::Devnet(format!("no answer on port {port} after 60 s")));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(devnet)
    }

    /// The JSON-RPC URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/rpc", self.port)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        // `Child::kill` sends SIGKILL to this PID; wait reaps it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! The matter.js peer as a child process: `node device.mjs` from `sim/interop/matterjs/`,
//! configured through environment variables only, with its storage
//! and log in a private temporary directory that is removed when the peer is dropped.
//!
//! The process is ours: we stop it by its id (SIGTERM, then SIGKILL after a grace period) and
//! the [`Drop`] of [`MatterJsPeer`] kills it if it still runs, so a failing test never leaves
//! a device behind.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The line device.mjs prints once it listens.
pub const READY_MARKER: &str = "PASEO-PEER READY";
/// The line it prints after a clean shutdown.
pub const STOPPED_MARKER: &str = "PASEO-PEER STOPPED";
/// The line it prints when it cannot start or stop.
pub const FAILED_MARKER: &str = "PASEO-PEER FAILED";

/// Why the peer could not be run.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// `node_modules` is missing: the npm packages were never installed.
    #[error("matter.js is not installed: run `npm ci` in {0}")]
    NotInstalled(PathBuf),
    /// The peer directory was not found (or its packages could not be installed).
    #[error(transparent)]
    Install(#[from] super::install::InstallError),
    /// There is no `node` executable.
    #[error("cannot run `node` (Node.js >= 20.19 is needed): {0}")]
    NodeMissing(io::Error),
    /// Files or the process could not be handled.
    #[error("peer process: {0}")]
    Io(#[from] io::Error),
    /// The process ended before it was ready.
    #[error("peer exited before it was ready ({0})")]
    Exited(ExitStatus),
    /// device.mjs reported a failure.
    #[error("peer failed: {0}")]
    Failed(String),
    /// No ready line in time.
    #[error("peer not ready within {0:?}")]
    ReadyTimeout(Duration),
}

/// How to run the device.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    /// UDP port on 127.0.0.1 and ::1.
    pub port: u16,
    /// matter.js log level (fatal, error, warn, notice, info, debug).
    pub log_level: String,
}

/// A running (or stopped) matter.js device with its own storage.
pub struct MatterJsPeer {
    script_dir: PathBuf,
    root: PathBuf,
    storage: PathBuf,
    log_path: PathBuf,
    config: PeerConfig,
    child: Option<Child>,
    ready_seen: usize,
}

impl Drop for MatterJsPeer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.root);
    }
}

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// A UDP port free on both 127.0.0.1 and ::1 right now (the peer binds both).
pub fn free_loopback_port() -> io::Result<u16> {
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "no free port");
    for _ in 0..32 {
        let v4 = UdpSocket::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))?;
        let port = v4.local_addr()?.port();
        match UdpSocket::bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)) {
            Ok(_) => return Ok(port),
            Err(e) => last = e,
        }
    }
    Err(last)
}

impl MatterJsPeer {
    /// Where device.mjs and its package.json live, found at run time:
    /// `$PASEO_MATTERJS_DIR`, then this build's source tree, then a checkout holding the
    /// running binary ([`super::install`]).
    pub fn script_dir() -> Result<PathBuf, PeerError> {
        Ok(super::install::find_script_dir()?)
    }

    /// Whether `npm ci` has been run there.
    pub fn installed(script_dir: &Path) -> bool {
        super::install::installed(script_dir)
    }

    /// Starts a factory-fresh device: a new empty storage directory.
    pub fn launch(config: PeerConfig) -> Result<Self, PeerError> {
        let script_dir = Self::script_dir()?;
        if !Self::installed(&script_dir) {
            return Err(PeerError::NotInstalled(script_dir));
        }
        let root = std::env::temp_dir().join(format!(
            "paseo-interop-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        if root.exists() {
            fs::remove_dir_all(&root)?;
        }
        fs::create_dir_all(&root)?;
        let mut peer = Self {
            script_dir,
            storage: root.join("storage"),
            log_path: root.join("peer.log"),
            root,
            config,
            child: None,
            ready_seen: 0,
        };
        peer.spawn()?;
        Ok(peer)
    }

    fn spawn(&mut self) -> Result<(), PeerError> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)?;
        let child = Command::new("node")
            .arg("device.mjs")
            .current_dir(&self.script_dir)
            .env("PASEO_PEER_PORT", self.config.port.to_string())
            .env("MATTER_STORAGE_PATH", &self.storage)
            .env("MATTER_LOG_LEVEL", &self.config.log_level)
            .env("MATTER_LOG_FORMAT", "plain")
            .env("MATTER_MDNS_NETWORKINTERFACE", "lo")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => PeerError::NodeMissing(e),
                _ => PeerError::Io(e),
            })?;
        self.child = Some(child);
        Ok(())
    }

    /// The device on 127.0.0.1.
    pub fn address_v4(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.config.port)
    }

    /// The device on ::1.
    pub fn address_v6(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), self.config.port)
    }

    /// Everything the device printed so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits for the next ready line (one per start); returns it.
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<String, PeerError> {
        let step = Duration::from_millis(20);
        let mut waited = Duration::ZERO;
        loop {
            let log = self.log();
            let ready: Vec<&str> = log
                .lines()
                .filter(|l| l.starts_with(READY_MARKER))
                .collect();
            if let Some(line) = ready.get(self.ready_seen) {
                self.ready_seen += 1;
                return Ok((*line).to_owned());
            }
            if let Some(line) = log.lines().find(|l| l.starts_with(FAILED_MARKER)) {
                return Err(PeerError::Failed(line.to_owned()));
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                return Err(PeerError::Exited(status));
            }
            if waited >= timeout {
                return Err(PeerError::ReadyTimeout(timeout));
            }
            tokio::time::sleep(step).await;
            waited += step;
        }
    }

    /// Stops the device: SIGTERM, then SIGKILL after `grace`. True when it shut down cleanly
    /// (exit code 0 after its stopped line).
    pub async fn stop(&mut self, grace: Duration) -> Result<bool, PeerError> {
        let Some(mut child) = self.child.take() else {
            return Ok(false);
        };
        let stopped_lines = |log: &str| {
            log.lines()
                .filter(|l| l.starts_with(STOPPED_MARKER))
                .count()
        };
        let stopped_before = stopped_lines(&self.log());
        if child.try_wait()?.is_none() {
            // Our own child, by its id.
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        let step = Duration::from_millis(20);
        let mut waited = Duration::ZERO;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if waited >= grace {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            tokio::time::sleep(step).await;
            waited += step;
        };
        let stopped_line = stopped_lines(&self.log()) > stopped_before;
        Ok(status.is_some_and(|s| s.success()) && stopped_line)
    }

    /// Starts the device again on the same storage (it keeps fabrics and resumption records).
    pub fn restart(&mut self) -> Result<(), PeerError> {
        if self.child.is_some() {
            return Err(PeerError::Io(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "peer still running",
            )));
        }
        self.spawn()
    }
}

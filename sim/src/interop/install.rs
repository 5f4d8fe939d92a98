//! Where the matter.js peer lives, found at run time, and installing its pinned npm packages
//! once even when several test binaries ask at the same time.
//!
//! The peer directory (`device.mjs`, `package.json`, `package-lock.json`) is, in order:
//!
//! 1. `$PASEO_MATTERJS_DIR` when set (and only it: a wrong value is an error, not a fallback);
//! 2. `sim/interop/matterjs` of the source tree the binary was built from (a `cargo install
//!    --path .` or `--git` keeps pointing at its checkout);
//! 3. `sim/interop/matterjs` under a directory that holds the running binary (a copied
//!    `target/release/paseo` inside a checkout).
//!
//! [`ensure_node_modules`] runs `npm ci` under an exclusive lock on `.npm-ci.lock` in that
//! directory and checks again once it holds the lock, so parallel test binaries (cargo test,
//! nextest) never run two `npm ci` into one `node_modules`.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable naming the peer directory.
pub const DIR_ENV: &str = "PASEO_MATTERJS_DIR";

/// The lock file `ensure_node_modules` holds while it installs.
pub const LOCK_FILE: &str = ".npm-ci.lock";

/// The peer directory below a paseo checkout.
const IN_CHECKOUT: &str = "sim/interop/matterjs";

/// Why the peer directory was not found or its packages not installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// No candidate directory holds `device.mjs`.
    #[error(
        "cannot find the matter.js peer (a directory with device.mjs and package.json): set \
         {DIR_ENV} to `sim/interop/matterjs` of a paseo checkout; looked in {}",
        list(.0)
    )]
    NotFound(Vec<PathBuf>),
    /// `$PASEO_MATTERJS_DIR` is set but does not hold the peer.
    #[error("{DIR_ENV}={} does not hold the matter.js peer (no device.mjs there)", .0.display())]
    BadEnv(PathBuf),
    /// The lock file could not be created or locked.
    #[error("cannot lock {}: {source}", .path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `npm ci` could not be started or failed.
    #[error("`npm ci --no-audit --no-fund` in {} failed: {why} (needs Node.js >= 20.19 and npm)", .dir.display())]
    Npm {
        /// The peer directory.
        dir: PathBuf,
        /// The error or exit status.
        why: String,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `dir` holds the peer's script.
fn holds_peer(dir: &Path) -> bool {
    dir.join("device.mjs").is_file() && dir.join("package.json").is_file()
}

/// The peer directory from the environment, this build's source tree and the running binary.
pub fn find_script_dir() -> Result<PathBuf, InstallError> {
    locate(
        std::env::var_os(DIR_ENV),
        Path::new(env!("CARGO_MANIFEST_DIR")),
        std::env::current_exe().ok().as_deref(),
    )
}

/// [`find_script_dir`] with its inputs explicit: the variable's value, paseo-sim's source
/// directory, and the running binary.
pub fn locate(
    env: Option<OsString>,
    sim_source: &Path,
    exe: Option<&Path>,
) -> Result<PathBuf, InstallError> {
    if let Some(value) = env.filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(value);
        return if holds_peer(&dir) {
            Ok(dir)
        } else {
            Err(InstallError::BadEnv(dir))
        };
    }
    let mut tried = vec![sim_source.join("interop/matterjs")];
    if let Some(exe) = exe {
        tried.extend(exe.ancestors().skip(1).map(|a| a.join(IN_CHECKOUT)));
    }
    match tried.iter().find(|d| holds_peer(d)) {
        Some(dir) => Ok(dir.clone()),
        None => Err(InstallError::NotFound(tried)),
    }
}

/// Whether `npm ci` has been run in `dir`.
pub fn installed(dir: &Path) -> bool {
    dir.join("node_modules/@matter/main/package.json").is_file()
}

/// Installs the pinned packages in `dir` (`npm ci`) unless they are there, under the lock.
pub fn ensure_node_modules(dir: &Path) -> Result<(), InstallError> {
    ensure_with(dir, |dir| {
        eprintln!(
            "installing the pinned matter.js packages: npm ci in {}",
            dir.display()
        );
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status()
            .map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(status.to_string())
        }
    })
}

/// [`ensure_node_modules`] with the installer given: takes an exclusive lock on
/// `dir/.npm-ci.lock` (blocking until another installer is done), checks [`installed`] again,
/// and only then runs `install`. The lock is released when the file is closed, on every path.
pub fn ensure_with(
    dir: &Path,
    install: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), InstallError> {
    if installed(dir) {
        return Ok(());
    }
    let path = dir.join(LOCK_FILE);
    let lock_error = |source| InstallError::Lock {
        path: path.clone(),
        source,
    };
    let file: File = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(lock_error)?;
    file.lock().map_err(lock_error)?;
    if installed(dir) {
        return Ok(());
    }
    let npm = |why| InstallError::Npm {
        dir: dir.to_path_buf(),
        why,
    };
    install(dir).map_err(npm)?;
    if installed(dir) {
        Ok(())
    } else {
        Err(npm(
            "it ended but node_modules/@matter/main is missing".into()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("paseo-install-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn fake_peer(dir: &Path) {
        std::fs::write(dir.join("device.mjs"), "").expect("device.mjs");
        std::fs::write(dir.join("package.json"), "{}").expect("package.json");
    }

    /// What `npm ci` leaves behind, slowly enough that an unlocked second caller would see the
    /// packages missing and install again.
    fn fake_npm_ci(dir: &Path, runs: &AtomicUsize) -> Result<(), String> {
        runs.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(300));
        let main = dir.join("node_modules/@matter/main");
        std::fs::create_dir_all(&main).map_err(|e| e.to_string())?;
        std::fs::write(main.join("package.json"), "{}").map_err(|e| e.to_string())
    }

    #[test]
    fn concurrent_callers_install_once() {
        let dir = temp_dir("concurrent");
        let runs = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(4));
        let callers: Vec<_> = (0..4)
            .map(|_| {
                let (dir, runs, start) = (dir.clone(), runs.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    ensure_with(&dir, |d| fake_npm_ci(d, &runs))
                })
            })
            .collect();
        for caller in callers {
            let result = caller.join().expect("caller thread");
            assert!(result.is_ok(), "{result:?}");
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "npm ci ran more than once");
        assert!(installed(&dir));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_install_is_an_error_and_the_next_caller_tries_again() {
        let dir = temp_dir("failed");
        let failed = ensure_with(&dir, |_| Err("exit status: 1".into()));
        assert!(
            matches!(&failed, Err(InstallError::Npm { why, .. }) if why == "exit status: 1"),
            "{failed:?}"
        );
        let silent = ensure_with(&dir, |_| Ok(()));
        assert!(
            matches!(silent, Err(InstallError::Npm { .. })),
            "{silent:?}"
        );
        let runs = AtomicUsize::new(0);
        assert!(ensure_with(&dir, |d| fake_npm_ci(d, &runs)).is_ok());
        // Installed: nothing runs.
        assert!(ensure_with(&dir, |_| panic!("installed twice")).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_variable_wins_then_the_source_tree_then_the_binary_s_checkout() {
        let root = temp_dir("locate");
        let from_env = root.join("elsewhere");
        let source = root.join("src-checkout/sim");
        let exe_checkout = root.join("copied");
        for dir in [
            &from_env,
            &source.join("interop/matterjs"),
            &exe_checkout.join(IN_CHECKOUT),
        ] {
            std::fs::create_dir_all(dir).expect("dir");
            fake_peer(dir);
        }
        let exe = exe_checkout.join("target/release/paseo");
        let found = |env: Option<&Path>, source: &Path| {
            locate(env.map(|p| p.as_os_str().to_owned()), source, Some(&exe))
        };
        assert_eq!(found(Some(&from_env), &source).ok(), Some(from_env.clone()));
        assert_eq!(
            found(None, &source).ok(),
            Some(source.join("interop/matterjs"))
        );
        // The source tree is gone (an installed binary whose checkout was removed).
        let gone = root.join("removed/sim");
        assert_eq!(
            found(None, &gone).ok(),
            Some(exe_checkout.join(IN_CHECKOUT))
        );
        // An empty variable counts as unset.
        assert!(locate(Some(OsString::new()), &source, None).is_ok());
        // A wrong variable is an error, not a silent fallback.
        let wrong = root.join("nothing-here");
        assert!(matches!(
            found(Some(&wrong), &source),
            Err(InstallError::BadEnv(d)) if d == wrong
        ));
        // Nowhere: the error names every place it looked and the variable.
        let err = locate(None, &gone, Some(&root.join("bin/paseo"))).expect_err("not found");
        let text = err.to_string();
        assert!(text.contains(DIR_ENV), "{text}");
        assert!(
            text.contains(&gone.join("interop/matterjs").display().to_string()),
            "{text}"
        );
        assert!(
            text.contains(&root.join(IN_CHECKOUT).display().to_string()),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}

//! A node's state directory: its identity (`node.json`), its Raft data (`raft/`) and a lock
//! that keeps a second process away from both.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use crate::state::NodeKind;

/// Who this node is in its cluster. Written once the node has joined; holds its private key,
/// so the file is 0600 and the directory 0700.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeIdentity {
    pub node_id: u64,
    pub name: String,
    pub kind: NodeKind,
    pub cluster_id: String,
    pub cluster_name: String,
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    /// The bootstrap node of the cluster (it leaves once the control nodes are there).
    #[serde(default)]
    pub bootstrap: bool,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("node_id", &self.node_id)
            .field("name", &self.name)
            .field("cluster_id", &self.cluster_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateDirError {
    #[error("cannot use state dir {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("state dir {0} is in use by another traefikee process")]
    Locked(PathBuf),
    #[error("{path} is damaged: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

/// An open, locked state directory. The lock is held until this value is dropped.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    _lock: Flock<File>,
}

const IDENTITY: &str = "node.json";
/// The key a node joins with, kept until its identity is saved: a join retried after a
/// restart (the answer lost, the process killed) uses the same key, and the cluster
/// recognises it.
const JOIN_KEY: &str = "join-key.pem";
const LOCK: &str = "lock";

impl StateDir {
    /// Creates the directory if needed (mode 0700) and takes its lock.
    pub fn open(path: &Path) -> Result<StateDir, StateDirError> {
        let io = |source| StateDirError::Io { path: path.to_path_buf(), source };
        fs::create_dir_all(path).map_err(io)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(io)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path.join(LOCK))
            .map_err(io)?;
        let lock = Flock::lock(file, FlockArg::LockExclusiveNonblock)
            .map_err(|_| StateDirError::Locked(path.to_path_buf()))?;
        Ok(StateDir { path: path.to_path_buf(), _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn raft_dir(&self) -> PathBuf {
        self.path.join(crate::raft::store::RAFT_DIR)
    }

    pub fn identity(&self) -> Result<Option<NodeIdentity>, StateDirError> {
        let file = self.path.join(IDENTITY);
        match fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StateDirError::Corrupt { path: file, reason: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateDirError::Io { path: file, source }),
        }
    }

    /// Writes the identity atomically (temporary file, fsync, rename).
    pub fn save_identity(&self, identity: &NodeIdentity) -> Result<(), StateDirError> {
        let bytes = serde_json::to_vec_pretty(identity)
            .map_err(|e| StateDirError::Corrupt { path: self.path.join(IDENTITY), reason: e.to_string() })?;
        write_private(&self.path.join(IDENTITY), &bytes)
    }

    /// The key and certificate request to join with: the kept join key if an earlier
    /// attempt made one, a new one (saved before it is used) otherwise.
    pub fn join_key(&self, name: &str) -> Result<traefikee_pki::KeyAndCsr, StateDirError> {
        let file = self.path.join(JOIN_KEY);
        let corrupt = |reason: String| StateDirError::Corrupt { path: file.clone(), reason };
        match fs::read_to_string(&file) {
            Ok(pem) => traefikee_pki::csr_for_key(&pem, name).map_err(|e| corrupt(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = traefikee_pki::new_key_and_csr(name).map_err(|e| corrupt(e.to_string()))?;
                write_private(&file, key.key_pem.as_bytes())?;
                Ok(key)
            }
            Err(source) => Err(StateDirError::Io { path: file, source }),
        }
    }

    /// Saves the identity a join gave, then drops the join key (the identity holds it).
    pub fn save_joined(&self, identity: &NodeIdentity) -> Result<(), StateDirError> {
        self.save_identity(identity)?;
        match fs::remove_file(self.path.join(JOIN_KEY)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(StateDirError::Io { path: self.path.join(JOIN_KEY), source: e })
            }
            _ => Ok(()),
        }
    }

    /// Removes everything this node stored, keeping the directory itself (and its lock).
    pub fn wipe(&self) -> Result<(), StateDirError> {
        let io = |source| StateDirError::Io { path: self.path.clone(), source };
        for entry in fs::read_dir(&self.path).map_err(io)? {
            let entry = entry.map_err(io)?;
            if entry.file_name() == LOCK {
                continue;
            }
            let p = entry.path();
            if p.is_dir() {
                fs::remove_dir_all(&p).map_err(io)?;
            } else {
                fs::remove_file(&p).map_err(io)?;
            }
        }
        Ok(())
    }
}

/// Writes a file readable by its owner only, atomically.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StateDirError> {
    let io = |source| StateDirError::Io { path: path.to_path_buf(), source };
    let tmp = path.with_extension("tmp");
    {
        let mut f = OpenOptions::new().create(true).truncate(true).write(true).mode(0o600).open(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_open_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateDir::open(dir.path()).unwrap();
        assert!(matches!(StateDir::open(dir.path()), Err(StateDirError::Locked(_))));
        drop(first);
        StateDir::open(dir.path()).unwrap();
    }

    #[test]
    fn identity_round_trips_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let sd = StateDir::open(dir.path()).unwrap();
        assert!(sd.identity().unwrap().is_none());
        let id = NodeIdentity {
            node_id: 7,
            name: "n".into(),
            kind: NodeKind::Controller,
            cluster_id: "c".into(),
            cluster_name: "x".into(),
            ca_pem: "ca".into(),
            cert_pem: "cert".into(),
            key_pem: "key".into(),
            bootstrap: false,
        };
        sd.save_identity(&id).unwrap();
        assert_eq!(sd.identity().unwrap(), Some(id));
        let mode = fs::metadata(dir.path().join(IDENTITY)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        fs::write(dir.path().join(IDENTITY), b"{").unwrap();
        assert!(matches!(sd.identity(), Err(StateDirError::Corrupt { .. })));
    }
}

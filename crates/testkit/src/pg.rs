//! Real, throwaway PostgreSQL servers for tests.
//!
//! [`PgServer::start`] runs Debian's `initdb` into a fresh temporary directory, starts `postgres`
//! on a free loopback port with `pg_ctl`, and stops it (`pg_ctl stop -m immediate`) and removes the
//! directory when the handle drops. PostgreSQL refuses to run as root, so when the tests run as
//! root the server runs as the `postgres` system user (through `runuser`), in a directory it owns.
//!
//! Binaries are found through `PG_BINDIR`, then `pg_config --bindir`, then the newest
//! `/usr/lib/postgresql/*/bin`.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The superuser every test server is created with.
pub const SUPERUSER: &str = "postgres";
/// The superuser's password (the servers listen on loopback only and live for one test).
pub const SUPERUSER_PASSWORD: &str = "pgconnect-test-superuser";

/// A fault while preparing or running a test server, with the command output that explains it.
#[derive(Debug)]
pub struct HarnessError(pub String);

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HarnessError {}

type Result<T> = std::result::Result<T, HarnessError>;

fn err(msg: impl Into<String>) -> HarnessError {
    HarnessError(msg.into())
}

/// How to set up a server before it starts.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Lines of `pg_hba.conf`. Default: trust on the Unix socket, scram-sha-256 on loopback TCP.
    pub hba: Vec<String>,
    /// Extra `postgresql.conf` lines (`ssl = on`, `max_connections = 20`, …).
    pub config: Vec<String>,
    /// Files to place in the data directory before start (name, contents), e.g. TLS keys.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            hba: vec![
                "local all all trust".to_owned(),
                "host all all 127.0.0.1/32 scram-sha-256".to_owned(),
                "host all all ::1/128 scram-sha-256".to_owned(),
            ],
            config: Vec::new(),
            files: Vec::new(),
        }
    }
}

/// A running PostgreSQL server, stopped and deleted on drop.
#[derive(Debug)]
pub struct PgServer {
    dir: TempDir,
    bindir: PathBuf,
    port: u16,
    run_as_postgres: bool,
    stopped: bool,
}

impl PgServer {
    /// Starts a server with the default options.
    pub fn start() -> Result<PgServer> {
        Self::start_with(PgOptions::default())
    }

    /// Starts a server configured by `options`.
    pub fn start_with(options: PgOptions) -> Result<PgServer> {
        let bindir = find_bindir()?;
        let run_as_postgres = running_as_root();
        let dir = tempfile::Builder::new()
            .prefix("pgconnect-pg-")
            .tempdir()
            .map_err(|e| err(format!("cannot create a temporary directory: {e}")))?;
        if run_as_postgres {
            chown_to_postgres(dir.path())?;
        }
        let pwfile = dir.path().join("pwfile");
        write_owned(&pwfile, SUPERUSER_PASSWORD.as_bytes(), run_as_postgres)?;
        let data = dir.path().join("data");
        let mut initdb = pg_command(&bindir, "initdb", run_as_postgres);
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-U", SUPERUSER, "-A", "scram-sha-256", "--auth-local=trust"])
            .args(["-E", "UTF8", "--locale=C", "-N"])
            .arg(format!("--pwfile={}", pwfile.display()));
        run(&mut initdb, "initdb")?;

        let hba: String = options.hba.iter().map(|l| format!("{l}\n")).collect();
        write_owned(&data.join("pg_hba.conf"), hba.as_bytes(), run_as_postgres)?;
        for (name, contents) in &options.files {
            write_owned(&data.join(name), contents, run_as_postgres)?;
            set_mode_0600(&data.join(name))?;
        }

        // A port is free when we look and may be taken by another test before postgres binds it:
        // try a few.
        let mut last_error = String::new();
        for _ in 0..8 {
            let port = free_port()?;
            let mut conf = String::new();
            let _ = writeln!(conf, "\n# pgconnect test harness");
            let _ = writeln!(conf, "port = {port}");
            let _ = writeln!(conf, "listen_addresses = '127.0.0.1'");
            let _ = writeln!(conf, "unix_socket_directories = '{}'", dir.path().display());
            let _ = writeln!(conf, "fsync = off");
            let _ = writeln!(conf, "lc_messages = 'C'");
            for line in &options.config {
                let _ = writeln!(conf, "{line}");
            }
            let base = std::fs::read_to_string(data.join("postgresql.conf"))
                .map_err(|e| err(format!("cannot read postgresql.conf: {e}")))?;
            let base = base
                .split("\n# pgconnect test harness")
                .next()
                .unwrap_or_default()
                .to_owned();
            write_owned(
                &data.join("postgresql.conf"),
                format!("{base}{conf}").as_bytes(),
                run_as_postgres,
            )?;
            let mut start = pg_command(&bindir, "pg_ctl", run_as_postgres);
            start
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.path().join("server.log"))
                .args(["-w", "-t", "30", "start"]);
            match run(&mut start, "pg_ctl start") {
                Ok(_) => {
                    return Ok(PgServer {
                        dir,
                        bindir,
                        port,
                        run_as_postgres,
                        stopped: false,
                    });
                }
                Err(e) => {
                    let log =
                        std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                    last_error = format!("{e}\nserver log:\n{log}");
                    if !log.contains("could not bind") && !log.contains("Address already in use") {
                        break;
                    }
                }
            }
        }
        Err(err(format!("could not start PostgreSQL: {last_error}")))
    }

    /// The loopback address the server listens on.
    #[must_use]
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The TCP port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory.
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server's log so far (for failure messages).
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A libpq-style keyword/value connection string for `user`/`password` on `dbname` over TCP.
    #[must_use]
    pub fn conninfo(&self, user: &str, password: &str, dbname: &str) -> String {
        format!(
            "host={} port={} user='{}' password='{}' dbname='{}' connect_timeout=10",
            self.host(),
            self.port,
            escape_conninfo(user),
            escape_conninfo(password),
            escape_conninfo(dbname)
        )
    }

    /// Connects over TCP as `user` with `password` to `dbname`.
    pub fn connect(
        &self,
        user: &str,
        password: &str,
        dbname: &str,
    ) -> std::result::Result<postgres::Client, postgres::Error> {
        let mut config = postgres::Config::new();
        config
            .host(self.host())
            .port(self.port)
            .user(user)
            .password(password)
            .dbname(dbname)
            .connect_timeout(Duration::from_secs(10));
        config.connect(postgres::NoTls)
    }

    /// Connects as the superuser to `dbname`.
    pub fn superuser(&self, dbname: &str) -> Result<postgres::Client> {
        self.connect(SUPERUSER, SUPERUSER_PASSWORD, dbname)
            .map_err(|e| err(format!("superuser connect to {dbname:?} failed: {e:?}")))
    }

    /// Runs `psql` over the Unix socket as the superuser with `sql` on stdin
    /// (`ON_ERROR_STOP`, so the first failing statement fails the call).
    pub fn psql(&self, dbname: &str, sql: &str) -> Result<Output> {
        use std::io::Write as _;
        let mut cmd = pg_command(&self.bindir, "psql", self.run_as_postgres);
        cmd.arg("-X")
            .args(["-v", "ON_ERROR_STOP=1", "-h"])
            .arg(self.dir.path())
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", SUPERUSER, "-d", dbname, "-f", "-"])
            .env("PGCLIENTENCODING", "UTF8")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| err(format!("cannot run psql: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(sql.as_bytes())
                .map_err(|e| err(format!("cannot write to psql: {e}")))?;
        }
        child
            .wait_with_output()
            .map_err(|e| err(format!("psql did not finish: {e}")))
    }

    /// Replaces `pg_hba.conf` and reloads the server.
    pub fn set_hba(&self, lines: &[&str]) -> Result<()> {
        let hba: String = lines.iter().map(|l| format!("{l}\n")).collect();
        write_owned(
            &self.data_dir().join("pg_hba.conf"),
            hba.as_bytes(),
            self.run_as_postgres,
        )?;
        let mut reload = pg_command(&self.bindir, "pg_ctl", self.run_as_postgres);
        reload.arg("-D").arg(self.data_dir()).arg("reload");
        run(&mut reload, "pg_ctl reload")?;
        // reload is asynchronous: give the postmaster a moment to reread the file
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    }

    /// Stops the server now (also done on drop).
    pub fn stop(&mut self) -> Result<()> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        let mut stop = pg_command(&self.bindir, "pg_ctl", self.run_as_postgres);
        stop.arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "-t", "30", "stop"]);
        run(&mut stop, "pg_ctl stop").map(|_| ())
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn escape_conninfo(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn pg_command(bindir: &Path, program: &str, run_as_postgres: bool) -> Command {
    let exe = bindir.join(program);
    if run_as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(exe);
        c
    } else {
        Command::new(exe)
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<Output> {
    let out = cmd
        .output()
        .map_err(|e| err(format!("cannot run {what}: {e}")))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(err(format!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

fn find_bindir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| {
            err(
                "PostgreSQL server binaries not found: install Debian's `postgresql` package \
                 (scripts/test.sh does) or set PG_BINDIR",
            )
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, p)| p)
        .ok_or_else(|| err("no /usr/lib/postgresql/*/bin/initdb: install Debian's `postgresql`"))
}

fn postgres_ids() -> Result<(u32, u32)> {
    let id = |flag: &str| -> Result<u32> {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .map_err(|e| err(format!("cannot run id: {e}")))?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| err("there is no `postgres` system user: install Debian's `postgresql`"))
    };
    Ok((id("-u")?, id("-g")?))
}

fn chown_to_postgres(path: &Path) -> Result<()> {
    let (uid, gid) = postgres_ids()?;
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .map_err(|e| err(format!("cannot chown {}: {e}", path.display())))
}

fn write_owned(path: &Path, contents: &[u8], to_postgres: bool) -> Result<()> {
    std::fs::write(path, contents)
        .map_err(|e| err(format!("cannot write {}: {e}", path.display())))?;
    if to_postgres {
        chown_to_postgres(path)?;
    }
    Ok(())
}

fn set_mode_0600(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| err(format!("cannot chmod {}: {e}", path.display())))
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| err(format!("cannot find a free port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| err(format!("cannot find a free port: {e}")))
}

/// Waits until `f` returns true or `timeout` passes; returns whether it became true.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

//! The server under test: `baton serve` as a child process, so its memory is
//! measured alone.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `baton serve` child.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl ServerProcess {
    /// Start `baton serve` on `database_url`, listening on a free port.
    pub fn start(database_url: &str) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args(["serve", "--database-url", database_url, "--listen", "127.0.0.1:0"])
            .env("BATON_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start baton serve: {e}"))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(i) = line.find("listening on http://") {
                    let url = line[i + "listening on ".len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_string();
                    let _ = tx.send(url);
                    sent = true;
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .map_err(|_| "baton serve did not report its address within 120 s".to_string())?;
        Ok(ServerProcess { child, base })
    }

    /// Peak resident set size of the server so far, in MiB (Linux `VmHWM`).
    pub fn peak_rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    /// CPU seconds the server has used so far: (all threads, the SQLite
    /// writer thread), from `/proc` (Linux).
    pub fn cpu_seconds(&self) -> Option<(f64, f64)> {
        let pid = self.child.id();
        let total = stat_cpu(&format!("/proc/{pid}/stat"))?;
        let mut writer = 0.0;
        for t in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
            let path = t.path().join("stat");
            let stat = std::fs::read_to_string(&path).unwrap_or_default();
            if stat.contains("(baton-sqlite-wr") {
                writer += stat_cpu(&path.to_string_lossy()).unwrap_or(0.0);
            }
        }
        Some((total, writer))
    }

    /// Stop the server and wait for it.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Wait until `GET base/healthz` answers.
pub async fn wait_healthy(client: &reqwest::Client, base: &str) -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("{base} did not become healthy"))
}

/// User plus system CPU seconds from a `/proc/.../stat` file.
pub fn stat_cpu(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the parenthesised name: utime and stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ
}

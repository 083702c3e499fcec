//! CPU time spent by this process and by the Postgres server, from /proc, so a workload can
//! report CPU per job on each side (on a 2-core machine CPU is what the two sides share).
//! Clock ticks are USER_HZ, which is 100 on Linux.

use std::time::Duration;

/// Cumulative CPU time of this process and of all `postgres` processes (with their reaped children).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuTime {
    /// user + system time of this process.
    pub(crate) bench: Duration,
    /// user + system time of the server's processes, including exited backends.
    pub(crate) server: Duration,
}

impl CpuTime {
    /// Reads the counters now; missing /proc entries count as zero.
    pub(crate) fn now() -> Self {
        let bench = read_stat("/proc/self/stat").map_or(Duration::ZERO, |s| s.own);
        Self {
            bench,
            server: server_time(),
        }
    }

    /// CPU spent since `before`.
    pub(crate) fn since(&self, before: &CpuTime) -> CpuTime {
        CpuTime {
            bench: self.bench.saturating_sub(before.bench),
            server: self.server.saturating_sub(before.server),
        }
    }
}

/// Own plus reaped-children time of all `postgres` processes. A backend that exits and is reaped
/// during a scan would be missed or counted twice, so a scan counts only when the reaped time
/// and the set of processes did not change across it (a few tries).
fn server_time() -> Duration {
    let mut last = scan();
    for _ in 0..10 {
        let next = scan();
        if next.pids == last.pids && next.reaped == last.reaped {
            return next.own + next.reaped;
        }
        last = next;
    }
    last.own + last.reaped
}

#[derive(Default)]
struct Scan {
    pids: Vec<u32>,
    own: Duration,
    reaped: Duration,
}

fn scan() -> Scan {
    let mut out = Scan::default();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(s) = read_stat(&format!("/proc/{pid}/stat"))
            && s.comm == "postgres"
        {
            out.pids.push(pid);
            out.own += s.own;
            out.reaped += s.children;
        }
    }
    out.pids.sort_unstable();
    out
}

struct Stat {
    comm: String,
    own: Duration,
    children: Duration,
}

fn read_stat(path: &str) -> Option<Stat> {
    let text = std::fs::read_to_string(path).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_owned();
    // Fields after the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    let rest: Vec<&str> = text[close + 2..].split(' ').collect();
    let field = |n: usize| rest.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    let ticks = |t: u64| Duration::from_millis(t * 10);
    Some(Stat {
        comm,
        own: ticks(field(14)? + field(15)?),
        children: ticks(field(16)? + field(17)?),
    })
}

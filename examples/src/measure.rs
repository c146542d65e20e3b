//! Process measurements shared by the bench binaries (Linux: `getrusage`, `/proc`).

/// CPU seconds (user + system) of this process so far, both cores counted.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass; RUSAGE_SELF is always valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// Peak resident set of this process in MiB (`VmHWM`; 0 when unavailable).
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The median of `v` (0 for none).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Runs this executable once per model as `EXE --child MODEL EXTRA...` (each measurement in
/// its own process, so peak RSS is its own), echoing progress, and parses the JSON line each
/// child prints.
///
/// # Errors
/// A child that cannot start, fails (its stderr is returned) or prints no JSON.
pub fn measure_in_children(
    models: &[String],
    extra: &[&str],
) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let mut rows = Vec::new();
    for m in models {
        eprintln!("measuring {m} ...");
        let o = std::process::Command::new(&exe).args(["--child", m]).args(extra).output()?;
        if !o.status.success() {
            return Err(format!("{m}: {}", String::from_utf8_lossy(&o.stderr)).into());
        }
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)?;
        eprintln!("  {v}");
        rows.push(v);
    }
    Ok(rows)
}

/// `old` with the text from `begin` to `end` (markers included) replaced by `new`; `None`
/// when the markers are not there in that order.
pub fn replace_section(old: &str, begin: &str, end: &str, new: &str) -> Option<String> {
    match (old.find(begin), old.find(end)) {
        (Some(b), Some(e)) if e > b => Some(format!("{}{new}{}", &old[..b], &old[e + end.len()..])),
        _ => None,
    }
}

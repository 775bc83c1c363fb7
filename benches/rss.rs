//! This process's memory from `/proc/self` (Linux): the resident set now, its high-water mark
//! (`VmHWM`), and a reset of that mark so each measured stretch gets a peak of its own.

/// A field of `/proc/self/status` given in kB, in MiB.
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Peak resident set size of this process (`VmHWM`), in MiB; 0 where /proc is missing.
pub fn peak_mib() -> f64 {
    status_mib("VmHWM:").unwrap_or(0.0)
}

/// Resident set size now (`VmRSS`), in MiB; 0 where /proc is missing.
pub fn current_mib() -> f64 {
    status_mib("VmRSS:").unwrap_or(0.0)
}

/// Lowers `VmHWM` to the current resident set (writing `5` to `/proc/self/clear_refs`, Linux
/// 4.0 and later), so the next `peak_mib` is the peak since now. `VmHWM` is otherwise monotonic:
/// returns false if the kernel refused, and the peak then covers the whole process life.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok() && peak_mib() <= current_mib() + 1.0
}

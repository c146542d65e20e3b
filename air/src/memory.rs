//! Prover memory: an estimate of the peak from the trace length and the preset, checked
//! against the memory the machine has available before any work starts, so that a model too
//! large for the machine gets an error naming the figures (and a cheaper preset) instead of
//! being killed by the kernel halfway through.

use crate::error::ProveError;
use crate::options::Preset;

/// Keeps memory the process frees for its own later allocations instead of returning it to
/// the system, for processes that prove (call it once, at start, before other threads run).
///
/// The prover allocates and frees blocks of tens to hundreds of megabytes (low-degree
/// extensions, constraint evaluations, Merkle trees). glibc serves blocks above 32 MiB with
/// fresh `mmap`s and unmaps them on free, so every one is faulted in and zeroed by the kernel
/// anew; on the 2-core VMs measured, first-touching a GiB costs 0.5 to 4.5 s against 0.15 s
/// to rewrite touched memory. With this call (glibc: `M_MMAP_MAX = 0`, `M_TRIM_THRESHOLD`
/// 2 GiB), freed blocks are reused: the ResNet-style CNN's repeated proofs in one process took
/// 5.0-5.5 CPU-s instead of 5.8-6.0 (`bench --child resnet_cifar`), for 5% more peak RSS.
/// Elsewhere (other C libraries and systems) it does nothing. Returns whether the allocator
/// took the settings.
pub fn reuse_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `mallopt` only changes allocator parameters; both are valid options with
        // in-range values, and glibc serialises it against concurrent allocation.
        unsafe {
            libc::mallopt(libc::M_MMAP_MAX, 0) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Estimated peak bytes of proving a trace of `rows` rows (a power of two) with `preset`.
///
/// Fitted to measured peak RSS of whole `starkml prove` processes (ResNet-style CNN of
/// `tests/data/resnet`, 2^17 rows of 19 main and 13 extension columns: 1.03 GB at blowup 8,
/// about 7.9 KB per row; the low-degree extension of the main and auxiliary segments, their Merkle trees
/// and the composition polynomial grow with the blowup, the trace, its polynomials and the
/// periodic table do not), plus a quarter for allocator slack and larger programs.
pub fn estimate_bytes(rows: usize, preset: Preset) -> u64 {
    let per_row: u64 = match preset {
        Preset::Bits96 => 8 * 900 + 800,
        Preset::Fast => 4 * 900 + 800,
        // Cubic extension: auxiliary and composition columns are half as large again.
        Preset::Bits128 => 8 * 1170 + 950,
    };
    (rows as u64).saturating_mul(per_row).saturating_mul(5) / 4
}

/// Bytes of memory available for new allocations (Linux `MemAvailable`), or `None` when the
/// platform does not say.
pub fn available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_available(&info)
}

fn parse_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// Refuses a proof whose estimated peak exceeds `available` bytes (`None`: no check).
///
/// # Errors
/// [`ProveError::OutOfMemory`] with both figures in MB and, when one would fit, the cheaper
/// preset to use.
pub fn check(rows: usize, preset: Preset, available: Option<u64>) -> Result<(), ProveError> {
    let Some(available) = available else { return Ok(()) };
    let needed = estimate_bytes(rows, preset);
    if needed <= available {
        return Ok(());
    }
    let hint = if preset != Preset::Fast && estimate_bytes(rows, Preset::Fast) <= available {
        "; the `fast` preset (blowup 4) would fit"
    } else {
        ""
    };
    Err(ProveError::OutOfMemory {
        rows,
        needed_mb: needed >> 20,
        available_mb: available >> 20,
        hint,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_is_parsed_and_garbage_is_not() {
        let info = "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(parse_available(info), Some(20_000_000 * 1024));
        assert_eq!(parse_available("MemTotal: 1 kB\n"), None);
        assert_eq!(parse_available("MemAvailable: lots kB\n"), None);
    }

    #[test]
    fn the_estimate_refuses_what_does_not_fit_and_names_the_cheaper_preset() {
        let gib = 1u64 << 30;
        // 2^21 rows fit 24 GiB at blowup 8; 2^22 rows only at blowup 4.
        assert!(check(1 << 21, Preset::Bits96, Some(22 * gib)).is_ok());
        match check(1 << 22, Preset::Bits96, Some(22 * gib)) {
            Err(e @ ProveError::OutOfMemory { rows: 4_194_304, .. }) => {
                assert!(e.to_string().contains("`fast` preset"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        assert!(check(1 << 22, Preset::Fast, Some(22 * gib)).is_ok());
        assert!(check(1 << 22, Preset::Bits128, None).is_ok());
        // Nothing fits in 1 MB, and no preset is suggested.
        match check(1 << 12, Preset::Bits96, Some(1 << 20)) {
            Err(e @ ProveError::OutOfMemory { .. }) => assert!(!e.to_string().contains("fast")),
            other => panic!("{other:?}"),
        }
    }
}

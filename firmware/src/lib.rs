//! # flatmin-firmware
//!
//! The runtime the example programs in `src/bin/` share, so that each of them reads like an example of
//! `flatmin-core` and nothing else:
//!
//! - logging: `defmt` frames over semihosting stdout (`defmt-semihosting`), or over RTT with the
//!   `rtt` feature (a real board under `probe-rs run`);
//! - panics: `panic-probe` prints the message through defmt, then executes `udf`, which lands in the
//!   [`HardFault`] handler below; that handler logs the fault and exits the program with
//!   [`EXIT_PANIC`] or [`EXIT_FAULT`], so QEMU never spins forever on a failed run;
//! - exit: [`finish`] reports the budget measures ([`Meter`]) and ends the program with a semihosting
//!   exit code ([`EXIT_OK`] when the program's own check passed, [`EXIT_CHECK_FAILED`] otherwise).
//!
//! Result lines follow one convention the host test relies on: every frame is `key value`, one key per
//! frame, keys unique within a run (see `tests/firmware.rs` at the repository root). Results go through
//! `defmt::println!`, which no `DEFMT_LOG` filter removes (a build started outside `firmware/` does not
//! see `firmware/.cargo/config.toml`, so a log level set there would silently drop `info!` frames).
#![no_std]

#[cfg(feature = "rtt")]
use defmt_rtt as _;
#[cfg(not(feature = "rtt"))]
use defmt_semihosting as _;
use panic_probe as _;

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::{syst::SystClkSource, SYST};
use cortex_m_rt::{exception, ExceptionFrame};

/// Exit code: the program ran and its own check passed.
pub const EXIT_OK: i32 = 0;
/// Exit code: the program ran to the end but its check failed (e.g. the solver did not solve).
pub const EXIT_CHECK_FAILED: i32 = 1;
/// Exit code: a Rust panic (panic-probe → `udf` → HardFault).
pub const EXIT_PANIC: i32 = 101;
/// Exit code: any other hard fault.
pub const EXIT_FAULT: i32 = 102;

/// Ends the program with a semihosting exit code (QEMU exits with it; `probe-rs run` too).
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}

/// Logs the budget measures, then exits with [`EXIT_OK`] if `ok`, [`EXIT_CHECK_FAILED`] otherwise.
pub fn finish(meter: Meter, ok: bool) -> ! {
    let ticks = meter.ticks();
    defmt::println!("ticks {=u64}", ticks);
    defmt::println!("calibration_ticks {=u64}", meter.calibration_ticks);
    defmt::println!("instructions {=u64}", meter.instructions(ticks));
    defmt::println!("stack_peak {=u32}", stack_peak_bytes());
    defmt::println!("ram_static {=u32}", static_ram_bytes());
    defmt::println!("ok {=bool}", ok);
    exit(if ok { EXIT_OK } else { EXIT_CHECK_FAILED })
}

// ---------------------------------------------------------------------------------------------
// Instruction count
// ---------------------------------------------------------------------------------------------

/// SysTick wraps (24-bit counter), counted by the SysTick exception.
static SYSTICK_WRAPS: AtomicU32 = AtomicU32::new(0);
const SYST_RELOAD: u32 = 0x00FF_FFFF;
/// Length of the calibration loop in instructions (two per iteration).
const CALIBRATION_INSNS: u64 = 2_000_000;

#[exception]
fn SysTick() {
    SYSTICK_WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// A deterministic cost measure: SysTick on the core clock.
///
/// Under QEMU with `-icount shift=0` virtual time advances exactly 1 ns per guest instruction, so the
/// SysTick count is proportional to the number of instructions executed. [`Meter::start`] first times a
/// loop of exactly 2 000 000 instructions (`subs`/`bne`) to get the instructions per tick, so
/// [`Meter::instructions`] is an instruction count (to within one tick, tens of instructions) without
/// knowing the emulated clock. On real hardware the same numbers are core-clock cycles
/// (`ticks`) and cycles scaled by the calibration loop's cycles per iteration.
#[derive(Debug)]
pub struct Meter {
    calibration_ticks: u64,
    start: u64,
}

fn now_ticks() -> u64 {
    // Read wraps, counter, wraps again: retry if a wrap happened in between.
    loop {
        let w0 = SYSTICK_WRAPS.load(Ordering::Relaxed);
        let cvr = SYST::get_current();
        let w1 = SYSTICK_WRAPS.load(Ordering::Relaxed);
        if w0 == w1 {
            return u64::from(w0) * u64::from(SYST_RELOAD + 1) + u64::from(SYST_RELOAD - cvr);
        }
    }
}

#[inline(never)]
fn spin(iterations: u32) {
    // SAFETY: a register-only countdown loop, exactly 2 instructions per iteration.
    #[cfg(target_arch = "arm")]
    unsafe {
        core::arch::asm!("1:", "subs {0}, {0}, #1", "bne 1b", inout(reg) iterations => _,
            options(nomem, nostack));
    }
    #[cfg(not(target_arch = "arm"))]
    let _ = iterations;
}

impl Meter {
    /// Takes the SysTick peripheral, starts it on the core clock and calibrates it.
    pub fn start() -> Meter {
        let mut p = cortex_m::Peripherals::take().unwrap();
        let syst = &mut p.SYST;
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(SYST_RELOAD);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        // The counter holds 0 until its first reload: wait for it, or the first reading is off by a
        // whole period.
        while SYST::get_current() == 0 {}
        let t0 = now_ticks();
        spin((CALIBRATION_INSNS / 2) as u32);
        let calibration_ticks = now_ticks() - t0;
        Meter {
            calibration_ticks,
            start: now_ticks(),
        }
    }

    /// SysTick ticks since [`Meter::start`] returned.
    pub fn ticks(&self) -> u64 {
        now_ticks() - self.start
    }

    /// `ticks` converted to instructions with the calibration loop.
    pub fn instructions(&self, ticks: u64) -> u64 {
        ticks * CALIBRATION_INSNS / self.calibration_ticks.max(1)
    }
}

// ---------------------------------------------------------------------------------------------
// Stack high-water mark
// ---------------------------------------------------------------------------------------------

/// Peak stack use in bytes: cortex-m-rt (`paint-stack`) fills the RAM between the end of the statics
/// (`_stack_end`) and the top of RAM (`_stack_start`) with `0xCCCC_CCCC` before `main`; the lowest
/// word no longer painted is the high-water mark.
pub fn stack_peak_bytes() -> u32 {
    extern "C" {
        static _stack_end: u32;
        static _stack_start: u32;
    }
    // SAFETY: linker symbols; we only read words between them, all of which are RAM. Volatile reads
    // keep the compiler from assuming anything about memory it does not own.
    unsafe {
        let lo = core::ptr::addr_of!(_stack_end) as usize;
        let hi = core::ptr::addr_of!(_stack_start) as usize;
        let mut p = lo;
        while p < hi && core::ptr::read_volatile(p as *const u32) == cortex_m_rt::STACK_PAINT_VALUE
        {
            p += 4;
        }
        (hi - p) as u32
    }
}

/// RAM taken by statics (`.data`, `.bss`, `.uninit`): from the start of `.data` (the origin of RAM in
/// cortex-m-rt's `link.x`) to `_stack_end`.
pub fn static_ram_bytes() -> u32 {
    extern "C" {
        static __sdata: u32;
        static _stack_end: u32;
    }
    // Only the addresses of the linker symbols are taken (safe).
    (core::ptr::addr_of!(_stack_end) as usize - core::ptr::addr_of!(__sdata) as usize) as u32
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

/// Logs the fault and exits: [`EXIT_PANIC`] when the faulting instruction is the `udf` that
/// panic-probe ends with, [`EXIT_FAULT`] otherwise.
#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    let pc = ef.pc();
    // UDF (T1 encoding) is 0xDExx; the pc of a fault frame is halfword aligned and in flash.
    let is_udf = (pc & 1 == 0) && (core::ptr::read_volatile(pc as *const u16) >> 8) == 0xDE;
    if is_udf {
        defmt::error!("panic at pc {=u32:#010x}", pc);
        exit(EXIT_PANIC)
    } else {
        defmt::error!("hard_fault pc {=u32:#010x} lr {=u32:#010x}", pc, ef.lr());
        exit(EXIT_FAULT)
    }
}

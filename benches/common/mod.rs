//! The timing harness shared by the kernel benchmarks (`benches/kernels.rs`, `benches/gemm.rs`): random
//! packed inputs and the clock.
//!
//! Clock: on Unix the time is the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), which equals
//! wall time on an idle machine but does not count the time the thread waits for a core when other
//! jobs share the machine (cache pollution by those jobs still counts). Set `FLATMIN_BENCH_CLOCK=wall`
//! for criterion's usual wall clock.

use flatmin_core::bits::{last_word_mask, words_for};
use flatmin_core::rng::rng_from_seed;
use rand_core::RngCore;

/// Random packed words (`rows` rows of `n` bits) with clean padding.
pub fn random_words(seed: u64, n: usize, rows: usize) -> Vec<u64> {
    let mut rng = rng_from_seed(seed);
    let nw = words_for(n);
    let mut v: Vec<u64> = (0..nw * rows).map(|_| rng.next_u64()).collect();
    for row in v.chunks_exact_mut(nw) {
        row[nw - 1] &= last_word_mask(n);
    }
    v
}

/// The calling thread's CPU time (criterion measurement).
#[cfg(unix)]
pub struct ThreadCpuTime;

#[cfg(unix)]
static WALL: criterion::measurement::WallTime = criterion::measurement::WallTime;

#[cfg(unix)]
impl ThreadCpuTime {
    fn now() -> std::time::Duration {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    }
}

#[cfg(unix)]
impl criterion::measurement::Measurement for ThreadCpuTime {
    type Intermediate = std::time::Duration;
    type Value = std::time::Duration;
    fn start(&self) -> Self::Intermediate {
        Self::now()
    }
    fn end(&self, i: Self::Intermediate) -> Self::Value {
        Self::now().saturating_sub(i)
    }
    fn add(&self, v1: &Self::Value, v2: &Self::Value) -> Self::Value {
        *v1 + *v2
    }
    fn zero(&self) -> Self::Value {
        std::time::Duration::ZERO
    }
    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn criterion::measurement::ValueFormatter {
        // Same unit (nanoseconds) as the wall clock, so its formatter applies unchanged.
        criterion::measurement::Measurement::formatter(&WALL)
    }
}

/// `fn main` of a benchmark whose groups are registered by `$run: fn(Criterion<M>)` (generic over the
/// measurement): thread CPU time on Unix unless `FLATMIN_BENCH_CLOCK=wall`, wall time otherwise.
#[macro_export]
macro_rules! bench_main {
    ($run:ident) => {
        fn main() {
            let wall = std::env::var("FLATMIN_BENCH_CLOCK").is_ok_and(|v| v == "wall");
            #[cfg(unix)]
            if !wall {
                $run(
                    criterion::Criterion::default()
                        .with_measurement(common::ThreadCpuTime)
                        .configure_from_args(),
                );
                return;
            }
            let _ = wall;
            $run(criterion::Criterion::default().configure_from_args());
        }
    };
}

//! Fault: what a failed run looks like. Panics on purpose; panic-probe prints the message through
//! defmt and executes `udf`, the HardFault handler of the library logs it and exits with code 101, so
//! QEMU stops instead of spinning and the host test sees a failure (tests/firmware.rs checks this).
#![no_std]
#![no_main]

#[cortex_m_rt::entry]
fn main() -> ! {
    let n = core::hint::black_box(3usize);
    let buf = [0u8; 2];
    defmt::println!("before {=usize}", n);
    let x = buf
        .get(n)
        .copied()
        .expect("index 3 is out of range on purpose");
    defmt::println!("unreachable {=u8}", x);
    flatmin_firmware::exit(0)
}

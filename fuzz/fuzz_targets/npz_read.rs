//! `.npz` network files: any bytes give arrays whose data match their shapes, or an error, never a
//! panic or an allocation the bytes do not justify. An accepted archive is also read as a network
//! (`BinaryNet::load_npz`, which reads only paths: through a scratch file, only for accepted
//! archives), and an accepted network survives a save/load round trip.
#![no_main]
use flatmin_host::deep::{net::BinaryNet, npz};
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("flatmin-fuzz-{}-{name}.npz", std::process::id()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(arrays) = npz::read_bytes(data, Path::new("net.npz")) else {
        return;
    };
    for (_, a) in &arrays {
        let (shape, len) = match a {
            npz::Array::I8 { shape, data } => (shape, data.len()),
            npz::Array::F32 { shape, data } => (shape, data.len()),
        };
        assert_eq!(shape.iter().product::<usize>(), len);
    }
    let file = scratch("in");
    std::fs::write(&file, data).unwrap();
    if let Ok(net) = BinaryNet::load_npz(&file) {
        let again = scratch("out");
        net.save_npz(&again).unwrap();
        let back = BinaryNet::load_npz(&again).unwrap();
        assert_eq!(back.arch, net.arch);
        assert_eq!(back.weights, net.weights);
        let _ = net.pack();
    }
});

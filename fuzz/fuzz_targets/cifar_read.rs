//! CIFAR-10 binary batches, gzipped or plain: any bytes give whole records or an error, never a panic.
//! Input layout: byte 0 = `limit` (0 → all), then the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&l, file)) = data.split_first() else {
        return;
    };
    let limit = (l != 0).then_some(usize::from(l));
    let path = Path::new("data_batch_1.bin");
    let Ok(bytes) = flatmin_host::deep::data::decode_maybe_gz(file.to_vec(), path) else {
        return;
    };
    if let Ok((pixels, labels)) = flatmin_host::deep::data::parse_cifar(&bytes, limit, path) {
        assert!(!labels.is_empty());
        assert_eq!(pixels.len(), labels.len() * flatmin_host::deep::data::CIFAR_PIXELS);
        assert!(limit.is_none_or(|l| labels.len() <= l));
    }
});

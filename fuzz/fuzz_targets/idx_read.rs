//! IDX image/label pairs (MNIST, Fashion-MNIST), gzipped or plain: any bytes give a consistent pair of
//! images and labels or an error, never a panic or an allocation the bytes do not justify.
//! Input layout: byte 0 = `limit` (0 → all), bytes 1..3 = length of the image file (big endian), then
//! the image file, then the label file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let limit = (data[0] != 0).then_some(usize::from(data[0]));
    let split = (usize::from(u16::from_be_bytes([data[1], data[2]]))).min(data.len() - 3);
    let (img, lab) = data[3..].split_at(split);
    let (ip, lp) = (Path::new("images"), Path::new("labels"));
    let Ok(img) = flatmin_host::deep::data::decode_maybe_gz(img.to_vec(), ip) else {
        return;
    };
    let Ok(lab) = flatmin_host::deep::data::decode_maybe_gz(lab.to_vec(), lp) else {
        return;
    };
    if let Ok((images, labels)) =
        flatmin_host::deep::data::parse_idx_pair(&img, &lab, limit, ip, lp)
    {
        assert!(images.n > 0);
        assert_eq!(images.bytes.len(), labels.len() * images.n);
        assert!(limit.is_none_or(|l| labels.len() <= l));
    }
});

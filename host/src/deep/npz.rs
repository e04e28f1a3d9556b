//! NumPy `.npz` files (a zip archive of `.npy` arrays), the subset flatmin needs: int8 and float32
//! arrays of any shape, C or Fortran order, stored or deflated members (`numpy.savez` and
//! `numpy.savez_compressed` both load). The zip container is the `zip` crate's; the `.npy` header is a
//! ten-line format (magic, version, a Python dict literal) that no small crate reads without pulling in
//! `ndarray`, so it is parsed here.

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::Path;

/// One array.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// `int8` (`|i1`).
    I8 {
        /// Shape (C order).
        shape: Vec<usize>,
        /// Values, C order.
        data: Vec<i8>,
    },
    /// `float32` (`<f4`).
    F32 {
        /// Shape (C order).
        shape: Vec<usize>,
        /// Values, C order.
        data: Vec<f32>,
    },
}

/// Largest array accepted when reading (elements).
pub const MAX_ELEMENTS: usize = 1 << 28;

/// Largest `.npy` member accepted when reading (bytes, uncompressed): `MAX_ELEMENTS` float32 values
/// plus 64 KiB of header. A member is never inflated past this nor past its declared size.
pub const MAX_MEMBER_BYTES: u64 = (MAX_ELEMENTS as u64) * 4 + 65_536;

fn npy_bytes(array: &Array) -> Vec<u8> {
    let (descr, shape, body): (&str, &[usize], Vec<u8>) = match array {
        Array::I8 { shape, data } => ("|i1", shape, data.iter().map(|&v| v as u8).collect()),
        Array::F32 { shape, data } => (
            "<f4",
            shape,
            data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ),
    };
    let shape_txt = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&body);
    out
}

/// Writes `arrays` as an uncompressed `.npz` (member `NAME.npy` per array), atomically: the file
/// appears complete or not at all.
pub fn write(path: &Path, arrays: &[(String, Array)]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fname = path
        .file_name()
        .map_or_else(|| "out.npz".into(), |f| f.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{fname}.tmp-{}", std::process::id()));
    let result = (|| -> Result<()> {
        let file = std::fs::File::create(&tmp).map_err(|e| Error::io(path, e))?;
        let mut zw = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        let zerr = |e: zip::result::ZipError| Error::Other(format!("{}: {e}", path.display()));
        for (name, a) in arrays {
            zw.start_file(format!("{name}.npy"), opts).map_err(zerr)?;
            zw.write_all(&npy_bytes(a))
                .map_err(|e| Error::io(path, e))?;
        }
        let mut w = zw.finish().map_err(zerr)?;
        w.flush().map_err(|e| Error::io(path, e))?;
        w.into_inner()
            .map_err(|e| Error::io(path, e.into_error()))?
            .sync_all()
            .map_err(|e| Error::io(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Reads every `.npy` member of an `.npz` file, in archive order, as (name without `.npy`, array).
pub fn read(path: &Path) -> Result<Vec<(String, Array)>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_from(std::io::BufReader::new(file), path)
}

/// [`read`] on the bytes of an `.npz` file in memory; `path` only names the file in errors.
pub fn read_bytes(bytes: &[u8], path: &Path) -> Result<Vec<(String, Array)>> {
    read_from(std::io::Cursor::new(bytes), path)
}

fn read_from<R: Read + std::io::Seek>(reader: R, path: &Path) -> Result<Vec<(String, Array)>> {
    let bad = |msg: String| Error::Parse {
        file: path.to_path_buf(),
        line: 0,
        msg,
    };
    let mut za = zip::ZipArchive::new(reader)
        .map_err(|e| bad(format!("not a readable .npz (zip) file: {e}")))?;
    let mut out = Vec::new();
    for i in 0..za.len() {
        let mut member = za
            .by_index(i)
            .map_err(|e| bad(format!("member {i}: {e}")))?;
        let Some(name) = member.name().strip_suffix(".npy").map(str::to_string) else {
            continue;
        };
        // The declared (uncompressed) size is only a claim of the archive: the member is read
        // through `take(declared + 1)`, so a lying header can neither make flatmin inflate more than
        // it declared nor more than `MAX_MEMBER_BYTES`, and the buffer starts small (a 100-byte file
        // declaring 1 GiB reserves nothing up front; the vector grows with what is really read).
        let declared = member.size();
        if declared > MAX_MEMBER_BYTES {
            return Err(bad(format!(
                "array {name} is too large: {declared} bytes, the limit is {MAX_MEMBER_BYTES}"
            )));
        }
        let mut bytes = Vec::with_capacity(declared.min(1 << 20) as usize);
        (&mut member)
            .take(declared + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("array {name}: corrupt or truncated: {e}")))?;
        if bytes.len() as u64 != declared {
            return Err(bad(format!(
                "array {name}: corrupt archive: the member declares {declared} bytes but holds {}",
                if bytes.len() as u64 > declared {
                    "more".to_string()
                } else {
                    bytes.len().to_string()
                }
            )));
        }
        let a = parse_npy(&bytes).map_err(|m| bad(format!("array {name}: {m}")))?;
        out.push((name, a));
    }
    Ok(out)
}

/// Parses one `.npy` image (int8 or float32).
pub fn parse_npy(bytes: &[u8]) -> std::result::Result<Array, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy array (bad magic)".into());
    }
    let (hlen, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("truncated header".into());
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let end = start
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or("truncated header")?;
    let header = std::str::from_utf8(&bytes[start..end]).map_err(|_| "header is not text")?;
    let descr = dict_value(header, "descr").ok_or("header has no 'descr'")?;
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    let fortran = dict_value(header, "fortran_order")
        .ok_or("header has no 'fortran_order'")?
        .trim()
        .starts_with("True");
    let shape_txt = dict_value(header, "shape").ok_or("header has no 'shape'")?;
    let inner = shape_txt
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("malformed shape")?;
    let shape: Vec<usize> = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| "malformed shape")?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&c| c <= MAX_ELEMENTS)
        .ok_or("array too large")?;
    let body = &bytes[end..];
    let (size, kind) = match descr {
        "|i1" | "<i1" | "i1" | "=i1" => (1, 0),
        "<f4" | "=f4" | "f4" => (4, 1),
        ">f4" => (4, 2),
        other => {
            return Err(format!(
                "dtype '{other}' not supported (int8 weights, float32 latent weights)"
            ))
        }
    };
    if body.len() != count * size {
        return Err(format!(
            "{} data bytes for shape {shape:?} of {descr} (need {}): truncated or corrupt",
            body.len(),
            count * size
        ));
    }
    // C-order index of Fortran-order element k.
    let mut strides = vec![0usize; shape.len()];
    let mut stride = 1;
    for d in (0..shape.len()).rev() {
        strides[d] = stride;
        stride *= shape[d];
    }
    let reorder = |k: usize| -> usize {
        let mut rem = k;
        let mut idx = 0;
        for d in 0..shape.len() {
            idx += (rem % shape[d]) * strides[d];
            rem /= shape[d];
        }
        idx
    };
    Ok(match kind {
        0 => {
            let mut data = vec![0i8; count];
            for (k, &b) in body.iter().enumerate() {
                data[if fortran { reorder(k) } else { k }] = b as i8;
            }
            Array::I8 { shape, data }
        }
        _ => {
            let mut data = vec![0f32; count];
            for (k, c) in body.chunks_exact(4).enumerate() {
                let b = [c[0], c[1], c[2], c[3]];
                let v = if kind == 1 {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                data[if fortran { reorder(k) } else { k }] = v;
            }
            Array::F32 { shape, data }
        }
    })
}

/// The text after `'key':` in a Python dict literal, up to the next top-level comma.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pat1 = format!("'{key}':");
    let pat2 = format!("\"{key}\":");
    let pos = header
        .find(&pat1)
        .map(|p| p + pat1.len())
        .or_else(|| header.find(&pat2).map(|p| p + pat2.len()))?;
    let rest = &header[pos..];
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(&rest[..i]),
            _ => {}
        }
    }
    Some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_header_alignment() {
        let dir = std::env::temp_dir().join(format!("flatmin-npz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.npz");
        let arrays = vec![
            (
                "W0".to_string(),
                Array::I8 {
                    shape: vec![2, 3],
                    data: vec![1, -1, 1, -1, -1, 1],
                },
            ),
            (
                "latent0".to_string(),
                Array::F32 {
                    shape: vec![2, 3],
                    data: vec![0.5, -0.25, 1.0, -1.0, -0.125, 0.75],
                },
            ),
            (
                "v".to_string(),
                Array::I8 {
                    shape: vec![4],
                    data: vec![1, 2, 3, 4],
                },
            ),
        ];
        write(&path, &arrays).unwrap();
        assert_eq!(read(&path).unwrap(), arrays);
        let npy = npy_bytes(&arrays[0].1);
        let hl = u16::from_le_bytes([npy[8], npy[9]]) as usize;
        assert_eq!((10 + hl) % 64, 0);
        assert!(std::str::from_utf8(&npy[10..10 + hl])
            .unwrap()
            .contains("'shape': (2, 3)"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fortran_order_and_bad_arrays() {
        let mut h = "{'descr': '|i1', 'fortran_order': True, 'shape': (2, 3), }".to_string();
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        // Fortran order: column-major storage of [[1,2,3],[4,5,6]]
        b.extend_from_slice(&[1, 4, 2, 5, 3, 6]);
        let a = parse_npy(&b).unwrap();
        assert_eq!(
            a,
            Array::I8 {
                shape: vec![2, 3],
                data: vec![1, 2, 3, 4, 5, 6]
            }
        );
        b.pop();
        assert!(parse_npy(&b).unwrap_err().contains("truncated"));
        assert!(parse_npy(b"\x93NUMPX\x01\x00\x00\x00")
            .unwrap_err()
            .contains("magic"));
        let h = "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n";
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(&[0; 8]);
        assert!(parse_npy(&b).unwrap_err().contains("not supported"));
    }
}

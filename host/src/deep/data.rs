//! Data sets of the deep-network experiments (DEEP §g.2): IDX files (MNIST, Fashion-MNIST; gzipped or
//! plain) and the binary version of CIFAR-10, and the five tasks built on them.
//!
//! Where the files are looked for, in order: the `--data DIR` flag, the `FLATMIN_DATA` environment
//! variable, the standard location of the distribution package (Debian's `dataset-fashion-mnist`
//! installs `/usr/share/datasets/fashion-mnist/`). In a directory the files are looked for in the data
//! set's usual sub-directory (`mnist/`, `fashion-mnist/`, `cifar-10-batches-bin/`), then directly (MNIST
//! and Fashion-MNIST share file names: a directory holding one set's files directly serves both task
//! families, so keep both sets in their sub-directories). Nothing is ever downloaded.
//!
//! Readers never trust a header: sizes are checked against the bytes actually present, and every
//! malformed, truncated or inconsistent file is an [`Error::Parse`] naming the file (exit code 2).

use crate::error::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest decompressed file accepted (guards against a gzip bomb): 1 GiB.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The environment variable naming a data directory.
pub const DATA_ENV: &str = "FLATMIN_DATA";

/// A learning task of DEEP §g.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// MNIST digits, label = digit mod 2 (even → +1, odd → −1).
    MnistParity,
    /// Fashion-MNIST, 10 classes.
    Fashion,
    /// Fashion-MNIST, label = class index mod 2 (even → +1, odd → −1).
    FashionParity,
    /// CIFAR-10, 10 classes.
    Cifar10,
    /// CIFAR-10, label = class index mod 2 (even → +1, odd → −1).
    Cifar10Parity,
}

/// The underlying data set of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// MNIST handwritten digits (IDX).
    Mnist,
    /// Fashion-MNIST (IDX).
    FashionMnist,
    /// CIFAR-10, binary version.
    Cifar10,
}

/// Training or test split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// The training file(s).
    Train,
    /// The test file.
    Test,
}

impl Task {
    /// Every task, in documentation order.
    pub const ALL: [Task; 5] = [
        Task::MnistParity,
        Task::Fashion,
        Task::FashionParity,
        Task::Cifar10,
        Task::Cifar10Parity,
    ];
    /// The task's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Task::MnistParity => "mnist-parity",
            Task::Fashion => "fashion",
            Task::FashionParity => "fashion-parity",
            Task::Cifar10 => "cifar10",
            Task::Cifar10Parity => "cifar10-parity",
        }
    }
    /// Parses a command-line name.
    pub fn from_name(s: &str) -> Result<Task> {
        Task::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                Error::Input(format!(
                    "unknown task '{s}' (expected one of: {})",
                    Task::ALL.map(|t| t.name()).join(", ")
                ))
            })
    }
    /// The data set the task reads.
    pub fn source(self) -> Source {
        match self {
            Task::MnistParity => Source::Mnist,
            Task::Fashion | Task::FashionParity => Source::FashionMnist,
            Task::Cifar10 | Task::Cifar10Parity => Source::Cifar10,
        }
    }
    /// Output units: 1 for the two-class tasks (labels ±1), 10 otherwise (labels 0..10).
    pub fn outputs(self) -> usize {
        match self {
            Task::Fashion | Task::Cifar10 => 10,
            _ => 1,
        }
    }
    /// Input dimension.
    pub fn inputs(self) -> usize {
        match self.source() {
            Source::Mnist | Source::FashionMnist => 784,
            Source::Cifar10 => 3072,
        }
    }
    /// The default architecture of DEEP §g.3.
    pub fn default_arch(self) -> Vec<usize> {
        match self {
            Task::MnistParity | Task::FashionParity => vec![784, 501, 501, 1],
            Task::Fashion => vec![784, 501, 501, 10],
            Task::Cifar10 => vec![3072, 501, 501, 501, 10],
            Task::Cifar10Parity => vec![3072, 501, 501, 501, 1],
        }
    }
    /// The task's label of a raw class index (0..10).
    pub fn label(self, class: u8) -> i32 {
        if self.outputs() == 1 {
            if class.is_multiple_of(2) {
                1
            } else {
                -1
            }
        } else {
            i32::from(class)
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Source {
    /// The usual sub-directory name.
    pub fn subdir(self) -> &'static str {
        match self {
            Source::Mnist => "mnist",
            Source::FashionMnist => "fashion-mnist",
            Source::Cifar10 => "cifar-10-batches-bin",
        }
    }
    /// Human name.
    pub fn name(self) -> &'static str {
        match self {
            Source::Mnist => "MNIST",
            Source::FashionMnist => "Fashion-MNIST",
            Source::Cifar10 => "CIFAR-10 (binary version)",
        }
    }
    /// Standard install locations of distribution packages.
    pub fn standard_dirs(self) -> Vec<PathBuf> {
        match self {
            Source::FashionMnist => vec![PathBuf::from("/usr/share/datasets/fashion-mnist")],
            Source::Mnist => vec![PathBuf::from("/usr/share/datasets/mnist")],
            Source::Cifar10 => vec![PathBuf::from("/usr/share/datasets/cifar-10-batches-bin")],
        }
    }
    fn how_to_get(self) -> &'static str {
        match self {
            Source::FashionMnist => {
                "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or put \
                 the four IDX files in DIR and pass --data DIR"
            }
            Source::Mnist => {
                "put the four MNIST IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], \
                 t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) in DIR and pass --data DIR or \
                 set FLATMIN_DATA=DIR"
            }
            Source::Cifar10 => {
                "unpack the CIFAR-10 binary version (data_batch_1.bin … data_batch_5.bin, \
                 test_batch.bin) in DIR and pass --data DIR or set FLATMIN_DATA=DIR"
            }
        }
    }
}

/// Examples of one task: `n` bytes per example (row-major) and the task's labels.
#[derive(Clone, Debug)]
pub struct TaskData {
    /// Input dimension.
    pub n: usize,
    /// Pixel bytes, `labels.len()` rows of `n`.
    pub pixels: Vec<u8>,
    /// Labels: ±1 for two-class tasks, 0..10 otherwise.
    pub labels: Vec<i32>,
}

impl TaskData {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// The first `p` examples (all of them when `p ≥ len`).
    pub fn truncate(&mut self, p: usize) {
        let p = p.min(self.len());
        self.labels.truncate(p);
        self.pixels.truncate(p * self.n);
    }
    /// Inputs as training floats `x / 255 = (2b − 255) / 255 ∈ [−1, 1]` (row-major): the same
    /// function up to a positive factor as the exact evaluation's odd integers `x = 2b − 255`.
    pub fn floats(&self) -> Vec<f32> {
        self.pixels
            .iter()
            .map(|&b| (2.0 * f32::from(b) - 255.0) / 255.0)
            .collect()
    }
}

/// The candidate directories of a source, in lookup order.
pub fn candidate_dirs(source: Source, data_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(d) = data_dir {
        roots.push(d.to_path_buf());
    } else if let Some(d) = std::env::var_os(DATA_ENV).filter(|d| !d.is_empty()) {
        roots.push(PathBuf::from(d));
    }
    let mut dirs = Vec::new();
    for r in &roots {
        // The sub-directory first: MNIST and Fashion-MNIST use the same file names.
        dirs.push(r.join(source.subdir()));
        dirs.push(r.clone());
    }
    if data_dir.is_none() {
        dirs.extend(source.standard_dirs());
    }
    dirs
}

fn idx_names(split: Split) -> (&'static str, &'static str) {
    match split {
        Split::Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        Split::Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
}

fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

fn missing(source: Source, dirs: &[PathBuf], files: &str) -> Error {
    let looked: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Error::Input(format!(
        "{} not found: looked for {files} in {}; {}",
        source.name(),
        looked.join(", "),
        source.how_to_get()
    ))
}

/// Loads the first `limit` examples (all when `None`) of a task's split.
pub fn load(
    task: Task,
    split: Split,
    limit: Option<usize>,
    data_dir: Option<&Path>,
) -> Result<TaskData> {
    let source = task.source();
    let dirs = candidate_dirs(source, data_dir);
    let (n, pixels, raw_labels, lab_path) = match source {
        Source::Mnist | Source::FashionMnist => {
            let (img, lab) = idx_names(split);
            let found = dirs
                .iter()
                .find_map(|d| Some((find_file(d, img)?, find_file(d, lab)?)));
            let Some((img_path, lab_path)) = found else {
                return Err(missing(
                    source,
                    &dirs,
                    &format!("{img}[.gz] and {lab}[.gz]"),
                ));
            };
            let (images, labels) = read_idx_pair(&img_path, &lab_path, limit)?;
            if images.n != task.inputs() {
                return Err(Error::Parse {
                    file: img_path,
                    line: 0,
                    msg: format!(
                        "images of {} pixels, but task {task} needs {}",
                        images.n,
                        task.inputs()
                    ),
                });
            }
            (images.n, images.bytes, labels, lab_path)
        }
        Source::Cifar10 => {
            let names: Vec<String> = match split {
                Split::Train => (1..=5).map(|i| format!("data_batch_{i}.bin")).collect(),
                Split::Test => vec!["test_batch.bin".to_string()],
            };
            let Some(dir) = dirs.iter().find(|d| d.join(&names[0]).is_file()) else {
                return Err(missing(source, &dirs, &names.join(", ")));
            };
            let mut pixels = Vec::new();
            let mut labels = Vec::new();
            for name in &names {
                if limit.is_some_and(|l| labels.len() >= l) {
                    break;
                }
                let path = dir.join(name);
                if !path.is_file() {
                    return Err(missing(source, std::slice::from_ref(dir), name));
                }
                let want = limit.map(|l| l - labels.len());
                let (px, lb) = read_cifar(&path, want)?;
                pixels.extend_from_slice(&px);
                labels.extend_from_slice(&lb);
            }
            (CIFAR_PIXELS, pixels, labels, dir.join(&names[0]))
        }
    };
    let mut labels = Vec::with_capacity(raw_labels.len());
    for (i, &c) in raw_labels.iter().enumerate() {
        if c >= 10 {
            return Err(Error::Parse {
                file: lab_path,
                line: 0,
                msg: format!("label {c} of example {i} is not a class 0..9"),
            });
        }
        labels.push(task.label(c));
    }
    Ok(TaskData { n, pixels, labels })
}

/// Pixels per CIFAR-10 image.
pub const CIFAR_PIXELS: usize = 3072;

/// Reads a whole file, gunzipping it when it starts with the gzip magic bytes, up to
/// [`MAX_FILE_BYTES`].
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut raw = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| Error::io(path, e))?;
    decode_maybe_gz(raw, path)
}

/// The bytes of a file already in memory, gunzipped when they start with the gzip magic bytes, up to
/// [`MAX_FILE_BYTES`]; `path` only names the file in errors. The byte entry point of
/// [`read_maybe_gz`] (used by the fuzz targets).
pub fn decode_maybe_gz(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::Parse {
                file: path.to_path_buf(),
                line: 0,
                msg: format!("corrupt or truncated gzip data: {e}"),
            })?;
        out
    } else {
        raw
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Parse {
            file: path.to_path_buf(),
            line: 0,
            msg: format!("larger than the limit of {MAX_FILE_BYTES} bytes"),
        });
    }
    Ok(bytes)
}

/// A parsed IDX array of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    /// Dimensions (the first is the number of items).
    pub dims: Vec<usize>,
    /// The data, row-major.
    pub data: Vec<u8>,
}

/// Parses an IDX file of unsigned bytes (type code 0x08) with `ndims` dimensions.
pub fn parse_idx(bytes: &[u8], ndims: usize, path: &Path) -> Result<Idx> {
    let err = |msg: String| Error::Parse {
        file: path.to_path_buf(),
        line: 0,
        msg,
    };
    if bytes.len() < 4 {
        return Err(err(format!(
            "truncated: {} bytes, an IDX header needs at least 4",
            bytes.len()
        )));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let expected = 0x0800 + ndims as u32;
    if magic != expected {
        return Err(err(format!(
            "wrong magic number 0x{magic:08x} (an IDX file of unsigned bytes with {ndims} dimension{} \
             starts with 0x{expected:08x})",
            if ndims == 1 { "" } else { "s" }
        )));
    }
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(err(format!(
            "truncated header: {} bytes, need {header}",
            bytes.len()
        )));
    }
    let dims: Vec<usize> = (0..ndims)
        .map(|d| {
            let o = 4 + 4 * d;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    let total = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&t| t as u64 <= MAX_FILE_BYTES)
        .ok_or_else(|| err(format!("dimensions {dims:?} are too large")))?;
    let body = &bytes[header..];
    if body.len() < total {
        return Err(err(format!(
            "truncated: the header announces {total} bytes of data ({dims:?}), the file has {}",
            body.len()
        )));
    }
    if body.len() > total {
        return Err(err(format!(
            "{} bytes after the data announced by the header ({dims:?})",
            body.len() - total
        )));
    }
    Ok(Idx {
        dims,
        data: body.to_vec(),
    })
}

/// Images of an IDX pair.
#[derive(Clone, Debug)]
pub struct Images {
    /// Pixels per image.
    pub n: usize,
    /// Pixel bytes.
    pub bytes: Vec<u8>,
}

/// Reads an IDX image file (3 dimensions) and its label file (1 dimension), checks that the counts
/// agree, keeps the first `limit` examples.
pub fn read_idx_pair(
    images: &Path,
    labels: &Path,
    limit: Option<usize>,
) -> Result<(Images, Vec<u8>)> {
    parse_idx_pair(
        &read_maybe_gz(images)?,
        &read_maybe_gz(labels)?,
        limit,
        images,
        labels,
    )
}

/// [`read_idx_pair`] on (already gunzipped) bytes in memory; the paths only name the files in errors.
pub fn parse_idx_pair(
    image_bytes: &[u8],
    label_bytes: &[u8],
    limit: Option<usize>,
    images: &Path,
    labels: &Path,
) -> Result<(Images, Vec<u8>)> {
    let img = parse_idx(image_bytes, 3, images)?;
    let lab = parse_idx(label_bytes, 1, labels)?;
    if img.dims[0] != lab.dims[0] {
        return Err(Error::Parse {
            file: labels.to_path_buf(),
            line: 0,
            msg: format!(
                "{} labels, but {} has {} images",
                lab.dims[0],
                images.display(),
                img.dims[0]
            ),
        });
    }
    let n = img.dims[1] * img.dims[2];
    if n == 0 {
        return Err(Error::Parse {
            file: images.to_path_buf(),
            line: 0,
            msg: "images of zero pixels".into(),
        });
    }
    let count = limit.map_or(lab.dims[0], |l| l.min(lab.dims[0]));
    let mut bytes = img.data;
    bytes.truncate(count * n);
    let mut lab = lab.data;
    lab.truncate(count);
    Ok((Images { n, bytes }, lab))
}

/// Reads a CIFAR-10 binary batch (records of 1 label byte + 3072 pixel bytes), keeping the first
/// `limit` records.
pub fn read_cifar(path: &Path, limit: Option<usize>) -> Result<(Vec<u8>, Vec<u8>)> {
    parse_cifar(&read_maybe_gz(path)?, limit, path)
}

/// [`read_cifar`] on (already gunzipped) bytes in memory; `path` only names the file in errors.
pub fn parse_cifar(bytes: &[u8], limit: Option<usize>, path: &Path) -> Result<(Vec<u8>, Vec<u8>)> {
    let rec = CIFAR_PIXELS + 1;
    if bytes.is_empty() || !bytes.len().is_multiple_of(rec) {
        return Err(Error::Parse {
            file: path.to_path_buf(),
            line: 0,
            msg: format!(
                "{} bytes is not a whole number of CIFAR-10 records of {rec} bytes (truncated or not \
                 a CIFAR-10 binary batch)",
                bytes.len()
            ),
        });
    }
    let count = bytes.len() / rec;
    let count = limit.map_or(count, |l| l.min(count));
    let mut pixels = Vec::with_capacity(count * CIFAR_PIXELS);
    let mut labels = Vec::with_capacity(count);
    for r in bytes.chunks_exact(rec).take(count) {
        labels.push(r[0]);
        pixels.extend_from_slice(&r[1..]);
    }
    Ok((pixels, labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx_bytes(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    fn write(dir: &Path, name: &str, bytes: &[u8], gz: bool) -> PathBuf {
        let path = dir.join(if gz {
            format!("{name}.gz")
        } else {
            name.to_string()
        });
        if gz {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(bytes).unwrap();
            std::fs::write(&path, e.finish().unwrap()).unwrap();
        } else {
            std::fs::write(&path, bytes).unwrap();
        }
        path
    }

    fn tmpdir(tag: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("flatmin-deep-data-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// A 3-image 28×28 IDX pair with pixel (μ, i) = (7μ + i) mod 256 and labels 3, 4, 9.
    fn write_fashion(dir: &Path, gz: bool) {
        let px: Vec<u8> = (0..3 * 784)
            .map(|j| ((j / 784) * 7 + j % 784) as u8)
            .collect();
        for split in [Split::Train, Split::Test] {
            let (img, lab) = idx_names(split);
            write(dir, img, &idx_bytes(0x803, &[3, 28, 28], &px), gz);
            write(dir, lab, &idx_bytes(0x801, &[3], &[3, 4, 9]), gz);
        }
    }

    #[test]
    fn idx_good_files_plain_and_gz() {
        for gz in [false, true] {
            let d = tmpdir(if gz { "gz" } else { "plain" });
            write_fashion(&d, gz);
            let t = load(Task::Fashion, Split::Train, None, Some(&d)).unwrap();
            assert_eq!(t.n, 784);
            assert_eq!(t.labels, vec![3, 4, 9]);
            assert_eq!(t.pixels[784 + 5], 12);
            let t = load(Task::FashionParity, Split::Test, Some(2), Some(&d)).unwrap();
            assert_eq!(t.labels, vec![-1, 1]);
            assert_eq!(t.pixels.len(), 2 * 784);
            std::fs::remove_dir_all(&d).unwrap();
        }
    }

    #[test]
    fn idx_bad_files_are_parse_errors() {
        let d = tmpdir("bad");
        let p = d.join("x");
        let cases: Vec<(Vec<u8>, usize, &str)> = vec![
            (vec![0, 0], 1, "truncated"),
            (idx_bytes(0x802, &[1], &[0]), 1, "wrong magic"),
            (idx_bytes(0x801, &[5], &[0, 1]), 1, "truncated"),
            (idx_bytes(0x801, &[1], &[0, 1]), 1, "after the data"),
            (0x803u32.to_be_bytes().to_vec(), 3, "truncated header"),
            (
                idx_bytes(0x803, &[u32::MAX, u32::MAX, 2], &[]),
                3,
                "too large",
            ),
        ];
        for (bytes, nd, what) in cases {
            let e = parse_idx(&bytes, nd, &p).unwrap_err();
            assert!(matches!(e, Error::Parse { .. }), "{e}");
            assert!(e.to_string().contains(what), "{e} should say {what}");
            assert!(e.is_input());
        }
        // count mismatch between images and labels
        let px = vec![0u8; 2 * 784];
        let img = write(
            &d,
            "train-images-idx3-ubyte",
            &idx_bytes(0x803, &[2, 28, 28], &px),
            false,
        );
        let lab = write(
            &d,
            "train-labels-idx1-ubyte",
            &idx_bytes(0x801, &[3], &[1, 2, 3]),
            false,
        );
        let e = read_idx_pair(&img, &lab, None).unwrap_err();
        assert!(e.to_string().contains("3 labels"), "{e}");
        // a label that is not a class
        write(
            &d,
            "train-labels-idx1-ubyte",
            &idx_bytes(0x801, &[2], &[1, 12]),
            false,
        );
        let e = load(Task::Fashion, Split::Train, None, Some(&d)).unwrap_err();
        assert!(e.to_string().contains("label 12"), "{e}");
        // corrupt gzip
        std::fs::write(
            d.join("t10k-images-idx3-ubyte.gz"),
            [0x1f, 0x8b, 8, 0, 1, 2],
        )
        .unwrap();
        write(
            &d,
            "t10k-labels-idx1-ubyte",
            &idx_bytes(0x801, &[2], &[1, 2]),
            false,
        );
        let e = load(Task::Fashion, Split::Test, None, Some(&d)).unwrap_err();
        assert!(e.to_string().contains("gzip"), "{e}");
        // wrong image size for the task
        let img = idx_bytes(0x803, &[2, 2, 2], &[0; 8]);
        write(&d, "train-images-idx3-ubyte", &img, false);
        write(
            &d,
            "train-labels-idx1-ubyte",
            &idx_bytes(0x801, &[2], &[1, 2]),
            false,
        );
        let e = load(Task::Fashion, Split::Train, None, Some(&d)).unwrap_err();
        assert!(e.to_string().contains("needs 784"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn missing_data_names_files_and_remedy() {
        let d = tmpdir("missing");
        let e = load(Task::MnistParity, Split::Train, None, Some(&d)).unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("train-images-idx3-ubyte") && s.contains("--data"),
            "{s}"
        );
        assert!(e.is_input());
        let e = load(Task::Cifar10, Split::Test, None, Some(&d)).unwrap_err();
        assert!(e.to_string().contains("test_batch.bin"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn cifar_good_and_bad() {
        let d = tmpdir("cifar").join("cifar-10-batches-bin");
        std::fs::create_dir_all(&d).unwrap();
        let rec = |label: u8, fill: u8| {
            let mut r = vec![label];
            r.extend(std::iter::repeat_n(fill, CIFAR_PIXELS));
            r
        };
        for i in 1..=5u8 {
            let mut b = rec(i, i * 10);
            b.extend(rec(i + 1, i * 10 + 1));
            write(&d, &format!("data_batch_{i}.bin"), &b, false);
        }
        write(&d, "test_batch.bin", &rec(7, 1), false);
        let root = d.parent().unwrap();
        let t = load(Task::Cifar10, Split::Train, Some(3), Some(root)).unwrap();
        assert_eq!(t.labels, vec![1, 2, 2]);
        assert_eq!(t.pixels[2 * CIFAR_PIXELS], 20);
        let t = load(Task::Cifar10Parity, Split::Train, None, Some(root)).unwrap();
        assert_eq!(t.len(), 10);
        assert_eq!(t.labels[..4], [-1, 1, 1, -1]);
        let t = load(Task::Cifar10, Split::Test, None, Some(root)).unwrap();
        assert_eq!((t.n, t.labels.clone()), (CIFAR_PIXELS, vec![7]));
        // truncated record
        let mut b = rec(1, 0);
        b.pop();
        write(&d, "test_batch.bin", &b, false);
        let e = load(Task::Cifar10, Split::Test, None, Some(root)).unwrap_err();
        assert!(e.to_string().contains("whole number"), "{e}");
        // bad label
        write(&d, "test_batch.bin", &rec(10, 0), false);
        let e = load(Task::Cifar10, Split::Test, None, Some(root)).unwrap_err();
        assert!(e.to_string().contains("label 10"), "{e}");
        std::fs::remove_dir_all(root).unwrap();
    }
}

//! Deep binary networks trained on real data (DEEP.md, the paper's SM IV and Fig. 8): data sets and
//! tasks ([`data`]), networks, exact packed evaluation and `.npz` files ([`net`], [`npz`]), BinaryNet
//! training ([`train`]), symmetry-aware overlaps ([`overlap`]), local energy ([`energy`]) and the
//! per-(P, seed) points of the Fig. 8 study ([`study`]).

pub mod data;
pub mod energy;
pub mod net;
pub mod npz;
pub mod overlap;
pub mod study;
pub mod train;

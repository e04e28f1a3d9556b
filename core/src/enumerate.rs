//! Exact Gray-code enumeration of all 2^N configurations and its histograms (ALGORITHMS §e).

//! Phases of the Franz–Parisi curves and the thresholds κ_min, κ_LE, α_LE (THEORY §S3.6, T3).

//! Baseline solvers: SBPI, CP+R, simulated annealing on the error count (ALGORITHMS §d). Reinforced BP is a focusing protocol in [`crate::bp`].

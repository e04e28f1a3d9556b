//! Equilibrium RS entropy of κ-margin solutions (THEORY §S2).

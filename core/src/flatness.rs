//! Local energy, maximal-variation flatness and distance to level sets (ALGORITHMS §f).

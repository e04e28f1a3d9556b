//! 1RSB ansatz for the constrained replicas of the Franz–Parisi computation (THEORY §S4).

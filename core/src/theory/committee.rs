//! Tree committee machine, K → ∞, binary weights, sign and ReLU activations (THEORY §S5).

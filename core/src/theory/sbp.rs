//! Symmetric binary perceptron: first and second moments, pair and y-tuple entropies (THEORY §S6).

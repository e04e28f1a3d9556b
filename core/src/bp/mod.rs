//! Belief propagation for the binary perceptron with margin and reference field, Bethe entropy, local-entropy profiles, focusing BP (ALGORITHMS §b–c).

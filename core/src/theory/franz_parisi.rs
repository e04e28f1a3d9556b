//! Franz–Parisi local entropy around typical κ̃-margin references (THEORY §S3).

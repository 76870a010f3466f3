"""Claims, proofs and certificates that combine the symbolic and numeric layers."""

"""Numbers symcert can trust: evaluation from the specification in float64, mpmath and intervals."""

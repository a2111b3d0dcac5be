"""A job across evaluations: naming it, its history, and the jobs a profile calls its own."""

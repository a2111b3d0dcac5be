"""One module per screen: projects, jobset, evals, eval_builds, build, plus help."""

"""Report pipelines: each module runs one report's analysis once and returns a result object that
its notebook shows. Estimators and metrics stay in the domain packages (``smlib.attribution``,
``smlib.causal``, ``smlib.metrics``); these modules only put them together for a report.
"""

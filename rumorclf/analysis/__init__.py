"""Analyst features around the classifier: evidence spans (`explain`), targets and watchlists
(`targets`, `watchlist`), and the indicator report (`report`).

Import-light on purpose: nothing is imported here, so `import rumorclf.analysis.explain` does
not load the report's template engine or pypinyin. Import the module you need.
"""
